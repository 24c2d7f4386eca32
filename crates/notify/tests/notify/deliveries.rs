//! Every HTTP kind, rendered for a Down and an Up notice and delivered for
//! real to a receiver on 127.0.0.1 (each service's base URL pointed at
//! it); the payloads are asserted in the service's own shape.

use hmac::{Hmac, Mac};
use pharos_domain::ChannelKind;
use pharos_notify::channels::ChannelConfig;
use pharos_notify::notice::NoticeKind;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::*;

/// Renders and delivers a Down then an Up notice; returns both requests.
async fn down_and_up(receiver: &Receiver, config: &ChannelConfig) -> (Captured, Captured) {
    let transport = local_transport();
    for (kind, key) in [(NoticeKind::Down, "n-down"), (NoticeKind::Up, "n-up")] {
        let delivery = rendered(config, &notice(kind), key);
        let delivered = transport
            .deliver(&delivery)
            .await
            .unwrap_or_else(|e| panic!("{:?} delivers: {e}", config.kind()));
        assert_eq!(delivered.status, 200);
    }
    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    (requests[0].clone(), requests[1].clone())
}

fn text_of(value: &Value) -> String {
    value.to_string()
}

#[tokio::test]
async fn webhook_posts_signed_json() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Webhook,
        json!({"url": receiver.url("/hooks/pharos?team=ops"), "headers": {"Authorization": "Bearer abc123"}}),
    );
    let secret = config.signing_secret().expect("secret").to_owned();
    let (down, up) = down_and_up(&receiver, &config).await;

    assert_eq!(down.method, "POST");
    assert_eq!(down.path, "/hooks/pharos");
    assert_eq!(down.query.as_deref(), Some("team=ops"));
    assert_eq!(down.header("content-type"), Some("application/json"));
    assert_eq!(down.header("authorization"), Some("Bearer abc123"));
    assert_eq!(down.header("x-pharos-delivery"), Some("n-down"));
    assert_eq!(down.header("x-pharos-event"), Some("down"));
    let body = down.json();
    assert_eq!(body["monitor"], "Checkout API");
    assert_eq!(body["type"], "http");
    assert_eq!(body["target"], "https://shop.example.com/health");
    assert_eq!(body["event"], "down");
    assert_eq!(body["details"], "HTTP 503 Service Unavailable");
    assert_eq!(body["timestamp"], "2026-11-03T10:01:00+00:00");
    assert_eq!(body["target_id"], TARGET_ID.to_string());
    assert_eq!(body["incident_id"], INCIDENT_ID.to_string());
    assert_eq!(body["organization"], "Acme Ops");
    assert_eq!(body["url"], target_link());
    assert_eq!(body["status_code"], 503);
    assert_eq!(up.json()["event"], "up");

    // The receiver's check: HMAC-SHA256 over "<timestamp>.<body>".
    for request in [&down, &up] {
        let timestamp = request.header("x-pharos-timestamp").expect("timestamp");
        assert_eq!(timestamp, at(10, 5).timestamp().to_string());
        let signature = request.header("x-pharos-signature").expect("signature");
        let hex = signature.strip_prefix("sha256=").expect("sha256=");
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(&request.body);
        let expected: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
            .collect();
        mac.verify_slice(&expected).expect("the signature verifies");
    }
}

#[tokio::test]
async fn slack_posts_a_coloured_attachment() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Slack,
        json!({"url": receiver.url("/services/T0/B0/XYZ")}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/services/T0/B0/XYZ");
    let body = down.json();
    assert!(body["text"]
        .as_str()
        .expect("text")
        .starts_with("DOWN: Checkout API"));
    let attachment = &body["attachments"][0];
    assert_eq!(attachment["color"], "#d93025");
    assert_eq!(attachment["title"], "DOWN: Checkout API");
    assert_eq!(attachment["title_link"], target_link());
    assert!(text_of(&attachment["fields"]).contains("expected a 2xx status, got 503"));
    assert_eq!(up.json()["attachments"][0]["color"], "#1e8e3e");
    assert!(up.json()["attachments"][0]["text"]
        .as_str()
        .expect("text")
        .contains("is up again after 42 min down"));
}

#[tokio::test]
async fn discord_posts_an_embed() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Discord,
        json!({"url": receiver.url("/api/webhooks/1/tok")}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    let body = down.json();
    assert_eq!(body["allowed_mentions"], json!({"parse": []}));
    let embed = &body["embeds"][0];
    assert_eq!(embed["color"], 0xd93025);
    assert_eq!(embed["url"], target_link());
    assert_eq!(embed["title"], "DOWN\\: Checkout API");
    assert_eq!(embed["timestamp"], "2026-11-03T10:01:00+00:00");
    assert!(embed["fields"].as_array().expect("fields").len() >= 4);
    assert_eq!(up.json()["embeds"][0]["color"], 0x1e8e3e);
}

#[tokio::test]
async fn teams_posts_an_adaptive_card() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Teams,
        json!({"url": receiver.url("/workflows/abc/triggers/manual")}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    let body = down.json();
    assert_eq!(body["type"], "message");
    let attachment = &body["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["body"][0]["style"], "attention");
    assert_eq!(card["actions"][0]["type"], "Action.OpenUrl");
    assert_eq!(card["actions"][0]["url"], target_link());
    assert_eq!(
        up.json()["attachments"][0]["content"]["body"][0]["style"],
        "good"
    );
}

#[tokio::test]
async fn google_chat_posts_a_card() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::GoogleChat,
        json!({"url": receiver.url("/v1/spaces/AAA/messages?key=k1&token=t1")}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/v1/spaces/AAA/messages");
    assert_eq!(down.query.as_deref(), Some("key=k1&token=t1"));
    let card = &down.json()["cardsV2"][0]["card"];
    assert_eq!(card["header"]["title"], "DOWN: Checkout API");
    let widgets = card["sections"][0]["widgets"].as_array().expect("widgets");
    assert!(widgets[0]["decoratedText"]["text"]
        .as_str()
        .expect("text")
        .contains("<font color=\"#d93025\"><b>DOWN</b></font>"));
    let button = &widgets.last().expect("button")["buttonList"]["buttons"][0];
    assert_eq!(button["onClick"]["openLink"]["url"], target_link());
    assert!(text_of(&up.json()).contains("#1e8e3e"));
}

#[tokio::test]
async fn mattermost_posts_an_attachment() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Mattermost,
        json!({"url": receiver.url("/hooks/xyz")}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    let attachment = &down.json()["attachments"][0];
    assert_eq!(attachment["color"], "#d93025");
    assert_eq!(attachment["title_link"], target_link());
    assert_eq!(down.json()["username"], "Pharos");
    assert_eq!(up.json()["attachments"][0]["color"], "#1e8e3e");
}

#[tokio::test]
async fn telegram_sends_html_through_the_bot_api() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Telegram,
        json!({"bot_token": "123456:ABC-DEF_ghi", "chat_id": -1001234, "api_url": receiver.base}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.method, "POST");
    assert_eq!(down.path, "/bot123456:ABC-DEF_ghi/sendMessage");
    let body = down.json();
    assert_eq!(body["chat_id"], "-1001234");
    assert_eq!(body["parse_mode"], "HTML");
    let text = body["text"].as_str().expect("text");
    assert!(text.starts_with("<b>DOWN</b>: Checkout API"), "{text}");
    assert!(text.contains(&format!("<a href=\"{}\">", target_link())));
    assert!(up.json()["text"]
        .as_str()
        .expect("text")
        .starts_with("<b>UP</b>"));
}

#[tokio::test]
async fn pushover_posts_a_form() {
    let receiver = Receiver::start().await;
    let (user, token) = ("u".repeat(30), "a".repeat(30));
    let config = parse(
        ChannelKind::Pushover,
        json!({"user_key": user, "app_token": token, "api_url": receiver.base}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/1/messages.json");
    assert_eq!(
        down.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(down.form_value("token"), Some(token));
    assert_eq!(down.form_value("user"), Some(user));
    assert_eq!(
        down.form_value("title").as_deref(),
        Some("DOWN: Checkout API")
    );
    assert_eq!(down.form_value("priority").as_deref(), Some("1"));
    assert_eq!(down.form_value("url"), Some(target_link()));
    assert!(down
        .form_value("message")
        .expect("message")
        .contains("is down since"));
    assert_eq!(up.form_value("priority").as_deref(), Some("0"));
}

#[tokio::test]
async fn gotify_posts_with_its_key_header() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Gotify,
        json!({"server_url": format!("{}/gotify/", receiver.base), "app_token": "AbC.123"}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/gotify/message");
    assert_eq!(down.header("x-gotify-key"), Some("AbC.123"));
    let body = down.json();
    assert_eq!(body["title"], "DOWN: Checkout API");
    assert_eq!(body["priority"], 8);
    assert_eq!(
        body["extras"]["client::notification"]["click"]["url"],
        target_link()
    );
    assert_eq!(up.json()["priority"], 5);
}

#[tokio::test]
async fn ntfy_publishes_json_with_priority_tags_and_token() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Ntfy,
        json!({
            "server_url": receiver.base, "topic": "pharos-alerts", "priority": 5,
            "tags": ["prod"], "access_token": "tk_abc",
        }),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/");
    assert_eq!(down.header("authorization"), Some("Bearer tk_abc"));
    let body = down.json();
    assert_eq!(body["topic"], "pharos-alerts");
    assert_eq!(body["title"], "DOWN: Checkout API");
    assert_eq!(body["priority"], 5);
    assert_eq!(body["tags"], json!(["rotating_light", "prod"]));
    assert_eq!(body["click"], target_link());
    assert_eq!(up.json()["priority"], 3);
    assert_eq!(up.json()["tags"], json!(["white_check_mark", "prod"]));
}

#[tokio::test]
async fn matrix_puts_a_message_under_a_stable_transaction_id() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Matrix,
        json!({"homeserver": receiver.base, "access_token": "syt_abc", "room_id": "!room:example.org"}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.method, "PUT");
    assert_eq!(
        down.path,
        "/_matrix/client/v3/rooms/!room:example.org/send/m.room.message/pharos-n-down"
    );
    assert_eq!(down.header("authorization"), Some("Bearer syt_abc"));
    let body = down.json();
    assert_eq!(body["msgtype"], "m.text");
    assert_eq!(body["format"], "org.matrix.custom.html");
    assert!(body["body"]
        .as_str()
        .expect("body")
        .starts_with("DOWN: Checkout API"));
    assert!(body["formatted_body"]
        .as_str()
        .expect("html")
        .contains("<strong>"));
    assert!(up.path.ends_with("/pharos-n-up"));

    // A retry of the same notification carries the same transaction id.
    let again = rendered(&config, &notice(NoticeKind::Down), "n-down");
    local_transport().deliver(&again).await.expect("delivers");
    assert_eq!(receiver.requests()[2].path, down.path);
}

#[tokio::test]
async fn pagerduty_triggers_then_resolves_one_dedup_key() {
    let receiver = Receiver::start().await;
    let key = "R0UTINGKEY0123456789abcdefABCDEF";
    let config = parse(
        ChannelKind::Pagerduty,
        json!({"routing_key": key, "api_url": receiver.base}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    assert_eq!(down.path, "/v2/enqueue");
    assert_eq!(up.path, "/v2/enqueue");
    let (trigger, resolve) = (down.json(), up.json());
    assert_eq!(trigger["routing_key"], key);
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(
        trigger["payload"]["source"],
        "https://shop.example.com/health"
    );
    assert!(trigger["payload"]["summary"]
        .as_str()
        .expect("summary")
        .starts_with("DOWN: Checkout API"));
    assert_eq!(trigger["links"][0]["href"], target_link());
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(
        trigger["dedup_key"],
        format!("pharos-incident-{INCIDENT_ID}")
    );
    assert_eq!(resolve["dedup_key"], trigger["dedup_key"]);

    // A test pages no one: it is a change event.
    let test = rendered(&config, &notice(NoticeKind::Test), "n-test");
    local_transport().deliver(&test).await.expect("delivers");
    assert_eq!(receiver.requests()[2].path, "/v2/change/enqueue");
}

#[tokio::test]
async fn opsgenie_creates_then_closes_by_alias() {
    let receiver = Receiver::start().await;
    let config = parse(
        ChannelKind::Opsgenie,
        json!({"api_key": "eb243592-faa2-4ba2-a551-1afdf565c889", "api_url": receiver.base}),
    );
    let (down, up) = down_and_up(&receiver, &config).await;
    let alias = format!("pharos-incident-{INCIDENT_ID}");
    assert_eq!(down.path, "/v2/alerts");
    assert_eq!(
        down.header("authorization"),
        Some("GenieKey eb243592-faa2-4ba2-a551-1afdf565c889")
    );
    let create = down.json();
    assert_eq!(create["alias"], alias);
    assert_eq!(create["message"], "DOWN: Checkout API");
    assert_eq!(create["priority"], "P1");
    assert_eq!(create["details"]["Link"], target_link());
    assert_eq!(up.path, format!("/v2/alerts/{alias}/close"));
    assert_eq!(up.query.as_deref(), Some("identifierType=alias"));
    assert_eq!(up.json()["source"], "Pharos");
}
