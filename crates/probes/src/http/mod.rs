//! HTTP(S) checks on hyper, over the guard and connector of this crate.

pub(crate) mod assertions;
mod body;

use std::error::Error as _;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::rt::TokioIo;
use pharos_domain::check::ErrorClass;
use tokio::time::Instant;
use url::{Position, Url};

use crate::connector::{self, AbortOnDrop, FirstByte, MaybeTls};
use crate::outcome::{add_ms, Fail, Judged, Trace};
use crate::prober::ProbeContext;
use crate::{guard, tls};
use pharos_domain::check_spec::{parse_http_url, HttpCheck, HttpHeader, HttpMethod};

/// A response and the task driving its connection (aborted on drop, which
/// closes the socket however much the server still wants to send).
struct Exchange {
    response: Response<Incoming>,
    _driver: AbortOnDrop<()>,
}

pub(crate) async fn check(ctx: &ProbeContext, spec: &HttpCheck, trace: &mut Trace) -> Judged {
    let mut url = parse_http_url(&spec.url)
        .map_err(|e| Fail::new(ErrorClass::Protocol, format!("invalid check: {e}")))?;
    let origin = url.origin();
    let max_redirects = spec.max_redirects.unwrap_or(ctx.settings.max_redirects);
    let mut method = spec.method;
    let mut body = spec.body.clone();
    let mut redirects: u8 = 0;

    let exchange = loop {
        trace.details.final_url = Some(url.to_string());
        // Custom headers (often credentials) never leave the original origin.
        let headers: &[HttpHeader] = if url.origin() == origin {
            &spec.headers
        } else {
            &[]
        };
        let at_hop = |fail: Fail| {
            if redirects == 0 {
                fail
            } else {
                Fail::new(
                    fail.class,
                    format!("after redirect {redirects}: {}", fail.message),
                )
            }
        };
        let mut exchange = send(
            ctx,
            &url,
            method,
            body.as_deref(),
            headers,
            spec.verify_tls,
            trace,
        )
        .await
        .map_err(at_hop)?;
        let status = exchange.response.status().as_u16();
        if method == HttpMethod::Head && (status == 405 || status == 501) {
            // Some servers refuse HEAD; the check is about the resource.
            drop(exchange);
            method = HttpMethod::Get;
            exchange = send(ctx, &url, method, None, headers, spec.verify_tls, trace)
                .await
                .map_err(at_hop)?;
        }
        let status = exchange.response.status().as_u16();
        trace.status_code = Some(status);
        let location = exchange
            .response
            .headers()
            .get(header::LOCATION)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        let (Some(location), true) = (location, is_redirect(status) && max_redirects > 0) else {
            break exchange;
        };
        if redirects >= max_redirects {
            return Err(Fail::new(
                ErrorClass::Redirects,
                format!("more than {max_redirects} redirects (the last one to {location})"),
            ));
        }
        let next = next_url(&url, &location)?;
        drop(exchange);
        redirects += 1;
        trace.details.redirects = redirects;
        match status {
            303 if method != HttpMethod::Head => {
                method = HttpMethod::Get;
                body = None;
            }
            301 | 302 if method == HttpMethod::Post => {
                method = HttpMethod::Get;
                body = None;
            }
            _ => {}
        }
        url = next;
    };

    let status = exchange.response.status().as_u16();
    assertions::check_status(status, &spec.expected_status)?;
    if spec.needs_body() {
        let body = body::read_capped(
            exchange.response,
            ctx.settings.max_body_bytes,
            ctx.settings.max_header_bytes,
            trace,
        )
        .await?;
        assertions::check_body(spec, &body)?;
    }
    if let Some(limit) = spec.degraded_latency_ms {
        let took = trace.elapsed_ms();
        if took > limit {
            return Ok(Some(Fail::new(
                ErrorClass::Latency,
                format!("took {took} ms, over the {limit} ms threshold"),
            )));
        }
    }
    Ok(None)
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The next hop of a redirect, under the same rules as the first URL.
fn next_url(current: &Url, location: &str) -> Result<Url, Fail> {
    let next = current.join(location).map_err(|e| {
        Fail::new(
            ErrorClass::Redirects,
            format!("redirect to an invalid location {location:?}: {e}"),
        )
    })?;
    parse_http_url(next.as_str())
        .map_err(|e| Fail::new(ErrorClass::Redirects, format!("redirect refused: {e}")))
}

/// One request on a fresh connection: guard, connect, TLS, request, head.
async fn send(
    ctx: &ProbeContext,
    url: &Url,
    method: HttpMethod,
    body: Option<&str>,
    headers: &[HttpHeader],
    verify_tls: bool,
    trace: &mut Trace,
) -> Result<Exchange, Fail> {
    let host = url
        .host()
        .map(|h| h.to_owned())
        .ok_or_else(|| Fail::new(ErrorClass::Protocol, "the URL has no host"))?;
    let port = url
        .port_or_known_default()
        .ok_or_else(|| Fail::new(ErrorClass::Protocol, "the URL has no port"))?;
    let addrs = guard::resolve(ctx.resolver.as_ref(), &ctx.settings.policy, &host, trace).await?;
    let tcp = connector::connect(&addrs, port, trace).await?;
    let stream = if url.scheme() == "https" {
        let tls = tls::handshake(&ctx.tls, tcp, &host, verify_tls, &[b"http/1.1"], trace).await?;
        MaybeTls::Tls(Box::new(tls))
    } else {
        MaybeTls::Plain(tcp)
    };
    let (io, first_byte) = FirstByte::new(stream);

    let max_header_bytes = ctx.settings.max_header_bytes;
    let request = build_request(ctx, url, method, body, headers)?;
    let sent_at = Instant::now();
    let (mut sender, conn) = hyper::client::conn::http1::Builder::new()
        // hyper refuses buffers under 8 KiB; the head must fit in this buffer.
        .max_buf_size(max_header_bytes.max(8 * 1024))
        .max_headers(128)
        .handshake::<_, Full<Bytes>>(TokioIo::new(io))
        .await
        .map_err(|e| hyper_fail(&e, max_header_bytes))?;
    let driver = AbortOnDrop(tokio::spawn(async move {
        let _ = conn.await;
    }));
    let result = trace.within(sender.send_request(request)).await;
    if let Some(at) = first_byte.get() {
        add_ms(
            &mut trace.timings.first_byte_ms,
            at.saturating_duration_since(sent_at),
        );
    }
    match result {
        None if first_byte.get().is_some() => Err(Fail::new(
            ErrorClass::Timeout,
            "the response head was not complete before the timeout",
        )),
        None => Err(Fail::new(
            ErrorClass::Timeout,
            format!("no response from {host} before the timeout"),
        )),
        Some(Err(e)) => Err(hyper_fail(&e, max_header_bytes)),
        Some(Ok(response)) => Ok(Exchange {
            response,
            _driver: driver,
        }),
    }
}

fn build_request(
    ctx: &ProbeContext,
    url: &Url,
    method: HttpMethod,
    body: Option<&str>,
    custom: &[HttpHeader],
) -> Result<Request<Full<Bytes>>, Fail> {
    let invalid = |what: &str| Fail::new(ErrorClass::Protocol, format!("invalid request: {what}"));
    let path = &url[Position::BeforePath..Position::AfterQuery];
    let mut request = Request::new(Full::new(Bytes::from(body.unwrap_or("").to_owned())));
    *request.method_mut() = match method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Head => Method::HEAD,
        HttpMethod::Post => Method::POST,
        HttpMethod::Put => Method::PUT,
    };
    *request.uri_mut() = path.parse().map_err(|_| invalid("the path"))?;

    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let h = request.headers_mut();
    h.insert(
        header::HOST,
        HeaderValue::from_str(&host).map_err(|_| invalid("the host"))?,
    );
    h.insert(
        header::USER_AGENT,
        HeaderValue::from_str(&ctx.settings.user_agent).map_err(|_| invalid("the user agent"))?,
    );
    h.insert(header::ACCEPT, HeaderValue::from_static("*/*"));
    h.insert(
        header::ACCEPT_ENCODING,
        HeaderValue::from_static("identity"),
    );
    // One request per connection: let the server free it at once.
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    let mut replaced: Vec<HeaderName> = Vec::new();
    for HttpHeader { name, value } in custom {
        let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("a header name"))?;
        let value = HeaderValue::from_str(value).map_err(|_| invalid("a header value"))?;
        // A custom header replaces the default of the same name, and may repeat.
        if !replaced.contains(&name) {
            h.remove(&name);
            replaced.push(name.clone());
        }
        h.append(name, value);
    }
    Ok(request)
}

/// Classifies a hyper error into the fixed set.
pub(crate) fn hyper_fail(e: &hyper::Error, max_header_bytes: usize) -> Fail {
    // `is_parse_too_large` exists only with hyper's server feature; the
    // message is stable ("message head is too large"), and too many headers
    // count as too large as well.
    if e.is_parse() && e.to_string().contains("too large") {
        return Fail::new(
            ErrorClass::Protocol,
            format!(
                "the response head is larger than the {}-byte limit",
                max_header_bytes.max(8 * 1024)
            ),
        );
    }
    if e.is_parse() || e.is_parse_status() {
        return Fail::new(
            ErrorClass::Protocol,
            format!("malformed HTTP response: {e}"),
        );
    }
    let io = e.source().and_then(|s| s.downcast_ref::<std::io::Error>());
    let eof = io.is_some_and(|io| io.kind() == std::io::ErrorKind::UnexpectedEof);
    if e.is_incomplete_message() || eof {
        return Fail::new(
            ErrorClass::Protocol,
            "the server closed the connection before the response was complete",
        );
    }
    if e.is_canceled() || e.is_closed() {
        return Fail::new(ErrorClass::Protocol, format!("the connection closed: {e}"));
    }
    if let Some(io) = io {
        return Fail::new(ErrorClass::Io, format!("reading the response failed: {io}"));
    }
    Fail::new(ErrorClass::Protocol, format!("HTTP error: {e}"))
}
