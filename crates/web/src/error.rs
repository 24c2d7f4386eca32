//! The one place errors become HTTP responses. Every 4xx and 5xx carries
//! the same envelope: `{"error": {"code", "message", "field"?}}`.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pharos_app::{AppError, Unavailable};
use pharos_domain::ValidationError;
use pharos_storage::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error as API clients see it.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// The body, query or path is not what this route takes (400, 413,
    /// 415, 422).
    #[error("{message}")]
    BadRequest {
        status: StatusCode,
        code: &'static str,
        message: String,
        field: Option<String>,
    },
    #[error("authentication required")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(&'static str),
    #[error("too many requests, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    Unavailable(Unavailable),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(v) => ApiError::Validation(v),
            AppError::InvalidField { field, message } => ApiError::BadRequest {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid_field",
                message,
                field: Some(field),
            },
            AppError::Unauthenticated => ApiError::Unauthenticated,
            AppError::InvalidCredentials => ApiError::InvalidCredentials,
            AppError::Forbidden(why) => ApiError::Forbidden(why),
            AppError::NotFound => ApiError::NotFound,
            AppError::Conflict(what) => ApiError::Conflict(what),
            AppError::RateLimited { retry_after_secs } => {
                ApiError::RateLimited { retry_after_secs }
            }
            AppError::Unavailable(what) => ApiError::Unavailable(what),
            AppError::Internal(e) => ApiError::Internal(e),
        }
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
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { status, .. } => *status,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Validation(_) => "validation_error",
            ApiError::BadRequest { code, .. } => code,
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(Unavailable::Database) => "unavailable",
            ApiError::Unavailable(Unavailable::Checks) => "checks_unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::Validation(v) => Some(v.field.to_owned()),
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
        if let ApiError::Internal(e) = &self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut response = (self.status(), axum::Json(self.envelope())).into_response();
        // Page routes turn this into an HTML page (see `pages::html_errors`);
        // internal details never reach it.
        let shown = match &self {
            ApiError::Internal(_) => None,
            other => Some(other.to_string()),
        };
        response.extensions_mut().insert(ErrorMessage(shown));
        if let ApiError::RateLimited { retry_after_secs } = self {
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
