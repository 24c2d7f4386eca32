//! HTTP deliveries: send once through the guarded client and say whether
//! it worked, and if not, whether trying again can help.

use std::error::Error as _;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pharos_domain::AddressPolicy;
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use tokio::time::Instant;

use super::guard::{check_url_host, GuardError};
use crate::channels::MASK;
use crate::delivery::{Delivered, DeliveryError, HttpRequest, HttpVerb};

/// How much of an answer's body is read to explain a failure.
const EXCERPT_BYTES: usize = 2048;
/// How much of it a message keeps.
const EXCERPT_CHARS: usize = 300;
/// A `Retry-After` beyond this is taken as this: retries stay bounded.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

pub(crate) async fn send(
    client: &reqwest::Client,
    policy: &AddressPolicy,
    timeout: Duration,
    request: &HttpRequest,
) -> Result<Delivered, DeliveryError> {
    let host = request.url.host_str().unwrap_or("").to_owned();
    check_url_host(policy, &request.url).map_err(|e| guard_failure(&e))?;

    let method = match request.method {
        HttpVerb::Post => Method::POST,
        HttpVerb::Put => Method::PUT,
    };
    let mut builder = client
        .request(method, request.url.clone())
        .header(CONTENT_TYPE, request.content_type);
    for (name, value) in &request.headers {
        let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) else {
            return Err(DeliveryError::permanent(format!(
                "the header {} cannot be sent",
                scrub(name, &request.secrets)
            )));
        };
        builder = builder.header(name, value);
    }
    let started = Instant::now();
    let response = builder
        .body(request.body.clone())
        .send()
        .await
        .map_err(|e| send_failure(&e, &host, timeout, &request.secrets))?;

    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| parse_retry_after(v, Utc::now()));
    if status.is_success() {
        // The body is not needed; dropping the response closes or returns
        // the connection.
        return Ok(Delivered {
            status: status.as_u16(),
            duration: started.elapsed(),
        });
    }
    let excerpt = excerpt(response, &request.secrets).await;
    let code = status.as_u16();
    let said = if excerpt.is_empty() {
        String::new()
    } else {
        format!(": {excerpt}")
    };
    Err(match classify(status) {
        Outcome::Retry => DeliveryError::Retryable {
            message: format!("{host} answered HTTP {code}{said}"),
            status: Some(code),
            retry_after,
        },
        Outcome::Redirect => DeliveryError::Permanent {
            message: format!(
                "{host} answered HTTP {code} (a redirect); Pharos does not follow redirects, give the final URL"
            ),
            status: Some(code),
        },
        Outcome::Refused => DeliveryError::Permanent {
            message: format!("{host} refused the notification with HTTP {code}{said}"),
            status: Some(code),
        },
    })
}

enum Outcome {
    Retry,
    Redirect,
    Refused,
}

fn classify(status: StatusCode) -> Outcome {
    match status.as_u16() {
        // Request Timeout, Too Early and Too Many Requests say "later".
        408 | 425 | 429 => Outcome::Retry,
        500..=599 => Outcome::Retry,
        300..=399 => Outcome::Redirect,
        _ => Outcome::Refused,
    }
}

fn guard_failure(error: &GuardError) -> DeliveryError {
    match error {
        GuardError::Refused(message) => DeliveryError::permanent(message.clone()),
        GuardError::Dns(message) => DeliveryError::retryable(message.clone()),
    }
}

/// A failure before any answer: the guard's refusal (found in the error's
/// sources, where reqwest's connector put it), a timeout, or a connection
/// error. reqwest's own message names the URL, which may hold a key, so
/// only the causes below it are reported.
fn send_failure(
    error: &reqwest::Error,
    host: &str,
    timeout: Duration,
    secrets: &[String],
) -> DeliveryError {
    let mut source = error.source();
    let mut deepest: Option<String> = None;
    while let Some(cause) = source {
        if let Some(guard) = cause.downcast_ref::<GuardError>() {
            return guard_failure(guard);
        }
        deepest = Some(cause.to_string());
        source = cause.source();
    }
    let cause = scrub(&deepest.unwrap_or_default(), secrets);
    if error.is_timeout() {
        DeliveryError::retryable(format!(
            "no answer from {host} within {} s",
            timeout.as_secs_f64()
        ))
    } else if error.is_connect() {
        DeliveryError::retryable(format!("could not connect to {host}: {cause}"))
    } else if error.is_builder() {
        DeliveryError::permanent(format!("the request to {host} cannot be built: {cause}"))
    } else {
        DeliveryError::retryable(format!("the request to {host} failed: {cause}"))
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub(crate) fn parse_retry_after(raw: &str, now: DateTime<Utc>) -> Option<Duration> {
    let raw = raw.trim();
    let wait = if let Ok(seconds) = raw.parse::<u64>() {
        Duration::from_secs(seconds)
    } else {
        // IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) is RFC 2822 syntax.
        let at = DateTime::parse_from_rfc2822(raw).ok()?.with_timezone(&Utc);
        (at - now).to_std().unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// The start of an error answer's body, on one line, without secrets.
async fn excerpt(mut response: reqwest::Response, secrets: &[String]) -> String {
    let mut bytes: Vec<u8> = Vec::new();
    while bytes.len() < EXCERPT_BYTES {
        match response.chunk().await {
            Ok(Some(chunk)) => bytes.extend_from_slice(&chunk),
            _ => break,
        }
    }
    bytes.truncate(EXCERPT_BYTES);
    let text = String::from_utf8_lossy(&bytes);
    let line: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    let line = scrub(&line, secrets);
    if line.chars().count() > EXCERPT_CHARS {
        let cut: String = line.chars().take(EXCERPT_CHARS).collect();
        format!("{cut}…")
    } else {
        line
    }
}

/// Every secret (at least 4 characters, so a short value cannot blank a
/// message) replaced by the mask.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_owned();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        out = out.replace(secret.as_str(), MASK);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-03T10:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        assert_eq!(parse_retry_after("7", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Tue, 03 Nov 2026 10:01:30 GMT", now),
            Some(Duration::from_secs(90))
        );
        assert_eq!(
            parse_retry_after("Tue, 03 Nov 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("999999999", now), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn statuses_are_classified() {
        for code in [408, 425, 429, 500, 502, 503, 504] {
            assert!(matches!(
                classify(StatusCode::from_u16(code).expect("code")),
                Outcome::Retry
            ));
        }
        for code in [400, 401, 403, 404, 410, 413, 422] {
            assert!(matches!(
                classify(StatusCode::from_u16(code).expect("code")),
                Outcome::Refused
            ));
        }
        assert!(matches!(classify(StatusCode::FOUND), Outcome::Redirect));
    }

    #[test]
    fn secrets_are_scrubbed() {
        let secrets = vec!["123:abc-token".to_owned(), "x".to_owned()];
        assert_eq!(
            scrub("bad token 123:abc-token, x", &secrets),
            format!("bad token {MASK}, x")
        );
    }
}
