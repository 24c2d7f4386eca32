//! Opening a SQLite database by its URL, as `pharos serve --database-url`
//! does.

use pharos_storage::StoreError;

#[tokio::test]
async fn a_sqlite_file_in_a_missing_directory_is_created_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("not/yet/there/pharos.db");
    let url = format!("sqlite://{}", file.display());
    let store = pharos_storage::connect(&url).await.expect("connect");
    store.migrate().await.expect("migrate");
    assert!(file.exists(), "{} was not made", file.display());
}

#[tokio::test]
async fn a_directory_that_cannot_be_made_is_named_in_the_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let blocker = dir.path().join("a-plain-file");
    std::fs::write(&blocker, b"not a directory").expect("write");
    let url = format!("sqlite://{}/pharos.db", blocker.join("sub").display());
    let err = pharos_storage::connect(&url).await.err().expect("refused");
    assert!(matches!(err, StoreError::Directory { .. }), "{err}");
    assert!(err.to_string().contains("a-plain-file"), "{err}");
}
