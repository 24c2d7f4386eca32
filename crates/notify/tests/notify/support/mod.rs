//! What the tests share: notices, a render context, an HTTP receiver and
//! an SMTP server.

pub mod receiver;

use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use pharos_domain::{ChannelKind, TargetKind};
use pharos_notify::channels::{render, ChannelConfig, RenderContext};
use pharos_notify::delivery::Delivery;
use pharos_notify::notice::{Notice, NoticeKind};
use pharos_notify::transport::{Transport, TransportSettings};
use serde_json::Value;
use uuid::Uuid;

pub use receiver::{Captured, Receiver, Reply};

pub const TARGET_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001);
pub const INCIDENT_ID: Uuid = Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0002);
pub const PUBLIC_URL: &str = "https://pharos.example.com";

pub fn at(hour: u32, minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 3, hour, minute, 0)
        .single()
        .expect("a valid time")
}

/// A notice about "Checkout API", down since 10:00.
pub fn notice(kind: NoticeKind) -> Notice {
    Notice {
        kind,
        organization: "Acme Ops".to_owned(),
        target_id: TARGET_ID,
        target_name: "Checkout API".to_owned(),
        target_kind: TargetKind::Http,
        target_address: "https://shop.example.com/health".to_owned(),
        location: "local".to_owned(),
        incident_id: Some(INCIDENT_ID),
        details: "HTTP 503 Service Unavailable".to_owned(),
        status_code: Some(503),
        error: Some("expected a 2xx status, got 503".to_owned()),
        since: at(10, 0),
        occurred_at: match kind {
            NoticeKind::Up => at(10, 42),
            _ => at(10, 1),
        },
        target_page: format!("/targets/{TARGET_ID}"),
        history: None,
    }
}

pub fn ctx(delivery_key: &str) -> RenderContext {
    RenderContext {
        now: at(10, 5),
        public_url: PUBLIC_URL.to_owned(),
        delivery_key: delivery_key.to_owned(),
    }
}

pub fn target_link() -> String {
    format!("{PUBLIC_URL}/targets/{TARGET_ID}")
}

pub fn parse(kind: ChannelKind, config: Value) -> ChannelConfig {
    ChannelConfig::parse(kind, config).expect("a valid configuration")
}

pub fn rendered(config: &ChannelConfig, notice: &Notice, key: &str) -> Delivery {
    render(config, notice, &ctx(key)).expect("renders")
}

/// A transport that may reach 127.0.0.1, where the receivers are.
pub fn local_transport() -> Transport {
    transport(true, Duration::from_secs(5))
}

pub fn transport(allow_private: bool, timeout: Duration) -> Transport {
    Transport::new(TransportSettings {
        allow_private,
        timeout,
        smtp: None,
    })
    .expect("a transport")
}
