//! Every kind renders every notice kind (tests and summaries included),
//! and the words each one leads with.

use pharos_domain::ChannelKind;
use pharos_notify::channels::{render, ChannelConfig};
use pharos_notify::delivery::Delivery;
use pharos_notify::notice::NoticeKind;
use serde_json::json;

use crate::support::*;

const AGENT: uuid::Uuid = uuid::Uuid::from_u128(0x0195_0000_0000_7000_8000_0000_0000_00a7);

const NOTICE_KINDS: [NoticeKind; 8] = [
    NoticeKind::Down,
    NoticeKind::Up,
    NoticeKind::Degraded,
    NoticeKind::CertificateExpiring { days_left: 14 },
    NoticeKind::Test,
    NoticeKind::Summary { folded: 5 },
    NoticeKind::AgentOffline {
        agent: AGENT,
        targets: 12,
    },
    NoticeKind::AgentOnline {
        agent: AGENT,
        targets: 1,
    },
];

fn minimal(kind: ChannelKind) -> serde_json::Value {
    match kind {
        ChannelKind::Email => json!({"to": ["ops@example.com"]}),
        ChannelKind::Webhook
        | ChannelKind::Slack
        | ChannelKind::Discord
        | ChannelKind::Teams
        | ChannelKind::GoogleChat
        | ChannelKind::Mattermost => json!({"url": "https://hooks.example.com/x"}),
        ChannelKind::Telegram => json!({"bot_token": "1:a", "chat_id": 1}),
        ChannelKind::Pushover => json!({"user_key": "u".repeat(30), "app_token": "a".repeat(30)}),
        ChannelKind::Gotify => json!({"server_url": "https://push.example.com", "app_token": "t"}),
        ChannelKind::Ntfy => json!({"topic": "alerts"}),
        ChannelKind::Matrix => json!({
            "homeserver": "https://m.example.org", "access_token": "t", "room_id": "!r:m.example.org"
        }),
        ChannelKind::Pagerduty => json!({"routing_key": "k".repeat(32)}),
        ChannelKind::Opsgenie => json!({"api_key": "k"}),
    }
}

#[test]
fn every_kind_renders_every_notice() {
    for kind in ChannelKind::ALL {
        let config = ChannelConfig::parse(kind, minimal(kind)).expect("valid");
        for notice_kind in NOTICE_KINDS {
            let delivery = render(&config, &notice(notice_kind), &ctx("n"))
                .unwrap_or_else(|e| panic!("{kind} {notice_kind:?}: {e}"));
            match (kind, &delivery) {
                (ChannelKind::Email, Delivery::Email(_)) => {}
                (ChannelKind::Email, _) => panic!("email renders an email"),
                (_, Delivery::Http(request)) => {
                    assert!(request.url.scheme() == "https", "{kind}");
                    assert!(!request.secrets.is_empty(), "{kind} names its secrets");
                }
                (_, Delivery::Email(_)) => panic!("{kind} renders HTTP"),
            }
        }
    }
}

#[test]
fn email_subjects_lead_with_one_word() {
    let config =
        ChannelConfig::parse(ChannelKind::Email, minimal(ChannelKind::Email)).expect("valid");
    let subject = |kind| match rendered(&config, &notice(kind), "n") {
        Delivery::Email(email) => email.subject,
        Delivery::Http(_) => panic!("an email"),
    };
    assert_eq!(
        subject(NoticeKind::Down),
        "DOWN - Checkout API - local - http"
    );
    assert_eq!(subject(NoticeKind::Up), "UP - Checkout API - local - http");
    assert_eq!(
        subject(NoticeKind::Degraded),
        "DEGRADED - Checkout API - local - http"
    );
    assert_eq!(
        subject(NoticeKind::CertificateExpiring { days_left: 14 }),
        "CERTIFICATE - Checkout API - local - http (14 days left)"
    );
    assert_eq!(
        subject(NoticeKind::Test),
        "TEST - Checkout API - local - http"
    );
    assert_eq!(
        subject(NoticeKind::Summary { folded: 5 }),
        "SUMMARY - Checkout API - local - http (5 alerts folded)"
    );
    // An agent's notice is named by its location, and counts its targets.
    let agent = |kind| {
        let mut n = notice(kind);
        n.target_name = "Frankfurt".to_owned();
        n.location = "Frankfurt".to_owned();
        match rendered(&config, &n, "n") {
            Delivery::Email(email) => email.subject,
            Delivery::Http(_) => panic!("an email"),
        }
    };
    assert_eq!(
        agent(NoticeKind::AgentOffline {
            agent: AGENT,
            targets: 12
        }),
        "AGENT OFFLINE - Frankfurt - 12 targets"
    );
    assert_eq!(
        agent(NoticeKind::AgentOnline {
            agent: AGENT,
            targets: 1
        }),
        "AGENT ONLINE - Frankfurt - 1 target"
    );
    // A target down from several locations names them.
    let mut from_two = notice(NoticeKind::Down);
    from_two.location = "Frankfurt, Paris".to_owned();
    match rendered(&config, &from_two, "n") {
        Delivery::Email(email) => {
            assert_eq!(
                email.subject,
                "DOWN - Checkout API - Frankfurt, Paris - http"
            )
        }
        Delivery::Http(_) => panic!("an email"),
    }
}

#[test]
fn webhook_events_name_what_happened() {
    let config =
        ChannelConfig::parse(ChannelKind::Webhook, minimal(ChannelKind::Webhook)).expect("valid");
    let names: Vec<String> = NOTICE_KINDS
        .into_iter()
        .map(|kind| match rendered(&config, &notice(kind), "n") {
            Delivery::Http(request) => {
                let body: serde_json::Value = serde_json::from_slice(&request.body).expect("JSON");
                body["event"].as_str().expect("event").to_owned()
            }
            Delivery::Email(_) => panic!("HTTP"),
        })
        .collect();
    assert_eq!(
        names,
        [
            "down",
            "up",
            "degraded",
            "certificate_expiring",
            "test",
            "summary",
            "agent_offline",
            "agent_online"
        ]
    );
}
