//! Invitations: owners and admins invite people by email with a role. An
//! invitation is a single-use link, `<public URL>/invitations/accept?
//! token=<token>`, valid for 7 days; only the token's keyed hash is
//! stored (`tokens`). It can be listed, resent (a new token and expiry:
//! the old link dies) and revoked. The email goes through the instance's
//! SMTP mailer; without one the invitation is still made, and the link is
//! handed to the inviter to pass on.
//!
//! Accepting needs an account with the invited address: a signed-in
//! person joins; someone new signs up through the invitation (and gets no
//! organization of their own).

use chrono::{DateTime, Duration, Utc};
use pharos_domain::audit::AuditAction;
use pharos_domain::ids::{InvitationId, UserId};
use pharos_domain::organization::Role;
use pharos_domain::user::{Email, Password};
use pharos_notify::delivery::EmailMessage;
use pharos_storage::models::{
    Acceptance, Invitation, Invitee, Membership, NewInvitation, Organization, User,
};

use crate::actor::Actor;
use crate::error::{AppError, AppResult};
use crate::passwords as password;
use crate::sessions::{self, SignInFrom, StartedSession};
use crate::tokens::new_token;
use crate::App;

/// How long a link works.
pub const LIFETIME: Duration = Duration::days(7);

/// Tokens longer than this are not ours; refused before any hashing.
const MAX_TOKEN_LEN: usize = 128;

const MANAGERS_ONLY: &str = "only owners and admins invite people";
const OWNERS_ONLY: &str = "only owners invite, resend or revoke invitations of owners";

/// What became of the invitation's email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailOutcome {
    Sent,
    /// No SMTP server is configured (`PHAROS_SMTP_HOST`).
    NotConfigured,
    /// The SMTP server refused or could not be reached.
    Failed(String),
}

/// An invitation just made or resent, with its link (given to the inviter
/// only when the email did not go out).
#[derive(Debug, Clone)]
pub struct SentInvitation {
    pub invitation: Invitation,
    pub link: String,
    pub email: EmailOutcome,
}

impl SentInvitation {
    /// The link, when the inviter has to pass it on themselves.
    pub fn link_to_share(&self) -> Option<&str> {
        (self.email != EmailOutcome::Sent).then_some(self.link.as_str())
    }
}

/// Whether a pending invitation's link still works.
pub fn is_expired(invitation: &Invitation, now: DateTime<Utc>) -> bool {
    invitation.expires_at <= now
}

/// The accept link for `token`, on the public URL (never a request's Host).
pub fn link(app: &App, token: &str) -> String {
    format!(
        "{}/invitations/accept?token={token}",
        app.settings.public_url.trim_end_matches('/')
    )
}

/// Invites `email` with `role`; owners and admins (admins cannot invite
/// owners). Someone already a member, or an email already invited, is a
/// conflict.
pub async fn create(
    app: &App,
    actor: &Actor,
    email: &str,
    role: Role,
) -> AppResult<SentInvitation> {
    actor.require_manager(MANAGERS_ONLY)?;
    if !actor.role.can_manage_role(role) {
        return Err(AppError::Forbidden(OWNERS_ONLY));
    }
    crate::account_links::require_verified(app, actor)?;
    let email = Email::parse(email)?;
    let members = app.store.members(actor.organization).await?;
    if members.iter().any(|m| m.user.email == email.as_str()) {
        return Err(AppError::Conflict(
            "this person is a member of the organization already",
        ));
    }
    let token = new_token(32);
    let now = Utc::now();
    let invitation = app
        .store
        .create_invitation(
            actor.organization,
            NewInvitation {
                id: InvitationId::new(),
                email: email.as_str(),
                role,
                token_hash: &app.tokens.hash(&token),
                invited_by: actor.user.id,
                created_at: now,
                expires_at: now + LIFETIME,
            },
        )
        .await?;
    invitation_audit(app, actor, AuditAction::InvitationCreated, &invitation).await;
    Ok(send(app, actor, invitation, &token).await)
}

async fn invitation_audit(app: &App, actor: &Actor, action: AuditAction, invitation: &Invitation) {
    let details = serde_json::json!({ "role": invitation.role.as_str() });
    crate::audit::record(app, actor, action, Some(invitation.email.clone()), details).await;
}

/// The organization's pending invitations (expired ones too), oldest
/// first; owners and admins.
pub async fn list(app: &App, actor: &Actor) -> AppResult<Vec<Invitation>> {
    actor.require_manager("only owners and admins see invitations")?;
    Ok(app.store.pending_invitations(actor.organization).await?)
}

/// A new token and 7 more days for a pending invitation, mailed again;
/// the old link stops working.
pub async fn resend(app: &App, actor: &Actor, id: InvitationId) -> AppResult<SentInvitation> {
    let invitation = managed(app, actor, id).await?;
    let token = new_token(32);
    let now = Utc::now();
    let renewed = app
        .store
        .renew_invitation(
            actor.organization,
            invitation.id,
            &app.tokens.hash(&token),
            actor.user.id,
            now,
            now + LIFETIME,
        )
        .await?
        .ok_or(AppError::NotFound)?;
    invitation_audit(app, actor, AuditAction::InvitationResent, &renewed).await;
    Ok(send(app, actor, renewed, &token).await)
}

/// Revokes a pending invitation: its link stops working.
pub async fn revoke(app: &App, actor: &Actor, id: InvitationId) -> AppResult<()> {
    let invitation = managed(app, actor, id).await?;
    if !app
        .store
        .delete_invitation(actor.organization, invitation.id)
        .await?
    {
        return Err(AppError::NotFound);
    }
    invitation_audit(app, actor, AuditAction::InvitationRevoked, &invitation).await;
    Ok(())
}

/// A pending invitation of the actor's organization that they may manage.
async fn managed(app: &App, actor: &Actor, id: InvitationId) -> AppResult<Invitation> {
    actor.require_manager(MANAGERS_ONLY)?;
    let invitation = app
        .store
        .pending_invitation(actor.organization, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !actor.role.can_manage_role(invitation.role) {
        return Err(AppError::Forbidden(OWNERS_ONLY));
    }
    Ok(invitation)
}

/// Mails the invitation; a failure is told, never fatal (the invitation
/// stands and its link can be passed on).
async fn send(app: &App, actor: &Actor, invitation: Invitation, token: &str) -> SentInvitation {
    let link = link(app, token);
    let organization = actor
        .memberships
        .iter()
        .find(|m| m.organization.id == actor.organization)
        .map(|m| m.organization.name.clone())
        .unwrap_or_default();
    let email = match app.transport.as_deref().and_then(|t| t.mailer()) {
        None => EmailOutcome::NotConfigured,
        Some(mailer) => {
            let message = message(&invitation, &organization, &actor.user.email, &link);
            match mailer.send(&message).await {
                Ok(_) => EmailOutcome::Sent,
                Err(e) => {
                    tracing::warn!(error = %e.message(), "an invitation email was not sent");
                    EmailOutcome::Failed(e.message().to_owned())
                }
            }
        }
    };
    SentInvitation {
        invitation,
        link,
        email,
    }
}

/// The invitation email, in text and HTML.
fn message(invitation: &Invitation, organization: &str, inviter: &str, link: &str) -> EmailMessage {
    let role = invitation.role.as_str();
    let expires = invitation.expires_at.format("%Y-%m-%d %H:%M UTC");
    let text = format!(
        "{inviter} invited you to join {organization} on Pharos as {article} {role}.\n\n\
         Accept the invitation:\n{link}\n\n\
         The link works once and expires on {expires}. If you did not expect this \
         invitation, ignore this email.\n",
        article = article(role),
    );
    let html = format!(
        "<p>{inviter} invited you to join <strong>{organization}</strong> on Pharos as {article} {role}.</p>\n\
         <p><a href=\"{link}\">Accept the invitation</a></p>\n\
         <p>The link works once and expires on {expires}. If you did not expect this \
         invitation, ignore this email.</p>\n",
        inviter = escape(inviter),
        organization = escape(organization),
        article = article(role),
        link = escape(link),
    );
    EmailMessage {
        to: vec![invitation.email.clone()],
        subject: format!("Join {organization} on Pharos"),
        text,
        html,
        headers: Vec::new(),
    }
}

fn article(role: &str) -> &'static str {
    if role.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Text for HTML content and attribute values.
fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// An invitation a link names, while it can still be accepted.
#[derive(Debug, Clone)]
pub struct OpenInvitation {
    pub invitation: Invitation,
    pub organization: Organization,
}

/// What a link's token stands for: not found when it never existed, was
/// revoked, resent (an old link) or used; expired when its 7 days are over.
pub async fn open(app: &App, token: &str) -> AppResult<OpenInvitation> {
    let token = token.trim();
    if token.is_empty() || token.len() > MAX_TOKEN_LEN {
        return Err(AppError::NotFound);
    }
    let (invitation, organization) = app
        .store
        .invitation_by_token(&app.tokens.hash(token))
        .await?
        .ok_or(AppError::NotFound)?;
    if invitation.accepted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if is_expired(&invitation, Utc::now()) {
        return Err(AppError::Gone(
            "this invitation has expired: ask for a new one",
        ));
    }
    Ok(OpenInvitation {
        invitation,
        organization,
    })
}

/// The signed-in `user` joins through the link; the session (when there
/// is one) then acts in the organization joined.
pub async fn accept(
    app: &App,
    user: &User,
    session: Option<&[u8]>,
    token: &str,
) -> AppResult<Membership> {
    let open = open(app, token).await?;
    if open.invitation.email != user.email {
        return Err(AppError::Forbidden(
            "this invitation is for another email address: sign in with that one",
        ));
    }
    settle(
        app,
        &open,
        Invitee::Existing(user.id),
        session.map(<[u8]>::to_vec),
    )
    .await
}

/// The signed-in actor joins through the link (the API's accept).
pub async fn accept_as(app: &App, actor: &Actor, token: &str) -> AppResult<Membership> {
    accept(app, &actor.user, actor.session_hash(), token).await
}

/// Someone new signs up through the link, with the invited address and a
/// password of their own, and is signed in: their session acts in the
/// organization. Rate limited like registration.
pub async fn sign_up(
    app: &App,
    client: &SignInFrom,
    token: &str,
    new_password: &str,
) -> AppResult<(User, Membership, StartedSession)> {
    let open = open(app, token).await?;
    let new_password = Password::parse("password", new_password)?;
    app.limits.registration(&client.address.to_string())?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let id = UserId::new();
    let invitee = Invitee::New {
        id,
        email: &open.invitation.email,
        password_hash: &hash,
    };
    let membership = settle(app, &open, invitee, None).await?;
    let user = app.store.user(id).await?.ok_or(AppError::NotFound)?;
    let started = sessions::start(app, &user, client).await?;
    app.store
        .set_session_organization(&app.tokens.hash(&started.token), membership.organization.id)
        .await?;
    Ok((user, membership, started))
}

async fn settle(
    app: &App,
    open: &OpenInvitation,
    invitee: Invitee<'_>,
    session: Option<Vec<u8>>,
) -> AppResult<Membership> {
    match app
        .store
        .accept_invitation(open.invitation.id, invitee, Utc::now())
        .await?
    {
        Acceptance::Joined => {}
        Acceptance::NoLongerValid => return Err(AppError::NotFound),
        Acceptance::AlreadyMember => {
            return Err(AppError::Conflict(
                "you are a member of this organization already",
            ))
        }
    }
    let org = open.organization.id;
    crate::audit::record_by(
        app,
        org,
        None,
        AuditAction::InvitationAccepted,
        Some(open.invitation.email.clone()),
        serde_json::json!({ "role": open.invitation.role.as_str() }),
    )
    .await;
    if let Some(session) = session {
        app.store.set_session_organization(&session, org).await?;
    }
    Ok(Membership {
        organization: open.organization.clone(),
        role: open.invitation.role,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_email_names_the_link_and_escapes_what_people_typed() {
        let now = Utc::now();
        let invitation = Invitation {
            id: InvitationId::new(),
            organization_id: pharos_domain::ids::OrganizationId::new(),
            email: "new@example.com".to_owned(),
            role: Role::Admin,
            invited_by: None,
            created_at: now,
            expires_at: now + LIFETIME,
            accepted_at: None,
        };
        let link = "https://pharos.example.com/invitations/accept?token=abc";
        let mail = message(&invitation, "<Ops> & Co", "owner@example.com", link);
        assert_eq!(mail.to, ["new@example.com"]);
        assert_eq!(mail.subject, "Join <Ops> & Co on Pharos");
        assert!(mail.text.contains(link), "{}", mail.text);
        assert!(mail.text.contains("as an admin"), "{}", mail.text);
        assert!(mail.html.contains("&lt;Ops&gt; &amp; Co"), "{}", mail.html);
        assert!(!mail.html.contains("<Ops>"), "{}", mail.html);
        assert!(
            mail.html.contains(&format!("<a href=\"{link}\">")),
            "{}",
            mail.html
        );
    }
}
