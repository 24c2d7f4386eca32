//! `/settings/members`: the organization's members and their roles, the
//! invite form and the pending invitations; and the header's organization
//! switcher (`/organizations/switch`). Every action goes through the same
//! use cases as the API (`app::members`, `app::invitations`).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Form;
use axum_extra::extract::CookieJar;
use chrono::Utc;
use pharos_app::invitations::{self, EmailOutcome, SentInvitation};
use pharos_app::{members, organization, AppError};
use pharos_domain::ids::{InvitationId, OrganizationId, UserId};
use pharos_domain::organization::Role;
use serde::Deserialize;

use super::{
    flash, render, see_other, Chrome, EnrollingPageUser, FieldErrors, PageError, PageResult,
    PageUser,
};
use crate::auth::CurrentUser;
use crate::extract::PathId;
use crate::state::AppState;

pub struct RoleChoice {
    pub value: &'static str,
    pub selected: bool,
}

pub struct MemberRow {
    pub user_id: String,
    pub email: String,
    pub role: &'static str,
    pub since: String,
    /// The caller may change this member's role and remove them.
    pub manageable: bool,
    /// The roles the caller may give them, theirs selected.
    pub roles: Vec<RoleChoice>,
    /// This row is the caller: they may leave.
    pub is_me: bool,
}

pub struct InvitationRow {
    pub id: String,
    pub email: String,
    pub role: &'static str,
    pub expires: String,
    pub expired: bool,
    /// The caller may resend and revoke it (admins: not an owner's).
    pub manageable: bool,
}

/// A link the inviter has to pass on (the email did not go out).
pub struct SharedLink {
    pub email: String,
    pub link: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "members.html")]
struct MembersPage {
    chrome: Chrome,
    organization: String,
    can_manage: bool,
    members: Vec<MemberRow>,
    invitations: Vec<InvitationRow>,
    /// The invite form's roles, as typed or member by default.
    invite_roles: Vec<RoleChoice>,
    invite_email: String,
    shared: Option<SharedLink>,
    errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RoleForm {
    role: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SwitchForm {
    organization_id: String,
}

/// The roles `current` may give, with `chosen` selected.
fn role_choices(current: &CurrentUser, chosen: &str) -> Vec<RoleChoice> {
    Role::ALL
        .into_iter()
        .filter(|r| current.role.can_manage_role(*r))
        .map(|r| RoleChoice {
            value: r.as_str(),
            selected: r.as_str() == chosen,
        })
        .collect()
}

struct Typed {
    email: String,
    role: String,
}

async fn page(
    state: &AppState,
    current: &CurrentUser,
    errors: FieldErrors,
    flash: Option<&'static str>,
    typed: Option<Typed>,
    shared: Option<SharedLink>,
) -> Result<MembersPage, PageError> {
    let can_manage = current.role.can_manage_organization();
    let members = members::list(&state.app, current)
        .await?
        .into_iter()
        .map(|m| MemberRow {
            user_id: m.user.id.0.to_string(),
            manageable: can_manage && current.role.can_manage_role(m.role),
            roles: role_choices(current, m.role.as_str()),
            is_me: m.user.id == current.user.id,
            email: m.user.email,
            role: m.role.as_str(),
            since: m.joined_at.format("%Y-%m-%d").to_string(),
        })
        .collect();
    let now = Utc::now();
    let invitations = if can_manage {
        invitations::list(&state.app, current)
            .await?
            .into_iter()
            .map(|i| InvitationRow {
                id: i.id.0.to_string(),
                expired: invitations::is_expired(&i, now),
                expires: i.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
                manageable: current.role.can_manage_role(i.role),
                email: i.email,
                role: i.role.as_str(),
            })
            .collect()
    } else {
        Vec::new()
    };
    let typed = typed.unwrap_or(Typed {
        email: String::new(),
        role: Role::Member.as_str().to_owned(),
    });
    let organization = current
        .memberships
        .iter()
        .find(|m| m.organization.id == current.organization)
        .map(|m| m.organization.name.clone())
        .unwrap_or_default();
    Ok(MembersPage {
        chrome: Chrome::new(Some(current), "settings").with_flash(flash),
        organization,
        can_manage,
        members,
        invitations,
        invite_roles: role_choices(current, &typed.role),
        invite_email: typed.email,
        shared,
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
        FieldErrors::default(),
        message,
        None,
        None,
    )
    .await?;
    Ok((jar, render(StatusCode::OK, &page)).into_response())
}

/// After an invitation went out: back to the list; when its email did not,
/// the page shows the link to pass on.
async fn after_sending(
    state: &AppState,
    current: &CurrentUser,
    jar: CookieJar,
    sent: SentInvitation,
) -> PageResult {
    let reason = match &sent.email {
        EmailOutcome::Sent => {
            return Ok((
                flash::set(jar, "invitation_sent"),
                see_other("/settings/members"),
            )
                .into_response())
        }
        EmailOutcome::NotConfigured => {
            "No email server is set up, so no email was sent.".to_owned()
        }
        EmailOutcome::Failed(message) => format!("The email could not be sent: {message}."),
    };
    let shared = SharedLink {
        email: sent.invitation.email.clone(),
        link: sent.link.clone(),
        reason,
    };
    let page = page(
        state,
        current,
        FieldErrors::default(),
        None,
        None,
        Some(shared),
    )
    .await?;
    Ok(render(StatusCode::OK, &page))
}

/// The page again with the errors of a refused form, by the field.
async fn refused(
    state: &AppState,
    current: &CurrentUser,
    e: AppError,
    typed: Option<Typed>,
) -> PageResult {
    let (status, errors) = FieldErrors::from_service(e)?;
    let page = page(state, current, errors, None, typed, None).await?;
    Ok(render(status, &page))
}

pub async fn invite(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    Form(form): Form<InviteForm>,
) -> PageResult {
    let typed = Typed {
        email: form.email.clone(),
        role: form.role.clone(),
    };
    let sent = match form.role.parse::<Role>() {
        Ok(role) => invitations::create(&state.app, &current, &form.email, role).await,
        Err(e) => Err(e.into()),
    };
    match sent {
        Ok(sent) => after_sending(&state, &current, jar, sent).await,
        Err(e) => refused(&state, &current, e, Some(typed)).await,
    }
}

pub async fn change_role(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
    Form(form): Form<RoleForm>,
) -> PageResult {
    let changed = match form.role.parse::<Role>() {
        Ok(role) => members::change_role(&state.app, &current, UserId(id), role)
            .await
            .map(drop),
        Err(e) => Err(e.into()),
    };
    match changed {
        Ok(()) => Ok((
            flash::set(jar, "role_changed"),
            see_other("/settings/members"),
        )
            .into_response()),
        Err(e @ AppError::NotFound) => Err(e.into()),
        Err(e) => refused(&state, &current, e, None).await,
    }
}

pub async fn remove(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    let user = UserId(id);
    match members::remove(&state.app, &current, user).await {
        // Having left, they act in another organization of theirs.
        Ok(()) if user == current.user.id => {
            Ok((flash::set(jar, "left"), see_other("/")).into_response())
        }
        Ok(()) => Ok((
            flash::set(jar, "member_removed"),
            see_other("/settings/members"),
        )
            .into_response()),
        Err(e @ AppError::NotFound) => Err(e.into()),
        Err(e) => refused(&state, &current, e, None).await,
    }
}

pub async fn resend(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    match invitations::resend(&state.app, &current, InvitationId(id)).await {
        Ok(sent) => after_sending(&state, &current, jar, sent).await,
        Err(e @ AppError::NotFound) => Err(e.into()),
        Err(e) => refused(&state, &current, e, None).await,
    }
}

pub async fn revoke(
    State(state): State<AppState>,
    PageUser(current): PageUser,
    jar: CookieJar,
    PathId(id): PathId,
) -> PageResult {
    match invitations::revoke(&state.app, &current, InvitationId(id)).await {
        Ok(()) => Ok((
            flash::set(jar, "invitation_revoked"),
            see_other("/settings/members"),
        )
            .into_response()),
        Err(e @ AppError::NotFound) => Err(e.into()),
        Err(e) => refused(&state, &current, e, None).await,
    }
}

/// The header's switcher: the session acts in the chosen organization
/// from now on; its dashboard is shown.
/// Open to someone held to set up two-factor sign-in: another
/// organization of theirs may not require it.
pub async fn switch(
    State(state): State<AppState>,
    EnrollingPageUser(current): EnrollingPageUser,
    jar: CookieJar,
    Form(form): Form<SwitchForm>,
) -> PageResult {
    let id = uuid::Uuid::parse_str(form.organization_id.trim()).map_err(|_| AppError::NotFound)?;
    organization::switch(&state.app, &current, OrganizationId(id)).await?;
    Ok((flash::set(jar, "switched"), see_other("/")).into_response())
}
