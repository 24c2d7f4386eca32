//! Hostile targets: each ends as a down result with the right class, within
//! the timeout plus a margin, without reading more than the body cap.

mod common;

use std::io::Write;
use std::time::{Duration, Instant};

use common::*;
use pharos_domain::check::ErrorClass;
use pharos_probes::{CheckSpec, HttpCheck};
use tokio::io::AsyncWriteExt;

const T: Duration = Duration::from_secs(2);

fn with_keyword(url: String) -> CheckSpec {
    let mut check = HttpCheck::get(url);
    check.keyword = Some("needle".into());
    CheckSpec::Http(check)
}

#[tokio::test]
async fn accept_and_never_answer_times_out() {
    let server = serve(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Timeout);
    assert!(outcome.timings.connect_ms.is_some());
    assert!(outcome.latency_ms >= 1_900, "{outcome:?}");
}

#[tokio::test]
async fn headers_one_byte_a_second_time_out() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        for byte in b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" {
            if stream.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Timeout);
    assert!(
        outcome.timings.first_byte_ms.is_some(),
        "the first byte did arrive"
    );
}

#[tokio::test]
async fn an_endless_body_hits_the_cap() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        if stream.write_all(head).await.is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        while stream.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    let outcome = run(&prober(), &with_keyword(server.url("/")), T).await;
    assert_down(&outcome, ErrorClass::BodyTooLarge);
}

#[tokio::test]
async fn an_endless_trickle_times_out() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        if stream.write_all(b"HTTP/1.1 200 OK\r\n\r\n").await.is_err() {
            return;
        }
        while stream.write_all(b"x").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let outcome = run(&prober(), &with_keyword(server.url("/")), T).await;
    assert_down(&outcome, ErrorClass::Timeout);
}

#[tokio::test]
async fn a_100_mb_body_is_refused_by_its_length_or_by_the_cap() {
    const SIZE: usize = 100 * 1024 * 1024;
    let declared = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {SIZE}\r\n\r\n");
        if stream.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let block = vec![b'y'; 1024 * 1024];
        for _ in 0..100 {
            if stream.write_all(&block).await.is_err() {
                return;
            }
        }
    })
    .await;
    let started = Instant::now();
    let outcome = run(&prober(), &with_keyword(declared.url("/")), T).await;
    assert_down(&outcome, ErrorClass::BodyTooLarge);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "refused from the header"
    );

    // Without a length, the read stops at the cap.
    let undeclared = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        if stream
            .write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")
            .await
            .is_err()
        {
            return;
        }
        let block = vec![b'y'; 1024 * 1024];
        for _ in 0..100 {
            if stream.write_all(&block).await.is_err() {
                return;
            }
        }
    })
    .await;
    let outcome = run(&prober(), &with_keyword(undeclared.url("/")), T).await;
    assert_down(&outcome, ErrorClass::BodyTooLarge);
}

#[tokio::test]
async fn a_body_nobody_asked_for_is_not_read() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        if stream.write_all(head).await.is_err() {
            return;
        }
        let chunk = format!("{:x}\r\n{}\r\n", 64 * 1024, "x".repeat(64 * 1024));
        while stream.write_all(chunk.as_bytes()).await.is_ok() {}
    })
    .await;
    // No assertion needs the body: the status decides, and the connection is
    // dropped straight away.
    let started = Instant::now();
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/"))),
        T,
    )
    .await;
    assert_up(&outcome);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_redirect_loop_ends_as_too_many_redirects() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let reply = response("302 Found", &[("Location", "/loop")], b"");
        let _ = stream.write_all(&reply).await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/loop"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Redirects);
    assert_eq!(server.accepted(), 6, "the first request and five redirects");
}

#[tokio::test]
async fn a_gzip_bomb_is_capped_while_decoding() {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&zeros).expect("compress");
    }
    let bomb: &'static [u8] = Box::leak(encoder.finish().expect("finish").into_boxed_slice());
    assert!(
        bomb.len() < 512 * 1024,
        "64 MiB compress to {} bytes",
        bomb.len()
    );
    let server = serve(move |mut stream| async move {
        let _ = read_request(&mut stream).await;
        // Sent compressed although the prober asked for identity.
        let reply = response("200 OK", &[("Content-Encoding", "gzip")], bomb);
        let _ = stream.write_all(&reply).await;
    })
    .await;
    let outcome = run(&prober(), &with_keyword(server.url("/")), T).await;
    assert_down(&outcome, ErrorClass::BodyTooLarge);
    assert!(outcome
        .failure
        .expect("failure")
        .message
        .contains("decoded"));
}

#[tokio::test]
async fn closing_mid_response_is_a_protocol_error() {
    let mid_head = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Ty").await;
        let _ = stream.shutdown().await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(mid_head.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Protocol);

    let mid_body = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly ten b")
            .await;
        let _ = stream.shutdown().await;
    })
    .await;
    let outcome = run(&prober(), &with_keyword(mid_body.url("/")), T).await;
    assert_down(&outcome, ErrorClass::Protocol);

    let nothing = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream.shutdown().await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(nothing.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Protocol);
}

#[tokio::test]
async fn a_megabyte_of_headers_is_refused() {
    let many = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let mut head = String::from("HTTP/1.1 200 OK\r\n");
        for i in 0..16_384 {
            head.push_str(&format!("X-Junk-{i}: {}\r\n", "a".repeat(48)));
        }
        head.push_str("\r\n");
        let _ = stream.write_all(head.as_bytes()).await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(many.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Protocol);

    let one_long = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\nX-Long: {}\r\n\r\n",
            "b".repeat(1024 * 1024)
        );
        let _ = stream.write_all(head.as_bytes()).await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(one_long.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Protocol);
    assert!(outcome.failure.expect("failure").message.contains("limit"));
}

#[tokio::test]
async fn garbage_instead_of_http_is_a_protocol_error() {
    let server = serve(|mut stream| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream
            .write_all(b"SSH-2.0-OpenSSH_9.6\r\n\xff\xfe\x00garbage\r\n\r\n")
            .await;
    })
    .await;
    let outcome = run(
        &prober(),
        &CheckSpec::Http(HttpCheck::get(server.url("/"))),
        T,
    )
    .await;
    assert_down(&outcome, ErrorClass::Protocol);
}

#[tokio::test]
async fn a_tls_check_against_a_silent_server_times_out() {
    let server = serve(|stream| async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(stream);
    })
    .await;
    let spec = CheckSpec::Tls(pharos_probes::TlsCheck {
        host: PUBLIC.into(),
        port: server.port(),
        warn_days: 14,
    });
    let outcome = run(&prober(), &spec, T).await;
    assert_down(&outcome, ErrorClass::Timeout);
    let https = format!("https://{}/", server.addr);
    let outcome = run(&prober(), &CheckSpec::Http(HttpCheck::get(https)), T).await;
    assert_down(&outcome, ErrorClass::Timeout);
}
