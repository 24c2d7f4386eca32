//! `pharos check` exit codes and output, through the public CLI entry point.

mod common;

use clap::Parser;
use common::*;
use pharos_probes::cli::{self, CheckArgs};

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    args: CheckArgs,
}

fn args(argv: &[&str]) -> CheckArgs {
    let mut full = vec!["pharos-check"];
    full.extend_from_slice(argv);
    Cli::try_parse_from(full).expect("arguments parse").args
}

#[tokio::test]
async fn exit_codes_follow_the_verdict() {
    let up = canned("200 OK", &[], b"fine").await;
    let down = canned("500 Internal Server Error", &[], b"").await;
    let url = up.url("/");
    assert_eq!(cli::run(args(&[&url]), settings()).await, 0);
    assert_eq!(cli::run(args(&[&url, "--json"]), settings()).await, 0);
    assert_eq!(
        cli::run(args(&[&url, "--keyword", "missing"]), settings()).await,
        1
    );
    assert_eq!(cli::run(args(&[&down.url("/")]), settings()).await, 1);
    // Blocked by the guard: a result (down), not a usage error.
    assert_eq!(cli::run(args(&["http://127.0.0.2/"]), settings()).await, 1);
    let tcp = up.addr.to_string();
    assert_eq!(
        cli::run(args(&[&tcp, "--kind", "tcp"]), settings()).await,
        0
    );
}

#[tokio::test]
async fn usage_errors_exit_2() {
    for argv in [
        vec!["ftp://example.com/"],
        vec!["http://user:pw@example.com/"],
        vec!["example.com", "--kind", "tcp"],
        vec!["example.com", "--timeout=-1"],
        vec!["example.com", "--kind", "dns", "--record", "PTR"],
    ] {
        assert_eq!(cli::run(args(&argv), settings()).await, 2, "{argv:?}");
    }
}

#[tokio::test]
async fn the_human_report_shows_the_timing_breakdown() {
    let up = canned("200 OK", &[], b"fine").await;
    let (spec, timeout) = cli::build_spec(&args(&[&up.url("/")])).expect("spec");
    let report = prober().run_detailed(&spec, timeout).await;
    let text = cli::render_human(&spec, &report);
    assert!(text.starts_with("UP http http://127.0.0.1:"), "{text}");
    for label in ["connect", "first byte", "total", "address"] {
        assert!(text.contains(label), "{label} missing from:\n{text}");
    }
    let json = serde_json::to_value(&report).expect("json");
    assert_eq!(json["verdict"], "up");
    assert_eq!(json["status_code"], 200);
    assert!(json["timings"]["connect_ms"].is_number());
}
