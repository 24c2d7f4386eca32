//! Local servers and helpers shared by the probe tests. Every server listens
//! on loopback; the policy treats 127.0.0.1 as "public" and blocks the rest.
#![allow(dead_code)]

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pharos_domain::check::{CheckOutcome, ErrorClass, Verdict};
use pharos_domain::AddressPolicy;
use pharos_probes::{CheckSpec, ProbeSettings, Prober, StaticResolver};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const PUBLIC: &str = "127.0.0.1";
pub const BLOCKED: &str = "127.0.0.2";

pub fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

/// 127.0.0.1 is "public"; every other blocked range stays blocked.
pub fn policy() -> AddressPolicy {
    AddressPolicy {
        allow_private: false,
        also_allow: vec![ip(PUBLIC)],
    }
}

pub fn settings() -> ProbeSettings {
    ProbeSettings::with_policy(policy())
}

pub fn prober() -> Prober {
    prober_with(settings(), StaticResolver::new())
}

pub fn prober_with(settings: ProbeSettings, resolver: StaticResolver) -> Prober {
    Prober::with_resolver(settings, Arc::new(resolver)).expect("prober")
}

/// Runs a check and asserts it ended within `timeout` + 2 s.
pub async fn run(prober: &Prober, spec: &CheckSpec, timeout: Duration) -> CheckOutcome {
    let started = Instant::now();
    let outcome = prober.run(spec, timeout).await;
    let took = started.elapsed();
    assert!(
        took <= timeout + Duration::from_secs(2),
        "check took {took:?}, timeout was {timeout:?}: {outcome:?}"
    );
    outcome
}

pub fn assert_up(outcome: &CheckOutcome) {
    assert_eq!(outcome.verdict, Verdict::Up, "{outcome:?}");
    assert!(outcome.failure.is_none(), "{outcome:?}");
}

pub fn assert_down(outcome: &CheckOutcome, class: ErrorClass) {
    assert_eq!(outcome.verdict, Verdict::Down, "{outcome:?}");
    let failure = outcome
        .failure
        .as_ref()
        .expect("a down result has a failure");
    assert_eq!(failure.class, class, "{outcome:?}");
    assert!(!failure.message.is_empty());
}

/// A server on `ip`:0 that runs `handle` for every connection; counts them.
pub struct Server {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
}

impl Server {
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn accepted(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

pub async fn serve_on<F, Fut>(ip_text: &str, handle: F) -> Server
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind((ip(ip_text), 0)).await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let connections = Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    let handle = Arc::new(handle);
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(handle(stream));
        }
    });
    Server { addr, connections }
}

pub async fn serve<F, Fut>(handle: F) -> Server
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    serve_on(PUBLIC, handle).await
}

/// Reads a request head (and nothing more); returns it as text.
pub async fn read_head<S: AsyncReadExt + Unpin>(stream: &mut S) -> String {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") && buf.len() < 64 * 1024 {
        match stream.read(&mut byte).await {
            Ok(1) => buf.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&buf).into_owned()
}

/// Reads a whole request: head plus a Content-Length body.
pub async fn read_request<S: AsyncReadExt + Unpin>(stream: &mut S) -> (String, Vec<u8>) {
    let head = read_head(stream).await;
    let len = head
        .lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())
                .flatten()
        })
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    let _ = stream.read_exact(&mut body).await;
    (head, body)
}

/// A complete response with a Content-Length.
pub fn response(status: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status}\r\nContent-Length: {}\r\n", body.len());
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("Connection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

/// A server answering every request with the same canned response.
pub async fn canned(
    status: &'static str,
    headers: &'static [(&'static str, &'static str)],
    body: &'static [u8],
) -> Server {
    serve(move |mut stream| async move {
        let _ = read_request(&mut stream).await;
        let _ = stream.write_all(&response(status, headers, body)).await;
        let _ = stream.shutdown().await;
    })
    .await
}
