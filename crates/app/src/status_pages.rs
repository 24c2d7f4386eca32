//! Public status pages (issue #12): owners and admins build a page from the
//! organization's targets and post incidents and announcements on it;
//! everyone in the organization reads them. `public_page` is what a
//! visitor sees, built only from what the page names, so a target not on
//! the page is never part of it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, Utc};
use pharos_domain::ids::{PageIncidentId, StatusPageId, TargetId};
use pharos_domain::maintenance::MaintenanceScope;
use pharos_domain::rollup::DAY;
use pharos_domain::status_page::{
    check_sections, shown_name, ComponentState, IncidentStatus, LogoUrl, NewPageIncident,
    OverallState, PageEntry, PageIncidentChange, PageIncidentKind, PageSection, PageTheme,
    PublicMessage, PublicText, StatusPagePlan, StatusPageSlug,
};
use pharos_domain::ValidationError;
use pharos_storage::models::{PageIncident, PageIncidentWrite, StatusPage, StatusPageWrite};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::App;

/// Pages one organization may have.
pub const MAX_PAGES: usize = 100;
/// Days of history a page shows (uptime bars and the incident history).
pub const HISTORY_DAYS: i64 = 90;
const HISTORY_DAYS_USIZE: usize = HISTORY_DAYS as usize;
/// How far ahead a page announces scheduled maintenance.
pub const MAINTENANCE_AHEAD_DAYS: i64 = 7;

const WRITE_REFUSAL: &str = "only owners and admins manage status pages";

/// A section as submitted: a name, targets in order, and optional public
/// names keyed by target id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SectionInput {
    pub name: String,
    pub target_ids: Vec<TargetId>,
    pub public_names: BTreeMap<TargetId, String>,
}

/// A page as submitted; in a change, `None` keeps what is stored
/// (`logo_url: Some(None)` removes the logo).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusPageInput {
    pub title: Option<String>,
    pub slug: Option<String>,
    pub description: Option<String>,
    pub logo_url: Option<Option<String>>,
    pub theme: Option<String>,
    pub show_target_urls: Option<bool>,
    pub auto_draft_incidents: Option<bool>,
    pub sections: Option<Vec<SectionInput>>,
}

/// An incident or announcement as submitted; in a change, `None` keeps
/// what is stored, and a `status` or `message` adds an update.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IncidentInput {
    pub kind: Option<String>,
    pub title: Option<String>,
    pub status: Option<String>,
    pub draft: Option<bool>,
    pub target_ids: Option<Vec<TargetId>>,
    pub message: Option<String>,
}

fn required<T>(value: Option<T>, field: &'static str) -> AppResult<T> {
    value.ok_or_else(|| ValidationError::new(field, "is required").into())
}

/// A refusal on a field whose path is built at run time (`sections[1].name`).
fn invalid(field: String, message: impl std::fmt::Display) -> AppError {
    AppError::InvalidField {
        message: format!("{field}: {message}"),
        field,
    }
}

/// Re-roots a value's refusal under `path` (its own field name is dropped).
fn under(path: String) -> impl FnOnce(ValidationError) -> AppError {
    move |e| invalid(path, e.message)
}

/// The typed sections, each refusal naming its path.
pub fn parse_sections(input: &[SectionInput]) -> AppResult<Vec<PageSection>> {
    let mut sections = Vec::with_capacity(input.len());
    for (s, section) in input.iter().enumerate() {
        let name = PublicText::parse("name", &section.name)
            .map_err(under(format!("sections[{s}].name")))?;
        if let Some(stray) = section
            .public_names
            .keys()
            .find(|id| !section.target_ids.contains(id))
        {
            return Err(invalid(
                format!("sections[{s}].public_names"),
                format!("{stray} is not in this section's target_ids"),
            ));
        }
        let mut entries = Vec::with_capacity(section.target_ids.len());
        for target in &section.target_ids {
            let public_name = match section.public_names.get(target).map(|n| n.trim()) {
                None | Some("") => None,
                Some(raw) => Some(
                    PublicText::parse("public_name", raw)
                        .map_err(under(format!("sections[{s}].public_names.{target}")))?,
                ),
            };
            entries.push(PageEntry {
                target: *target,
                public_name,
            });
        }
        sections.push(PageSection { name, entries });
    }
    check_sections(&sections).map_err(|(field, message)| invalid(field, message))?;
    Ok(sections)
}

/// The stored page back as sections (they were valid when saved).
fn stored_sections(page: &StatusPage) -> AppResult<Vec<PageSection>> {
    let input: Vec<SectionInput> = page
        .sections
        .iter()
        .map(|s| SectionInput {
            name: s.name.clone(),
            target_ids: s.entries.iter().map(|e| e.target_id).collect(),
            public_names: s
                .entries
                .iter()
                .filter_map(|e| Some((e.target_id, e.public_name.clone()?)))
                .collect(),
        })
        .collect();
    parse_sections(&input)
}

fn parse_logo(raw: Option<&str>) -> AppResult<Option<LogoUrl>> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(url) => Ok(Some(LogoUrl::parse("logo_url", url)?)),
    }
}

/// Where a saved page's refusal points.
fn saved_page(write: StatusPageWrite, plan: &StatusPagePlan) -> AppResult<StatusPage> {
    match write {
        StatusPageWrite::Saved(page) => Ok(*page),
        StatusPageWrite::NotFound => Err(AppError::NotFound),
        StatusPageWrite::SlugTaken => Err(invalid(
            "slug".to_owned(),
            "is taken by another status page",
        )),
        StatusPageWrite::UnknownTarget(id) => {
            let path = plan
                .sections
                .iter()
                .enumerate()
                .find_map(|(s, section)| {
                    section
                        .entries
                        .iter()
                        .position(|e| e.target == id)
                        .map(|e| format!("sections[{s}].target_ids[{e}]"))
                })
                .unwrap_or_else(|| "sections".to_owned());
            Err(invalid(
                path,
                format!("{id} is not a target of this organization"),
            ))
        }
    }
}

/// The organization's pages, oldest first.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<StatusPage>> {
    Ok(app.store.status_pages(actor.organization).await?)
}

pub async fn get(app: &App, actor: &Actor, id: StatusPageId) -> AppResult<StatusPage> {
    app.store
        .status_page(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Makes a page: a title and a slug at least.
pub async fn create(app: &App, actor: &Actor, input: StatusPageInput) -> AppResult<StatusPage> {
    actor.require_manager(WRITE_REFUSAL)?;
    let plan = StatusPagePlan {
        title: PublicText::parse("title", required(input.title.as_deref(), "title")?)?,
        slug: StatusPageSlug::parse("slug", required(input.slug.as_deref(), "slug")?)?,
        description: PublicMessage::parse(
            "description",
            input.description.as_deref().unwrap_or(""),
        )?,
        logo_url: parse_logo(input.logo_url.flatten().as_deref())?,
        theme: match input.theme.as_deref() {
            Some(raw) => PageTheme::parse_field("theme", raw)?,
            None => PageTheme::Light,
        },
        show_target_urls: input.show_target_urls.unwrap_or(false),
        auto_draft_incidents: input.auto_draft_incidents.unwrap_or(false),
        sections: parse_sections(input.sections.as_deref().unwrap_or(&[]))?,
    };
    if app.store.status_pages(actor.organization).await?.len() >= MAX_PAGES {
        return Err(AppError::Conflict(
            "an organization may have at most 100 status pages",
        ));
    }
    let write = app
        .store
        .create_status_page(actor.organization, StatusPageId::new(), &plan, Utc::now())
        .await?;
    saved_page(write, &plan)
}

/// Changes a page; what the input leaves out stays.
pub async fn update(
    app: &App,
    actor: &Actor,
    id: StatusPageId,
    input: StatusPageInput,
) -> AppResult<StatusPage> {
    actor.require_manager(WRITE_REFUSAL)?;
    let stored = get(app, actor, id).await?;
    let plan = StatusPagePlan {
        title: PublicText::parse("title", input.title.as_deref().unwrap_or(&stored.title))?,
        slug: StatusPageSlug::parse("slug", input.slug.as_deref().unwrap_or(&stored.slug))?,
        description: PublicMessage::parse(
            "description",
            input.description.as_deref().unwrap_or(&stored.description),
        )?,
        logo_url: match input.logo_url {
            Some(raw) => parse_logo(raw.as_deref())?,
            None => parse_logo(stored.logo_url.as_deref())?,
        },
        theme: match input.theme.as_deref() {
            Some(raw) => PageTheme::parse_field("theme", raw)?,
            None => stored.theme,
        },
        show_target_urls: input.show_target_urls.unwrap_or(stored.show_target_urls),
        auto_draft_incidents: input
            .auto_draft_incidents
            .unwrap_or(stored.auto_draft_incidents),
        sections: match &input.sections {
            Some(sections) => parse_sections(sections)?,
            None => stored_sections(&stored)?,
        },
    };
    let write = app
        .store
        .replace_status_page(actor.organization, id, &plan, Utc::now())
        .await?;
    saved_page(write, &plan)
}

pub async fn delete(app: &App, actor: &Actor, id: StatusPageId) -> AppResult<StatusPage> {
    actor.require_manager(WRITE_REFUSAL)?;
    let page = get(app, actor, id).await?;
    if !app.store.delete_status_page(actor.organization, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(page)
}

fn parse_targets(raw: Option<Vec<TargetId>>) -> Option<Vec<TargetId>> {
    raw.map(|mut ids| {
        let mut seen = std::collections::HashSet::new();
        ids.retain(|id| seen.insert(*id));
        ids
    })
}

fn saved_incident(write: PageIncidentWrite, targets: &[TargetId]) -> AppResult<PageIncident> {
    match write {
        PageIncidentWrite::Saved(incident) => Ok(incident),
        PageIncidentWrite::NotFound => Err(AppError::NotFound),
        PageIncidentWrite::NotOnPage(id) => {
            let at = targets.iter().position(|t| *t == id).unwrap_or(0);
            Err(invalid(
                format!("target_ids[{at}]"),
                format!("{id} is not on this status page"),
            ))
        }
    }
}

/// The page's incidents and announcements of the last 90 days and any
/// still open, drafts included, newest first (the dashboard's list).
pub async fn incidents(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
) -> AppResult<Vec<PageIncident>> {
    get(app, actor, page).await?;
    let since = Utc::now() - Duration::days(HISTORY_DAYS);
    Ok(app
        .store
        .page_incidents(actor.organization, page, since)
        .await?)
}

pub async fn incident(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
    id: PageIncidentId,
) -> AppResult<PageIncident> {
    app.store
        .page_incident(actor.organization, page, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Posts an incident or an announcement on a page.
pub async fn post_incident(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
    input: IncidentInput,
) -> AppResult<PageIncident> {
    actor.require_manager(WRITE_REFUSAL)?;
    let targets = parse_targets(input.target_ids).unwrap_or_default();
    let incident = NewPageIncident {
        kind: match input.kind.as_deref() {
            Some(raw) => PageIncidentKind::parse_field("kind", raw)?,
            None => PageIncidentKind::Incident,
        },
        title: PublicText::parse("title", required(input.title.as_deref(), "title")?)?,
        status: match input.status.as_deref() {
            Some(raw) => IncidentStatus::parse_field("status", raw)?,
            None => IncidentStatus::Investigating,
        },
        draft: input.draft.unwrap_or(false),
        message: match input.message.as_deref() {
            Some(raw) => Some(PublicMessage::parse("message", raw)?).filter(|m| !m.is_empty()),
            None => None,
        },
        targets,
    };
    let write = app
        .store
        .create_page_incident(
            actor.organization,
            page,
            PageIncidentId::new(),
            &incident,
            Utc::now(),
        )
        .await?;
    let saved = saved_incident(write, &incident.targets)?;
    crate::subscribers::queue(app, &saved).await;
    Ok(saved)
}

/// Changes an incident: its title, status (an update on the timeline),
/// draft flag, affected targets, or adds a message to its timeline.
pub async fn change_incident(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
    id: PageIncidentId,
    input: IncidentInput,
) -> AppResult<PageIncident> {
    actor.require_manager(WRITE_REFUSAL)?;
    if input.kind.is_some() {
        return Err(ValidationError::new("kind", "cannot change once posted").into());
    }
    let change = PageIncidentChange {
        title: input
            .title
            .as_deref()
            .map(|raw| PublicText::parse("title", raw))
            .transpose()?,
        status: input
            .status
            .as_deref()
            .map(|raw| IncidentStatus::parse_field("status", raw))
            .transpose()?,
        draft: input.draft,
        targets: parse_targets(input.target_ids),
        message: match input.message.as_deref() {
            Some(raw) => Some(PublicMessage::parse_required("message", raw)?),
            None => None,
        },
    };
    let write = app
        .store
        .change_page_incident(actor.organization, page, id, &change, Utc::now())
        .await?;
    let saved = saved_incident(write, change.targets.as_deref().unwrap_or(&[]))?;
    // Published news (a new update, or a draft made public) reaches the
    // subscribers; a news item already queued is not queued again.
    crate::subscribers::queue(app, &saved).await;
    Ok(saved)
}

pub async fn delete_incident(
    app: &App,
    actor: &Actor,
    page: StatusPageId,
    id: PageIncidentId,
) -> AppResult<()> {
    actor.require_manager(WRITE_REFUSAL)?;
    if !app
        .store
        .delete_page_incident(actor.organization, page, id)
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// One day of a component's uptime bar.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicDay {
    pub date: NaiveDate,
    pub checks: u64,
    pub up: u64,
    /// Titles of the published incidents affecting the component that day.
    pub incidents: Vec<String>,
}

impl PublicDay {
    pub fn uptime_percent(&self) -> Option<f64> {
        pharos_domain::rollup::uptime_percent(self.up, self.checks)
    }
}

/// A target as the page shows it: under its shown name, its address only
/// when the page opts in, never its id.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicComponent {
    /// Stable within the page's layout (`s0c1`), for live refresh.
    pub key: String,
    pub name: String,
    pub url: Option<String>,
    pub state: ComponentState,
    /// Oldest first, [`HISTORY_DAYS`] of them, the last one today (UTC).
    pub days: Vec<PublicDay>,
}

impl PublicComponent {
    pub fn uptime_percent(&self) -> Option<f64> {
        let (up, checks) = self
            .days
            .iter()
            .fold((0, 0), |(u, c), d| (u + d.up, c + d.checks));
        pharos_domain::rollup::uptime_percent(up, checks)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicSection {
    pub name: String,
    pub components: Vec<PublicComponent>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PublicUpdate {
    pub status: IncidentStatus,
    pub message: String,
    pub at: DateTime<Utc>,
}

/// A published incident or announcement; the components it names are
/// those on the page, by their shown names.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicIncident {
    pub id: PageIncidentId,
    pub kind: PageIncidentKind,
    pub title: String,
    pub status: IncidentStatus,
    pub created_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub components: Vec<String>,
    /// Newest first.
    pub updates: Vec<PublicUpdate>,
}

/// A maintenance window that holds targets of the page, now or within
/// [`MAINTENANCE_AHEAD_DAYS`].
#[derive(Debug, Clone, PartialEq)]
pub struct PublicMaintenance {
    pub name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub in_progress: bool,
    pub components: Vec<String>,
}

/// Everything a visitor sees of a page at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicPage {
    pub page: StatusPage,
    pub generated_at: DateTime<Utc>,
    pub overall: OverallState,
    pub sections: Vec<PublicSection>,
    /// Published incidents not resolved yet, newest first.
    pub active_incidents: Vec<PublicIncident>,
    /// Published announcements not resolved yet, newest first.
    pub announcements: Vec<PublicIncident>,
    pub maintenance: Vec<PublicMaintenance>,
    /// Every published post of the last [`HISTORY_DAYS`] days, newest first.
    pub history: Vec<PublicIncident>,
}

/// The page at `slug` as a visitor sees it now, or `None`. Reads the page,
/// its targets, their daily roll-ups, its incidents and the organization's
/// maintenance windows: five reads whatever the page's size.
pub async fn public_page(
    app: &App,
    slug: &str,
    now: DateTime<Utc>,
) -> AppResult<Option<PublicPage>> {
    let Some(page) = app.store.status_page_by_slug(slug).await? else {
        return Ok(None);
    };
    let org = page.organization_id;
    let today = now.date_naive();
    let first_day = today - Duration::days(HISTORY_DAYS - 1);
    let since = first_day.and_time(chrono::NaiveTime::MIN).and_utc();
    let on_page: Vec<TargetId> = page.target_ids().collect();
    let (targets, rollups, incidents, windows) = tokio::try_join!(
        app.store.status_page_targets(org, page.id),
        app.store
            .rollup_counts_of_targets(org, &on_page, DAY, since),
        app.store.page_incidents(org, page.id, since),
        app.store.maintenance_windows(org),
    )?;
    let targets: HashMap<TargetId, _> = targets.into_iter().map(|t| (t.id, t)).collect();

    // Shown names and addresses of the targets on the page, and nothing else.
    let mut names: HashMap<TargetId, String> = HashMap::new();
    for section in &page.sections {
        for entry in &section.entries {
            if let Some(target) = targets.get(&entry.target_id) {
                names.insert(
                    entry.target_id,
                    shown_name(entry.public_name.as_deref(), target.name.as_deref()),
                );
            }
        }
    }

    let published: Vec<PublicIncident> = incidents
        .iter()
        .filter(|i| !i.draft)
        .map(|i| PublicIncident {
            id: i.id,
            kind: i.kind,
            title: i.title.clone(),
            status: i.status,
            created_at: i.created_at,
            resolved_at: i.resolved_at,
            components: i
                .target_ids
                .iter()
                .filter_map(|t| names.get(t).cloned())
                .collect(),
            updates: i
                .updates
                .iter()
                .rev()
                .map(|u| PublicUpdate {
                    status: u.status,
                    message: u.message.clone(),
                    at: u.created_at,
                })
                .collect(),
        })
        .collect();

    // (checks, up) of each day, by target, indexed by days since `first_day`.
    let mut by_day: HashMap<TargetId, Vec<(u64, u64)>> = HashMap::new();
    for (target, bucket) in rollups {
        let day = (bucket.start.date_naive() - first_day).num_days();
        if let Ok(day @ 0..HISTORY_DAYS_USIZE) = usize::try_from(day) {
            by_day
                .entry(target)
                .or_insert_with(|| vec![(0, 0); HISTORY_DAYS_USIZE])[day] =
                (bucket.rollup.checks, bucket.rollup.up);
        }
    }
    let in_maintenance = |target: TargetId| windows.iter().any(|w| w.covers(target, now));

    let mut sections = Vec::with_capacity(page.sections.len());
    let mut states = Vec::new();
    for (s, section) in page.sections.iter().enumerate() {
        let mut components = Vec::with_capacity(section.entries.len());
        for (c, entry) in section.entries.iter().enumerate() {
            let Some(target) = targets.get(&entry.target_id) else {
                continue;
            };
            let state = ComponentState::of(target.shown_state(), in_maintenance(target.id));
            states.push(state);
            let counts = by_day.get(&target.id);
            let days = first_day
                .iter_days()
                .take(HISTORY_DAYS_USIZE)
                .enumerate()
                .map(|(n, date)| {
                    let (checks, up) = counts.and_then(|c| c.get(n)).copied().unwrap_or((0, 0));
                    PublicDay {
                        date,
                        checks,
                        up,
                        incidents: incidents
                            .iter()
                            .filter(|i| {
                                !i.draft
                                    && i.kind == PageIncidentKind::Incident
                                    && i.target_ids.contains(&target.id)
                                    && i.created_at.date_naive() <= date
                                    && i.resolved_at.unwrap_or(now).date_naive() >= date
                            })
                            .map(|i| i.title.clone())
                            .collect(),
                    }
                })
                .collect();
            components.push(PublicComponent {
                key: format!("s{s}c{c}"),
                name: names.get(&target.id).cloned().unwrap_or_default(),
                url: page.show_target_urls.then(|| target.url.clone()),
                state,
                days,
            });
        }
        sections.push(PublicSection {
            name: section.name.clone(),
            components,
        });
    }

    let mut maintenance = Vec::new();
    for window in &windows {
        let Some(occurrence) = window.schedule.current_or_next(now) else {
            continue;
        };
        if occurrence.starts_at > now + Duration::days(MAINTENANCE_AHEAD_DAYS) {
            continue;
        }
        let components: Vec<String> = page
            .target_ids()
            .filter(|t| match &window.scope {
                MaintenanceScope::Organization => true,
                MaintenanceScope::Targets(ids) => ids.contains(t),
            })
            .filter_map(|t| names.get(&t).cloned())
            .collect();
        if components.is_empty() {
            continue;
        }
        maintenance.push(PublicMaintenance {
            name: window.name.clone(),
            starts_at: occurrence.starts_at,
            ends_at: occurrence.ends_at,
            in_progress: occurrence.contains(now),
            components,
        });
    }
    maintenance.sort_by_key(|m| m.starts_at);

    let open = |kind: PageIncidentKind| {
        published
            .iter()
            .filter(|i| i.kind == kind && i.status != IncidentStatus::Resolved)
            .cloned()
            .collect::<Vec<_>>()
    };
    Ok(Some(PublicPage {
        overall: ComponentState::overall(states),
        active_incidents: open(PageIncidentKind::Incident),
        announcements: open(PageIncidentKind::Announcement),
        history: published
            .iter()
            .filter(|i| i.created_at >= since || i.status != IncidentStatus::Resolved)
            .cloned()
            .collect(),
        page,
        generated_at: now,
        sections,
        maintenance,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(e: AppError) -> String {
        match e {
            AppError::Validation(v) => v.field.to_owned(),
            AppError::InvalidField { field, .. } => field,
            other => panic!("not a field error: {other:?}"),
        }
    }

    #[test]
    fn section_refusals_name_their_path() {
        let t = TargetId::new();
        let ok = SectionInput {
            name: "Core".into(),
            target_ids: vec![t],
            public_names: BTreeMap::from([(t, "API".into())]),
        };
        let parsed = parse_sections(std::slice::from_ref(&ok)).expect("valid");
        assert_eq!(
            parsed[0].entries[0]
                .public_name
                .as_ref()
                .map(|n| n.as_str()),
            Some("API")
        );
        let blank = SectionInput {
            name: " ".into(),
            ..ok.clone()
        };
        assert_eq!(
            field(parse_sections(&[ok.clone(), blank]).expect_err("blank")),
            "sections[1].name"
        );
        let stray = SectionInput {
            public_names: BTreeMap::from([(TargetId::new(), "X".into())]),
            ..ok.clone()
        };
        assert_eq!(
            field(parse_sections(&[stray]).expect_err("stray")),
            "sections[0].public_names"
        );
        let long = SectionInput {
            public_names: BTreeMap::from([(t, "x".repeat(201))]),
            ..ok.clone()
        };
        assert_eq!(
            field(parse_sections(&[long]).expect_err("long")),
            format!("sections[0].public_names.{t}")
        );
        assert_eq!(
            field(parse_sections(&[ok.clone(), ok]).expect_err("twice")),
            "sections[1].target_ids[0]"
        );
    }
}
