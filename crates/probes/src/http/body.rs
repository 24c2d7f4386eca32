//! Reading a response body within a byte cap and the check's deadline.
//!
//! Requests say `Accept-Encoding: identity`, so well-behaved servers send
//! plain bytes and nothing is decoded. A server that compresses anyway gets
//! its gzip or deflate body decoded, but only up to the same cap: a
//! compression bomb costs at most `max_body_bytes` of compressed input and
//! `max_body_bytes` of output, then fails as `body_too_large`. Decoding (rather
//! than matching keywords against compressed bytes) keeps assertions honest.

use std::io::Read;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::header::{CONTENT_ENCODING, CONTENT_LENGTH};
use hyper::Response;
use pharos_domain::check::ErrorClass;

use super::hyper_fail;
use crate::outcome::{Fail, Trace};

pub(crate) async fn read_capped(
    response: Response<Incoming>,
    cap: usize,
    max_header_bytes: usize,
    trace: &Trace,
) -> Result<Vec<u8>, Fail> {
    let too_large = |what: String| {
        Fail::new(
            ErrorClass::BodyTooLarge,
            format!("{what}, over the {cap}-byte limit"),
        )
    };
    let declared = response
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if let Some(len) = declared {
        if len > cap as u64 {
            return Err(too_large(format!("the body is {len} bytes")));
        }
    }
    let encoding = response
        .headers()
        .get(CONTENT_ENCODING)
        .map(|v| {
            String::from_utf8_lossy(v.as_bytes())
                .trim()
                .to_ascii_lowercase()
        })
        .unwrap_or_default();

    let mut body = response.into_body();
    let mut buf: Vec<u8> = Vec::new();
    loop {
        match trace.within(body.frame()).await {
            None => {
                return Err(Fail::new(
                    ErrorClass::Timeout,
                    format!(
                        "the body was not complete before the timeout ({} bytes read)",
                        buf.len()
                    ),
                ))
            }
            Some(None) => break,
            Some(Some(Err(e))) => return Err(hyper_fail(&e, max_header_bytes)),
            Some(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > cap {
                        return Err(too_large("the body is larger".to_owned()));
                    }
                    buf.extend_from_slice(&data);
                }
            }
        }
    }
    decode(buf, &encoding, cap)
}

fn decode(raw: Vec<u8>, encoding: &str, cap: usize) -> Result<Vec<u8>, Fail> {
    match encoding {
        "" | "identity" => Ok(raw),
        "gzip" | "x-gzip" => inflate(flate2::read::MultiGzDecoder::new(raw.as_slice()), cap),
        // "deflate" is meant to be zlib-wrapped; some servers send it raw.
        "deflate" => inflate(flate2::read::ZlibDecoder::new(raw.as_slice()), cap)
            .or_else(|_| inflate(flate2::read::DeflateDecoder::new(raw.as_slice()), cap)),
        other => Err(Fail::new(
            ErrorClass::Protocol,
            format!("the body is {other}-encoded although identity was asked for"),
        )),
    }
}

fn inflate(decoder: impl Read, cap: usize) -> Result<Vec<u8>, Fail> {
    let mut out = Vec::new();
    decoder
        .take(cap as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| {
            Fail::new(
                ErrorClass::Protocol,
                format!("the body does not decode: {e}"),
            )
        })?;
    if out.len() > cap {
        return Err(Fail::new(
            ErrorClass::BodyTooLarge,
            format!("the decoded body is larger than the {cap}-byte limit"),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).expect("write");
        enc.finish().expect("finish")
    }

    #[test]
    fn gzip_is_decoded_within_the_cap() {
        assert_eq!(
            decode(gzip(b"hello"), "gzip", 100).expect("small"),
            b"hello"
        );
        let bomb = gzip(&vec![0u8; 10 * 1024 * 1024]);
        assert!(bomb.len() < 64 * 1024);
        let err = decode(bomb, "gzip", 1024 * 1024).expect_err("bomb");
        assert_eq!(err.class, ErrorClass::BodyTooLarge);
        assert_eq!(
            decode(b"not gzip".to_vec(), "gzip", 100)
                .expect_err("garbage")
                .class,
            ErrorClass::Protocol
        );
        assert_eq!(
            decode(b"x".to_vec(), "br", 100).expect_err("br").class,
            ErrorClass::Protocol
        );
    }
}
