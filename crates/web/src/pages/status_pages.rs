//! `/status-pages`: the organization's public status pages. The list and a
//! form to start one; each page's editor (title, slug, theme, settings,
//! sections and which targets show in them, in which order, under which
//! public name; a link to the public page), and its incidents and
//! announcements with their updates. Everyone sees the pages; owners and
//! admins get the forms. Plain forms that post and redirect, so no script
//! is needed. The same use cases as the API (`pharos_app::status_pages`).

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum_extra::extract::CookieJar;
use pharos_app::status_pages::{self, IncidentInput, SectionInput, StatusPageInput};
use pharos_domain::ids::{PageIncidentId, StatusPageId, TargetId};
use pharos_domain::status_page::{IncidentStatus, PageIncidentKind, PageTheme};
use pharos_storage::models::{PageIncident, StatusPage, TargetSummary};

use super::{flash, format, render, see_other, Chrome, FieldErrors, PageResult, PageUser};
use crate::api::status_pages::PathIds;
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

/// Empty section slots the editor offers beyond the page's own.
const SPARE_SECTIONS: usize = 2;

pub struct PageRow {
    pub id: String,
    pub title: String,
    pub slug: String,
    pub targets: usize,
}

#[derive(Template)]
#[template(path = "status_pages.html")]
struct ListPage {
    chrome: Chrome,
    can_edit: bool,
    pages: Vec<PageRow>,
    title: String,
    slug: String,
    errors: FieldErrors,
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// One target of the organization in the editor: where it shows, if at all.
pub struct TargetRow {
    pub id: String,
    pub name: String,
    pub url: String,
    /// 0: not on the page; else the section's slot, from 1.
    pub section: usize,
    pub order: String,
    pub public_name: String,
}

/// The editor's fields as typed (kept when the form is refused).
#[derive(Debug, Clone, Default)]
pub struct PageForm {
    pub title: String,
    pub slug: String,
    pub description: String,
    pub logo_url: String,
    pub theme: String,
    pub show_target_urls: bool,
    pub auto_draft_incidents: bool,
    pub section_names: Vec<String>,
    /// By target id: (section slot, order, public name).
    pub placements: HashMap<String, (usize, String, String)>,
}

impl PageForm {
    fn of(page: &StatusPage) -> Self {
        let mut placements = HashMap::new();
        for (s, section) in page.sections.iter().enumerate() {
            for (e, entry) in section.entries.iter().enumerate() {
                placements.insert(
                    entry.target_id.0.to_string(),
                    (
                        s + 1,
                        (e + 1).to_string(),
                        entry.public_name.clone().unwrap_or_default(),
                    ),
                );
            }
        }
        Self {
            title: page.title.clone(),
            slug: page.slug.clone(),
            description: page.description.clone(),
            logo_url: page.logo_url.clone().unwrap_or_default(),
            theme: page.theme.as_str().to_owned(),
            show_target_urls: page.show_target_urls,
            auto_draft_incidents: page.auto_draft_incidents,
            section_names: page.sections.iter().map(|s| s.name.clone()).collect(),
            placements,
        }
    }

    /// The form's pairs: `section_name` once per slot (in order), and per
    /// target `section.<id>`, `order.<id>`, `public_name.<id>`.
    fn parse(body: &[u8]) -> Self {
        let mut form = Self::default();
        let mut placements: BTreeMap<String, (usize, String, String)> = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            let value = value.into_owned();
            match &*key {
                "title" => form.title = value,
                "slug" => form.slug = value,
                "description" => form.description = value,
                "logo_url" => form.logo_url = value,
                "theme" => form.theme = value,
                "show_target_urls" => form.show_target_urls = true,
                "auto_draft_incidents" => form.auto_draft_incidents = true,
                "section_name" => form.section_names.push(value),
                other => {
                    if let Some(id) = other.strip_prefix("section.") {
                        placements.entry(id.to_owned()).or_default().0 = value.parse().unwrap_or(0);
                    } else if let Some(id) = other.strip_prefix("order.") {
                        placements.entry(id.to_owned()).or_default().1 = value;
                    } else if let Some(id) = other.strip_prefix("public_name.") {
                        placements.entry(id.to_owned()).or_default().2 = value;
                    }
                }
            }
        }
        form.placements = placements.into_iter().collect();
        form
    }

    /// The use case's input, and for each of its sections the form slot
    /// it came from (to show refusals by the right field). An unnamed,
    /// empty slot is no section.
    fn input(&self) -> Result<(StatusPageInput, Vec<usize>), FieldErrors> {
        let mut errors = FieldErrors::default();
        let mut by_slot: BTreeMap<usize, Vec<(i64, TargetId, String)>> = BTreeMap::new();
        for (id, (slot, order, public_name)) in &self.placements {
            if *slot == 0 {
                continue;
            }
            let Ok(target) = uuid::Uuid::parse_str(id) else {
                continue;
            };
            if *slot > self.section_names.len() {
                errors.add(&format!("section.{id}"), "choose one of the sections");
                continue;
            }
            let order = match order.trim() {
                "" => i64::MAX,
                raw => match raw.parse::<i64>() {
                    Ok(n) => n,
                    Err(_) => {
                        errors.add(&format!("order.{id}"), "must be a whole number");
                        continue;
                    }
                },
            };
            by_slot
                .entry(*slot)
                .or_default()
                .push((order, TargetId(target), public_name.clone()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut sections = Vec::new();
        let mut slots = Vec::new();
        for (index, name) in self.section_names.iter().enumerate() {
            let slot = index + 1;
            let mut entries = by_slot.remove(&slot).unwrap_or_default();
            if name.trim().is_empty() && entries.is_empty() {
                continue;
            }
            entries.sort_by_key(|(order, _, _)| *order);
            sections.push(SectionInput {
                name: name.clone(),
                target_ids: entries.iter().map(|(_, t, _)| *t).collect(),
                public_names: entries
                    .iter()
                    .filter(|(_, _, n)| !n.trim().is_empty())
                    .map(|(_, t, n)| (*t, n.clone()))
                    .collect(),
            });
            slots.push(slot);
        }
        Ok((
            StatusPageInput {
                title: Some(self.title.clone()),
                slug: Some(self.slug.clone()),
                description: Some(self.description.clone()),
                logo_url: Some(Some(self.logo_url.clone())),
                theme: Some(self.theme.clone()),
                show_target_urls: Some(self.show_target_urls),
                auto_draft_incidents: Some(self.auto_draft_incidents),
                sections: Some(sections),
            },
            slots,
        ))
    }
}

/// A use case's refusal, by the editor's field: `sections[i].name` is its
/// slot's name, a section's target or public name is that target's row.
fn editor_field(field: &str, slots: &[usize], input: &StatusPageInput) -> String {
    let Some(rest) = field.strip_prefix("sections[") else {
        return field.to_owned();
    };
    let Some((index, rest)) = rest.split_once(']') else {
        return String::new();
    };
    let Ok(index) = index.parse::<usize>() else {
        return String::new();
    };
    let slot = slots.get(index).copied().unwrap_or(0);
    if rest == ".name" {
        return format!("section_name_{slot}");
    }
    let section = input.sections.as_ref().and_then(|s| s.get(index));
    if let Some(position) = rest
        .strip_prefix(".target_ids[")
        .and_then(|r| r.strip_suffix(']'))
        .and_then(|p| p.parse::<usize>().ok())
    {
        if let Some(target) = section.and_then(|s| s.target_ids.get(position)) {
            return format!("section.{target}");
        }
    }
    if let Some(target) = rest.strip_prefix(".public_names.") {
        return format!("public_name.{target}");
    }
    String::new()
}

pub struct UpdateRow {
    pub status: &'static str,
    pub message: String,
    pub at: String,
}

pub struct IncidentRow {
    pub id: String,
    pub title: String,
    pub kind: &'static str,
    pub status: &'static str,
    pub status_value: &'static str,
    pub draft: bool,
    pub automatic: bool,
    pub created: String,
    pub affects: String,
    pub updates: Vec<UpdateRow>,
}

#[derive(Template)]
#[template(path = "status_page_edit.html")]
struct EditPage {
    chrome: Chrome,
    can_edit: bool,
    id: String,
    public_path: String,
    form: PageForm,
    themes: Vec<Choice>,
    /// Slot numbers and names, from 1.
    sections: Vec<(usize, String)>,
    targets: Vec<TargetRow>,
    errors: FieldErrors,
    incidents: Vec<IncidentRow>,
    statuses: Vec<Choice>,
    kinds: Vec<Choice>,
    /// Targets on the page, for an incident's affected targets.
    on_page: Vec<Choice>,
    incident_errors: FieldErrors,
}

fn label_of(t: &TargetSummary) -> String {
    t.name.clone().unwrap_or_else(|| t.url.clone())
}

fn incident_rows(
    incidents: &[PageIncident],
    names: &HashMap<TargetId, String>,
) -> Vec<IncidentRow> {
    incidents
        .iter()
        .map(|i| IncidentRow {
            id: i.id.0.to_string(),
            title: i.title.clone(),
            kind: match i.kind {
                PageIncidentKind::Incident => "Incident",
                PageIncidentKind::Announcement => "Announcement",
            },
            status: i.status.label(),
            status_value: i.status.as_str(),
            draft: i.draft,
            automatic: i.source_incident_id.is_some(),
            created: format::full(i.created_at),
            affects: i
                .target_ids
                .iter()
                .filter_map(|t| names.get(t).cloned())
                .collect::<Vec<_>>()
                .join(", "),
            updates: i
                .updates
                .iter()
                .rev()
                .map(|u| UpdateRow {
                    status: u.status.label(),
                    message: u.message.clone(),
                    at: format::full(u.created_at),
                })
                .collect(),
        })
        .collect()
}

async fn editor(
    state: &AppState,
    current: &CurrentUser,
    id: StatusPageId,
    form: Option<PageForm>,
    errors: FieldErrors,
    incident_errors: FieldErrors,
    message: Option<&'static str>,
) -> Result<EditPage, super::PageError> {
    let page = status_pages::get(&state.app, current, id).await?;
    let summaries = pharos_app::dashboard::summaries(&state.app, current).await?;
    let incidents = status_pages::incidents(&state.app, current, id).await?;
    let names: HashMap<TargetId, String> = summaries.iter().map(|t| (t.id, label_of(t))).collect();
    let form = form.unwrap_or_else(|| PageForm::of(&page));
    let slots = form.section_names.len().max(page.sections.len()) + SPARE_SECTIONS;
    let sections = (1..=slots)
        .map(|slot| {
            (
                slot,
                form.section_names
                    .get(slot - 1)
                    .cloned()
                    .unwrap_or_default(),
            )
        })
        .collect();
    let mut targets: Vec<TargetRow> = summaries
        .iter()
        .map(|t| {
            let id = t.id.0.to_string();
            let (section, order, public_name) =
                form.placements.get(&id).cloned().unwrap_or_default();
            TargetRow {
                name: label_of(t),
                url: t.url.clone(),
                section,
                order,
                public_name,
                id,
            }
        })
        .collect();
    // On the page first, in its order; then the rest by name.
    targets.sort_by(|a, b| {
        let key = |t: &TargetRow| {
            (
                t.section == 0,
                t.section,
                t.order.parse::<i64>().unwrap_or(i64::MAX),
                t.name.to_lowercase(),
            )
        };
        key(a).cmp(&key(b))
    });
    let on_page = page
        .target_ids()
        .map(|t| Choice {
            value: t.0.to_string(),
            label: names.get(&t).cloned().unwrap_or_default(),
            selected: false,
        })
        .collect();
    Ok(EditPage {
        chrome: Chrome::new(Some(current), "status_pages").with_flash(message),
        can_edit: current.role.can_manage_organization(),
        id: page.id.0.to_string(),
        public_path: format!("/status/{}", page.slug),
        themes: PageTheme::ALL
            .iter()
            .map(|t| Choice {
                value: t.as_str().to_owned(),
                label: match t {
                    PageTheme::Light => "Light".to_owned(),
                    PageTheme::Dark => "Dark".to_owned(),
                },
                selected: form.theme == t.as_str(),
            })
            .collect(),
        form,
        sections,
        targets,
        errors,
        incidents: incident_rows(&incidents, &names),
        statuses: IncidentStatus::ALL
            .iter()
            .map(|s| Choice {
                value: s.as_str().to_owned(),
                label: s.label().to_owned(),
                selected: *s == IncidentStatus::Investigating,
            })
            .collect(),
        kinds: vec![
            Choice {
                value: PageIncidentKind::Incident.as_str().to_owned(),
                label: "Incident".to_owned(),
                selected: true,
            },
            Choice {
                value: PageIncidentKind::Announcement.as_str().to_owned(),
                label: "Announcement".to_owned(),
                selected: false,
            },
        ],
        on_page,
        incident_errors,
    })
}

async fn list_page(
    state: &AppState,
    current: &CurrentUser,
    title: String,
    slug: String,
    errors: FieldErrors,
    message: Option<&'static str>,
) -> Result<ListPage, super::PageError> {
    let pages = status_pages::list(&state.app, current).await?;
    Ok(ListPage {
        chrome: Chrome::new(Some(current), "status_pages").with_flash(message),
        can_edit: current.role.can_manage_organization(),
        pages: pages
            .iter()
            .map(|p| PageRow {
                id: p.id.0.to_string(),
                title: p.title.clone(),
                slug: p.slug.clone(),
                targets: p.target_ids().count(),
            })
            .collect(),
        title,
        slug,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = list_page(
        &state,
        &current,
        String::new(),
        String::new(),
        FieldErrors::default(),
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// Starts a page from a title and a slug; the editor does the rest.
pub async fn create(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let (mut title, mut slug) = (String::new(), String::new());
    for (key, value) in form_urlencoded::parse(&body) {
        match &*key {
            "title" => title = value.into_owned(),
            "slug" => slug = value.into_owned(),
            _ => {}
        }
    }
    let input = StatusPageInput {
        title: Some(title.clone()),
        slug: Some(slug.clone()),
        ..StatusPageInput::default()
    };
    match status_pages::create(&state.app, &current, input).await {
        Ok(page) => {
            state.public.invalidate().await;
            Ok((
                flash::set(jar, "status_page_saved"),
                see_other(&format!("/status-pages/{}", page.id.0)),
            )
                .into_response())
        }
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(super::PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let page = list_page(&state, &current, title, slug, errors, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = editor(
        &state,
        &current,
        StatusPageId(id),
        None,
        FieldErrors::default(),
        FieldErrors::default(),
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

pub async fn update(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let id = StatusPageId(id);
    let form = PageForm::parse(&body);
    let refused = |errors: FieldErrors, status: StatusCode, form: PageForm| {
        let (state, current) = (&state, &current);
        async move {
            let page = editor(
                state,
                current,
                id,
                Some(form),
                errors,
                FieldErrors::default(),
                None,
            )
            .await?;
            Ok::<_, super::PageError>(render(status, &page))
        }
    };
    let (input, slots) = match form.input() {
        Ok(parsed) => parsed,
        Err(errors) => return refused(errors, StatusCode::UNPROCESSABLE_ENTITY, form).await,
    };
    match status_pages::update(&state.app, &current, id, input.clone()).await {
        Ok(_) => {
            state.public.invalidate().await;
            Ok((
                flash::set(jar, "status_page_saved"),
                see_other(&format!("/status-pages/{}", id.0)),
            )
                .into_response())
        }
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(super::PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let mut mapped = FieldErrors::default();
            for (field, message) in errors.iter() {
                mapped.add(&editor_field(field, &slots, &input), message);
            }
            refused(mapped, status, form).await
        }
    }
}

pub async fn delete(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    status_pages::delete(&state.app, &current, StatusPageId(id)).await?;
    state.public.invalidate().await;
    Ok((
        flash::set(jar, "status_page_deleted"),
        see_other("/status-pages"),
    )
        .into_response())
}

/// An incident form's pairs (several `target_ids` may come).
fn incident_input(body: &[u8]) -> IncidentInput {
    let mut input = IncidentInput::default();
    let mut targets = Vec::new();
    for (key, value) in form_urlencoded::parse(body) {
        let value = value.into_owned();
        match &*key {
            "kind" => input.kind = Some(value),
            "title" => input.title = Some(value),
            "status" => input.status = Some(value),
            "draft" => input.draft = Some(true),
            "publish" => input.draft = Some(false),
            "message" if !value.trim().is_empty() => input.message = Some(value),
            "target_ids" => {
                if let Ok(id) = uuid::Uuid::parse_str(&value) {
                    targets.push(TargetId(id));
                }
            }
            _ => {}
        }
    }
    input.target_ids = Some(targets);
    input
}

async fn incident_refused(
    state: &AppState,
    current: &CurrentUser,
    page: StatusPageId,
    e: pharos_app::AppError,
) -> PageResult {
    if let e @ pharos_app::AppError::Forbidden(_) = e {
        return Err(super::PageError(e.into()));
    }
    let (status, errors) = FieldErrors::from_service(e)?;
    let page = editor(
        state,
        current,
        page,
        None,
        FieldErrors::default(),
        errors,
        None,
    )
    .await?;
    Ok(render(status, &page))
}

pub async fn post_incident(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let page = StatusPageId(id);
    let mut input = incident_input(&body);
    input.draft = input.draft.or(Some(false));
    match status_pages::post_incident(&state.app, &current, page, input).await {
        Ok(_) => {
            state.public.invalidate().await;
            Ok((
                flash::set(jar, "incident_posted"),
                see_other(&format!("/status-pages/{}#incidents", page.0)),
            )
                .into_response())
        }
        Err(e) => incident_refused(&state, &current, page, e).await,
    }
}

/// A status change or a message on an incident's timeline, publishing a
/// draft, or all at once.
pub async fn update_incident(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathIds(page, id): PathIds,
    jar: CookieJar,
    body: Bytes,
) -> PageResult {
    let page = StatusPageId(page);
    let mut input = incident_input(&body);
    // The update form carries no targets: they stay as they are.
    input.target_ids = None;
    let stored = status_pages::incident(&state.app, &current, page, PageIncidentId(id)).await?;
    // The same status again with no message and no publishing is no update.
    if input.status.as_deref() == Some(stored.status.as_str()) && input.message.is_none() {
        input.status = None;
    }
    match status_pages::change_incident(&state.app, &current, page, PageIncidentId(id), input).await
    {
        Ok(_) => {
            state.public.invalidate().await;
            Ok((
                flash::set(jar, "incident_updated"),
                see_other(&format!("/status-pages/{}#incidents", page.0)),
            )
                .into_response())
        }
        Err(e) => incident_refused(&state, &current, page, e).await,
    }
}

pub async fn delete_incident(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathIds(page, id): PathIds,
    jar: CookieJar,
) -> PageResult {
    status_pages::delete_incident(&state.app, &current, StatusPageId(page), PageIncidentId(id))
        .await?;
    state.public.invalidate().await;
    Ok((
        flash::set(jar, "incident_deleted"),
        see_other(&format!("/status-pages/{page}#incidents")),
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_editor_form_becomes_ordered_sections() {
        let (a, b, c) = (TargetId::new(), TargetId::new(), TargetId::new());
        let body = format!(
            "title=T&slug=s&theme=light&section_name=Core&section_name=&section_name=Edge\
             &section.{a}=1&order.{a}=2&public_name.{a}=API\
             &section.{b}=1&order.{b}=1&public_name.{b}=\
             &section.{c}=0&order.{c}=&public_name.{c}=Hidden"
        );
        let form = PageForm::parse(body.as_bytes());
        let (input, slots) = form.input().expect("valid");
        let sections = input.sections.expect("sections");
        // The empty middle slot is no section; Edge is named, so it stays.
        assert_eq!(slots, [1, 3]);
        assert_eq!(sections[0].target_ids, [b, a]);
        assert_eq!(
            sections[0].public_names.get(&a).map(String::as_str),
            Some("API")
        );
        assert!(sections[1].target_ids.is_empty());
        assert_eq!(
            editor_field(
                "sections[1].name",
                &slots,
                &StatusPageInput {
                    sections: Some(sections.clone()),
                    ..Default::default()
                }
            ),
            "section_name_3"
        );
        assert_eq!(
            editor_field(
                "sections[0].target_ids[1]",
                &slots,
                &StatusPageInput {
                    sections: Some(sections),
                    ..Default::default()
                }
            ),
            format!("section.{a}")
        );
    }
}
