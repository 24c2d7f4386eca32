//! `pharos backup` while `pharos serve` runs, and `pharos restore` into a
//! new data directory: the restored Pharos signs the same user in and
//! shows the same target. Real processes, a real SQLite file.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::{free_port, signal, spawn_pharos, wait_exit, wait_ready, Pharos, PHAROS};
use serde_json::{json, Value};

const ACCOUNT: &str = r#"{"email":"backup@example.com","password":"a long passphrase"}"#;

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}/pharos.db", dir.display())
}

fn pharos(args: &[&str], dir: &Path) -> Output {
    Command::new(PHAROS)
        .args(args)
        .env("PHAROS_DATABASE_URL", sqlite_url(dir))
        .env("PHAROS_DATA_DIR", dir)
        .env("PHAROS_LOG", "warn")
        .output()
        .expect("run pharos")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

async fn serve(dir: &Path) -> (Pharos, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let base = format!("http://{listen}");
    let server = spawn_pharos(
        &["serve"],
        &sqlite_url(dir),
        dir,
        &[("PHAROS_LISTEN", &listen)],
    );
    let client = reqwest::Client::new();
    assert!(
        wait_ready(&client, &base, Duration::from_secs(20)).await,
        "serve did not start"
    );
    (server, base)
}

/// Signs in and returns a client holding the session.
async fn signed_in(base: &str, register: bool) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .expect("client");
    let body: Value = serde_json::from_str(ACCOUNT).expect("json");
    if register {
        let r = client
            .post(format!("{base}/api/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .expect("register");
        assert_eq!(r.status(), reqwest::StatusCode::CREATED);
    }
    let r = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&body)
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "login");
    client
}

async fn target_names(client: &reqwest::Client, base: &str) -> Vec<String> {
    let page: Value = client
        .get(format!("{base}/api/v1/targets"))
        .send()
        .await
        .expect("targets")
        .json()
        .await
        .expect("json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|t| t["name"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_backup_taken_while_serving_restores_into_a_working_pharos() {
    let original = tempfile::tempdir().expect("dir");
    let (mut server, base) = serve(original.path()).await;
    let client = signed_in(&base, true).await;
    let created = client
        .post(format!("{base}/api/v1/targets"))
        .json(
            &json!({"kind": "heartbeat", "name": "nightly backup job", "interval_seconds": 86400}),
        )
        .send()
        .await
        .expect("create");
    assert_eq!(created.status(), reqwest::StatusCode::CREATED);

    // While Pharos serves: a consistent copy, checked by opening it.
    let vault = tempfile::tempdir().expect("dir");
    let copy = vault.path().join("pharos-backup.db");
    let copy_arg = copy.to_str().expect("utf-8");
    let out = pharos(&["backup", "--to", copy_arg], original.path());
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("verified"), "{}", text(&out));
    assert!(text(&out).contains("1 targets"), "{}", text(&out));
    // An existing file is never overwritten.
    let again = pharos(&["backup", "--to", copy_arg], original.path());
    assert!(!again.status.success());
    assert!(text(&again).contains("exists"), "{}", text(&again));
    // The server kept working through it.
    assert_eq!(target_names(&client, &base).await, ["nightly backup job"]);
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("serve stops");

    // Into a new data directory: the same account and target come back.
    let restored = tempfile::tempdir().expect("dir");
    let out = pharos(&["restore", "--from", copy_arg], restored.path());
    assert!(out.status.success(), "{}", text(&out));
    let (mut server, base) = serve(restored.path()).await;
    let client = signed_in(&base, false).await;
    assert_eq!(target_names(&client, &base).await, ["nightly backup job"]);
    signal(&server, "TERM");
    wait_exit(&mut server, Duration::from_secs(15)).expect("serve stops");

    // Over an existing database only with --force; a file that is not a
    // backup is refused and the database is left as it was.
    let refused = pharos(&["restore", "--from", copy_arg], restored.path());
    assert!(!refused.status.success());
    assert!(text(&refused).contains("--force"), "{}", text(&refused));
    let junk = vault.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").expect("write");
    let junk_out = pharos(
        &[
            "restore",
            "--force",
            "--from",
            junk.to_str().expect("utf-8"),
        ],
        restored.path(),
    );
    assert!(!junk_out.status.success(), "{}", text(&junk_out));
    let forced = pharos(&["restore", "--force", "--from", copy_arg], restored.path());
    assert!(forced.status.success(), "{}", text(&forced));
}

#[test]
fn postgres_is_pointed_at_pg_dump() {
    let out = Command::new(PHAROS)
        .args(["backup", "--to", "/tmp/never-written.db"])
        .env("PHAROS_DATABASE_URL", "postgres://nobody@127.0.0.1:9/none")
        .output()
        .expect("run pharos");
    assert!(!out.status.success());
    assert!(text(&out).contains("pg_dump"), "{}", text(&out));
}
