//! `/settings/tags`: the organization's tags and groups. Everyone sees
//! them; members, admins and owners add, recolour, rename and delete them
//! with plain forms (POST-redirect-GET), so no script is needed.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use pharos_app::labels;
use pharos_domain::ids::{GroupId, TagId};
use pharos_domain::labels::TagColor;
use serde::Deserialize;

use super::{flash, render, see_other, Chrome, FieldErrors, PageError, PageResult, PageUser};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct TagRow {
    pub id: String,
    pub name: String,
    pub color: &'static str,
}

pub struct GroupRow {
    pub id: String,
    pub name: String,
}

pub struct ColorChoice {
    pub value: &'static str,
    pub selected: bool,
}

#[derive(Template)]
#[template(path = "labels.html")]
struct LabelsPage {
    chrome: Chrome,
    tags: Vec<TagRow>,
    groups: Vec<GroupRow>,
    colors: Vec<ColorChoice>,
    can_edit: bool,
    tag_name: String,
    group_name: String,
    /// Errors of the tag form (`tag.name`, `tag.color`) and the group
    /// form (`group.name`).
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TagForm {
    name: String,
    color: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupForm {
    name: String,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    tag: TagForm,
    group: GroupForm,
    errors: FieldErrors,
    message: Option<&'static str>,
) -> Result<LabelsPage, PageError> {
    let (tags, groups) = tokio::try_join!(
        labels::tags(&state.app, current),
        labels::groups(&state.app, current),
    )?;
    let wanted = TagColor::from_name(&tag.color).unwrap_or(TagColor::DEFAULT);
    Ok(LabelsPage {
        chrome: Chrome::new(Some(current), "settings").with_flash(message),
        tags: tags
            .into_iter()
            .map(|t| TagRow {
                id: t.id.0.to_string(),
                name: t.name,
                color: t.color.as_str(),
            })
            .collect(),
        groups: groups
            .into_iter()
            .map(|g| GroupRow {
                id: g.id.0.to_string(),
                name: g.name,
            })
            .collect(),
        colors: TagColor::ALL
            .into_iter()
            .map(|c| ColorChoice {
                value: c.as_str(),
                selected: c == wanted,
            })
            .collect(),
        can_edit: current.role.can_edit_targets(),
        tag_name: tag.name,
        group_name: group.name,
        errors,
    })
}

pub async fn show(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
) -> PageResult {
    let (jar, message) = flash::take(jar);
    let page = page(
        &state,
        &current,
        TagForm::default(),
        GroupForm::default(),
        FieldErrors::default(),
        message,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// A refusal shown on the form it came from: its fields are prefixed
/// (`tag.name`), so the other form's fields stay clean.
fn prefixed(prefix: &str, errors: FieldErrors) -> FieldErrors {
    let mut out = FieldErrors::default();
    for (field, message) in errors.0 {
        if field.is_empty() {
            out.add("", message);
        } else {
            out.add(&format!("{prefix}.{field}"), message);
        }
    }
    out
}

pub async fn create_tag(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<TagForm>,
) -> PageResult {
    match labels::create_tag(&state.app, &current, &form.name, Some(&form.color)).await {
        Ok(_) => Ok((flash::set(jar, "tag_created"), see_other("/settings/tags")).into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let errors = prefixed("tag", errors);
            let page = page(&state, &current, form, GroupForm::default(), errors, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn recolor_tag(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
    Form(form): Form<TagForm>,
) -> PageResult {
    labels::update_tag(&state.app, &current, TagId(id), None, Some(&form.color)).await?;
    Ok((flash::set(jar, "tag_saved"), see_other("/settings/tags")).into_response())
}

pub async fn delete_tag(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    labels::delete_tag(&state.app, &current, TagId(id)).await?;
    Ok((flash::set(jar, "tag_deleted"), see_other("/settings/tags")).into_response())
}

pub async fn create_group(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<GroupForm>,
) -> PageResult {
    match labels::create_group(&state.app, &current, &form.name).await {
        Ok(_) => Ok((
            flash::set(jar, "group_created"),
            see_other("/settings/tags"),
        )
            .into_response()),
        Err(e @ pharos_app::AppError::Forbidden(_)) => Err(PageError(e.into())),
        Err(e) => {
            let (status, errors) = FieldErrors::from_service(e)?;
            let errors = prefixed("group", errors);
            let page = page(&state, &current, TagForm::default(), form, errors, None).await?;
            Ok(render(status, &page))
        }
    }
}

pub async fn delete_group(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    PathId(id): PathId,
    jar: CookieJar,
) -> PageResult {
    labels::delete_group(&state.app, &current, GroupId(id)).await?;
    Ok((
        flash::set(jar, "group_deleted"),
        see_other("/settings/tags"),
    )
        .into_response())
}
