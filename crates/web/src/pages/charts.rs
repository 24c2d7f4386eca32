//! Charts drawn on the server as SVG: status bar strips, sparklines and
//! latency lines. Each has a text alternative (`aria-label`) and a tooltip
//! (`<title>`) per bar or point; colours come from CSS classes so the
//! light and dark themes both apply, and no inline style is needed under
//! the Content-Security-Policy.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use pharos_domain::status::TargetState;

use super::format::badge;
use crate::services::dashboard::{uptime_of, Bucket};

/// Escapes text for SVG (XML) content and attribute values.
pub fn esc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// "99.95 %", "100 %"; never rounds a failure up to 100.
pub fn percent(value: f64) -> String {
    if value >= 100.0 {
        "100 %".to_owned()
    } else {
        let floored = (value * 100.0).floor() / 100.0;
        format!("{floored:.2} %")
    }
}

fn clock(t: DateTime<Utc>) -> String {
    t.format("%H:%M").to_string()
}

fn day_clock(t: DateTime<Utc>) -> String {
    t.format("%b %-d %H:%M").to_string()
}

fn bucket_tooltip(b: &Bucket) -> String {
    let span = format!("{}–{} UTC", day_clock(b.start), clock(b.end));
    match b.uptime() {
        None => format!("{span}: no checks"),
        Some(up) => {
            let state = b.state().map(|s| badge(s).label).unwrap_or("No data");
            let failed = b.total - b.up;
            let mut text = format!("{span}: {state}, {} up", percent(up));
            let _ = write!(
                text,
                " ({} check{}, {failed} failed)",
                b.total,
                if b.total == 1 { "" } else { "s" }
            );
            if let Some(p50) = b.p50_ms {
                let _ = write!(text, ", median {p50} ms");
            }
            text
        }
    }
}

/// One bar per bucket: full height for buckets with checks, a short grey
/// bar for buckets without; the worst state of the bucket picks the class.
pub fn status_strip(buckets: &[Bucket], what: &str) -> String {
    let bar = 4;
    let width = buckets.len() * bar;
    let summary = strip_summary(buckets, what);
    let mut svg = format!(
        "<svg class=\"strip\" viewBox=\"0 0 {width} 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{}\">",
        esc(&summary)
    );
    for (i, b) in buckets.iter().enumerate() {
        let x = i * bar;
        let (class, y, h) = match b.state() {
            None => ("none", 8, 4),
            Some(state) => (state.as_str(), 0, 20),
        };
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"{y}\" width=\"3\" height=\"{h}\" class=\"s-{class}\"><title>{}</title></rect>",
            esc(&bucket_tooltip(b))
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The sentence a screen reader hears for a strip.
pub fn strip_summary(buckets: &[Bucket], what: &str) -> String {
    match uptime_of(buckets) {
        None => format!("{what}: no checks yet"),
        Some(up) => {
            let bad = buckets
                .iter()
                .filter(|b| b.state() == Some(TargetState::Down))
                .count();
            format!(
                "{what}: {} up; {bad} of {} bars with failed checks",
                percent(up),
                buckets.len()
            )
        }
    }
}

/// A small line of median latency per bucket, without axes.
pub fn sparkline(buckets: &[Bucket], what: &str) -> String {
    let values: Vec<Option<u32>> = buckets.iter().map(|b| b.p50_ms).collect();
    let max = values.iter().flatten().copied().max().unwrap_or(0).max(1);
    let w = buckets.len().max(2) - 1;
    let mut points = String::new();
    for (i, v) in values.iter().enumerate() {
        if let Some(v) = v {
            let y = 18.0 - f64::from(*v) / f64::from(max) * 16.0;
            let _ = write!(points, "{i},{y:.1} ");
        }
    }
    let label = match values.iter().flatten().max() {
        Some(m) => format!("{what}: median latency up to {m} ms"),
        None => format!("{what}: no latency data yet"),
    };
    format!(
        "<svg class=\"spark\" viewBox=\"0 0 {w} 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"{l}\"><title>{l}</title><polyline points=\"{}\"/></svg>",
        points.trim_end(),
        l = esc(&label)
    )
}

/// Rounds up to 1, 2 or 5 times a power of ten, for axis tops.
fn nice_ceiling(v: u32) -> u32 {
    let mut step = 1u32;
    loop {
        for m in [1, 2, 5] {
            let top = step.saturating_mul(m);
            if top >= v || top == u32::MAX {
                return top;
            }
        }
        step = step.saturating_mul(10);
    }
}

/// Median and 95th-percentile latency per bucket, with a y axis in ms and
/// the time of the first and last bucket; a point per bucket with checks,
/// each with its tooltip.
pub fn latency_chart(buckets: &[Bucket], what: &str) -> String {
    const W: f64 = 640.0;
    const H: f64 = 180.0;
    const LEFT: f64 = 48.0;
    const BOTTOM: f64 = 22.0;
    const TOP: f64 = 8.0;
    let max = buckets
        .iter()
        .filter_map(|b| b.p95_ms.or(b.p50_ms))
        .max()
        .unwrap_or(0);
    if max == 0 && buckets.iter().all(|b| b.p50_ms.is_none()) {
        return format!(
            "<p class=\"nodata\">{}: no latency data yet.</p>",
            esc(what)
        );
    }
    let top = nice_ceiling(max.max(1));
    let n = buckets.len().max(2) - 1;
    let x = |i: usize| LEFT + (W - LEFT - 4.0) * i as f64 / n as f64;
    let y = |v: u32| TOP + (H - BOTTOM - TOP) * (1.0 - f64::from(v) / f64::from(top));
    let p50s: Vec<u32> = buckets.iter().filter_map(|b| b.p50_ms).collect();
    let summary = format!(
        "{what}: median latency between {} and {} ms; 95th percentile up to {max} ms",
        p50s.iter().min().copied().unwrap_or(0),
        p50s.iter().max().copied().unwrap_or(0),
    );
    let mut svg = format!(
        "<svg class=\"latency\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
        esc(&summary)
    );
    // Grid lines and y labels at 0, half and top.
    for v in [0, top / 2, top] {
        let yy = y(v);
        let _ = write!(
            svg,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{W}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\"/>\
             <text class=\"axis\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{v} ms</text>",
            LEFT - 4.0,
            yy + 4.0
        );
    }
    if let (Some(first), Some(last)) = (buckets.first(), buckets.last()) {
        let _ = write!(
            svg,
            "<text class=\"axis\" x=\"{LEFT}\" y=\"{H}\">{}</text>\
             <text class=\"axis\" x=\"{W}\" y=\"{H}\" text-anchor=\"end\">{} UTC</text>",
            esc(&day_clock(first.start)),
            esc(&day_clock(last.end))
        );
    }
    for (class, pick) in [
        ("p95", (|b: &Bucket| b.p95_ms) as fn(&Bucket) -> Option<u32>),
        ("p50", |b: &Bucket| b.p50_ms),
    ] {
        let mut points = String::new();
        for (i, b) in buckets.iter().enumerate() {
            if let Some(v) = pick(b) {
                let _ = write!(points, "{:.1},{:.1} ", x(i), y(v));
            }
        }
        let _ = write!(
            svg,
            "<polyline class=\"line-{class}\" points=\"{}\"/>",
            points.trim_end()
        );
    }
    for (i, b) in buckets.iter().enumerate() {
        if let (Some(p50), Some(p95)) = (b.p50_ms, b.p95_ms) {
            let _ = write!(
                svg,
                "<circle class=\"pt\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}–{} UTC: median {p50} ms, p95 {p95} ms ({} checks)</title></circle>",
                x(i),
                y(p50),
                esc(&day_clock(b.start)),
                esc(&clock(b.end)),
                b.total
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_never_rounds_up_to_full() {
        assert_eq!(percent(100.0), "100 %");
        assert_eq!(percent(99.999), "99.99 %");
        assert_eq!(percent(0.0), "0.00 %");
    }

    #[test]
    fn nice_ceilings() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(120), 200);
        assert_eq!(nice_ceiling(501), 1000);
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
