//! The JSON paths an HTTP check's assertion reads: `a.b[0].c` (optionally
//! `$.`-prefixed), or a JSON Pointer (`/a/b/0`). Parsed here so a form can
//! refuse a bad path when it is saved, and probes can follow it.

use crate::check_spec::SpecError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Parses `a.b[0].c` (optionally `$.`-prefixed) into segments. A path that
/// starts with `/` is a JSON Pointer and is used as it is.
pub fn parse_json_path(raw: &str) -> Result<Vec<Segment>, SpecError> {
    let bad = |why: &str| SpecError::new(format!("JSON path {raw:?} is invalid: {why}"));
    if raw.starts_with('/') {
        return Ok(Vec::new());
    }
    let path = raw.strip_prefix('$').unwrap_or(raw);
    let path = path.strip_prefix('.').unwrap_or(path);
    if path.is_empty() {
        return Err(bad("it is empty"));
    }
    let mut segments = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    let mut after_index = false;
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if key.is_empty() && !after_index {
                    return Err(bad("empty segment"));
                }
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
                after_index = false;
                if chars.peek().is_none() {
                    return Err(bad("it ends with a dot"));
                }
            }
            '[' => {
                if !key.is_empty() {
                    segments.push(Segment::Key(std::mem::take(&mut key)));
                }
                let mut digits = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(d) if d.is_ascii_digit() => digits.push(d),
                        _ => return Err(bad("an index must be [digits]")),
                    }
                }
                let index = digits
                    .parse()
                    .map_err(|_| bad("an index must be [digits]"))?;
                segments.push(Segment::Index(index));
                after_index = true;
            }
            ']' => return Err(bad("unbalanced ]")),
            c => {
                if after_index {
                    return Err(bad("expected . or [ after an index"));
                }
                key.push(c);
            }
        }
    }
    if !key.is_empty() {
        segments.push(Segment::Key(key));
    }
    Ok(segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_paths_parse() {
        assert_eq!(
            parse_json_path("$.data.items[2].name").expect("path"),
            vec![
                Segment::Key("data".into()),
                Segment::Key("items".into()),
                Segment::Index(2),
                Segment::Key("name".into())
            ]
        );
        assert_eq!(
            parse_json_path("[0][1]").expect("indices"),
            vec![Segment::Index(0), Segment::Index(1)]
        );
        for bad in ["", "a..b", "a.", "a[x]", "a[1", "a]", "a[0]b"] {
            assert!(parse_json_path(bad).is_err(), "{bad:?}");
        }
    }
}
