//! The binary as an operator runs it: configuration refusals, migrate,
//! admin tasks.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const PHAROS: &str = env!("CARGO_BIN_EXE_pharos");

fn pharos(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut command = Command::new(PHAROS);
    command
        .args(args)
        .env_remove("PHAROS_SECRET_KEY")
        .env_remove("PHAROS_SECRET_KEY_FILE")
        .env("PHAROS_LOG", "warn");
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start pharos");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("wait")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn production_refuses_a_missing_or_weak_secret_key() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let common = [
        ("PHAROS_ENV", "production"),
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_LISTEN", "127.0.0.1:0"),
    ];
    let missing = pharos(&["web"], &common, "");
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("PHAROS_SECRET_KEY"),
        "{}",
        text(&missing.stderr)
    );

    let mut weak_env = common.to_vec();
    weak_env.push(("PHAROS_SECRET_KEY", "changeme"));
    let weak = pharos(&["web"], &weak_env, "");
    assert!(!weak.status.success());
    assert!(
        text(&weak.stderr).contains("too weak"),
        "{}",
        text(&weak.stderr)
    );

    // A key from a file (container secrets) is read and judged the same way.
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n").expect("write");
    let mut file_env = common.to_vec();
    let key_path = key_file.to_str().expect("utf-8").to_owned();
    file_env.push(("PHAROS_SECRET_KEY_FILE", &key_path));
    let from_file = pharos(&["web"], &file_env, "");
    assert!(!from_file.status.success());
    assert!(
        text(&from_file.stderr).contains("distinct"),
        "{}",
        text(&from_file.stderr)
    );
}

/// Arguments, environment, and the setting the refusal must name.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn bad_settings_are_refused_with_the_setting_named() {
    let cases: [Case<'_>; 4] = [
        (&["serve"], &[("PHAROS_LISTEN", "not-an-address")], "listen"),
        (&["serve"], &[("PHAROS_ENV", "staging")], "env"),
        (
            &["worker"],
            &[("PHAROS_WORKER_CONCURRENCY", "0")],
            "worker-concurrency",
        ),
        (
            &["serve"],
            &[("PHAROS_ALLOW_PRIVATE_TARGETS", "maybe")],
            "allow-private-targets",
        ),
    ];
    for (args, env, named) in cases {
        let out = pharos(args, env, "");
        assert_eq!(out.status.code(), Some(2), "{args:?} {env:?}");
        assert!(
            text(&out.stderr).contains(named),
            "{env:?}: {}",
            text(&out.stderr)
        );
    }
    let unknown_db = pharos(
        &["migrate"],
        &[("PHAROS_DATABASE_URL", "mysql://localhost/x")],
        "",
    );
    assert!(!unknown_db.status.success());
    assert!(
        text(&unknown_db.stderr).contains("sqlite:// or postgres://"),
        "{}",
        text(&unknown_db.stderr)
    );
}

#[test]
fn migrate_and_admin_tasks() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let env = [("PHAROS_DATA_DIR", data)];
    let migrated = pharos(&["migrate"], &env, "");
    assert!(migrated.status.success(), "{}", text(&migrated.stderr));
    assert!(
        dir.path().join("pharos.db").exists(),
        "the default SQLite file is in the data directory"
    );

    let created = pharos(
        &[
            "admin",
            "create-user",
            "--email",
            "Ops@Example.com",
            "--organization",
            "Ops team",
        ],
        &env,
        "a long enough passphrase\n",
    );
    assert!(created.status.success(), "{}", text(&created.stderr));
    assert!(text(&created.stdout).contains("ops@example.com"));
    let again = pharos(
        &["admin", "create-user", "--email", "ops@example.com"],
        &env,
        "a long enough passphrase\n",
    );
    assert!(!again.status.success());
    assert!(
        text(&again.stderr).contains("already registered"),
        "{}",
        text(&again.stderr)
    );
    let short = pharos(
        &["admin", "create-user", "--email", "new@example.com"],
        &env,
        "short\n",
    );
    assert!(!short.status.success());
    assert!(
        text(&short.stderr).contains("password"),
        "{}",
        text(&short.stderr)
    );

    let listed = pharos(&["admin", "list-organizations"], &env, "");
    assert!(listed.status.success());
    let listing = text(&listed.stdout);
    assert!(listing.contains("Ops team"), "{listing}");
    assert_eq!(
        listing.lines().count(),
        2,
        "a header and one organization: {listing}"
    );

    // Publishing an agent that does not exist, or a value that is no id,
    // fails and says why.
    let missing = pharos(
        &[
            "admin",
            "publish-agent",
            "01950000-0000-7000-8000-000000000001",
        ],
        &env,
        "",
    );
    assert!(!missing.status.success());
    assert!(
        text(&missing.stderr).contains("no agent has the id"),
        "{}",
        text(&missing.stderr)
    );
    let garbled = pharos(&["admin", "unpublish-agent", "frankfurt"], &env, "");
    assert!(!garbled.status.success());
    assert!(
        text(&garbled.stderr).contains("invalid value"),
        "{}",
        text(&garbled.stderr)
    );
}
