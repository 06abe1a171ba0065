//! SCIM 2.0 provisioning (RFC 7643/7644) at `/scim/v2`: `Users` are Leaders and `Groups`
//! are Teams, changed through the same domain functions as the GraphQL mutations.
//! Bearer tokens are verified as for GraphQL; INTEGRATION and ADMIN tokens may provision.

mod discovery;
mod error;
mod filter;
mod groups;
mod patch;
mod path;
mod query;
mod users;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use entity::enums::Role;
use serde_json::Value;

use crate::auth::{self, RequestContext};
use crate::domain::audit;
use crate::ratelimit::{Bucket, Charge};
use crate::startup::AppState;
use crate::telemetry::RequestId;
pub use error::{ScimError, ScimResult};
pub use query::Query;

pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 256 * 1024;
/// Most resources in one page (`count` above it is lowered).
pub const MAX_RESULTS: u64 = 200;
/// Points of the caller's request budget one SCIM request costs.
const REQUEST_COST: u64 = 10;
/// Roles that may provision (DOMAIN.md: INTEGRATION is the HRIS feed; ADMIN may all).
const PROVISIONERS: &[Role] = &[Role::Integration, Role::Admin];

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/scim/v2")
            .configure(users::routes)
            .configure(groups::routes)
            .configure(discovery::routes)
            .route(
                "/.search",
                web::post().to(|| async {
                    let detail =
                        "search one resource type at a time: /Users/.search, /Groups/.search";
                    ScimError::new(StatusCode::NOT_IMPLEMENTED, None, detail).response()
                }),
            )
            .default_service(web::to(|| async {
                ScimError::new(StatusCode::NOT_FOUND, None, "no such SCIM endpoint").response()
            })),
    );
}

/// Registers, after a path's own routes, a 405 for every other method.
fn other_methods(cfg: &mut web::ServiceConfig, paths: &[&str]) {
    for path in paths {
        cfg.route(
            path,
            web::route().to(|| async {
                ScimError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    None,
                    "this endpoint does not allow this method",
                )
                .response()
            }),
        );
    }
}

/// What a handler knows about an authorized request.
pub struct Scim {
    pub ctx: RequestContext,
    /// `https://host/scim/v2`, for `meta.location`.
    pub base: String,
}

impl Scim {
    pub fn location(&self, kind: &str, id: impl std::fmt::Display) -> String {
        format!("{}/{kind}/{id}", self.base)
    }
}

/// Verifies the bearer token, the role and the request budget.
pub async fn authorize(req: &HttpRequest, state: &AppState) -> ScimResult<Scim> {
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
    let ctx = auth::authenticate(state, req, request_id)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "authentication checks are unavailable");
            ScimError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                "authentication is unavailable",
            )
        })?;
    let principal = ctx.require(PROVISIONERS)?;
    if let Some(rates) = state.config.hardening.cost_budgets {
        let buckets = [
            Bucket {
                key: format!("cost:principal:{}", principal.id),
                rate: rates.principal,
            },
            Bucket {
                key: format!("cost:org:{}", principal.organization_id),
                rate: rates.organization,
            },
        ];
        if let Charge::Refused { retry_after, .. } =
            state.limiter.charge(&buckets, REQUEST_COST).await
        {
            return Err(crate::error::Error::RateLimited(retry_after).into());
        }
    }
    let info = req.connection_info();
    let base = format!("{}://{}/scim/v2", info.scheme(), info.host());
    Ok(Scim { ctx, base })
}

/// The JSON body of a request sent as `application/scim+json` or `application/json`,
/// read up to [`BODY_LIMIT`].
pub async fn json_body(req: &HttpRequest, mut payload: web::Payload) -> ScimResult<Value> {
    use futures_util::StreamExt;
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let media = ct
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != SCIM_CONTENT_TYPE && media != "application/json" {
        return Err(ScimError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send application/scim+json or application/json",
        ));
    }
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| {
            ScimError::bad("invalidSyntax", format!("could not read the body: {e}"))
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the body is larger than {BODY_LIMIT} bytes"),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ScimError::bad("invalidSyntax", format!("the body is not JSON: {e}")))?;
    if !v.is_object() {
        return Err(ScimError::bad(
            "invalidSyntax",
            "the body must be a JSON object",
        ));
    }
    Ok(v)
}

/// A SCIM JSON answer.
pub fn respond(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, SCIM_CONTENT_TYPE))
        .body(body.to_string())
}

/// Appends an audit event as the GraphQL mutation of the same name would.
pub async fn audit_event(
    state: &AppState,
    scim: &Scim,
    action: &str,
    target: (&'static str, uuid::Uuid),
) {
    let entry = audit::Entry {
        action,
        target: Some(target),
    };
    if let Err(e) = audit::record(&state.db, &scim.ctx, None, entry).await {
        tracing::error!(error = %e.report(), action, "the audit event was not written");
    }
}

/// Turns a handler's result into the response.
pub fn answer(result: ScimResult<HttpResponse>) -> HttpResponse {
    result.unwrap_or_else(|e| e.response())
}
