//! `/api/v1/organization/invitations` (invite, list, resend, revoke) and
//! `/api/v1/invitations/accept`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use pharos_app::invitations::{self, EmailOutcome, SentInvitation};
use pharos_domain::ids::InvitationId;
use pharos_domain::organization::Role;
use pharos_storage::models::Invitation;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::organizations::MyOrganizationView;
use super::responses::{InvitationNotFound, JsonBody, MemberManager, SignedIn};
use crate::auth::CurrentUser;
use crate::error::{ApiResult, ErrorEnvelope};
use crate::extract::{ApiJson, PathId};
use crate::state::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitationRequest {
    /// Who to invite.
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    #[schema(schema_with = super::models::member_role_schema)]
    pub role: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitationRequest {
    /// The `token` of the invitation link.
    pub token: String,
}

/// A pending invitation.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvitationView {
    pub id: Uuid,
    pub email: String,
    #[schema(schema_with = super::models::member_role_schema)]
    pub role: String,
    /// Who invited or last resent it (null once their account is gone).
    pub invited_by: Option<Uuid>,
    /// When it was made or last resent.
    pub created_at: DateTime<Utc>,
    /// When its link stops working (7 days after `created_at`).
    pub expires_at: DateTime<Utc>,
    /// The link no longer works: resend it or revoke it.
    pub expired: bool,
}

impl From<&Invitation> for InvitationView {
    fn from(i: &Invitation) -> Self {
        Self {
            id: i.id.0,
            email: i.email.clone(),
            role: i.role.as_str().to_owned(),
            invited_by: i.invited_by.map(|u| u.0),
            created_at: i.created_at,
            expires_at: i.expires_at,
            expired: invitations::is_expired(i, Utc::now()),
        }
    }
}

/// An invitation just made or resent, and whether its email went out.
#[derive(Debug, Serialize, ToSchema)]
pub struct SentInvitationView {
    pub invitation: InvitationView,
    /// The email was accepted by the SMTP server.
    pub email_sent: bool,
    /// Why it was not: no SMTP server configured, or the server's refusal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_error: Option<String>,
    /// The link to pass on yourself, given only when the email was not sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_url: Option<String>,
}

impl From<&SentInvitation> for SentInvitationView {
    fn from(sent: &SentInvitation) -> Self {
        Self {
            invitation: (&sent.invitation).into(),
            email_sent: sent.email == EmailOutcome::Sent,
            email_error: match &sent.email {
                EmailOutcome::Sent => None,
                EmailOutcome::NotConfigured => {
                    Some("no SMTP server is configured (PHAROS_SMTP_HOST)".to_owned())
                }
                EmailOutcome::Failed(message) => Some(message.clone()),
            },
            accept_url: sent.link_to_share().map(str::to_owned),
        }
    }
}

/// The organization's pending invitations, expired ones included (owners
/// and admins).
#[utoipa::path(get, path = "/api/v1/organization/invitations", tag = "organization", operation_id = "list_invitations",
    responses((status = 200, body = Vec<InvitationView>), SignedIn, MemberManager))]
pub async fn list(
    State(state): State<AppState>,
    current: CurrentUser,
) -> ApiResult<Json<Vec<InvitationView>>> {
    let pending = invitations::list(&state.app, &current).await?;
    Ok(Json(pending.iter().map(Into::into).collect()))
}

/// Invite someone by email with a role (owners and admins; only owners
/// invite owners). The link, valid 7 days, is emailed; without an SMTP
/// server the invitation is still made and `accept_url` carries the link.
#[utoipa::path(post, path = "/api/v1/organization/invitations", tag = "organization", operation_id = "create_invitation",
    request_body = CreateInvitationRequest,
    responses((status = 201, body = SentInvitationView), SignedIn, MemberManager, JsonBody,
              (status = 409, body = ErrorEnvelope, description = "They are a member already, or have a pending invitation.")))]
pub async fn create(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<CreateInvitationRequest>,
) -> ApiResult<(StatusCode, Json<SentInvitationView>)> {
    let role: Role = body.role.parse()?;
    let sent = invitations::create(&state.app, &current, &body.email, role).await?;
    Ok((StatusCode::CREATED, Json((&sent).into())))
}

/// Send a pending invitation again with a new link and 7 more days; the
/// old link stops working.
#[utoipa::path(post, path = "/api/v1/organization/invitations/{id}/resend", tag = "organization", operation_id = "resend_invitation",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 200, body = SentInvitationView), SignedIn, MemberManager, InvitationNotFound))]
pub async fn resend(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<Json<SentInvitationView>> {
    let sent = invitations::resend(&state.app, &current, InvitationId(id)).await?;
    Ok(Json((&sent).into()))
}

/// Revoke a pending invitation: its link stops working.
#[utoipa::path(delete, path = "/api/v1/organization/invitations/{id}", tag = "organization", operation_id = "revoke_invitation",
    params(("id" = uuid::Uuid, Path)),
    responses((status = 204, description = "Revoked."), SignedIn, MemberManager, InvitationNotFound))]
pub async fn revoke(
    State(state): State<AppState>,
    current: CurrentUser,
    PathId(id): PathId,
) -> ApiResult<StatusCode> {
    invitations::revoke(&state.app, &current, InvitationId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join the organization an invitation link names, as the signed-in user
/// (whose email must be the invited one). The session then acts in it.
#[utoipa::path(post, path = "/api/v1/invitations/accept", tag = "organization", operation_id = "accept_invitation",
    request_body = AcceptInvitationRequest,
    responses((status = 200, body = MyOrganizationView, description = "Joined; the organization and the role in it."),
              SignedIn, JsonBody,
              (status = 403, body = ErrorEnvelope, description = "The invitation is for another email address, or a cross-site request carrying the session was refused."),
              (status = 404, body = ErrorEnvelope, description = "No such invitation: never made, revoked, resent (an old link) or used."),
              (status = 409, body = ErrorEnvelope, description = "The caller is a member already."),
              (status = 410, body = ErrorEnvelope, description = "The invitation expired.")))]
pub async fn accept(
    State(state): State<AppState>,
    current: CurrentUser,
    ApiJson(body): ApiJson<AcceptInvitationRequest>,
) -> ApiResult<Json<MyOrganizationView>> {
    let joined = invitations::accept_as(&state.app, &current, &body.token).await?;
    // A session now acts in the organization joined (an API key could not
    // switch, but keys accept nothing: they are not people).
    let current = current.session_hash().is_some();
    Ok(Json(MyOrganizationView::of(&joined, current)))
}
