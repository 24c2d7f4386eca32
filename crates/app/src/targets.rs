//! Targets of the caller's organization. Every call is scoped to
//! `actor.organization`; another tenant's target is simply not found.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{Duration, Utc};
use pharos_domain::audit::AuditAction;
use pharos_domain::check::CheckOutcome;
use pharos_domain::ids::TargetId;
use pharos_domain::rollup::{bucket_start, Rollup, DAY, HOUR, QUARTER_HOUR};
use pharos_domain::status::TargetState;
use pharos_domain::target::{check_host, IntervalSeconds, TargetName, TargetUrl, TimeoutSeconds};
use pharos_domain::ValidationError;
use pharos_domain::{CheckSpec, TargetCheck, TargetKind};
use pharos_storage::models::{
    Check, CheckCursor, Incident, NewTarget, RollupBucket, Target, TargetCursor, TargetFilter,
    TargetPatch,
};
use rand::RngCore;
use serde_json::{Map, Value};

use crate::actor::Actor;
use crate::error::{AppError, AppResult, Unavailable};
use crate::App;

/// A target as submitted: the common fields, and everything else, which
/// describes the check (`kind` and that kind's settings).
pub type TargetFields = Map<String, Value>;

/// Grace after a heartbeat's period before it counts as missed, by default.
const DEFAULT_GRACE_SECONDS: u32 = 60;
const MAX_GRACE_SECONDS: i64 = 86_400;

fn take_i64(fields: &mut TargetFields, field: &'static str) -> AppResult<Option<i64>> {
    match fields.remove(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n
            .as_i64()
            .map(Some)
            .ok_or_else(|| ValidationError::new(field, "must be a whole number").into()),
        Some(_) => Err(ValidationError::new(field, "must be a whole number").into()),
    }
}

/// `Ok(None)`: absent; `Ok(Some(None))`: null; `Ok(Some(Some(s)))`: a string.
fn take_string(
    fields: &mut TargetFields,
    field: &'static str,
) -> AppResult<Option<Option<String>>> {
    match fields.remove(field) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s))),
        Some(_) => Err(ValidationError::new(field, "must be a string").into()),
    }
}

fn take_bool(fields: &mut TargetFields, field: &'static str) -> AppResult<Option<bool>> {
    match fields.remove(field) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(ValidationError::new(field, "must be true or false").into()),
    }
}

fn grace(raw: Option<i64>) -> AppResult<Option<u32>> {
    match raw {
        None => Ok(None),
        Some(g @ 0..=MAX_GRACE_SECONDS) => Ok(Some(g as u32)),
        Some(_) => Err(ValidationError::new(
            "grace_seconds",
            format!("must be between 0 and {MAX_GRACE_SECONDS}"),
        )
        .into()),
    }
}

/// The field a spec problem is best reported on.
fn primary_field(kind: TargetKind) -> &'static str {
    match kind {
        TargetKind::Http => "url",
        _ => "host",
    }
}

/// The API calls the name a DNS check queries `host`, like every other
/// kind, because `name` is the target's own display name; the stored
/// check settings call it `name`.
fn rename_key(fields: &mut TargetFields, from: &str, to: &str) {
    if let Some(value) = fields.remove(from) {
        fields.insert(to.to_owned(), value);
    }
}

/// A target's check settings as the API shows them (the fields its
/// create body takes, `kind` included); `None` for a heartbeat.
pub fn check_settings_for_api(check: &TargetCheck) -> Option<TargetFields> {
    let spec = check.probe()?;
    let Ok(Value::Object(mut fields)) = serde_json::to_value(spec) else {
        return None;
    };
    if spec.kind() == TargetKind::Dns {
        rename_key(&mut fields, "name", "host");
    }
    Some(fields)
}

/// Parses and judges the check fields: known kind, no unknown fields, the
/// probes' own validation, and the SSRF rules on every host it contacts.
fn parse_check(mut check: TargetFields, allow_private: bool) -> AppResult<TargetCheck> {
    let kind = match check.remove("kind") {
        None | Some(Value::Null) => TargetKind::Http,
        Some(Value::String(kind)) => kind.parse().map_err(|_| {
            ValidationError::new(
                "kind",
                format!("must be one of {}", TargetKind::list(&TargetKind::ALL)),
            )
        })?,
        Some(_) => return Err(ValidationError::new("kind", "must be a string").into()),
    };
    if kind == TargetKind::Heartbeat {
        if let Some(field) = check.keys().next() {
            return Err(AppError::InvalidField {
                message: format!("{field}: unknown field for a heartbeat target"),
                field: field.clone(),
            });
        }
        return Ok(TargetCheck::Heartbeat);
    }
    if kind == TargetKind::Http {
        // The URL rules (length, control characters, scheme, SSRF) first,
        // with their precise messages.
        match check.get("url") {
            Some(Value::String(raw)) => {
                let url = TargetUrl::parse(raw, allow_private)?;
                check.insert("url".to_owned(), Value::String(url.as_str().to_owned()));
            }
            None | Some(Value::Null) => {
                return Err(ValidationError::new("url", "is required").into())
            }
            Some(_) => return Err(ValidationError::new("url", "must be a string").into()),
        }
    }
    if kind == TargetKind::Dns {
        if check.contains_key("name") {
            return Err(ValidationError::new(
                "name",
                "is the target's name; a DNS check's name to resolve goes in host",
            )
            .into());
        }
        rename_key(&mut check, "host", "name");
    }
    // Each kind's settings are read as their own struct: serde cannot
    // report unknown fields through an internally tagged enum.
    let value = Value::Object(check);
    let spec = match kind {
        TargetKind::Http => CheckSpec::Http(strict(value, kind)?),
        TargetKind::Tcp => CheckSpec::Tcp(strict(value, kind)?),
        TargetKind::Ping => CheckSpec::Ping(strict(value, kind)?),
        TargetKind::Dns => CheckSpec::Dns(strict(value, kind)?),
        TargetKind::Tls => CheckSpec::Tls(strict(value, kind)?),
        TargetKind::Heartbeat => unreachable!("heartbeats returned above"),
    };
    spec.validate().map_err(|e| {
        // The setting the probes blame, under its API name.
        let field = match e.field() {
            Some("name") if kind == TargetKind::Dns => "host",
            Some(field) => field,
            None => primary_field(kind),
        };
        ValidationError::new(field, e.message())
    })?;
    match &spec {
        CheckSpec::Http(_) => {}
        CheckSpec::Tcp(c) => check_host("host", &c.host, allow_private)?,
        CheckSpec::Ping(c) => check_host("host", &c.host, allow_private)?,
        CheckSpec::Tls(c) => check_host("host", &c.host, allow_private)?,
        CheckSpec::Dns(c) => {
            if let Some(server) = &c.server {
                let address = pharos_domain::check_spec::parse_dns_server(server)
                    .map_err(|e| ValidationError::new("server", e.to_string()))?;
                check_host("server", &address.ip().to_string(), allow_private)?;
            }
        }
    }
    Ok(TargetCheck::Probe(spec))
}

/// Deserialises one kind's settings, refusing unknown fields and naming
/// the field at fault.
fn strict<T: serde::de::DeserializeOwned>(value: Value, kind: TargetKind) -> AppResult<T> {
    let invalid = |field: String, message: String| AppError::InvalidField {
        message: format!("{field}: {message}"),
        field,
    };
    let mut unknown = Vec::new();
    let parsed: Result<T, _> = serde_path_to_error::deserialize(serde_ignored::Deserializer::new(
        value,
        &mut |path: serde_ignored::Path<'_>| unknown.push(path.to_string()),
    ));
    let parsed = parsed.map_err(|e| {
        let path = e.path().to_string();
        let message = e.into_inner().to_string();
        // A missing setting is reported on the settings as a whole; it
        // belongs by the field that is missing.
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'))
            .filter(|_| path == ".")
            .map(str::to_owned);
        let field = match missing {
            Some(name) if kind == TargetKind::Dns && name == "name" => {
                primary_field(kind).to_owned()
            }
            Some(name) => name,
            None if path == "." || (kind == TargetKind::Dns && path == "name") => {
                primary_field(kind).to_owned()
            }
            None => path,
        };
        invalid(field, message.replace("field `name`", "field `host`"))
    })?;
    if let Some(field) = unknown.into_iter().next() {
        return Err(invalid(field, format!("unknown field for a {kind} target")));
    }
    Ok(parsed)
}

/// A check may not outlast the interval between two checks.
fn check_timeout_fits(interval: IntervalSeconds, timeout: TimeoutSeconds) -> AppResult<()> {
    if timeout.get() >= interval.get() {
        return Err(ValidationError::new(
            "timeout_seconds",
            "must be shorter than interval_seconds",
        )
        .into());
    }
    Ok(())
}

fn new_heartbeat_token() -> String {
    let mut bytes = [0u8; 24];
    rand::thread_rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub async fn create(app: &App, actor: &Actor, mut fields: TargetFields) -> AppResult<Target> {
    actor.require_editor()?;
    let sent = crate::audit::field_names(&fields);
    let name = take_string(&mut fields, "name")?
        .flatten()
        .map(|raw| TargetName::parse(&raw))
        .transpose()?;
    let floor = app.settings.min_interval_seconds;
    let interval = take_i64(&mut fields, "interval_seconds")?
        .map(|raw| IntervalSeconds::parse(raw, floor))
        .transpose()?
        .unwrap_or(IntervalSeconds::DEFAULT);
    let timeout = take_i64(&mut fields, "timeout_seconds")?
        .map(TimeoutSeconds::parse)
        .transpose()?
        .unwrap_or(TimeoutSeconds::DEFAULT);
    let grace_seconds = grace(take_i64(&mut fields, "grace_seconds")?)?;
    let channel_ids = match fields.remove("channel_ids") {
        None | Some(Value::Null) => Vec::new(),
        Some(raw) => crate::channels::parse_channel_ids(app, actor, raw).await?,
    };
    let placement = crate::labels::Placement::take(app, actor, &mut fields).await?;
    let is_heartbeat = fields.get("kind").and_then(Value::as_str) == Some("heartbeat");
    let locations =
        crate::agents::take_location_choice(app, actor, &mut fields, is_heartbeat).await?;
    let check = parse_check(fields, app.settings.allow_private_targets)?;
    let heartbeat = check.is_heartbeat();
    if !heartbeat {
        check_timeout_fits(interval, timeout)?;
    }
    app.limits.target_creation(actor.organization.0)?;
    let now = Utc::now();
    let grace_seconds = heartbeat.then(|| grace_seconds.unwrap_or(DEFAULT_GRACE_SECONDS));
    let token = heartbeat.then(new_heartbeat_token);
    // A check runs at once; a heartbeat's first deadline is a period away.
    let first_due_at = if heartbeat {
        now + Duration::seconds(i64::from(interval.get()) + i64::from(grace_seconds.unwrap_or(0)))
    } else {
        now
    };
    let new = NewTarget {
        created_by: actor.user.id,
        name: name.as_ref().map(TargetName::as_str),
        interval_seconds: interval.get(),
        timeout_seconds: timeout.get(),
        check,
        heartbeat_token: token.as_deref(),
        grace_seconds,
        first_due_at,
        now,
    };
    let mut target = app.store.create_target(actor.organization, new).await?;
    if let Some(choice) = &locations {
        if let Err(e) = crate::agents::set_target_locations(app, actor, target.id, choice).await {
            app.store
                .delete_target(actor.organization, target.id)
                .await?;
            return Err(e);
        }
        target = app
            .store
            .target(actor.organization, target.id)
            .await?
            .ok_or(AppError::NotFound)?;
    }
    if !channel_ids.is_empty() {
        let set = app
            .store
            .set_target_channels(actor.organization, target.id, &channel_ids)
            .await?;
        if !set {
            // A channel was deleted in between: make nothing.
            app.store
                .delete_target(actor.organization, target.id)
                .await?;
            return Err(ValidationError::new(
                "channel_ids",
                "a channel was deleted meanwhile; try again",
            )
            .into());
        }
    }
    if !placement.is_empty() {
        if let Err(e) = placement.apply(app, actor, target.id).await {
            // A tag or the group was deleted in between: make nothing.
            app.store
                .delete_target(actor.organization, target.id)
                .await?;
            return Err(e);
        }
        if let Some(group) = placement.group {
            target.group_id = group;
        }
    }
    crate::audit::record(
        app,
        actor,
        AuditAction::TargetCreated,
        Some(target.id.to_string()),
        sent,
    )
    .await;
    Ok(target)
}

/// Runs the check a submission describes once, now, and stores nothing.
/// The body is the one `create` takes, judged by the same rules (the SSRF
/// rules included), and the check runs under the workers' prober settings.
pub async fn check_now(app: &App, actor: &Actor, fields: TargetFields) -> AppResult<CheckOutcome> {
    actor.require_editor()?;
    run_once(app, actor, None, fields).await
}

/// "Check now" while editing: runs the check `update` would save with the
/// same `fields` (the stored settings with the submitted ones laid over
/// them, the stored interval and timeout where none is given), and stores
/// nothing.
pub async fn check_now_edited(
    app: &App,
    actor: &Actor,
    id: TargetId,
    fields: TargetFields,
) -> AppResult<CheckOutcome> {
    actor.require_editor()?;
    let existing = get(app, actor, id).await?;
    run_once(app, actor, Some(&existing), fields).await
}

async fn run_once(
    app: &App,
    actor: &Actor,
    existing: Option<&Target>,
    mut fields: TargetFields,
) -> AppResult<CheckOutcome> {
    if let Some(raw) = take_string(&mut fields, "name")?.flatten() {
        TargetName::parse(&raw)?;
    }
    let interval = match take_i64(&mut fields, "interval_seconds")? {
        Some(raw) => IntervalSeconds::parse(raw, app.settings.min_interval_seconds)?,
        None => match existing {
            Some(t) => IntervalSeconds::stored(t.interval_seconds.into())?,
            None => IntervalSeconds::DEFAULT,
        },
    };
    let timeout = match take_i64(&mut fields, "timeout_seconds")? {
        Some(raw) => TimeoutSeconds::parse(raw)?,
        None => match existing {
            Some(t) => TimeoutSeconds::parse(t.timeout_seconds.into())?,
            None => TimeoutSeconds::DEFAULT,
        },
    };
    grace(take_i64(&mut fields, "grace_seconds")?)?;
    // Where alerts go does not change what a check does: judged for its
    // shape only.
    if let Some(raw) = fields.remove("channel_ids").filter(|v| !v.is_null()) {
        crate::channels::channel_ids_of_json(raw)?;
    }
    // Nor do its tags, group and locations (a check now runs here), but
    // they are judged as saving would judge them, so a body refused on
    // save is refused here too.
    crate::labels::Placement::take(app, actor, &mut fields).await?;
    let is_heartbeat = match existing {
        Some(target) => target.is_heartbeat(),
        None => fields.get("kind").and_then(Value::as_str) == Some("heartbeat"),
    };
    crate::agents::take_location_choice(app, actor, &mut fields, is_heartbeat).await?;
    let fields = match existing {
        Some(target) => merged_check(target, fields),
        None => fields,
    };
    let check = parse_check(fields, app.settings.allow_private_targets)?;
    let TargetCheck::Probe(spec) = check else {
        return Err(ValidationError::new(
            "kind",
            "a heartbeat target is checked by its pings; there is nothing to run now",
        )
        .into());
    };
    check_timeout_fits(interval, timeout)?;
    let Some(prober) = app.prober.as_ref() else {
        return Err(AppError::Unavailable(Unavailable::Checks));
    };
    app.limits.check_now(actor.organization.0)?;
    let timeout = std::time::Duration::from_secs(u64::from(timeout.get()));
    Ok(prober.run(&spec, timeout).await)
}

pub async fn update(
    app: &App,
    actor: &Actor,
    id: TargetId,
    mut fields: TargetFields,
) -> AppResult<Target> {
    actor.require_editor()?;
    let sent = crate::audit::field_names(&fields);
    let existing = get(app, actor, id).await?;
    let name = take_string(&mut fields, "name")?
        .map(|value| value.map(|raw| TargetName::parse(&raw)).transpose())
        .transpose()?;
    let floor = app.settings.min_interval_seconds;
    let interval = take_i64(&mut fields, "interval_seconds")?
        .map(|raw| IntervalSeconds::parse(raw, floor))
        .transpose()?;
    let timeout = take_i64(&mut fields, "timeout_seconds")?
        .map(TimeoutSeconds::parse)
        .transpose()?;
    let grace_seconds = grace(take_i64(&mut fields, "grace_seconds")?)?;
    let badge = take_bool(&mut fields, "badge")?;
    let channel_ids = match fields.remove("channel_ids") {
        None => None,
        Some(Value::Null) => Some(Vec::new()),
        Some(raw) => Some(crate::channels::parse_channel_ids(app, actor, raw).await?),
    };
    let placement = crate::labels::Placement::take(app, actor, &mut fields).await?;
    let locations =
        crate::agents::take_location_choice(app, actor, &mut fields, existing.is_heartbeat())
            .await?;
    let check = if fields.is_empty() {
        None
    } else {
        Some(parse_check(
            merged_check(&existing, fields),
            app.settings.allow_private_targets,
        )?)
    };
    let kind = check.as_ref().map_or(existing.kind(), TargetCheck::kind);
    if kind != existing.kind() && (kind.is_heartbeat() || existing.is_heartbeat()) {
        return Err(ValidationError::new(
            "kind",
            "a heartbeat target cannot become another kind, or the reverse",
        )
        .into());
    }
    if !kind.is_heartbeat() {
        check_timeout_fits(
            interval.unwrap_or(IntervalSeconds::stored(existing.interval_seconds.into())?),
            timeout.unwrap_or(TimeoutSeconds::parse(existing.timeout_seconds.into())?),
        )?;
    }
    let patch = TargetPatch {
        name: name.as_ref().map(|n| n.as_ref().map(TargetName::as_str)),
        interval_seconds: interval.map(IntervalSeconds::get),
        timeout_seconds: timeout.map(TimeoutSeconds::get),
        check,
        grace_seconds,
        now: Utc::now(),
    };
    if let Some(ids) = &channel_ids {
        if !app
            .store
            .set_target_channels(actor.organization, id, ids)
            .await?
        {
            return Err(ValidationError::new(
                "channel_ids",
                "a channel was deleted meanwhile; try again",
            )
            .into());
        }
    }
    placement.apply(app, actor, id).await?;
    if let Some(choice) = &locations {
        crate::agents::set_target_locations(app, actor, id, choice).await?;
    }
    let target = app
        .store
        .update_target(actor.organization, id, patch)
        .await?
        .ok_or(AppError::NotFound)?;
    let target = match badge {
        Some(on) => crate::badges::set_enabled(app, actor, target, on).await?,
        None => target,
    };
    crate::audit::record(
        app,
        actor,
        AuditAction::TargetUpdated,
        Some(id.to_string()),
        sent,
    )
    .await;
    Ok(target)
}

/// The channels a target names (none: the organization's default
/// channels serve it).
pub async fn channel_ids_of(
    app: &App,
    actor: &Actor,
    target: &Target,
) -> AppResult<Vec<pharos_domain::ids::ChannelId>> {
    let id = own(actor, target)?;
    Ok(app.store.target_channels(actor.organization, id).await?)
}

/// Every target's channels in the organization, for lists.
pub async fn channel_map(
    app: &App,
    actor: &Actor,
) -> AppResult<std::collections::HashMap<TargetId, Vec<pharos_domain::ids::ChannelId>>> {
    let mut map: std::collections::HashMap<TargetId, Vec<_>> = std::collections::HashMap::new();
    for (target, channel) in app
        .store
        .organization_target_channels(actor.organization)
        .await?
    {
        map.entry(target).or_default().push(channel);
    }
    Ok(map)
}

/// The channels of the given targets only (a page of a list).
pub async fn channel_map_of(
    app: &App,
    actor: &Actor,
    targets: &[TargetId],
) -> AppResult<std::collections::HashMap<TargetId, Vec<pharos_domain::ids::ChannelId>>> {
    let mut map: std::collections::HashMap<TargetId, Vec<_>> = std::collections::HashMap::new();
    for (target, channel) in app
        .store
        .channels_of_targets(actor.organization, targets)
        .await?
    {
        map.entry(target).or_default().push(channel);
    }
    Ok(map)
}

/// The stored check with the submitted check fields laid over it; a new
/// `kind` starts from nothing.
fn merged_check(existing: &Target, changes: TargetFields) -> TargetFields {
    let changes_kind = changes.get("kind").and_then(Value::as_str);
    if changes_kind.is_some_and(|k| k != existing.kind().as_str()) {
        return changes;
    }
    let mut base = check_settings_for_api(&existing.check).unwrap_or_default();
    base.insert(
        "kind".to_owned(),
        Value::String(existing.kind().as_str().to_owned()),
    );
    for (key, value) in changes {
        base.insert(key, value);
    }
    base
}

pub async fn get(app: &App, actor: &Actor, id: TargetId) -> AppResult<Target> {
    app.store
        .target(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)
}

pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<Target>> {
    Ok(app.store.targets(actor.organization).await?)
}

pub async fn delete(app: &App, actor: &Actor, id: TargetId) -> AppResult<()> {
    actor.require_editor()?;
    let target = get(app, actor, id).await?;
    if !app.store.delete_target(actor.organization, id).await? {
        return Err(AppError::NotFound);
    }
    crate::badges::forget(app, &target).await;
    let details = serde_json::json!({ "name": target.name, "kind": target.kind().as_str() });
    crate::audit::record(
        app,
        actor,
        AuditAction::TargetDeleted,
        Some(id.to_string()),
        details,
    )
    .await;
    Ok(())
}

/// Pauses (no checks, state `paused`) or resumes (a check at once).
pub async fn set_paused(app: &App, actor: &Actor, id: TargetId, paused: bool) -> AppResult<Target> {
    actor.require_editor()?;
    let target = app
        .store
        .set_paused(actor.organization, id, paused, Utc::now())
        .await?
        .ok_or(AppError::NotFound)?;
    let action = if paused {
        AuditAction::TargetPaused
    } else {
        AuditAction::TargetResumed
    };
    crate::audit::record(
        app,
        actor,
        action,
        Some(id.to_string()),
        Value::Object(Default::default()),
    )
    .await;
    Ok(target)
}

pub async fn status(app: &App, actor: &Actor) -> AppResult<Vec<(Target, Option<Check>)>> {
    Ok(app
        .store
        .targets_with_latest_check(actor.organization)
        .await?)
}

/// Which targets a list shows, as submitted (`?tag=&group=&state=&q=`).
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub tag: Option<String>,
    pub group: Option<String>,
    pub state: Option<String>,
    pub q: Option<String>,
}

/// The longest search accepted, in characters.
pub const MAX_SEARCH_LEN: usize = 200;

impl ListQuery {
    /// The typed filter; an id or state that does not parse (an empty one
    /// included: leave the parameter out for no filter) is refused by its
    /// field. Ids of other organizations are not refused: they match
    /// nothing, exactly as ids that never existed.
    pub fn filter(&self) -> AppResult<TargetFilter> {
        let id = |field: &'static str, raw: &Option<String>| {
            raw.as_deref()
                .map(|s| {
                    uuid::Uuid::parse_str(s)
                        .map_err(|_| ValidationError::new(field, format!("must be a {field} id")))
                })
                .transpose()
        };
        let state = match self.state.as_deref() {
            None => None,
            Some(raw) => Some(TargetState::parse(raw).ok_or_else(|| {
                let names: Vec<&str> = TargetState::ALL.iter().map(|s| s.as_str()).collect();
                ValidationError::new("state", format!("must be one of {}", names.join(", ")))
            })?),
        };
        let search = self
            .q
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                pharos_domain::validation::reject_control_chars("q", s)?;
                pharos_domain::validation::reject_longer_than("q", s, MAX_SEARCH_LEN)?;
                Ok::<_, ValidationError>(s.to_owned())
            })
            .transpose()?;
        Ok(TargetFilter {
            tag: id("tag", &self.tag)?.map(pharos_domain::ids::TagId),
            group: id("group", &self.group)?.map(pharos_domain::ids::GroupId),
            state,
            search,
        })
    }
}

/// A page of the targets that pass `filter`, in creation order, and the
/// cursor of the next page.
pub async fn list_page(
    app: &App,
    actor: &Actor,
    filter: &TargetFilter,
    after: Option<TargetCursor>,
    limit: u32,
) -> AppResult<(Vec<Target>, Option<TargetCursor>)> {
    let mut page = app
        .store
        .targets_page(actor.organization, filter, after, limit.saturating_add(1))
        .await?;
    let next = next_cursor(&mut page, limit, |t| t);
    Ok((page, next))
}

/// `list_page` with each target's newest check (the status API).
pub async fn status_page(
    app: &App,
    actor: &Actor,
    filter: &TargetFilter,
    after: Option<TargetCursor>,
    limit: u32,
) -> AppResult<(Vec<(Target, Option<Check>)>, Option<TargetCursor>)> {
    let mut page = app
        .store
        .targets_with_latest_check_page(actor.organization, filter, after, limit.saturating_add(1))
        .await?;
    let next = next_cursor(&mut page, limit, |(t, _)| t);
    Ok((page, next))
}

/// Cuts a page read one longer than `limit`; the extra row says a next
/// page exists, which starts after the page's last target.
fn next_cursor<T>(
    page: &mut Vec<T>,
    limit: u32,
    target: impl Fn(&T) -> &Target,
) -> Option<TargetCursor> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if page.len() <= limit {
        return None;
    }
    page.truncate(limit);
    page.last().map(|item| {
        let t = target(item);
        TargetCursor {
            created_at: t.created_at,
            id: t.id,
        }
    })
}

/// A page of checks, newest first, and the cursor of the next (older) page.
pub async fn checks(
    app: &App,
    actor: &Actor,
    id: TargetId,
    before: Option<CheckCursor>,
    limit: u32,
) -> AppResult<(Vec<Check>, Option<CheckCursor>)> {
    // 404 for a target that is not the caller's, even with no checks.
    let target = get(app, actor, id).await?;
    checks_of(app, actor, &target, before, limit).await
}

pub async fn incidents(
    app: &App,
    actor: &Actor,
    id: TargetId,
    limit: u32,
) -> AppResult<Vec<Incident>> {
    let target = get(app, actor, id).await?;
    incidents_of(app, actor, &target, limit).await
}

/// A span of history and the roll-up width that serves it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Window {
    Day,
    ThreeDays,
    Week,
    Month,
    Year,
}

impl Window {
    pub fn parse(raw: &str) -> AppResult<Self> {
        match raw {
            "24h" => Ok(Window::Day),
            "72h" => Ok(Window::ThreeDays),
            "7d" => Ok(Window::Week),
            "30d" => Ok(Window::Month),
            "365d" => Ok(Window::Year),
            _ => {
                Err(ValidationError::new("window", "must be one of 24h, 72h, 7d, 30d, 365d").into())
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Window::Day => "24h",
            Window::ThreeDays => "72h",
            Window::Week => "7d",
            Window::Month => "30d",
            Window::Year => "365d",
        }
    }

    pub fn span(self) -> Duration {
        match self {
            Window::Day => Duration::hours(24),
            Window::ThreeDays => Duration::hours(72),
            Window::Week => Duration::days(7),
            Window::Month => Duration::days(30),
            Window::Year => Duration::days(365),
        }
    }

    /// The roll-up width read for this window.
    pub fn bucket_seconds(self) -> u32 {
        match self {
            Window::Day | Window::ThreeDays => QUARTER_HOUR,
            Window::Week | Window::Month => HOUR,
            Window::Year => DAY,
        }
    }
}

/// The window's buckets, oldest first, every slot present (empty ones with
/// zero checks) so charts have a fixed shape.
pub async fn history(
    app: &App,
    actor: &Actor,
    id: TargetId,
    window: Window,
) -> AppResult<Vec<RollupBucket>> {
    let target = get(app, actor, id).await?;
    history_of(app, actor, &target, window).await
}

/// Uptime over the last 24 h, 7 d, 30 d and 365 d (`None` without checks).
pub async fn uptime(
    app: &App,
    actor: &Actor,
    id: TargetId,
) -> AppResult<[(Window, Option<f64>); 4]> {
    let target = get(app, actor, id).await?;
    uptime_of(app, actor, &target).await
}

// Reads of a target already in hand. A page that shows one target reads
// it once (`get`) and passes it to these, which do not read it again;
// `checks`, `incidents`, `history` and `uptime` above are `get` and one of
// these, for callers that have only an id. Here the proof is
// the target itself: it must belong to `actor.organization` (one that
// `get` returned for this actor does), or it is not found, and every
// query is still scoped by `actor.organization`, so a target of another
// organization could not read that organization's rows even if passed.

/// The target's id, when the target is the actor's organization's.
pub(crate) fn own(actor: &Actor, target: &Target) -> AppResult<TargetId> {
    if target.organization_id == actor.organization {
        Ok(target.id)
    } else {
        Err(AppError::NotFound)
    }
}

/// `checks` of a target already read: a page of checks, newest first, and
/// the cursor of the next (older) page.
pub async fn checks_of(
    app: &App,
    actor: &Actor,
    target: &Target,
    before: Option<CheckCursor>,
    limit: u32,
) -> AppResult<(Vec<Check>, Option<CheckCursor>)> {
    let id = own(actor, target)?;
    let mut page = app
        .store
        .checks(actor.organization, id, before, limit.saturating_add(1))
        .await?;
    let next = if page.len() > limit as usize {
        page.truncate(limit as usize);
        page.last().map(|c| CheckCursor {
            checked_at: c.checked_at,
            id: c.id,
        })
    } else {
        None
    };
    Ok((page, next))
}

/// `incidents` of a target already read.
pub async fn incidents_of(
    app: &App,
    actor: &Actor,
    target: &Target,
    limit: u32,
) -> AppResult<Vec<Incident>> {
    let id = own(actor, target)?;
    Ok(app.store.incidents(actor.organization, id, limit).await?)
}

/// `history` of a target already read: the window's buckets, oldest
/// first, every slot present.
pub async fn history_of(
    app: &App,
    actor: &Actor,
    target: &Target,
    window: Window,
) -> AppResult<Vec<RollupBucket>> {
    let id = own(actor, target)?;
    let width = window.bucket_seconds();
    let now = Utc::now();
    let first = bucket_start(now - window.span(), width) + Duration::seconds(i64::from(width));
    let stored = app
        .store
        .rollups(actor.organization, id, width, first)
        .await?;
    let mut stored = stored.into_iter().peekable();
    let mut buckets = Vec::new();
    let mut start = first;
    while start <= now {
        let rollup = match stored.peek() {
            Some(b) if b.start == start => stored.next().map(|b| b.rollup).unwrap_or_default(),
            _ => Rollup::default(),
        };
        buckets.push(RollupBucket { start, rollup });
        start += Duration::seconds(i64::from(width));
    }
    Ok(buckets)
}

/// `uptime` of a target already read: the last 24 h, 7 d, 30 d and 365 d
/// (`None` without checks).
pub async fn uptime_of(
    app: &App,
    actor: &Actor,
    target: &Target,
) -> AppResult<[(Window, Option<f64>); 4]> {
    let id = own(actor, target)?;
    let now = Utc::now();
    let mut out = [
        (Window::Day, None),
        (Window::Week, None),
        (Window::Month, None),
        (Window::Year, None),
    ];
    for (window, value) in out.iter_mut() {
        let width = window.bucket_seconds();
        let since = now - window.span();
        let buckets = app
            .store
            .rollups(actor.organization, id, width, since)
            .await?;
        let mut total = Rollup::default();
        for bucket in &buckets {
            total.add(&bucket.rollup);
        }
        *value = total.uptime_percent();
    }
    Ok(out)
}
