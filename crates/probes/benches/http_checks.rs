//! HTTP checks per second through the full prober (guard, connector, phase
//! timings, verdict) beside a raw baseline: new-connection HTTP/1.1 GETs
//! with a minimal hyper client, against the same local server, in the same
//! run. Bounded: a short warm-up and a few seconds per measurement.
//!
//! `cargo bench -p pharos-probes --bench http_checks`

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{Empty, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use pharos_domain::check::Verdict;
use pharos_domain::AddressPolicy;
use pharos_probes::{CheckSpec, HttpCheck, ProbeSettings, Prober, StaticResolver};
use tokio::net::{TcpListener, TcpStream};

const CONCURRENCY: usize = 16;
const WARM_UP: Duration = Duration::from_millis(300);
const MEASURE: Duration = Duration::from_secs(2);
const ROUNDS: usize = 2;

async fn start_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let service = service_fn(|_req| async {
                    Ok::<_, Infallible>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    addr
}

/// The baseline: connect, handshake, GET, read the head, close.
async fn raw_get(addr: SocketAddr) -> bool {
    let Ok(stream) = TcpStream::connect(addr).await else {
        return false;
    };
    let _ = stream.set_nodelay(true);
    let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await
    else {
        return false;
    };
    let driver = tokio::spawn(conn);
    let request = Request::get("/")
        .header(hyper::header::HOST, addr.to_string())
        // As the prober does: one request per connection, the server closes.
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .expect("request");
    let ok = matches!(sender.send_request(request).await, Ok(r) if r.status().is_success());
    driver.abort();
    ok
}

/// Runs `one` from CONCURRENCY tasks for `length`; returns successes per second.
async fn measure<F, Fut>(length: Duration, one: F) -> f64
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let one = Arc::new(one);
    let started = Instant::now();
    let end = started + length;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..CONCURRENCY {
        let one = one.clone();
        tasks.spawn(async move {
            let (mut ok, mut failed) = (0u64, 0u64);
            while Instant::now() < end {
                if one().await {
                    ok += 1;
                } else {
                    failed += 1;
                }
            }
            (ok, failed)
        });
    }
    let (mut ok, mut failed) = (0, 0);
    while let Some(Ok((o, f))) = tasks.join_next().await {
        ok += o;
        failed += f;
    }
    assert_eq!(failed, 0, "{failed} requests failed");
    ok as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let addr = start_server().await;
        let settings = ProbeSettings::with_policy(AddressPolicy {
            allow_private: false,
            also_allow: vec![addr.ip()],
        });
        let prober =
            Prober::with_resolver(settings, Arc::new(StaticResolver::new())).expect("prober");
        let spec = Arc::new(CheckSpec::Http(HttpCheck::get(format!("http://{addr}/"))));

        let check = {
            let (prober, spec) = (prober.clone(), spec.clone());
            move || {
                let (prober, spec) = (prober.clone(), spec.clone());
                async move {
                    let outcome = prober.run(&spec, Duration::from_secs(5)).await;
                    outcome.verdict == Verdict::Up
                }
            }
        };
        let baseline = move || raw_get(addr);

        measure(WARM_UP, baseline).await;
        measure(WARM_UP, check.clone()).await;
        // Alternate and keep the best of each, so a noisy moment on a small
        // machine does not decide the ratio.
        let (mut best_raw, mut best_prober) = (0f64, 0f64);
        for _ in 0..ROUNDS {
            best_raw = best_raw.max(measure(MEASURE, baseline).await);
            best_prober = best_prober.max(measure(MEASURE, check.clone()).await);
        }
        let ratio = best_prober / best_raw;
        println!(
            "http_checks: {CONCURRENCY} concurrent, {cores} cores, best of {ROUNDS} x {MEASURE:?}"
        );
        println!(
            "  raw baseline   {best_raw:>9.0} req/s   ({:>7.0} per core)",
            best_raw / cores as f64
        );
        println!(
            "  pharos prober  {best_prober:>9.0} checks/s ({:>7.0} per core)",
            best_prober / cores as f64
        );
        println!(
            "  ratio          {ratio:>9.2}  (goal >= 0.50: {})",
            if ratio >= 0.5 { "met" } else { "NOT met" }
        );
    });
}
