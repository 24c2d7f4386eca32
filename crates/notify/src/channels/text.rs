//! The words and colours every channel shares, and the escaping each
//! markup needs. Everything that comes from a target (its name, address,
//! error) is hostile input: it is escaped for the markup it lands in, and
//! control characters never reach a one-line field.

use chrono::{DateTime, Utc};

use super::RenderContext;
use crate::notice::{HistoryPoint, Notice, NoticeKind};

/// The one word that leads a subject or title.
pub fn word(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Down => "DOWN",
        NoticeKind::Up => "UP",
        NoticeKind::Degraded => "DEGRADED",
        NoticeKind::CertificateExpiring { .. } => "CERTIFICATE",
        NoticeKind::Test => "TEST",
        NoticeKind::Summary { .. } => "SUMMARY",
        NoticeKind::AgentOffline { .. } => "AGENT OFFLINE",
        NoticeKind::AgentOnline { .. } => "AGENT ONLINE",
    }
}

/// The machine name of what happened (the webhook's `event`).
pub fn event_name(kind: NoticeKind) -> &'static str {
    match kind {
        NoticeKind::Down => "down",
        NoticeKind::Up => "up",
        NoticeKind::Degraded => "degraded",
        NoticeKind::CertificateExpiring { .. } => "certificate_expiring",
        NoticeKind::Test => "test",
        NoticeKind::Summary { .. } => "summary",
        NoticeKind::AgentOffline { .. } => "agent_offline",
        NoticeKind::AgentOnline { .. } => "agent_online",
    }
}

/// The colour of a notice, as `0xRRGGBB`.
pub fn colour(kind: NoticeKind) -> u32 {
    match kind {
        NoticeKind::Down => 0xd9_30_25,
        NoticeKind::Up | NoticeKind::AgentOnline { .. } => 0x1e_8e_3e,
        NoticeKind::AgentOffline { .. } => 0xe3_74_00,
        NoticeKind::Degraded => 0xf9_ab_00,
        NoticeKind::CertificateExpiring { .. } => 0xe3_74_00,
        NoticeKind::Test => 0x1a_73_e8,
        NoticeKind::Summary { .. } => 0x5f_63_68,
    }
}

/// `#rrggbb`.
pub fn colour_hex(kind: NoticeKind) -> String {
    format!("#{:06x}", colour(kind))
}

/// One line: control characters (newlines included) become spaces, so a
/// hostile name cannot start a new header, line or paragraph.
pub fn one_line(raw: &str) -> String {
    raw.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// At most `max` characters, with an ellipsis when cut.
pub fn clip(raw: &str, max: usize) -> String {
    if raw.chars().count() <= max {
        return raw.to_owned();
    }
    let mut out: String = raw.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// The target's name as a title shows it: one line, at most 200 characters.
pub fn target_name(notice: &Notice) -> String {
    clip(&one_line(&notice.target_name), 200)
}

/// `DOWN: api.example.com`, the one-line title of chat messages.
pub fn title(notice: &Notice) -> String {
    format!("{}: {}", word(notice.kind), target_name(notice))
}

/// The first sentence: what happened, in plain words.
pub fn sentence(notice: &Notice, now: DateTime<Utc>) -> String {
    let name = target_name(notice);
    let since = timestamp(notice.since);
    match notice.kind {
        NoticeKind::Down => format!(
            "{name} is down since {since} ({}).",
            duration_between(notice.since, now)
        ),
        NoticeKind::Up => format!(
            "{name} is up again after {} down.",
            duration_between(notice.since, notice.occurred_at)
        ),
        NoticeKind::Degraded => format!("{name} is degraded since {since}."),
        NoticeKind::CertificateExpiring { days_left } => format!(
            "The certificate of {name} expires in {days_left} day{}.",
            if days_left == 1 { "" } else { "s" }
        ),
        NoticeKind::Test => {
            "This is a test message from Pharos: this channel delivers alerts.".to_owned()
        }
        NoticeKind::Summary { folded } => format!(
            "{name} changed state often: {folded} alert{} folded into this one.",
            if folded == 1 { " was" } else { "s were" }
        ),
        NoticeKind::AgentOffline { .. } => format!(
            "The agent {name} is offline: not heard from since {since}; {}.",
            notice.details
        ),
        NoticeKind::AgentOnline { .. } => {
            format!("The agent {name} is back online: {}.", notice.details)
        }
    }
}

/// The labelled facts of a notice, in the order every channel lists them.
/// Values are one line and clipped; escape them for the markup.
pub fn facts(notice: &Notice) -> Vec<(&'static str, String)> {
    if let NoticeKind::AgentOffline { targets, .. } | NoticeKind::AgentOnline { targets, .. } =
        notice.kind
    {
        let seen = if matches!(notice.kind, NoticeKind::AgentOffline { .. }) {
            "Last seen"
        } else {
            "Back at"
        };
        return vec![
            ("Agent", clip(&one_line(&notice.location), 100)),
            ("Targets", targets.to_string()),
            (seen, timestamp(notice.since)),
        ];
    }
    let mut facts = vec![
        ("Target", clip(&one_line(&notice.target_address), 300)),
        ("Kind", notice.target_kind.as_str().to_owned()),
        ("Location", clip(&one_line(&notice.location), 100)),
        ("Since", timestamp(notice.since)),
    ];
    if let Some(status) = notice.status_code {
        facts.push(("Status code", status.to_string()));
    }
    if let Some(error) = &notice.error {
        facts.push(("Last error", clip(&one_line(error), 500)));
    }
    if !notice.details.is_empty() && notice.error.as_deref() != Some(notice.details.as_str()) {
        facts.push(("Details", clip(&one_line(&notice.details), 500)));
    }
    if let Some(history) = &notice.history {
        facts.push(("Last 24 hours", history_summary(history)));
    }
    facts
}

/// `99.31% up (1430 of 1440 checks; 6 degraded, 4 down)`.
pub fn history_summary(history: &[HistoryPoint]) -> String {
    if history.is_empty() {
        return "no checks".to_owned();
    }
    let count = |verdict: &str| history.iter().filter(|p| p.verdict == verdict).count();
    let (up, degraded, down) = (count("up"), count("degraded"), count("down"));
    let share = up as f64 * 100.0 / history.len() as f64;
    format!(
        "{share:.2}% up ({up} of {} checks; {degraded} degraded, {down} down)",
        history.len()
    )
}

/// The points where the verdict changed, oldest first: what a reader of
/// 1440 checks actually wants to see.
pub fn history_changes(history: &[HistoryPoint]) -> Vec<&HistoryPoint> {
    let mut changes: Vec<&HistoryPoint> = Vec::new();
    for point in history {
        if changes
            .last()
            .is_none_or(|last| last.verdict != point.verdict)
        {
            changes.push(point);
        }
    }
    changes
}

/// The target's page: absolute as given, or joined to the public URL.
pub fn link(notice: &Notice, ctx: &RenderContext) -> String {
    let page = notice.target_page.trim();
    if page.starts_with("http://") || page.starts_with("https://") {
        return page.to_owned();
    }
    format!(
        "{}/{}",
        ctx.public_url.trim_end_matches('/'),
        page.trim_start_matches('/')
    )
}

/// `2026-11-03 14:02:11 UTC`.
pub fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// `3 min`, `2 h 5 min`, `1 d 4 h`: how long, for people.
pub fn duration_between(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let seconds = (to - from).num_seconds().max(0);
    let (days, hours, minutes) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds} s"),
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// HTML text and attribute values (email, Telegram, Matrix, Google Chat).
pub fn html(raw: &str) -> String {
    html_escape::encode_quoted_attribute(raw).into_owned()
}

/// Slack's mrkdwn: only `&`, `<` and `>` are control characters there
/// (`<` opens a link or a mention).
pub fn slack(raw: &str) -> String {
    raw.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Markdown (Discord, Mattermost, Teams): every character that could
/// start emphasis, a link, a heading, a quote or code is backslashed, and
/// `<` / `>` too (mentions, autolinks, raw HTML).
pub fn markdown(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        if matches!(
            c,
            '\\' | '`'
                | '*'
                | '_'
                | '~'
                | '|'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '>'
                | '<'
                | '!'
                | '-'
                | '+'
                | '='
                | '{'
                | '}'
                | '@'
                | ':'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_neutralises_markup() {
        assert_eq!(html("<script>&\"'"), "&lt;script&gt;&amp;&quot;&#x27;");
        assert_eq!(slack("<!channel> & co"), "&lt;!channel&gt; &amp; co");
        assert_eq!(markdown("[x](http://e)"), "\\[x\\]\\(http\\://e\\)");
        assert_eq!(one_line("a\r\nb\tc"), "a  b c");
    }

    #[test]
    fn durations_read_like_people_write_them() {
        let t = DateTime::<Utc>::UNIX_EPOCH;
        let after = |s: i64| t + chrono::Duration::seconds(s);
        assert_eq!(duration_between(t, after(42)), "42 s");
        assert_eq!(duration_between(t, after(180)), "3 min");
        assert_eq!(duration_between(t, after(7_500)), "2 h 5 min");
        assert_eq!(duration_between(t, after(100_000)), "1 d 3 h");
        assert_eq!(duration_between(after(10), t), "0 s");
    }

    #[test]
    fn clipping_counts_characters() {
        assert_eq!(clip("ééééé", 3), "éé…");
        assert_eq!(clip("abc", 3), "abc");
    }
}
