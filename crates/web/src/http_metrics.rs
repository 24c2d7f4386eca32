//! HTTP request metrics: a count by method, route template and status, and
//! a duration histogram by route. The route is the template (`/api/v1/targets/{id}`),
//! never the path, so no label carries an id, a token or a URL.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;

pub async fn record(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |m| m.as_str().to_owned());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("pharos_http_requests_total", "method" => method, "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("pharos_http_request_duration_seconds", "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}

/// Registers the help text of the web layer's metrics.
pub fn describe_metrics() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        "pharos_live_reads_total",
        "Database reads behind live dashboards: one a tick per organization with open \
         dashboards, however many are open, and one per redrawn strip."
    );
    describe_gauge!(
        "pharos_live_pollers",
        "Organizations with open live dashboards (one shared poller each)."
    );
    describe_counter!(
        "pharos_http_requests_total",
        "HTTP requests answered, by method, route template and status."
    );
    describe_histogram!(
        "pharos_http_request_duration_seconds",
        Unit::Seconds,
        "How long HTTP requests took, by route template."
    );
}
