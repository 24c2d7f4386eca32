//! The OpenAPI document is generated from the code; `docs/openapi.json` is
//! its snapshot, so every API change shows up in review. Refresh it with
//! `PHAROS_UPDATE_SNAPSHOTS=1 cargo test -p pharos-web --test openapi`.
//!
//! Its enums are held to the domain's lists here, and a target's bodies and
//! check settings to one schema per kind, chosen by `kind`.

use std::collections::BTreeSet;

use pharos_app::targets::check_settings_for_api;
use pharos_domain::alert::{AlertTypeName, AttemptOutcome, NotificationKind, NotificationStatus};
use pharos_domain::check::Verdict;
use pharos_domain::check_spec::{
    CheckSpec, DnsCheck, DnsRecordType, HttpCheck, HttpHeader, HttpMethod, PingCheck, StatusRange,
    TcpCheck, TlsCheck,
};
use pharos_domain::event::EventType;
use pharos_domain::organization::Role;
use pharos_domain::status::TargetState;
use pharos_domain::status_page::{ComponentState, OverallState, PageIncidentKind};
use pharos_domain::{ChannelKind, TargetCheck, TargetKind};
use serde_json::Value;
use utoipa::OpenApi;

#[test]
fn openapi_document_matches_its_snapshot() {
    let generated = pharos_web::api::openapi::ApiDoc::openapi()
        .to_pretty_json()
        .expect("serialise the document")
        + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    if std::env::var("PHAROS_UPDATE_SNAPSHOTS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &generated).expect("write the snapshot");
        return;
    }
    let stored = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        stored == generated,
        "docs/openapi.json is out of date; run PHAROS_UPDATE_SNAPSHOTS=1 cargo test -p pharos-web --test openapi"
    );
}

#[test]
fn openapi_document_is_version_3_1_and_lists_every_route() {
    let doc = serde_json::to_value(pharos_web::api::openapi::ApiDoc::openapi()).expect("json");
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for path in [
        "/api/v1/auth/register",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/me",
        "/api/v1/auth/password",
        "/api/v1/targets",
        "/api/v1/targets/status",
        "/api/v1/targets/{id}",
        "/api/v1/targets/{id}/checks",
        "/api/v1/targets/{id}/alerts",
        "/api/v1/targets/{id}/notifications",
        "/api/v1/channels",
        "/api/v1/channels/{id}",
        "/api/v1/channels/{id}/test",
        "/api/v1/organization/alerts",
        "/healthz",
        "/readyz",
    ] {
        assert!(doc["paths"][path].is_object(), "{path} is missing");
    }
}

fn document() -> Value {
    serde_json::to_value(pharos_web::api::openapi::ApiDoc::openapi()).expect("json")
}

fn component<'a>(doc: &'a Value, name: &str) -> &'a Value {
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "no component {name}");
    schema
}

/// A schema's `enum`, without the `null` a nullable field adds.
fn enum_of(schema: &Value) -> Vec<String> {
    // An optional request field's list: `oneOf` a string enum or null.
    if let Some(one_of) = schema["oneOf"].as_array() {
        if let [listed, null] = &one_of[..] {
            if null["type"] == "null" {
                return enum_of(listed);
            }
        }
    }
    schema["enum"]
        .as_array()
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn names<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// Verdicts are named by serde alone (the answers carry that name).
fn verdict_names() -> Vec<String> {
    Verdict::ALL
        .iter()
        .map(|verdict| match serde_json::to_value(verdict) {
            Ok(Value::String(name)) => name,
            other => panic!("a verdict serialises to its name, not {other:?}"),
        })
        .collect()
}

/// Every object schema in the document with a property called `name`,
/// wherever it sits (components, inlined pages, `allOf` parts).
fn properties_named<'a>(value: &'a Value, name: &str, found: &mut Vec<&'a Value>) {
    match value {
        Value::Object(object) => {
            if let Some(property) = object.get("properties").and_then(|p| p.get(name)) {
                found.push(property);
            }
            for child in object.values() {
                properties_named(child, name, found);
            }
        }
        Value::Array(items) => {
            for item in items {
                properties_named(item, name, found);
            }
        }
        _ => {}
    }
}

#[test]
fn the_documents_enums_are_the_domains_lists() {
    let doc = document();
    let kinds = names(TargetKind::ALL.map(TargetKind::as_str));
    let states = names(TargetState::ALL.map(TargetState::as_str));
    let verdicts = verdict_names();
    let roles = names(Role::ALL.map(Role::as_str));
    let methods = names(HttpMethod::ALL.map(HttpMethod::as_str));
    let record_types = names(DnsRecordType::ALL.map(DnsRecordType::as_str));
    let event_types = names(EventType::ALL.map(EventType::as_str));
    let channel_kinds = names(ChannelKind::ALL.map(ChannelKind::as_str));
    let notification_kinds = names(NotificationKind::ALL.map(NotificationKind::as_str));
    let statuses = names(NotificationStatus::ALL.map(NotificationStatus::as_str));
    let outcomes = names(AttemptOutcome::ALL.map(AttemptOutcome::as_str));
    let alert_types = names(AlertTypeName::ALL.map(AlertTypeName::as_str));
    let maintenance_kinds = names(
        pharos_domain::maintenance::MaintenanceKind::ALL
            .map(pharos_domain::maintenance::MaintenanceKind::as_str),
    );

    // Where each must be, so the sweep below cannot pass on nothing.
    for (schema, property, expected) in [
        ("TargetView", "kind", &kinds),
        ("UpdateTargetRequest", "kind", &kinds),
        ("TargetView", "state", &states),
        ("CheckNowView", "verdict", &verdicts),
        ("OrganizationView", "role", &roles),
        ("OrganizationDetailView", "role", &roles),
        ("MemberView", "role", &roles),
        ("HttpTargetRequest", "method", &methods),
        ("HttpCheckSettings", "method", &methods),
        ("UpdateTargetRequest", "method", &methods),
        ("DnsTargetRequest", "record_type", &record_types),
        ("DnsCheckSettings", "record_type", &record_types),
        ("UpdateTargetRequest", "record_type", &record_types),
        ("EventView", "type", &event_types),
        ("ChannelView", "kind", &channel_kinds),
        ("CreateChannelRequest", "kind", &channel_kinds),
        ("UpdateChannelRequest", "kind", &channel_kinds),
        ("NotificationView", "kind", &notification_kinds),
        ("NotificationView", "status", &statuses),
        ("AttemptView", "outcome", &outcomes),
        ("AlertSettingsView", "alert_type", &alert_types),
        ("AlertSettingsRequest", "alert_type", &alert_types),
        ("ScheduleBody", "kind", &maintenance_kinds),
    ] {
        assert_eq!(
            &enum_of(&component(&doc, schema)["properties"][property]),
            expected,
            "{schema}.{property}"
        );
    }

    // A `state` is a target's, or on public status pages a component's or
    // the whole page's.
    let component_states: Vec<String> = ComponentState::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let overall_states: Vec<String> = OverallState::ALL
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let mut found = Vec::new();
    properties_named(&doc, "state", &mut found);
    assert!(!found.is_empty(), "no field state");
    for schema in found {
        let values = enum_of(schema);
        assert!(
            values == states || values == component_states || values == overall_states,
            "a state field: {schema}"
        );
    }
    // Every field of these names, wherever it appears, states the list.
    for (property, expected) in [
        ("verdict", &verdicts),
        ("role", &roles),
        ("method", &methods),
        ("record_type", &record_types),
        ("outcome", &outcomes),
        ("alert_type", &alert_types),
    ] {
        let mut found = Vec::new();
        properties_named(&doc, property, &mut found);
        assert!(!found.is_empty(), "no field {property}");
        for schema in found {
            assert_eq!(&enum_of(schema), expected, "a {property} field: {schema}");
        }
    }
    // A `kind` is one of the target kinds (all of them, or the one a
    // kind's own schema is for), the channel kinds, the notification kinds,
    // the maintenance window kinds, the subscriber kinds or the location
    // kinds.
    let page_incident_kinds: Vec<String> = PageIncidentKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    let subscriber_kinds: Vec<String> = pharos_storage::models::SubscriberKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    let location_kinds: Vec<String> = pharos_domain::agent::LocationKind::ALL
        .iter()
        .map(|k| k.as_str().to_owned())
        .collect();
    let mut found = Vec::new();
    properties_named(&doc, "kind", &mut found);
    for schema in found {
        let values = enum_of(schema);
        assert!(
            values == kinds
                || values == location_kinds
                || (values.len() == 1 && kinds.contains(&values[0]))
                || values == channel_kinds
                || values == notification_kinds
                || values == maintenance_kinds
                || values == page_incident_kinds
                || values == subscriber_kinds,
            "a kind field: {schema}"
        );
    }
}

#[test]
fn target_bodies_and_check_settings_are_one_of_by_kind() {
    let doc = document();
    for (name, kinds) in [
        ("CreateTargetRequest", &TargetKind::ALL[..]),
        ("CheckNowRequest", &TargetKind::PROBED[..]),
        ("CheckSettings", &TargetKind::PROBED[..]),
    ] {
        let schema = component(&doc, name);
        assert_eq!(
            schema["discriminator"]["propertyName"], "kind",
            "{name}: {schema}"
        );
        let one_of = schema["oneOf"].as_array().expect("oneOf");
        let mapping = schema["discriminator"]["mapping"]
            .as_object()
            .expect("mapping");
        assert_eq!(mapping.len(), kinds.len(), "{name}");
        assert_eq!(one_of.len(), kinds.len(), "{name}");
        for kind in kinds {
            let reference = mapping[kind.as_str()].as_str().expect("a reference");
            assert!(
                one_of.iter().any(|item| item["$ref"] == reference),
                "{name}: {reference} is not in the oneOf"
            );
            let branch = component(
                &doc,
                reference
                    .strip_prefix("#/components/schemas/")
                    .expect("a component"),
            );
            assert_eq!(
                enum_of(&branch["properties"]["kind"]),
                [kind.as_str()],
                "{reference}"
            );
            assert_eq!(branch["additionalProperties"], false, "{reference}");
        }
    }

    // A target view's `check` is those settings, or `null` (heartbeats).
    let check = &component(&doc, "TargetView")["properties"]["check"];
    let options = check["oneOf"].as_array().expect("check is a oneOf");
    assert!(options.iter().any(|o| o["type"] == "null"), "{check}");
    assert!(
        options
            .iter()
            .any(|o| o["$ref"] == "#/components/schemas/CheckSettings"),
        "{check}"
    );
}

/// Each kind's settings as the API shows them, with nothing set that
/// may be left out, and with everything set.
fn shown_settings() -> Vec<(TargetKind, Value, Value)> {
    let mut full_http = HttpCheck::get("https://example.com/");
    full_http.method = HttpMethod::Post;
    full_http.headers = vec![HttpHeader {
        name: "x-test".into(),
        value: "1".into(),
    }];
    full_http.body = Some("{}".into());
    full_http.expected_status = vec![StatusRange::DEFAULT];
    full_http.keyword = Some("ok".into());
    full_http.json_path = Some("a.b".into());
    full_http.json_expected = Some(serde_json::json!(1));
    full_http.degraded_latency_ms = Some(500);
    full_http.max_redirects = Some(3);
    let dns = |server: Option<&str>, expected: Option<&str>| DnsCheck {
        name: "example.com".into(),
        record_type: DnsRecordType::Mx,
        server: server.map(Into::into),
        expected: expected.map(Into::into),
    };
    let tcp = TcpCheck {
        host: "example.com".into(),
        port: 22,
    };
    let ping = PingCheck {
        host: "example.com".into(),
        count: 3,
    };
    let tls = TlsCheck {
        host: "example.com".into(),
        port: 443,
        warn_days: 14,
    };
    let pairs = [
        (
            CheckSpec::Http(HttpCheck::get("https://example.com/")),
            CheckSpec::Http(full_http),
        ),
        (CheckSpec::Tcp(tcp.clone()), CheckSpec::Tcp(tcp)),
        (CheckSpec::Ping(ping.clone()), CheckSpec::Ping(ping)),
        (
            CheckSpec::Dns(dns(None, None)),
            CheckSpec::Dns(dns(Some("192.0.2.53"), Some("10 mx.example.com"))),
        ),
        (CheckSpec::Tls(tls.clone()), CheckSpec::Tls(tls)),
    ];
    let shown = |spec: CheckSpec| {
        let fields = check_settings_for_api(&TargetCheck::Probe(spec)).expect("probed");
        Value::Object(fields)
    };
    let settings: Vec<_> = pairs
        .into_iter()
        .map(|(least, most)| (least.kind(), shown(least), shown(most)))
        .collect();
    let kinds: Vec<_> = settings.iter().map(|(kind, ..)| *kind).collect();
    assert_eq!(kinds, TargetKind::PROBED, "one pair per probed kind");
    settings
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[test]
fn check_settings_schemas_describe_what_a_target_view_shows() {
    let doc = document();
    let mapping = &component(&doc, "CheckSettings")["discriminator"]["mapping"];
    for (kind, least, most) in shown_settings() {
        let reference = mapping[kind.as_str()].as_str().expect("a reference");
        let schema = component(
            &doc,
            reference
                .strip_prefix("#/components/schemas/")
                .expect("a component"),
        );
        let required: BTreeSet<String> = schema["required"]
            .as_array()
            .expect("required")
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        assert_eq!(required, keys(&least), "{kind}: always shown");
        assert_eq!(
            keys(&schema["properties"]),
            keys(&most),
            "{kind}: every setting"
        );
        for settings in [&least, &most] {
            for (field, value) in settings.as_object().expect("an object") {
                let allowed = enum_of(&schema["properties"][field]);
                if let (false, Some(value)) = (allowed.is_empty(), value.as_str()) {
                    assert!(
                        allowed.iter().any(|a| a == value),
                        "{kind}.{field}: {value}"
                    );
                }
            }
        }
    }
}
