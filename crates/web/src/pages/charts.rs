//! Charts drawn on the server as SVG: status bar strips, sparklines and
//! latency lines. Each has a text alternative (`aria-label`) and a tooltip
//! (`<title>`) per bar or point; colours come from CSS classes so the
//! light and dark themes both apply, and no inline style is needed under
//! the Content-Security-Policy.

use std::fmt::Write;

use chrono::{DateTime, Utc};

use pharos_domain::status::TargetState;

use super::format::badge;
use pharos_app::dashboard::{uptime_of, Bucket};

/// Escapes text for SVG (XML) content and attribute values.
pub fn esc(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    push_escaped(&mut out, raw);
    out
}

/// [`esc`], appended to `out`.
fn push_escaped(out: &mut String, raw: &str) {
    html_escape::encode_quoted_attribute_to_string(raw, out);
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

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// "04:00–05:00 UTC", with the day ("Nov 21 04:00–05:00 UTC") when the
/// strip is longer than a day and a clock time alone would be ambiguous.
fn write_span(out: &mut String, b: &Bucket, with_day: bool) {
    use chrono::{Datelike, Timelike};
    if with_day {
        let month = MONTHS[b.start.month0() as usize % 12];
        let _ = write!(out, "{month} {} ", b.start.day());
    }
    let _ = write!(
        out,
        "{:02}:{:02}–{:02}:{:02} UTC",
        b.start.hour(),
        b.start.minute(),
        b.end.hour(),
        b.end.minute()
    );
}

/// The tooltip of one bar: "04:00–05:00 UTC: Down, 1 of 2 checks failed".
fn write_tooltip(out: &mut String, b: &Bucket, with_day: bool) {
    write_span(out, b, with_day);
    let plural = if b.total == 1 { "" } else { "s" };
    let _ = match b.state() {
        None => write!(out, ": no checks"),
        Some(TargetState::Down) => write!(
            out,
            ": {}, {} of {} check{plural} failed",
            badge(TargetState::Down).label,
            b.total - b.up,
            b.total
        ),
        Some(state) => write!(out, ": {}, {} check{plural}", badge(state).label, b.total),
    };
    if let Some(p50) = b.p50_ms {
        let _ = write!(out, ", median {p50} ms");
    }
}

/// One bar per bucket, bottom-aligned: a short grey bar for buckets
/// without checks, and taller bars for worse buckets (up, degraded, down),
/// so shape as well as colour shows the state; the worst state of the
/// bucket picks the class, and each bar's `<title>` is its tooltip. Markup is kept lean (the
/// dashboard draws 500 of these): no default attributes, short tooltips.
pub fn status_strip(buckets: &[Bucket], what: &str) -> String {
    let mut svg = String::with_capacity(256 + buckets.len() * 96);
    write_status_strip(&mut svg, buckets, what);
    svg
}

/// [`status_strip`], appended to `svg`.
pub fn write_status_strip(svg: &mut String, buckets: &[Bucket], what: &str) {
    const BAR: usize = 4;
    let with_day = match (buckets.first(), buckets.last()) {
        (Some(first), Some(last)) => last.end - first.start > chrono::Duration::days(1),
        _ => false,
    };
    let _ = write!(
        svg,
        "<svg class=\"strip\" viewBox=\"0 0 {} 20\" preserveAspectRatio=\"none\" role=\"img\" aria-label=\"",
        buckets.len() * BAR
    );
    write_strip_summary(svg, buckets, what);
    svg.push_str("\">");
    for (i, b) in buckets.iter().enumerate() {
        let x = i * BAR;
        // Height tells the states apart as well as colour does: the worse
        // the bucket, the taller its bar (bottom-aligned).
        let (y, class) = match b.state() {
            None => (16, "none"),
            Some(TargetState::Down) => (0, "down"),
            Some(TargetState::Degraded) => (3, "degraded"),
            Some(state) => (6, state.as_str()),
        };
        let _ = write!(svg, "<rect x=\"{x}\"");
        // y="0" is the default: left out, as the strips are many.
        if y > 0 {
            let _ = write!(svg, " y=\"{y}\"");
        }
        let _ = write!(
            svg,
            " width=\"3\" height=\"{}\" class=\"s-{class}\"><title>",
            20 - y
        );
        // The tooltip holds only times, numbers and state words: nothing
        // to escape.
        write_tooltip(svg, b, with_day);
        svg.push_str("</title></rect>");
    }
    svg.push_str("</svg>");
}

/// The sentence a screen reader hears for a strip.
pub fn strip_summary(buckets: &[Bucket], what: &str) -> String {
    let mut out = String::new();
    write_summary(&mut out, buckets, what);
    out
}

fn write_summary(out: &mut String, buckets: &[Bucket], what: &str) {
    out.push_str(what);
    match uptime_of(buckets) {
        None => out.push_str(": no checks yet"),
        Some(up) => {
            let bad = buckets
                .iter()
                .filter(|b| b.state() == Some(TargetState::Down))
                .count();
            let _ = write!(
                out,
                ": {} up; {bad} of {} bars with failed checks",
                percent(up),
                buckets.len()
            );
        }
    }
}

/// The summary as an attribute value, `what` escaped.
fn write_strip_summary(out: &mut String, buckets: &[Bucket], what: &str) {
    let mut plain = String::with_capacity(what.len() + 64);
    write_summary(&mut plain, buckets, what);
    push_escaped(out, &plain);
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
    // On a phone the chart keeps a readable size and scrolls sideways, in
    // a region the keyboard can reach.
    let mut svg = format!(
        "<div class=\"scroll latency-chart\" tabindex=\"0\" role=\"region\" aria-label=\"Latency chart\">\
         <svg class=\"latency\" viewBox=\"0 0 {W} {H}\" role=\"img\" aria-label=\"{}\">",
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
    svg.push_str("</svg></div>");
    write_latency_table(&mut svg, buckets);
    svg
}

/// Opens a chart's table alternative: folded under `title`, in a region
/// the keyboard can reach and scroll; rows follow, then
/// [`FOLDED_TABLE_END`].
fn open_folded_table(out: &mut String, title: &str, columns: &[&str]) {
    let _ = write!(
        out,
        "<details class=\"as-table\"><summary>{title}</summary>\
         <div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"{title}\"><table><thead><tr>"
    );
    for column in columns {
        let _ = write!(out, "<th scope=\"col\">{column}</th>");
    }
    out.push_str("</tr></thead><tbody>");
}

const FOLDED_TABLE_END: &str = "</tbody></table></div></details>";

/// The latency chart's points as a table, folded away: every figure a
/// tooltip shows, reachable by keyboard, touch and screen reader.
fn write_latency_table(out: &mut String, buckets: &[Bucket]) {
    open_folded_table(
        out,
        "Latency as a table",
        &["Time (UTC)", "Median", "95th percentile", "Checks"],
    );
    for b in buckets.iter().rev() {
        if let (Some(p50), Some(p95)) = (b.p50_ms, b.p95_ms) {
            out.push_str("<tr><td>");
            write_span(out, b, true);
            let _ = write!(
                out,
                "</td><td>{p50} ms</td><td>{p95} ms</td><td>{}</td></tr>",
                b.total
            );
        }
    }
    out.push_str(FOLDED_TABLE_END);
}

/// The detail page's history: the bar strip, then every bar with checks
/// as a row of a folded table (newest first), so the figures of each
/// bar's tooltip are reachable without a mouse.
pub fn history_chart(buckets: &[Bucket], what: &str) -> String {
    let mut out = status_strip(buckets, what);
    if buckets.iter().all(|b| b.total == 0) {
        return out;
    }
    open_folded_table(
        &mut out,
        "History as a table",
        &["Time (UTC)", "State", "Checks", "Failed", "Median"],
    );
    for b in buckets.iter().rev() {
        let Some(state) = b.state() else { continue };
        let shown = badge(state);
        out.push_str("<tr><td>");
        write_span(&mut out, b, true);
        let _ = write!(
            out,
            "</td><td><span class=\"state st-{}\"><span class=\"icon\" aria-hidden=\"true\">{}</span> {}</span></td>\
             <td>{}</td><td>{}</td><td>{}</td></tr>",
            shown.value,
            shown.icon,
            shown.label,
            b.total,
            b.total - b.up,
            b.p50_ms.map(|v| format!("{v} ms")).unwrap_or_else(|| "–".to_owned()),
        );
    }
    out.push_str(FOLDED_TABLE_END);
    out
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

    fn bucket(start: &str, hours: i64, total: u64, up: u64) -> Bucket {
        let start = DateTime::parse_from_rfc3339(start)
            .expect("time")
            .with_timezone(&Utc);
        Bucket {
            start,
            end: start + chrono::Duration::hours(hours),
            total,
            up,
            degraded: 0,
            p50_ms: None,
            p95_ms: None,
        }
    }

    #[test]
    fn strip_has_a_text_alternative_and_a_tooltip_per_bar() {
        let buckets = [
            bucket("2026-11-21T23:00:00Z", 1, 2, 2),
            bucket("2026-11-22T00:00:00Z", 1, 0, 0),
            bucket("2026-11-22T01:00:00Z", 1, 2, 1),
        ];
        let svg = status_strip(&buckets, "<b>Shop</b>, last 24 hours");
        assert!(svg.contains(
            "role=\"img\" aria-label=\"&lt;b&gt;Shop&lt;/b&gt;, last 24 hours: 75.00 % up; 1 of 3 bars with failed checks\""
        ), "{svg}");
        assert_eq!(svg.matches("<rect ").count(), 3);
        assert_eq!(svg.matches("<title>").count(), 3);
        assert!(
            svg.contains("class=\"s-up\"><title>23:00–00:00 UTC: Up, 2 checks</title>"),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"s-none\"><title>00:00–01:00 UTC: no checks</title>"),
            "{svg}"
        );
        assert!(
            svg.contains(
                "class=\"s-down\"><title>01:00–02:00 UTC: Down, 1 of 2 checks failed</title>"
            ),
            "{svg}"
        );
        // Longer than a day: the day is named too, and medians shown.
        let mut long: Vec<Bucket> = (0..30)
            .map(|h| {
                let mut b = bucket("2026-11-20T00:00:00Z", 1, 1, 1);
                b.start += chrono::Duration::hours(h);
                b.end += chrono::Duration::hours(h);
                b
            })
            .collect();
        long[0].p50_ms = Some(42);
        let svg = status_strip(&long, "Shop");
        assert!(
            svg.contains("<title>Nov 20 00:00–01:00 UTC: Up, 1 check, median 42 ms</title>"),
            "{svg}"
        );
    }

    #[test]
    fn bars_differ_in_height_not_only_in_colour() {
        let buckets = [
            bucket("2026-11-22T00:00:00Z", 1, 2, 2),
            bucket("2026-11-22T01:00:00Z", 1, 0, 0),
            bucket("2026-11-22T02:00:00Z", 1, 2, 1),
        ];
        let svg = status_strip(&buckets, "Shop");
        assert!(
            svg.contains("<rect x=\"0\" y=\"6\" width=\"3\" height=\"14\" class=\"s-up\">"),
            "{svg}"
        );
        assert!(
            svg.contains("<rect x=\"4\" y=\"16\" width=\"3\" height=\"4\" class=\"s-none\">"),
            "{svg}"
        );
        assert!(
            svg.contains("<rect x=\"8\" width=\"3\" height=\"20\" class=\"s-down\">"),
            "{svg}"
        );
        let mut degraded = bucket("2026-11-22T03:00:00Z", 1, 2, 2);
        degraded.degraded = 1;
        let svg = status_strip(&[degraded], "Shop");
        assert!(
            svg.contains("y=\"3\" width=\"3\" height=\"17\" class=\"s-degraded\""),
            "{svg}"
        );
    }

    #[test]
    fn history_has_a_table_of_every_bar_with_checks() {
        let mut buckets = vec![
            bucket("2026-11-22T00:00:00Z", 1, 2, 2),
            bucket("2026-11-22T01:00:00Z", 1, 0, 0),
            bucket("2026-11-22T02:00:00Z", 1, 4, 1),
        ];
        buckets[2].p50_ms = Some(87);
        let html = history_chart(&buckets, "Shop");
        let table = &html[html.find("<details").expect("table")..];
        assert_eq!(table.matches("<tr><td>").count(), 2, "{table}");
        // Newest first, with the state in words and the figures.
        let newest = table.find("Nov 22 02:00–03:00 UTC").expect("newest");
        let oldest = table.find("Nov 22 00:00–01:00 UTC").expect("oldest");
        assert!(newest < oldest);
        assert!(
            table.contains("Down</span></td><td>4</td><td>3</td><td>87 ms</td>"),
            "{table}"
        );
        assert!(
            !table.contains("01:00–02:00"),
            "no row for a bar without checks"
        );
        let empty = history_chart(&[bucket("2026-11-22T01:00:00Z", 1, 0, 0)], "Shop");
        assert!(!empty.contains("<details"));
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
