//! SCIM errors (RFC 7644 §3.12): the `Error` message schema with `status` as a string,
//! an optional `scimType` and a `detail`, and the mapping from domain errors.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use serde_json::json;

use super::SCIM_CONTENT_TYPE;
use crate::error::{Error, UserErrorCode};

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A refusal, rendered in the SCIM error schema.
#[derive(Debug)]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<&'static str>,
    pub detail: String,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
}

impl ScimError {
    pub fn new(
        status: StatusCode,
        scim_type: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            status,
            scim_type,
            detail: detail.into(),
            retry_after: None,
        }
    }

    pub fn bad(scim_type: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, format!("{what} not found"))
    }

    pub fn response(&self) -> HttpResponse {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = json!(t);
        }
        let mut res = HttpResponse::build(self.status);
        res.insert_header((header::CONTENT_TYPE, SCIM_CONTENT_TYPE));
        if self.status == StatusCode::UNAUTHORIZED {
            res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.insert_header((header::RETRY_AFTER, v));
        }
        res.body(body.to_string())
    }
}

impl From<Error> for ScimError {
    fn from(e: Error) -> Self {
        match e {
            Error::Unauthenticated(reason) => Self::new(
                StatusCode::UNAUTHORIZED,
                None,
                reason.unwrap_or("a bearer token is required"),
            ),
            Error::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                None,
                "this token may not provision people",
            ),
            Error::NotFound(what) => Self::not_found(what),
            Error::BadUserInput(m) => Self::bad("invalidValue", m),
            Error::Invalid(errors) => {
                let taken = errors.iter().any(|e| e.code == UserErrorCode::Taken);
                let detail = errors
                    .iter()
                    .map(|e| match &e.field {
                        Some(f) => {
                            format!("{}: {}", f.last().map_or("", String::as_str), e.message)
                        }
                        None => e.message.clone(),
                    })
                    .collect::<Vec<_>>()
                    .join("; ");
                if taken {
                    Self::new(StatusCode::CONFLICT, Some("uniqueness"), detail)
                } else {
                    Self::bad("invalidValue", detail)
                }
            }
            Error::RateLimited(wait) => Self {
                retry_after: Some(crate::error::retry_after_secs(wait)),
                ..Self::new(StatusCode::TOO_MANY_REQUESTS, None, "too many requests")
            },
            Error::Timeout => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "the request took too long and was cancelled",
            ),
            e @ Error::Unexpected { .. } => {
                tracing::error!(error = %e.report(), "unexpected error in SCIM");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal error")
            }
        }
    }
}

pub type ScimResult<T> = std::result::Result<T, ScimError>;
