//! Target names and errors are hostile input: they are escaped for every
//! markup they land in and cannot add headers, lines, links or mentions.

use pharos_domain::ChannelKind;
use pharos_notify::channels::ChannelConfig;
use pharos_notify::delivery::Delivery;
use pharos_notify::notice::{Notice, NoticeKind};
use serde_json::{json, Value};

use crate::support::*;

const NAME: &str = "<script>alert(1)</script>\r\nBcc: victim@example.com\n[click](https://evil.example) @channel <!here> *bold*";

fn hostile() -> Notice {
    let mut notice = notice(NoticeKind::Down);
    notice.target_name = NAME.to_owned();
    notice.error = Some("<img src=x onerror=alert(1)> & \"quotes\"".to_owned());
    notice
}

fn http_json(kind: ChannelKind, config: Value) -> Value {
    let config = ChannelConfig::parse(kind, config).expect("valid");
    match rendered(&config, &hostile(), "n") {
        Delivery::Http(request) => serde_json::from_slice(&request.body).expect("JSON"),
        Delivery::Email(_) => panic!("an HTTP delivery"),
    }
}

#[test]
fn the_email_subject_is_one_line_and_the_html_is_escaped() {
    let config = ChannelConfig::parse(ChannelKind::Email, json!({"to": ["ops@example.com"]}))
        .expect("valid");
    let Delivery::Email(email) = rendered(&config, &hostile(), "n") else {
        panic!("an email");
    };
    assert!(!email.subject.contains('\n') && !email.subject.contains('\r'));
    assert!(email
        .subject
        .starts_with("DOWN - <script>alert(1)</script>  Bcc: victim@example.com"));
    assert!(!email.html.contains("<script>"), "{}", email.html);
    assert!(!email.html.contains("<img"), "{}", email.html);
    assert!(email.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(email
        .html
        .contains("&lt;img src=x onerror=alert(1)&gt; &amp; &quot;quotes&quot;"));
    // The text part is plain text: a newline in the name cannot start a
    // line of its own there either.
    assert!(!email.text.contains("\nBcc:"));
}

#[test]
fn telegram_and_matrix_html_is_escaped() {
    let telegram = http_json(
        ChannelKind::Telegram,
        json!({"bot_token": "1:a", "chat_id": 1}),
    );
    let text = telegram["text"].as_str().expect("text");
    assert!(
        !text.contains("<script>") && !text.contains("<img"),
        "{text}"
    );
    assert!(text.contains("&lt;script&gt;"), "{text}");

    let matrix = http_json(
        ChannelKind::Matrix,
        json!({"homeserver": "https://m.example.org", "access_token": "t", "room_id": "!r:m.example.org"}),
    );
    let html = matrix["formatted_body"].as_str().expect("html");
    assert!(
        !html.contains("<script>") && !html.contains("<img"),
        "{html}"
    );
}

#[test]
fn chat_markup_cannot_add_links_or_mentions() {
    let slack = http_json(
        ChannelKind::Slack,
        json!({"url": "https://hooks.slack.com/services/x"}),
    );
    let text = slack.to_string();
    assert!(
        !text.contains("<!here>") && !text.contains("<script>"),
        "{text}"
    );
    assert!(text.contains("&lt;!here&gt;"), "{text}");

    let discord = http_json(
        ChannelKind::Discord,
        json!({"url": "https://discord.com/api/webhooks/1/x"}),
    );
    assert_eq!(discord["allowed_mentions"], json!({"parse": []}));
    let title = discord["embeds"][0]["title"].as_str().expect("title");
    assert!(
        title.contains("\\[click\\]\\(https\\://evil.example\\)"),
        "{title}"
    );
    assert!(!title.contains('\n'));

    let mattermost = http_json(
        ChannelKind::Mattermost,
        json!({"url": "https://chat.example.com/hooks/x"}),
    );
    let text = mattermost["attachments"][0]["text"].as_str().expect("text");
    assert!(text.contains("\\@channel"), "{text}");

    let chat = http_json(
        ChannelKind::GoogleChat,
        json!({"url": "https://chat.googleapis.com/v1/spaces/A/messages"}),
    );
    // Card widgets take Chat's HTML subset; the header is plain text.
    let widgets = chat["cardsV2"][0]["card"]["sections"][0]["widgets"].to_string();
    assert!(
        !widgets.contains("<script>") && !widgets.contains("<img"),
        "{widgets}"
    );

    let teams = http_json(
        ChannelKind::Teams,
        json!({"url": "https://example.logic.azure.com/workflows/x"}),
    );
    assert!(teams.to_string().contains("\\\\[click\\\\]"), "{teams}");
}

#[test]
fn a_name_cannot_add_a_webhook_header() {
    let config = ChannelConfig::parse(
        ChannelKind::Webhook,
        json!({"url": "https://hooks.example.com/"}),
    )
    .expect("valid");
    let Delivery::Http(request) = rendered(&config, &hostile(), "n") else {
        panic!("HTTP");
    };
    assert!(request
        .headers
        .iter()
        .all(|(name, value)| !name.contains('\n') && !value.contains('\n')));
    let body: Value = serde_json::from_slice(&request.body).expect("JSON");
    // JSON carries the name as data, exactly.
    assert_eq!(body["monitor"], NAME);
}
