//! The one place errors become HTTP responses. Every 4xx and 5xx carries
//! the same envelope: `{"error": {"code", "message", "field"?}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pharos_app::{AppError, Unavailable};
use pharos_domain::ValidationError;
use pharos_storage::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error as API clients see it: a use case's refusal, or input the
/// web layer itself could not read.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    App(#[from] AppError),
    /// The body, query or path is not what this route takes (400, 413,
    /// 415, 422).
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: &'static str,
        message: String,
        field: Option<String>,
    },
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::App(e.into())
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::App(e.into())
    }
}

/// The error envelope of every 4xx and 5xx answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorEnvelope {
    pub error: ErrorBody,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// A stable machine-readable code, such as `validation_error`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// The input that was wrong, when one was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An unexpected failure: logged, answered as a bare 500.
    pub fn internal(e: anyhow::Error) -> Self {
        ApiError::App(AppError::Internal(e))
    }

    pub fn status(&self) -> StatusCode {
        let app = match self {
            ApiError::BadRequest { status, .. } => return *status,
            ApiError::App(app) => app,
        };
        match app {
            AppError::Validation(_) | AppError::InvalidField { .. } => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            AppError::Unauthenticated
            | AppError::InvalidCredentials
            | AppError::SecondFactorRequired { .. }
            | AppError::InvalidSecondFactor => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::TwoFactorSetupRequired => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Gone(_) => StatusCode::GONE,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        let app = match self {
            ApiError::BadRequest { code, .. } => return code,
            ApiError::App(app) => app,
        };
        match app {
            AppError::Validation(_) => "validation_error",
            AppError::InvalidField { .. } => "invalid_field",
            AppError::Unauthenticated => "unauthenticated",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::SecondFactorRequired { .. } => "second_factor_required",
            AppError::InvalidSecondFactor => "invalid_second_factor",
            AppError::Forbidden(_) => "forbidden",
            AppError::TwoFactorSetupRequired => "two_factor_setup_required",
            AppError::NotFound => "not_found",
            AppError::Conflict(_) => "conflict",
            AppError::Gone(_) => "gone",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::Unavailable(Unavailable::Database) => "unavailable",
            AppError::Unavailable(Unavailable::Checks) => "checks_unavailable",
            AppError::Unavailable(Unavailable::Notifications) => "notifications_unavailable",
            AppError::Internal(_) => "internal_error",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::App(AppError::Validation(v)) => Some(v.field.to_owned()),
            ApiError::App(AppError::InvalidField { field, .. }) => Some(field.clone()),
            ApiError::BadRequest { field, .. } => field.clone(),
            _ => None,
        }
    }

    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            error: ErrorBody {
                code: self.code().to_owned(),
                message: self.to_string(),
                field: self.field(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::App(AppError::Internal(e)) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut response = (self.status(), axum::Json(self.envelope())).into_response();
        // Page routes turn this into an HTML page (see `pages::html_errors`);
        // internal details never reach it.
        let shown = match &self {
            ApiError::App(AppError::Internal(_)) => None,
            other => Some(other.to_string()),
        };
        response.extensions_mut().insert(ErrorMessage(shown));
        if let ApiError::App(AppError::RateLimited { retry_after_secs }) = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs.max(1)),
            );
        }
        response
    }
}

/// The message of an error response, for people; `None` for internal
/// errors, whose details stay in the log.
#[derive(Debug, Clone)]
pub struct ErrorMessage(pub Option<String>);

pub type ApiResult<T> = Result<T, ApiError>;
