//! Request body schemas the derive cannot state: a shape chosen by `kind`,
//! and rules shared by several fields. Each bound here is the one the
//! server enforces (the constants are the domain's own), so the document
//! says what a request must be to be accepted.
//!
//! Rules that JSON Schema cannot state, or that depend on the server's
//! settings or on stored data, are in the descriptions and answered with
//! 422: the SSRF rules on every host (`PHAROS_ALLOW_PRIVATE_TARGETS`), a
//! timeout shorter than the interval, a status range written backwards,
//! a body only with POST or PUT, HEAD without keyword or JSON assertions,
//! `json_expected` only with `json_path`, the reserved header names, and
//! (for updates) the stored kind the changes are laid over.

use std::borrow::Cow;

use pharos_domain::check_spec::{DnsRecordType, HttpMethod};
use pharos_domain::organization::OrganizationName;
use pharos_domain::target::{IntervalSeconds, TargetName, TargetUrl, TimeoutSeconds};
use pharos_domain::user::{Email, Password};
use pharos_domain::TargetKind;
use serde_json::{json, Value};
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayBuilder, Discriminator, Object,
    ObjectBuilder, OneOfBuilder, Ref, Schema, SchemaType, Type,
};
use utoipa::openapi::RefOr;

use super::models::RegisterRequest;

/// Control characters as Rust's `char::is_control` sees them (Unicode Cc).
const CONTROL: &str = r"\u0000-\u001F\u007F-\u009F";

/// Text without control characters.
fn no_control_chars() -> String {
    format!("^[^{CONTROL}]*$")
}

/// Text without control characters that is not only whitespace (the server
/// trims names and refuses an empty one).
fn not_blank() -> String {
    format!("^[^{CONTROL}]*[^\\s{CONTROL}][^{CONTROL}]*$")
}

/// An email address as `Email::parse` accepts it (ASCII spelling): a local
/// part of at most 64 characters, one `@`, and a domain with a dot that
/// neither starts nor ends with one; none of `"(),;<>[\]`.
fn email_pattern() -> &'static str {
    r#"^[!#-'*+\-.-:=?A-Z^-~]{1,64}@[!#-'*+\-/-:=?A-Z^-~][!#-'*+\-.-:=?A-Z^-~]*\.[!#-'*+\-.-:=?A-Z^-~]*[!#-'*+\-/-:=?A-Z^-~]$"#
}

fn nullable(ty: Type) -> SchemaType {
    SchemaType::from_iter([ty, Type::Null])
}

fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

fn integer(min: i64, max: i64, description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(min))
        .maximum(Some(max))
        .description(Some(description))
}

fn boolean(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .description(Some(description))
}

fn closed_object(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .description(Some(description))
}

/// The email an account signs in with.
pub fn email() -> Object {
    text("An email address, at most 254 characters; compared without case.")
        .max_length(Some(Email::MAX_LEN))
        .pattern(Some(email_pattern()))
        .build()
}

/// A new password.
pub fn new_password() -> Object {
    text("10 to 256 characters, no control characters.")
        .min_length(Some(Password::MIN_LEN))
        .max_length(Some(Password::MAX_LEN))
        .pattern(Some(no_control_chars()))
        .build()
}

/// An organization's display name.
pub fn organization_name() -> Object {
    text("1 to 100 characters after trimming; no control characters.")
        .min_length(Some(1))
        .max_length(Some(OrganizationName::MAX_LEN))
        .pattern(Some(not_blank()))
        .build()
}

/// What an API key is called.
pub fn api_key_name() -> Object {
    text("1 to 100 characters after trimming; no control characters.")
        .min_length(Some(1))
        .max_length(Some(pharos_domain::api_key::ApiKeyName::MAX_LEN))
        .pattern(Some(not_blank()))
        .build()
}

impl utoipa::PartialSchema for RegisterRequest {
    fn schema() -> RefOr<Schema> {
        let organization = {
            let mut name = organization_name();
            name.schema_type = nullable(Type::String);
            name.description = Some(
                "Name of the organization to create (1 to 100 characters after trimming); \
                 absent or `null`, the email."
                    .to_owned(),
            );
            name
        };
        let fields = closed_object("A new account and the organization it owns.")
            .property("email", email())
            .required("email")
            .property("password", new_password())
            .required("password")
            .property("organization", organization)
            .build();
        // The organization's name defaults to the email, so without one the
        // email must also fit a name.
        let default_name_fits = AnyOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .property(
                        "organization",
                        ObjectBuilder::new().schema_type(Type::String),
                    )
                    .required("organization"),
            )
            .item(
                ObjectBuilder::new().property(
                    "email",
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .max_length(Some(OrganizationName::MAX_LEN)),
                ),
            )
            .description(Some(
                "Without `organization`, the email names it, so it must be at most 100 characters.",
            ));
        AllOfBuilder::new()
            .item(fields)
            .item(default_name_fits)
            .into()
    }
}

impl utoipa::ToSchema for RegisterRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("RegisterRequest")
    }
}

/// A target's display name (`null` clears it on update).
fn target_name() -> ObjectBuilder {
    text("1 to 200 characters after trimming, no control characters; `null` is no name.")
        .schema_type(nullable(Type::String))
        .min_length(Some(1))
        .max_length(Some(TargetName::MAX_LEN))
        .pattern(Some(not_blank()))
}

fn nullable_integer(min: i64, max: i64, description: &str) -> ObjectBuilder {
    integer(min, max, description).schema_type(nullable(Type::Integer))
}

/// The largest `grace_seconds` the server takes (a day).
const GRACE_SECONDS_MAX: i64 = 86_400;

/// The fields every kind of target takes.
fn common(object: ObjectBuilder) -> ObjectBuilder {
    object
        .property("name", target_name())
        .property(
            "interval_seconds",
            nullable_integer(
                IntervalSeconds::MIN.into(),
                IntervalSeconds::MAX.into(),
                "Seconds between checks (heartbeats: the expected period); default 300. \
                 The shortest is the instance's PHAROS_MIN_INTERVAL_SECONDS (30 unless \
                 lowered, 10 at the lowest); shorter is refused on this field.",
            ),
        )
        .property(
            "timeout_seconds",
            nullable_integer(
                TimeoutSeconds::MIN.into(),
                TimeoutSeconds::MAX.into(),
                "Seconds a check may take, shorter than `interval_seconds` (not for heartbeats); default 10.",
            ),
        )
        .property(
            "grace_seconds",
            nullable_integer(
                0,
                GRACE_SECONDS_MAX,
                "Heartbeats: seconds of slack after the period before a missing ping counts; \
                 default 60. Other kinds accept and ignore it.",
            ),
        )
        .property("channel_ids", channel_ids())
        .property("tag_ids", tag_ids())
        .property("group_id", group_id())
        .property("location_ids", location_ids())
        .property("quorum", quorum_request())
}

fn uuid_string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String).format(Some(
        utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid),
    ))
}

/// A target's tags.
fn tag_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(uuid_string())
        .max_items(Some(pharos_app::labels::MAX_TAGS_PER_TARGET))
        .description(Some(
            "The target's tags, each one of the organization's own (another id is refused \
             with 422 on `tag_ids`); on update, a list replaces the old one, `[]` or `null` \
             removes them all.",
        ))
}

/// A target's group.
fn group_id() -> ObjectBuilder {
    uuid_string()
        .schema_type(nullable(Type::String))
        .description(Some(
            "The group the target is in, one of the organization's own (another id is \
             refused with 422 on `group_id`); `null`: none.",
        ))
}

/// Where a target is checked from.
fn location_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .max_length(Some(36)),
        )
        .min_items(Some(1))
        .max_items(Some(50))
        .description(Some(
            "Where the target is checked from: `\"local\"` (the server itself) and ids of the \
             organization's approved agents (another id is refused with 422 on \
             `location_ids[i]`). Absent: unchanged (new targets: `[\"local\"]`). Heartbeats: \
             only `local`.",
        ))
}

/// `quorum` in a target body: a word or a number.
fn quorum_request() -> OneOfBuilder {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["any", "majority", "all"])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(50)),
        )
        .item(ObjectBuilder::new().schema_type(Type::Null))
        .description(Some(
            "How many of its locations must report the target down (each after its own \
             confirmation) before it is down; until then it is degraded. Default `majority`; \
             a number may not exceed the locations chosen.",
        ))
}

/// `quorum` in a target view.
pub(crate) fn quorum() -> Schema {
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(["any", "majority", "all"])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1)),
        )
        .description(Some(
            "How many of its locations must report it down: `any`, `majority`, `all` or a number.",
        ))
        .build()
        .into()
}

/// A target's notification channels.
fn channel_ids() -> ArrayBuilder {
    ArrayBuilder::new()
        .schema_type(nullable(Type::Array))
        .items(ObjectBuilder::new().schema_type(Type::String).format(Some(
            utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid),
        )))
        .max_items(Some(100))
        .description(Some(
            "The channels this target's alerts go to, each one of the organization's own \
             (another id is refused with 422); none or `null`: the organization's default \
             channels. On update, a list replaces the old one. \"Check now\" judges only its shape.",
        ))
}

/// `kind` in one kind's schema: that kind's name (or `null`, where it
/// may be left out).
fn kind_property(value: TargetKind, required: bool) -> ObjectBuilder {
    let kind = ObjectBuilder::new().description(Some("The kind of check."));
    if required {
        kind.schema_type(Type::String)
            .enum_values(Some([value.as_str()]))
    } else {
        kind.schema_type(nullable(Type::String))
            .enum_values(Some([json!(value.as_str()), Value::Null]))
    }
}

fn host(description: &str) -> ObjectBuilder {
    text(description)
        .min_length(Some(1))
        .max_length(Some(253))
        .pattern(Some(format!("^[^\\s{CONTROL}]+$")))
}

fn port(default: Option<u16>) -> ObjectBuilder {
    integer(1, 65_535, "TCP port.").default(default.map(Into::into))
}

/// An HTTP header name: an RFC 9110 token.
const HEADER_NAME: &str = r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$";

fn http_settings(object: ObjectBuilder) -> ObjectBuilder {
    let header = closed_object("A request header to send.")
        .property(
            "name",
            text(
                "A header name; content-length, transfer-encoding, connection, keep-alive, \
                  upgrade, te, trailer and proxy-connection are Pharos's own.",
            )
            .pattern(Some(HEADER_NAME)),
        )
        .required("name")
        .property(
            "value",
            text("A header value: no control characters but tab.")
                .pattern(Some(r"^[^\u0000-\u0008\u000A-\u001F\u007F]*$")),
        )
        .required("value");
    object
        .property(
            "url",
            text("The http(s) URL to request, at most 2048 characters; no user name or \
                  password. Loopback, private, link-local and internal hosts are refused \
                  unless the server allows private targets.")
            .max_length(Some(TargetUrl::MAX_LEN))
            .pattern(Some(format!(
                "^[Hh][Tt][Tt][Pp][Ss]?://[^\\s{CONTROL}]([^{CONTROL}]*[^\\s{CONTROL}])?$"
            ))),
        )
        .property(
            "method",
            text("Default GET; a body needs POST or PUT, and HEAD cannot have keyword or JSON assertions.")
                .enum_values(Some(HttpMethod::ALL.map(HttpMethod::as_str)))
                .default(Some(json!(HttpMethod::default().as_str()))),
        )
        .property(
            "headers",
            ArrayBuilder::new()
                .items(header)
                .description(Some("Request headers to send.")),
        )
        .property(
            "body",
            text("Sent with POST and PUT.").schema_type(nullable(Type::String)),
        )
        .property(
            "verify_tls",
            boolean("Check the certificate; default true.").default(Some(json!(true))),
        )
        .property(
            "expected_status",
            ArrayBuilder::new()
                .items(
                    text("A status code or an inclusive range, smallest first, within 100-599.")
                        .pattern(Some("^[1-5][0-9]{2}(-[1-5][0-9]{2})?$")),
                )
                .description(Some("Statuses that count as up; empty or absent, any 2xx or 3xx.")),
        )
        .property(
            "keyword",
            text("Text the body must contain (or, with `keyword_absent`, must not).")
                .schema_type(nullable(Type::String))
                .min_length(Some(1)),
        )
        .property(
            "keyword_absent",
            boolean("The keyword must be absent; default false."),
        )
        .property(
            "json_path",
            text("A value the JSON body must have: `a.b[0].c` (optionally after `$.`) or a \
                  JSON Pointer such as `/a/b/0/c`.")
            .schema_type(nullable(Type::String)),
        )
        .property(
            "json_expected",
            ObjectBuilder::new()
                .schema_type(SchemaType::AnyValue)
                .description(Some("The value at `json_path` (needs `json_path`); absent, the path only has to exist.")),
        )
        .property(
            "degraded_latency_ms",
            nullable_integer(0, u32::MAX.into(), "Slower than this is degraded, not down."),
        )
        .property(
            "max_redirects",
            nullable_integer(0, u8::MAX.into(), "Redirects to follow; default the server's limit."),
        )
}

fn tcp_settings(object: ObjectBuilder) -> ObjectBuilder {
    object
        .property("host", host("Host name or IP address to connect to; internal and private hosts are refused unless the server allows private targets."))
        .property("port", port(None))
}

fn ping_settings(object: ObjectBuilder) -> ObjectBuilder {
    object
        .property("host", host("Host name or IP address to ping; internal and private hosts are refused unless the server allows private targets."))
        .property(
            "count",
            integer(1, 20, "Echo requests per check; default 3.").default(Some(json!(3))),
        )
}

fn dns_settings(object: ObjectBuilder) -> ObjectBuilder {
    object
        .property(
            "host",
            text("The name to resolve (a trailing dot is allowed), at most 253 characters.")
                .max_length(Some(253))
                .pattern(Some(r"^\S*[^\s.]\S*$")),
        )
        .property(
            "record_type",
            text("Default A.")
                .enum_values(Some(DnsRecordType::ALL.map(DnsRecordType::as_str)))
                .default(Some(json!(DnsRecordType::default().as_str()))),
        )
        .property(
            "server",
            text(
                "The resolver to ask: an IP address, optionally with `:port` (`[v6]:port`); \
                  absent, the system's. Private addresses are refused unless the server \
                  allows private targets.",
            )
            .schema_type(nullable(Type::String)),
        )
        .property(
            "expected",
            text(
                "One answer must equal this (names compare without case or trailing dot; \
                  MX matches `10 mx.example.com` or the host).",
            )
            .schema_type(nullable(Type::String)),
        )
}

fn tls_settings(object: ObjectBuilder) -> ObjectBuilder {
    object
        .property("host", host("Host name or IP address whose certificate is read; internal and private hosts are refused unless the server allows private targets."))
        .property("port", port(Some(443)))
        .property(
            "warn_days",
            integer(0, u32::MAX.into(), "Fewer days than this until expiry is degraded; default 14.")
                .default(Some(json!(14))),
        )
}

type Settings = fn(ObjectBuilder) -> ObjectBuilder;

/// The kind a body without `kind` makes (`app::targets` reads it so).
const DEFAULT_KIND: TargetKind = TargetKind::Http;

/// A kind's settings, and those its create body must have.
fn kind_settings(kind: TargetKind) -> (&'static [&'static str], Settings) {
    match kind {
        TargetKind::Http => (&["url"], http_settings),
        TargetKind::Tcp => (&["host", "port"], tcp_settings),
        TargetKind::Ping => (&["host"], ping_settings),
        TargetKind::Dns => (&["host"], dns_settings),
        TargetKind::Tls => (&["host"], tls_settings),
        TargetKind::Heartbeat => (&[], |o| o),
    }
}

/// The settings a target's view always shows (`CheckSpec` leaves the
/// others out while they are unset); `tests/openapi.rs` holds this to the
/// domain's serialisation.
fn shown_always(kind: TargetKind) -> &'static [&'static str] {
    match kind {
        TargetKind::Http => &["url", "method", "verify_tls", "keyword_absent"],
        TargetKind::Tcp => &["host", "port"],
        TargetKind::Ping => &["host", "count"],
        TargetKind::Dns => &["host", "record_type"],
        TargetKind::Tls => &["host", "port", "warn_days"],
        TargetKind::Heartbeat => &[],
    }
}

/// A component name for one kind: `http` and `TargetRequest` make
/// `HttpTargetRequest`.
fn kind_schema_name(kind: TargetKind, suffix: &str) -> String {
    let name = kind.as_str();
    let (first, rest) = name.split_at(1);
    format!("{}{rest}{suffix}", first.to_ascii_uppercase())
}

fn request_schema_name(kind: TargetKind) -> String {
    kind_schema_name(kind, "TargetRequest")
}

fn check_settings_schema_name(kind: TargetKind) -> String {
    kind_schema_name(kind, "CheckSettings")
}

/// A `oneOf` of `kinds`' schemas (named by `name`), told apart by `kind`.
fn one_of_kinds(
    kinds: &[TargetKind],
    name: fn(TargetKind) -> String,
    description: &str,
) -> RefOr<Schema> {
    let mut one_of = OneOfBuilder::new().description(Some(description));
    let mut discriminator = Discriminator::new("kind");
    for kind in kinds {
        let reference = Ref::from_schema_name(name(*kind));
        discriminator
            .mapping
            .insert(kind.as_str().to_owned(), reference.ref_location.clone());
        one_of = one_of.item(reference);
    }
    one_of.discriminator(Some(discriminator)).into()
}

/// One kind's create body: the common fields and the kind's settings.
fn request_schema(kind: TargetKind) -> Object {
    let kind_required = kind != DEFAULT_KIND;
    let description = if kind_required {
        format!("A `{kind}` target.")
    } else {
        format!("A `{kind}` target; `kind` may be left out.")
    };
    let (required, settings) = kind_settings(kind);
    let mut object = settings(common(closed_object(&description)))
        .property("kind", kind_property(kind, kind_required));
    if kind_required {
        object = object.required("kind");
    }
    for field in required {
        object = object.required(*field);
    }
    object.build()
}

/// A new target (`POST /api/v1/targets`, and the check run now): one
/// kind's settings beside the common fields, chosen by `kind` (default
/// `http`, so `{"url": ...}` alone makes an HTTP target).
pub struct CreateTargetRequest;

impl utoipa::PartialSchema for CreateTargetRequest {
    fn schema() -> RefOr<Schema> {
        one_of_kinds(
            &TargetKind::ALL,
            request_schema_name,
            &format!(
                "One kind's settings beside the common fields, chosen by `kind` (default \
                 {DEFAULT_KIND}). Unknown fields are refused."
            ),
        )
    }
}

impl utoipa::ToSchema for CreateTargetRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CreateTargetRequest")
    }

    /// Each kind's schema, which the `oneOf` refers to.
    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for kind in TargetKind::ALL {
            schemas.push((request_schema_name(kind), request_schema(kind).into()));
        }
    }
}

/// A check to run once, now (`POST /api/v1/targets/check`): a target body
/// of any kind but heartbeat, which has nothing to run.
pub struct CheckNowRequest;

impl utoipa::PartialSchema for CheckNowRequest {
    fn schema() -> RefOr<Schema> {
        one_of_kinds(
            &TargetKind::PROBED,
            request_schema_name,
            "A new target's body, of any kind but heartbeat (its pings are its checks).",
        )
    }
}

impl utoipa::ToSchema for CheckNowRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CheckNowRequest")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        <CreateTargetRequest as utoipa::ToSchema>::schemas(schemas);
    }
}

/// A probed target's check settings as its view shows them
/// (`TargetView::check`): `kind` and that kind's settings, under the
/// names and rules its create body takes them.
pub struct CheckSettings;

fn check_settings_schema(kind: TargetKind) -> Object {
    let (_, settings) = kind_settings(kind);
    let description = format!("A `{kind}` target's check settings.");
    let mut object = settings(closed_object(&description))
        .property("kind", kind_property(kind, true))
        .required("kind");
    for field in shown_always(kind) {
        object = object.required(*field);
    }
    object.build()
}

impl utoipa::PartialSchema for CheckSettings {
    fn schema() -> RefOr<Schema> {
        one_of_kinds(
            &TargetKind::PROBED,
            check_settings_schema_name,
            "The settings of a probed kind, with its `kind`; unset optional settings are \
             left out.",
        )
    }
}

impl utoipa::ToSchema for CheckSettings {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CheckSettings")
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        for kind in TargetKind::PROBED {
            schemas.push((
                check_settings_schema_name(kind),
                check_settings_schema(kind).into(),
            ));
        }
    }
}

/// Changes to a target: any common field, and check settings laid over
/// the stored ones (a new `kind` starts from nothing). Absent fields stay
/// as they are; `name: null` clears the name.
pub struct UpdateTargetRequest;

impl utoipa::PartialSchema for UpdateTargetRequest {
    fn schema() -> RefOr<Schema> {
        let object = closed_object(
            "Changes to a target; absent fields stay as they are and `name: null` clears the \
             name. Check settings are laid over the stored ones and must fit the target's \
             kind; a new `kind` (not to or from heartbeat) starts from nothing.",
        );
        let mut object = common(object).property(
            "kind",
            ObjectBuilder::new()
                .schema_type(nullable(Type::String))
                .enum_values(Some(
                    TargetKind::ALL
                        .iter()
                        .map(|kind| json!(kind.as_str()))
                        .chain([Value::Null]),
                ))
                .description(Some("A new kind of check.")),
        );
        // Every setting of every kind, as that kind states it, without its
        // default (an absent field stays as it is); `host` is the one name
        // several kinds share, with their own rules.
        for kind in TargetKind::ALL {
            let (_, settings) = kind_settings(kind);
            for (name, mut schema) in settings(ObjectBuilder::new()).build().properties {
                if name == "host" {
                    continue;
                }
                if let RefOr::T(Schema::Object(setting)) = &mut schema {
                    setting.default = None;
                }
                object = object.property(name, schema);
            }
        }
        object
            .property(
                "host",
                text("The host (tcp, ping, tls) or the name to resolve (dns), as that kind takes it.")
                    .min_length(Some(1))
                    .max_length(Some(253))
                    .pattern(Some(r"^\S+$")),
            )
            .property(
                "badge",
                ObjectBuilder::new().schema_type(Type::Boolean).description(Some(
                    "Public SVG badges: `true` makes an unguessable token (kept if it has \
                     one) and the answer's `badge_urls` holds their URLs; `false` drops \
                     the token, so every badge URL of it answers 404.",
                )),
            )
            .build()
            .into()
    }
}

impl utoipa::ToSchema for UpdateTargetRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("UpdateTargetRequest")
    }
}

/// A channel's display name.
fn channel_name() -> ObjectBuilder {
    text("1 to 100 characters after trimming; no control characters.")
        .min_length(Some(1))
        .max_length(Some(pharos_domain::channel::ChannelName::MAX_LEN))
        .pattern(Some(not_blank()))
}

fn channel_kind(nullable_kind: bool) -> ObjectBuilder {
    let kind = ObjectBuilder::new()
        .schema_type(if nullable_kind {
            nullable(Type::String)
        } else {
            SchemaType::Type(Type::String)
        })
        .enum_values(Some(
            pharos_domain::ChannelKind::ALL.map(pharos_domain::ChannelKind::as_str),
        ));
    if nullable_kind {
        kind.description(Some("The channel's kind; it cannot change (422)."))
    } else {
        kind.description(Some("The service the channel delivers to."))
    }
}

fn channel_config(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some(description))
}

/// `POST /api/v1/channels`.
pub struct CreateChannelRequest;

impl utoipa::PartialSchema for CreateChannelRequest {
    fn schema() -> RefOr<Schema> {
        closed_object("A new notification channel. Unknown fields are refused.")
            .property("kind", channel_kind(false))
            .required("kind")
            .property("name", channel_name())
            .required("name")
            .property(
                "config",
                channel_config(
                    "The kind's settings (email: `to`; webhook: `url`, optional `headers`; \
                     Slack, Discord, Teams, Google Chat, Mattermost: `url`; the others their \
                     service's tokens and ids). Each kind's rules are checked by the server \
                     (422 naming `config.<field>`). A webhook's signing secret is made by the \
                     server and cannot be set.",
                ),
            )
            .required("config")
            .property(
                "is_default",
                boolean("Serve every target that names no channel; default false.")
                    .schema_type(nullable(Type::Boolean)),
            )
            .into()
    }
}

impl utoipa::ToSchema for CreateChannelRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("CreateChannelRequest")
    }
}

/// `PATCH /api/v1/channels/{id}`.
pub struct UpdateChannelRequest;

impl utoipa::PartialSchema for UpdateChannelRequest {
    fn schema() -> RefOr<Schema> {
        closed_object("Changes to a channel; absent fields stay. Unknown fields are refused.")
            .property("kind", channel_kind(true))
            .property("name", channel_name())
            .property(
                "config",
                channel_config(
                    "Laid over the stored settings: given fields replace, `null` clears an \
                     optional one, and a secret left out (or sent back masked) is kept.",
                ),
            )
            .property(
                "is_default",
                boolean("Serve every target that names no channel.")
                    .schema_type(nullable(Type::Boolean)),
            )
            .into()
    }
}

impl utoipa::ToSchema for UpdateChannelRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("UpdateChannelRequest")
    }
}

/// `PUT /api/v1/organization/alerts` and `/api/v1/targets/{id}/alerts`.
pub struct AlertSettingsRequest;

impl utoipa::PartialSchema for AlertSettingsRequest {
    fn schema() -> RefOr<Schema> {
        use pharos_domain::alert::{AlertTypeName, RepeatMinutes};
        closed_object(
            "When to alert. Fields left out take the built-in defaults (once, on restored, \
             not on degraded, no history). `repeat_minutes` is required with `repeated` and \
             refused with the other types (422).",
        )
        .property(
            "alert_type",
            ObjectBuilder::new()
                .schema_type(nullable(Type::String))
                .enum_values(Some(AlertTypeName::ALL.map(AlertTypeName::as_str)))
                .description(Some(
                    "once: on each change of state; repeated: again every `repeat_minutes` \
                     while down; none: never.",
                )),
        )
        .property(
            "repeat_minutes",
            nullable_integer(
                RepeatMinutes::MIN.into(),
                RepeatMinutes::MAX.into(),
                "Minutes between reminders while down (`repeated` only).",
            ),
        )
        .property(
            "on_restored",
            boolean("Tell when a target that was down comes back; default true.")
                .schema_type(nullable(Type::Boolean)),
        )
        .property(
            "on_degraded",
            boolean("Tell when a target degrades; default false.")
                .schema_type(nullable(Type::Boolean)),
        )
        .property(
            "include_history",
            boolean("Send the last 24 hours of checks with each alert; default false.")
                .schema_type(nullable(Type::Boolean)),
        )
        .into()
    }
}

impl utoipa::ToSchema for AlertSettingsRequest {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("AlertSettingsRequest")
    }
}
