//! Judging a response: status rules, keyword and JSON assertions.

use pharos_domain::check::ErrorClass;
use serde_json::Value;

use crate::outcome::Fail;
use pharos_domain::check_spec::{HttpCheck, StatusRange};
use pharos_domain::json_path::{parse_json_path, Segment};

/// The status rule: the check's own ranges, or any 2xx or 3xx.
pub(crate) fn check_status(status: u16, expected: &[StatusRange]) -> Result<(), Fail> {
    let ok = if expected.is_empty() {
        StatusRange::DEFAULT.contains(status)
    } else {
        expected.iter().any(|r| r.contains(status))
    };
    if ok {
        return Ok(());
    }
    let wanted = if expected.is_empty() {
        StatusRange::DEFAULT.to_string()
    } else {
        expected
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    Err(Fail::new(
        ErrorClass::Status,
        format!("status {status} is not the expected {wanted}"),
    ))
}

/// Keyword and JSON assertions on a body that has been read.
pub(crate) fn check_body(spec: &HttpCheck, body: &[u8]) -> Result<(), Fail> {
    if let Some(keyword) = &spec.keyword {
        let found = memchr::memmem::find(body, keyword.as_bytes()).is_some();
        match (found, spec.keyword_absent) {
            (false, false) => {
                return Err(Fail::new(
                    ErrorClass::Keyword,
                    format!("the body does not contain {keyword:?}"),
                ))
            }
            (true, true) => {
                return Err(Fail::new(
                    ErrorClass::Keyword,
                    format!("the body contains {keyword:?}"),
                ))
            }
            _ => {}
        }
    }
    if let Some(path) = &spec.json_path {
        check_json(body, path, spec.json_expected.as_ref())?;
    }
    Ok(())
}

fn lookup<'v>(root: &'v Value, raw_path: &str) -> Option<&'v Value> {
    if raw_path.starts_with('/') {
        return root.pointer(raw_path);
    }
    let segments = parse_json_path(raw_path).ok()?;
    segments
        .iter()
        .try_fold(root, |value, segment| match segment {
            Segment::Key(k) => value.get(k.as_str()),
            Segment::Index(i) => value.get(*i),
        })
}

/// The text a scalar compares by, so an expected `"true"` matches `true`.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) | Value::Null => Some(value.to_string()),
        Value::Array(_) | Value::Object(_) => None,
    }
}

fn check_json(body: &[u8], path: &str, expected: Option<&Value>) -> Result<(), Fail> {
    // serde_json limits nesting depth, so a hostile body cannot overflow the stack.
    let root: Value = serde_json::from_slice(body)
        .map_err(|e| Fail::new(ErrorClass::Json, format!("the body is not JSON: {e}")))?;
    let actual = lookup(&root, path)
        .ok_or_else(|| Fail::new(ErrorClass::Json, format!("nothing at JSON path {path}")))?;
    let Some(expected) = expected else {
        return Ok(());
    };
    let same = actual == expected
        || matches!((scalar_text(actual), scalar_text(expected)), (Some(a), Some(b)) if a == b);
    if same {
        return Ok(());
    }
    let mut shown = actual.to_string();
    if shown.len() > 200 {
        let mut cut = 200;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push('…');
    }
    Err(Fail::new(
        ErrorClass::Json,
        format!("JSON value at {path} is {shown}, expected {expected}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_compare_by_value_or_scalar_text() {
        let body = br#"{"status":"ok","n":3,"up":true,"list":[{"id":7}]}"#;
        assert!(check_json(body, "status", Some(&json!("ok"))).is_ok());
        assert!(check_json(body, "n", Some(&json!(3))).is_ok());
        assert!(check_json(body, "n", Some(&json!("3"))).is_ok());
        assert!(check_json(body, "up", Some(&json!("true"))).is_ok());
        assert!(check_json(body, "list[0].id", Some(&json!(7))).is_ok());
        assert!(check_json(body, "/list/0/id", Some(&json!(7))).is_ok());
        assert!(check_json(body, "list[1]", None).is_err());
        let wrong = check_json(body, "status", Some(&json!("down"))).expect_err("mismatch");
        assert_eq!(wrong.class, ErrorClass::Json);
        assert!(check_json(b"<html>", "status", None).is_err());
    }

    #[test]
    fn default_status_rule_is_2xx_or_3xx() {
        assert!(check_status(200, &[]).is_ok());
        assert!(check_status(302, &[]).is_ok());
        assert!(check_status(404, &[]).is_err());
        let only_404 = [StatusRange { min: 404, max: 404 }];
        assert!(check_status(404, &only_404).is_ok());
        assert!(check_status(200, &only_404).is_err());
    }
}
