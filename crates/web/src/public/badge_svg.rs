//! Badges drawn as SVG in the familiar flat style: a grey label and a
//! coloured value, rounded corners, a faint gradient, a text shadow, and a
//! `<title>` (with `role="img"` and `aria-label`) for screen readers.
//!
//! Each half is as wide as its text plus padding. The widths come from a
//! table of DejaVu Sans advance widths at 11 px, written out here by hand:
//! no maintained crate carries a font's metrics table without shipping and
//! parsing the font file at run time, and 95 numbers are smaller than
//! either. DejaVu Sans descends from Bitstream Vera, drawn to Verdana's
//! proportions, which the badge names first; `textLength` pins each text to
//! its measured width, so a viewer with another font still fits the box.

use pharos_app::badges::{Badge, BadgeValue};
use pharos_domain::status::TargetState;

/// Advance widths (px) of U+0020 to U+007E in DejaVu Sans at 11 px: the
/// font's `hmtx` advances (2048 units per em) times 11 / 2048, rounded to
/// 1/100 px.
#[rustfmt::skip]
const ASCII_WIDTHS: [f32; 95] = [
    3.5, 4.41, 5.06, 9.22, 7.0, 10.45, 8.58, 3.02, 4.29, 4.29, 5.5, 9.22, 3.5, 3.97, 3.5, 3.71, // ' ' to '/'
    7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 7.0, 3.71, 3.71, 9.22, 9.22, 9.22, 5.84,      // '0' to '?'
    11.0, 7.52, 7.55, 7.68, 8.47, 6.95, 6.33, 8.52, 8.27, 3.24, 3.24, 7.21, 6.13, 9.49, 8.23, 8.66, // '@' to 'O'
    6.63, 8.66, 7.64, 6.98, 6.72, 8.05, 7.52, 10.88, 7.54, 6.72, 7.54, 4.29, 3.71, 4.29, 9.22, 5.5, // 'P' to '_'
    5.5, 6.74, 6.98, 6.05, 6.98, 6.77, 3.87, 6.98, 6.97, 3.06, 3.06, 6.37, 3.06, 10.72, 6.97, 6.73, // '`' to 'o'
    6.98, 6.98, 4.52, 5.73, 4.31, 6.97, 6.51, 9.0, 6.51, 6.51, 5.77, 7.0, 3.71, 7.0, 9.22,      // 'p' to '~'
];

/// Latin letters with accents are about as wide as their base letters.
const LATIN_WIDTH: f32 = 7.0;
/// Anything else (CJK, symbols) is given a full em, so it never spills.
const OTHER_WIDTH: f32 = 11.0;
/// Space left and right of each text.
const PADDING: f32 = 5.0;
/// Longer labels are cut with an ellipsis.
const MAX_LABEL_CHARS: usize = 40;

/// The width of `text` in px at 11 px, as the badge lays it out.
pub fn text_width(text: &str) -> f32 {
    text.chars()
        .map(|c| match c {
            ' '..='~' => ASCII_WIDTHS[c as usize - 0x20],
            '\u{a0}'..='\u{24f}' => LATIN_WIDTH,
            _ => OTHER_WIDTH,
        })
        .sum()
}

/// The flat style's colours (shields.io's names in the comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// brightgreen
    Good,
    /// green
    Fine,
    /// yellow
    Warn,
    /// orange
    Poor,
    /// red
    Bad,
    /// lightgrey: no data, paused, pending
    Neutral,
}

impl Colour {
    pub fn hex(self) -> &'static str {
        match self {
            Colour::Good => "#4c1",
            Colour::Fine => "#97ca00",
            Colour::Warn => "#dfb317",
            Colour::Poor => "#fe7d37",
            Colour::Bad => "#e05d44",
            Colour::Neutral => "#9f9f9f",
        }
    }
}

/// The value's words and colour.
pub fn value_of(value: &BadgeValue) -> (String, Colour) {
    match value {
        BadgeValue::State(state) => {
            let colour = match state {
                TargetState::Up => Colour::Good,
                TargetState::Degraded => Colour::Warn,
                TargetState::Down => Colour::Bad,
                TargetState::Paused | TargetState::Pending => Colour::Neutral,
            };
            (state.as_str().to_owned(), colour)
        }
        BadgeValue::Uptime(None) | BadgeValue::Latency(None) => {
            ("no data".to_owned(), Colour::Neutral)
        }
        BadgeValue::Uptime(Some(percent)) => {
            let colour = match *percent {
                p if p >= 99.9 => Colour::Good,
                p if p >= 99.0 => Colour::Fine,
                p if p >= 95.0 => Colour::Warn,
                p if p >= 90.0 => Colour::Poor,
                _ => Colour::Bad,
            };
            (percent_text(*percent), colour)
        }
        BadgeValue::Latency(Some(ms)) => {
            let colour = match *ms {
                ms if ms < 300.0 => Colour::Good,
                ms if ms < 1000.0 => Colour::Warn,
                _ => Colour::Bad,
            };
            (format!("{} ms", ms.round() as u64), colour)
        }
    }
}

/// Two decimals at most, cut rather than rounded so a bad minute never
/// shows as 100%.
fn percent_text(percent: f64) -> String {
    let cut = (percent.clamp(0.0, 100.0) * 100.0).floor() / 100.0;
    let text = format!("{cut:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

fn shorten(label: &str) -> String {
    if label.chars().count() <= MAX_LABEL_CHARS {
        return label.to_owned();
    }
    let mut cut: String = label.chars().take(MAX_LABEL_CHARS - 1).collect();
    cut.push('…');
    cut
}

/// The badge as an SVG document.
pub fn render(badge: &Badge) -> String {
    let label = shorten(&badge.label);
    let (value, colour) = value_of(&badge.value);
    let label_text = text_width(&label).round();
    let value_text = text_width(&value).round();
    let label_box = label_text + 2.0 * PADDING;
    let value_box = value_text + 2.0 * PADDING;
    let width = label_box + value_box;
    let label_x = label_box / 2.0;
    let value_x = label_box + value_box / 2.0;
    let title = format!("{label}: {value}");
    let title_attr = html_escape::encode_double_quoted_attribute(&title);
    let title_text = html_escape::encode_text(&title);
    let label = html_escape::encode_text(&label);
    let value = html_escape::encode_text(&value);
    let fill = colour.hex();
    format!(
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="20" role="img" aria-label="{title_attr}">"##,
            r##"<title>{title_text}</title>"##,
            r##"<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>"##,
            r##"<clipPath id="r"><rect width="{w}" height="20" rx="3" fill="#fff"/></clipPath>"##,
            r##"<g clip-path="url(#r)"><rect width="{lb}" height="20" fill="#555"/><rect x="{lb}" width="{vb}" height="20" fill="{fill}"/><rect width="{w}" height="20" fill="url(#s)"/></g>"##,
            r##"<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">"##,
            r##"<text aria-hidden="true" x="{lx}" y="15" fill="#010101" fill-opacity=".3" textLength="{lt}" lengthAdjust="spacingAndGlyphs">{label}</text>"##,
            r##"<text x="{lx}" y="14" textLength="{lt}" lengthAdjust="spacingAndGlyphs">{label}</text>"##,
            r##"<text aria-hidden="true" x="{vx}" y="15" fill="#010101" fill-opacity=".3" textLength="{vt}" lengthAdjust="spacingAndGlyphs">{value}</text>"##,
            r##"<text x="{vx}" y="14" textLength="{vt}" lengthAdjust="spacingAndGlyphs">{value}</text>"##,
            r##"</g></svg>"##,
        ),
        w = width,
        lb = label_box,
        vb = value_box,
        lx = label_x,
        vx = value_x,
        lt = label_text,
        vt = value_text,
        title_attr = title_attr,
        title_text = title_text,
        fill = fill,
        label = label,
        value = value,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_follow_the_font() {
        assert_eq!(text_width("i"), 3.06);
        assert_eq!(text_width("W"), 10.88);
        assert!(text_width("WWW") > text_width("iii"));
        assert!(text_width("中") >= 11.0);
    }

    #[test]
    fn percentages_are_cut_not_rounded_up() {
        assert_eq!(percent_text(100.0), "100%");
        assert_eq!(percent_text(99.999), "99.99%");
        assert_eq!(percent_text(99.5), "99.5%");
        assert_eq!(percent_text(0.0), "0%");
    }

    #[test]
    fn long_labels_are_cut() {
        let long = "x".repeat(100);
        assert_eq!(shorten(&long).chars().count(), MAX_LABEL_CHARS);
    }
}
