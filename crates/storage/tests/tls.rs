//! A managed PostgreSQL asks for TLS (`sslmode=require` or `verify-full`
//! in the URL); the store must speak it.

use pharos_storage::testing::{Backend, TestDatabase};
use sqlx::Connection;

#[tokio::test]
async fn postgres_connections_honour_sslmode_in_the_url() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let separator = if db.url.contains('?') { '&' } else { '?' };
    let required = format!("{}{separator}sslmode=require", db.url);

    // The local server may run without TLS; then there is nothing to prove.
    let mut probe = match sqlx::PgConnection::connect(&required).await {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("!!! this PostgreSQL server does not offer TLS ({e}); skipped");
            return;
        }
    };
    let (encrypted,): (bool,) =
        sqlx::query_as("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(&mut probe)
            .await
            .expect("pg_stat_ssl");
    assert!(encrypted, "sslmode=require gave a plain connection");

    let store = pharos_storage::connect(&required)
        .await
        .expect("the store connects over TLS");
    store.migrate().await.expect("and migrates over it");
    assert!(store.ready().await.expect("ready"));

    // verify-full checks the server's certificate against the bundled
    // roots (or sslrootcert): a self-signed local one is refused, not
    // silently accepted.
    let verified = format!("{}{separator}sslmode=verify-full", db.url);
    assert!(pharos_storage::connect(&verified).await.is_err());
}
