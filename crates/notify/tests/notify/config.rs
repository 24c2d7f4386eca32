//! Channel configurations: parsing names the bad field, secrets stay out
//! of the masked view, patches keep what they leave out, split and join
//! round-trip.

use pharos_domain::ChannelKind;
use pharos_notify::channels::{ChannelConfig, MASK};
use serde_json::{json, Value};

/// A valid configuration of every kind, with every secret containing
/// "SECRET" so a test can search for it.
fn example(kind: ChannelKind) -> Value {
    match kind {
        ChannelKind::Email => json!({"to": ["ops@example.com"], "include_history": true}),
        ChannelKind::Webhook => json!({
            "url": "https://hooks.example.com/in?token=SECRETtoken",
            "headers": {"Authorization": "Bearer SECRET-bearer"},
        }),
        ChannelKind::Slack => json!({"url": "https://hooks.slack.com/services/T0/B0/SECRETslack"}),
        ChannelKind::Discord => {
            json!({"url": "https://discord.com/api/webhooks/1/SECRETdiscord"})
        }
        ChannelKind::Teams => {
            json!({"url": "https://prod.westeurope.logic.azure.com/workflows/SECRETteams"})
        }
        ChannelKind::GoogleChat => json!({
            "url": "https://chat.googleapis.com/v1/spaces/AAA/messages?key=SECRETkey&token=SECRETtoken"
        }),
        ChannelKind::Mattermost => json!({"url": "https://chat.example.com/hooks/SECRETmm"}),
        ChannelKind::Telegram => json!({"bot_token": "123456:SECRET-telegram", "chat_id": -100123}),
        ChannelKind::Pushover => json!({
            "user_key": "uSECRETuuuuuuuuuuuuuuuuuuuuuuu",
            "app_token": "aSECRETaaaaaaaaaaaaaaaaaaaaaaa",
        }),
        ChannelKind::Gotify => {
            json!({"server_url": "https://push.example.com", "app_token": "SECRETgotify"})
        }
        ChannelKind::Ntfy => json!({
            "topic": "SECRET-topic", "priority": 5, "tags": ["prod"], "access_token": "tk_SECRET",
        }),
        ChannelKind::Matrix => json!({
            "homeserver": "https://matrix.example.org",
            "access_token": "syt_SECRET",
            "room_id": "!room:example.org",
        }),
        ChannelKind::Pagerduty => json!({"routing_key": "SECRETpagerdutypagerdutypagerdut"}),
        ChannelKind::Opsgenie => json!({"api_key": "SECRET-opsgenie-key"}),
    }
}

fn field_of(kind: ChannelKind, config: Value) -> String {
    ChannelConfig::parse(kind, config)
        .expect_err("refused")
        .field
}

#[test]
fn every_kind_parses_its_example() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, example(kind)).unwrap_or_else(|e| {
            panic!("{kind}: {e}");
        });
        assert_eq!(config.kind(), kind);
    }
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    for kind in ChannelKind::ALL {
        let mut config = example(kind);
        config["colour"] = json!("blue");
        assert_eq!(field_of(kind, config), "config.colour", "{kind}");
    }
}

#[test]
fn bad_values_name_their_field() {
    assert_eq!(
        field_of(
            ChannelKind::Email,
            json!({"to": ["ops@example.com", "not-an-address"]})
        ),
        "config.to[1]"
    );
    assert_eq!(field_of(ChannelKind::Email, json!({"to": []})), "config.to");
    assert_eq!(field_of(ChannelKind::Slack, json!({})), "config.url");
    assert_eq!(
        field_of(
            ChannelKind::Slack,
            json!({"url": "ftp://hooks.slack.com/x"})
        ),
        "config.url"
    );
    assert_eq!(
        field_of(ChannelKind::Slack, json!({"url": 42})),
        "config.url"
    );
    assert_eq!(
        field_of(ChannelKind::Ntfy, json!({"topic": "alerts", "priority": 9})),
        "config.priority"
    );
    assert_eq!(
        field_of(ChannelKind::Ntfy, json!({"topic": "a/b"})),
        "config.topic"
    );
    assert_eq!(
        field_of(
            ChannelKind::Telegram,
            json!({"bot_token": "123/../x:y", "chat_id": 1})
        ),
        "config.bot_token"
    );
    assert_eq!(
        field_of(
            ChannelKind::Telegram,
            json!({"bot_token": "1:a", "chat_id": 1, "api_url": "javascript:alert(1)"})
        ),
        "config.api_url"
    );
    assert_eq!(
        field_of(
            ChannelKind::Matrix,
            json!({
                "homeserver": "https://m.example.org", "access_token": "t", "room_id": "#alias:m.example.org"
            })
        ),
        "config.room_id"
    );
    assert_eq!(
        field_of(
            ChannelKind::Pushover,
            json!({"user_key": "short", "app_token": "a".repeat(30)})
        ),
        "config.user_key"
    );
    assert_eq!(
        field_of(ChannelKind::Pagerduty, json!({"routing_key": "x"})),
        "config.routing_key"
    );
    assert_eq!(field_of(ChannelKind::Slack, json!([1, 2])), "config");
}

#[test]
fn webhook_headers_cannot_override_what_pharos_sets() {
    for name in [
        "Content-Type",
        "Host",
        "X-Pharos-Signature",
        "Transfer-Encoding",
        "Connection",
    ] {
        let config = json!({"url": "https://hooks.example.com/", "headers": {name: "x"}});
        assert_eq!(
            field_of(ChannelKind::Webhook, config),
            format!("config.headers.{name}")
        );
    }
    let injected =
        json!({"url": "https://hooks.example.com/", "headers": {"X-Ok": "a\r\nHost: evil"}});
    assert_eq!(
        field_of(ChannelKind::Webhook, injected),
        "config.headers.X-Ok"
    );
}

#[test]
fn the_signing_secret_is_made_by_pharos_never_given() {
    let config =
        ChannelConfig::parse(ChannelKind::Webhook, example(ChannelKind::Webhook)).expect("valid");
    let secret = config.signing_secret().expect("a webhook has one");
    assert_eq!(secret.len(), 64);
    let another =
        ChannelConfig::parse(ChannelKind::Webhook, example(ChannelKind::Webhook)).expect("valid");
    assert_ne!(another.signing_secret(), Some(secret));

    let mut given = example(ChannelKind::Webhook);
    given["signing_secret"] = json!("mine-mine-mine-mine-mine-mine-mine");
    assert_eq!(
        field_of(ChannelKind::Webhook, given),
        "config.signing_secret"
    );
    assert!(config
        .apply_patch(json!({"signing_secret": "x".repeat(64)}))
        .is_err());
    assert_eq!(
        ChannelConfig::parse(ChannelKind::Slack, example(ChannelKind::Slack))
            .expect("valid")
            .signing_secret(),
        None
    );
}

#[test]
fn the_masked_view_shows_no_secret() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, example(kind)).expect("valid");
        let masked = config.masked().to_string();
        assert!(!masked.contains("SECRET"), "{kind}: {masked}");
        if let Some(secret) = config.signing_secret() {
            assert!(!masked.contains(secret), "{kind}: {masked}");
        }
    }
    let slack =
        ChannelConfig::parse(ChannelKind::Slack, example(ChannelKind::Slack)).expect("valid");
    assert_eq!(slack.masked(), json!({"url": "https://hooks.slack.com/…"}));
    let webhook =
        ChannelConfig::parse(ChannelKind::Webhook, example(ChannelKind::Webhook)).expect("valid");
    let masked = webhook.masked();
    assert_eq!(masked["headers"], json!({"Authorization": MASK}));
    assert_eq!(masked["signing_secret"], json!(MASK));
    let email =
        ChannelConfig::parse(ChannelKind::Email, example(ChannelKind::Email)).expect("valid");
    assert_eq!(email.masked(), example(ChannelKind::Email));
}

#[test]
fn a_patch_without_secrets_keeps_them() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, example(kind)).expect("valid");
        // Sending the masked view back unchanged changes nothing.
        let same = config
            .apply_patch(config.masked())
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(same, config, "{kind}");
        // An empty patch changes nothing either.
        assert_eq!(
            config.apply_patch(json!({})).expect("empty"),
            config,
            "{kind}"
        );
    }

    let telegram =
        ChannelConfig::parse(ChannelKind::Telegram, example(ChannelKind::Telegram)).expect("valid");
    let moved = telegram
        .apply_patch(json!({"chat_id": "@pharos_alerts"}))
        .expect("patched");
    let (public, secret) = moved.split();
    assert_eq!(public["chat_id"], json!("@pharos_alerts"));
    assert_eq!(secret["bot_token"], json!("123456:SECRET-telegram"));

    let webhook =
        ChannelConfig::parse(ChannelKind::Webhook, example(ChannelKind::Webhook)).expect("valid");
    let patched = webhook
        .apply_patch(json!({
            "url": "https://other.example.com/in",
            "headers": {"Authorization": MASK, "X-Team": "ops"},
        }))
        .expect("patched");
    let (public, secret) = patched.split();
    assert_eq!(public, json!({}));
    assert_eq!(secret["url"], json!("https://other.example.com/in"));
    assert_eq!(
        secret["headers"],
        json!({"Authorization": "Bearer SECRET-bearer", "X-Team": "ops"})
    );
    assert_eq!(patched.signing_secret(), webhook.signing_secret());
    // A header given only as the mask has no stored value to keep.
    let err = webhook
        .apply_patch(json!({"headers": {"X-New": MASK}}))
        .expect_err("refused");
    assert_eq!(err.field, "config.headers.X-New");

    let ntfy = ChannelConfig::parse(ChannelKind::Ntfy, example(ChannelKind::Ntfy)).expect("valid");
    let cleared = ntfy
        .apply_patch(json!({"access_token": null}))
        .expect("cleared");
    assert_eq!(cleared.split().1, json!({"topic": "SECRET-topic"}));
    // A patch is validated like a new configuration.
    assert_eq!(
        ntfy.apply_patch(json!({"priority": 0}))
            .expect_err("refused")
            .field,
        "config.priority"
    );
    assert_eq!(
        ntfy.apply_patch(json!({"bogus": 1}))
            .expect_err("refused")
            .field,
        "config.bogus"
    );
}

#[test]
fn split_and_join_round_trip() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, example(kind)).expect("valid");
        let (public, secret) = config.split();
        assert!(!public.to_string().contains("SECRET"), "{kind}: {public}");
        if let Some(signing) = config.signing_secret() {
            assert!(!public.to_string().contains(signing));
            assert_eq!(secret["signing_secret"], json!(signing));
        }
        let joined = ChannelConfig::join(kind, public, secret).expect("joins");
        assert_eq!(joined, config, "{kind}");
    }
    let email =
        ChannelConfig::parse(ChannelKind::Email, example(ChannelKind::Email)).expect("valid");
    let (public, secret) = email.split();
    assert_eq!(secret, json!({}));
    assert_eq!(
        ChannelConfig::join(ChannelKind::Email, public, Value::Null).expect("joins"),
        email
    );
    // A webhook without its stored secret is not a webhook.
    let webhook =
        ChannelConfig::parse(ChannelKind::Webhook, example(ChannelKind::Webhook)).expect("valid");
    let (public, _) = webhook.split();
    assert_eq!(
        ChannelConfig::join(
            ChannelKind::Webhook,
            public,
            json!({"url": "https://e.com/"})
        )
        .expect_err("refused")
        .field,
        "config.signing_secret"
    );
}

#[test]
fn defaults_fill_service_urls() {
    let (public, _) = ChannelConfig::parse(ChannelKind::Ntfy, json!({"topic": "alerts"}))
        .expect("valid")
        .split();
    assert_eq!(public["server_url"], json!("https://ntfy.sh"));
    let (public, _) = ChannelConfig::parse(
        ChannelKind::Telegram,
        json!({"bot_token": "1:a", "chat_id": "@alerts"}),
    )
    .expect("valid")
    .split();
    assert_eq!(public["api_url"], json!("https://api.telegram.org"));
    for (kind, config, field, default) in [
        (
            ChannelKind::Pagerduty,
            json!({"routing_key": "a".repeat(32)}),
            "api_url",
            "https://events.pagerduty.com",
        ),
        (
            ChannelKind::Opsgenie,
            json!({"api_key": "k"}),
            "api_url",
            "https://api.opsgenie.com",
        ),
        (
            ChannelKind::Pushover,
            json!({"user_key": "u".repeat(30), "app_token": "a".repeat(30)}),
            "api_url",
            "https://api.pushover.net",
        ),
    ] {
        let (public, _) = ChannelConfig::parse(kind, config).expect("valid").split();
        assert_eq!(public[field], json!(default), "{kind}");
    }
}

#[test]
fn secrets_never_show_in_debug() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, example(kind)).expect("valid");
        let debug = format!("{config:?}");
        assert!(!debug.contains("SECRET"), "{kind}: {debug}");
    }
}
