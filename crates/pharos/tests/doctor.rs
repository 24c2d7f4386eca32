//! `pharos doctor` as an operator runs it before a first start: it tells
//! what is wrong or risky line by line, exits 1 only for what is wrong,
//! and changes nothing.

use std::io::{BufRead, Write};
use std::process::{Command, Output};

use pharos_storage::testing::{Backend, TestDatabase};

const PHAROS: &str = env!("CARGO_BIN_EXE_pharos");
const STRONG_KEY: &str = "kQ8v2N5x1LmZ0pR7sT3wY9bC4dF6gH8jK2aB5cD7eF9g";

fn doctor(env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(PHAROS);
    command.arg("doctor").env("PHAROS_LOG", "warn");
    for name in [
        "PHAROS_SECRET_KEY",
        "PHAROS_SECRET_KEY_FILE",
        "PHAROS_DATABASE_URL",
        "PHAROS_PUBLIC_URL",
        "PHAROS_ENV",
        "PHAROS_SMTP_HOST",
        "PHAROS_SMTP_PORT",
        "PHAROS_SMTP_TLS",
        "PHAROS_SMTP_FROM",
        "PHAROS_METRICS_TOKEN",
        "PHAROS_METRICS_LISTEN",
        "PHAROS_ALLOW_PRIVATE_TARGETS",
    ] {
        command.env_remove(name);
    }
    command.envs(env.iter().copied());
    command.output().expect("run pharos doctor")
}

/// The line doctor printed about `topic`, with its level.
fn line<'a>(output: &'a str, topic: &str) -> &'a str {
    output
        .lines()
        .find(|l| {
            l.get(6..)
                .is_some_and(|rest| rest.starts_with(&format!("{topic}:")))
        })
        .unwrap_or_else(|| panic!("no line on {topic} in:\n{output}"))
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn a_fresh_development_install_has_warnings_and_nothing_wrong() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let output = doctor(&[("PHAROS_DATA_DIR", data)]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}");
    assert!(line(&text, "database").starts_with("ok"), "{text}");
    assert!(line(&text, "database").contains("does not exist yet"));
    assert!(line(&text, "secret key").starts_with("warn"), "{text}");
    assert!(line(&text, "private targets").starts_with("ok"));
    assert!(line(&text, "smtp").starts_with("warn"));
    assert!(line(&text, "ping checks").len() > 12);
    // Doctor reads; it creates neither the database nor a key.
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("dir").count(),
        0,
        "doctor wrote into the data directory"
    );
}

#[test]
fn production_without_a_key_or_with_risky_settings_is_reported() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let missing = doctor(&[("PHAROS_DATA_DIR", data), ("PHAROS_ENV", "production")]);
    let text = stdout(&missing);
    assert!(!missing.status.success(), "{text}");
    assert!(line(&text, "secret key").starts_with("error"), "{text}");
    assert!(line(&text, "public URL").starts_with("warn"), "{text}");

    let weak = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_ENV", "production"),
        ("PHAROS_SECRET_KEY", "changeme"),
    ]);
    assert!(line(&stdout(&weak), "secret key").contains("too weak"));

    let risky = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_ENV", "production"),
        ("PHAROS_SECRET_KEY", STRONG_KEY),
        ("PHAROS_PUBLIC_URL", "http://status.example.com"),
        ("PHAROS_ALLOW_PRIVATE_TARGETS", "true"),
        ("PHAROS_METRICS_TOKEN", "short"),
    ]);
    let text = stdout(&risky);
    assert!(line(&text, "secret key").starts_with("ok"), "{text}");
    assert!(line(&text, "public URL").contains("not https"), "{text}");
    assert!(line(&text, "private targets").starts_with("warn"), "{text}");
    assert!(line(&text, "metrics").starts_with("error"), "{text}");
    assert!(!risky.status.success());
    // The secret itself is never printed.
    assert!(!text.contains(STRONG_KEY));

    let sound = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_ENV", "production"),
        ("PHAROS_SECRET_KEY", STRONG_KEY),
        ("PHAROS_PUBLIC_URL", "https://status.example.com"),
        ("PHAROS_METRICS_TOKEN", "a-metrics-token-long-enough"),
    ]);
    let text = stdout(&sound);
    assert!(sound.status.success(), "{text}");
    assert!(line(&text, "public URL").contains("Secure"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_migrations_on_postgres_are_named_until_migrate_runs() {
    let Some(db) = TestDatabase::create(Backend::Postgres).await else {
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    let env = [("PHAROS_DATA_DIR", data), ("PHAROS_DATABASE_URL", &db.url)];
    let before = doctor(&env);
    let text = stdout(&before);
    assert!(!before.status.success(), "{text}");
    let database = line(&text, "database");
    assert!(database.starts_with("error"), "{text}");
    assert!(database.contains("pending") && database.contains("pharos migrate"));
    assert!(line(&text, "clock").starts_with("ok"), "{text}");

    let migrated = Command::new(PHAROS)
        .arg("migrate")
        .envs(env)
        .output()
        .expect("migrate");
    assert!(migrated.status.success(), "{migrated:?}");
    let after = doctor(&env);
    let text = stdout(&after);
    assert!(after.status.success(), "{text}");
    assert!(
        line(&text, "database").contains("migrations applied"),
        "{text}"
    );

    let unreachable = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_DATABASE_URL", "postgres://nobody@127.0.0.1:1/none"),
    ]);
    let text = stdout(&unreachable);
    assert!(!unreachable.status.success());
    assert!(line(&text, "database").starts_with("error"), "{text}");
}

#[test]
fn an_smtp_server_must_answer_with_its_greeting() {
    let dir = tempfile::tempdir().expect("dir");
    let data = dir.path().to_str().expect("utf-8");
    // A real TCP server that greets like SMTP and hangs up after QUIT or EOF.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut writer = stream.try_clone().expect("clone");
            let _ = writer.write_all(b"220 doctor-test ESMTP ready\r\n");
            let mut reader = std::io::BufReader::new(stream);
            let mut buffer = String::new();
            let _ = reader.read_line(&mut buffer);
        }
    });
    let greeted = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_SMTP_HOST", "127.0.0.1"),
        ("PHAROS_SMTP_PORT", &port),
        ("PHAROS_SMTP_TLS", "none"),
        ("PHAROS_SMTP_FROM", "pharos@example.com"),
    ]);
    let text = stdout(&greeted);
    assert!(line(&text, "smtp").starts_with("ok"), "{text}");
    assert!(greeted.status.success(), "{text}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let refused = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_SMTP_HOST", "127.0.0.1"),
        ("PHAROS_SMTP_PORT", &closed),
        ("PHAROS_SMTP_TLS", "none"),
        ("PHAROS_SMTP_FROM", "pharos@example.com"),
    ]);
    let text = stdout(&refused);
    assert!(line(&text, "smtp").starts_with("error"), "{text}");
    assert!(!refused.status.success());

    let bad_mode = doctor(&[
        ("PHAROS_DATA_DIR", data),
        ("PHAROS_SMTP_HOST", "127.0.0.1"),
        ("PHAROS_SMTP_TLS", "ssl3"),
    ]);
    let text = stdout(&bad_mode);
    assert!(line(&text, "smtp").starts_with("error"), "{text}");
    assert!(line(&text, "smtp").contains("PHAROS_SMTP_TLS"), "{text}");
}
