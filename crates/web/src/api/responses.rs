//! The error answers routes share, as the OpenAPI document lists them:
//! each status with the error envelope, described once and named by what
//! causes it, so a route lists `JsonBody` instead of four copied tuples.
//!
//! `#[utoipa::path(responses((status = 200, body = X), JsonBody, SignedIn))]`

use std::collections::BTreeMap;

use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Ref, Type};
use utoipa::openapi::{ContentBuilder, RefOr, Response, ResponseBuilder};

/// An answer carrying the error envelope (`crate::error::ErrorEnvelope`).
pub(crate) fn envelope(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorEnvelope")))
            .build(),
    )
}

macro_rules! error_responses {
    ($($(#[$doc:meta])* $name:ident { $($status:literal => $description:expr),+ $(,)? })+) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    BTreeMap::from([$((
                        $status.to_string(),
                        envelope($description).build().into(),
                    )),+])
                }
            }
        )+
    };
}

error_responses! {
    /// A route that reads a JSON body (`ApiJson`).
    JsonBody {
        400 => "The body is not valid JSON.",
        413 => "The body is larger than the 64 KiB limit.",
        415 => "The body is not sent as JSON (`Content-Type: application/json`).",
        422 => "The JSON is not what this route takes, or a value breaks a rule; \
                `field` names the input at fault.",
    }
    /// A route with query parameters (`ApiQuery`) the handler also bounds.
    Query {
        400 => "The query string does not parse: an unknown parameter, or a value \
                of the wrong type.",
        422 => "A parameter is outside what this route takes; `field` names it.",
    }
    /// A route that needs a signed-in session or an API key.
    SignedIn {
        401 => SIGNED_IN_401,
    }
    /// A route for a person's own session (sign out, change password).
    SessionOnly {
        401 => SESSION_ONLY_401,
        403 => "The request came with an API key: this route needs a signed-in \
                session; or a cross-site request carrying the session was refused.",
    }
    /// A route that changes the organization's targets.
    Editor {
        403 => "The caller is a viewer, or a cross-site request carrying the \
                session was refused.",
    }
    /// An unsafe method answered without a session check of its own: the
    /// cross-site refusal still applies when a session cookie comes along.
    CrossSite {
        403 => "A cross-site request carrying the session was refused.",
    }
    /// A heartbeat ping.
    HeartbeatNotFound {
        404 => "No heartbeat has this token.",
    }
    /// A success or failure ping that lost every retry of its
    /// compare-and-set to concurrent pings.
    HeartbeatConflict {
        409 => "The target changed too often while recording; try again.",
    }
    /// A route that manages the organization's channels or defaults.
    Manager {
        403 => "The caller is a member or viewer (owners and admins only), or a \
                cross-site request carrying the session was refused.",
    }
    /// A route only owners may use.
    Owner {
        403 => "The caller is not an owner, or a cross-site request carrying the \
                session was refused.",
    }
    /// A route that manages members or invitations.
    MemberManager {
        403 => "The caller may not do this: members and viewers manage no one, \
                admins no owner (owners only); or a cross-site request carrying \
                the session was refused.",
    }
    /// A route under `/organization/members/{user_id}`.
    MemberNotFound {
        404 => "No such member of the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/organization/invitations/{id}`.
    InvitationNotFound {
        404 => "No such pending invitation in the caller's organization (an id \
                that is not a UUID included).",
    }
    /// A route under `/channels/{id}`.
    ChannelNotFound {
        404 => "No such channel in the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/auth/sessions/{id}`.
    SessionNotFound {
        404 => "The caller has no such session (another user's session included, \
                which is left alone; an id that is not a UUID included).",
    }
    /// A route under `/api-keys/{id}`.
    ApiKeyNotFound {
        404 => "No such API key in the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/agents/{id}`.
    AgentNotFound {
        404 => "No such agent in the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/agents/pending/{uuid}`.
    PendingAgentNotFound {
        404 => "No pending agent of the caller's organization has this UUID (a \
                value that is not a UUID included).",
    }
    /// A route under `/maintenance/{id}`.
    MaintenanceNotFound {
        404 => "No such maintenance window in the caller's organization (an id that \
                is not a UUID included).",
    }
    /// A route under `/tags/{id}`.
    TagNotFound {
        404 => "No such tag in the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/groups/{id}`.
    GroupNotFound {
        404 => "No such group in the caller's organization (an id that is not a \
                UUID included).",
    }
    /// A route under `/status-pages/{id}`.
    StatusPageNotFound {
        404 => "No such status page in the caller's organization (an id that is not \
                a UUID included).",
    }
    /// A route under `/status-pages/{id}/incidents/{incident_id}`.
    PageIncidentNotFound {
        404 => "No such status page in the caller's organization, or no such \
                incident on it (an id that is not a UUID included).",
    }
    /// A route under `/status-pages/{id}/subscribers/{subscriber_id}`.
    PageSubscriberNotFound {
        404 => "No such status page in the caller's organization, or no such \
                subscriber on it (an id that is not a UUID included).",
    }
    /// A public status page route.
    PublicPageNotFound {
        404 => "No status page has this slug.",
    }
    /// A route under `/targets/{id}`.
    TargetNotFound {
        404 => "No such target in the caller's organization (an id that is not a \
                UUID included).",
    }
}

/// The 401 of routes that take a session or an API key (the document's
/// security requirements are read from it, `openapi::Security`).
pub const SIGNED_IN_401: &str = "No valid session or API key: sign in first, or send \
    `Authorization: Bearer phk_...`. A wrong, revoked or expired key gets this same answer.";

/// The 401 of routes that take a session only.
pub const SESSION_ONLY_401: &str = "No valid session, or a wrong, revoked or expired API key.";

/// 429, with the seconds to wait in `Retry-After`.
pub struct RateLimited;

impl utoipa::IntoResponses for RateLimited {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let seconds = HeaderBuilder::new()
            .schema(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1)),
            )
            .description(Some("Seconds until the next attempt is allowed."))
            .build();
        let response = envelope("Too many attempts; retry after `Retry-After` seconds.")
            .header("Retry-After", seconds)
            .build();
        BTreeMap::from([("429".to_owned(), response.into())])
    }
}
