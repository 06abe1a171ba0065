//! GraphQL over HTTP as the graphql-over-http spec says: `Accept` negotiation, 4xx
//! without `data` for requests that cannot be parsed or validated (when the client
//! accepts `application/graphql-response+json`), 405 for a mutation over GET, 413 above
//! the body limit, and UTF-8 JSON always.

mod charge;
mod documents;
mod execute;
mod persisted;
mod request;

pub use documents::DocumentCache;
pub use persisted::PersistedStore;

pub use request::{MediaType, negotiate};

pub(crate) use execute::operation_type;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use async_graphql::ServerError;
use serde_json::json;

use crate::auth;
use crate::graphql::ColeadSchema;
use crate::startup::{AppState, SharedSchema};
use crate::telemetry::RequestId;
use execute::{Body, code_of};
use request::{Refusal, check_content_type, parse_body, parse_get, read_body, refuse};

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Most operations accepted in one batched (JSON array) request.
pub const BATCH_LIMIT: usize = 10;

/// Set in a request's data once parsing and validation passed and execution began.
#[derive(Clone, Default)]
pub(crate) struct Executed(pub(crate) Arc<AtomicBool>);

fn error_body(message: &str, code: &str) -> serde_json::Value {
    json!({ "errors": [execute::error(message, code)] })
}

fn respond(media: MediaType, status: StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, media.content_type()))
        .body(serde_json::to_vec(body).unwrap_or_default())
}

/// A response of one body, or of a batch's bodies as a JSON array.
fn respond_bodies<'a>(
    media: MediaType,
    status: StatusCode,
    bodies: impl Iterator<Item = &'a Body>,
    batch: bool,
) -> HttpResponse {
    let mut out = Vec::new();
    if batch {
        out.push(b'[');
    }
    for (i, body) in bodies.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if let Err(e) = body.write(&mut out) {
            tracing::error!(error = %e, "a response could not be serialized");
            return respond(
                media,
                StatusCode::INTERNAL_SERVER_ERROR,
                &error_body("the response could not be written", "INTERNAL"),
            );
        }
    }
    if batch {
        out.push(b']');
    }
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, media.content_type()))
        .body(out)
}

fn refusal_response(media: MediaType, r: Refusal) -> HttpResponse {
    let mut res = respond(media, r.status, &error_body(&r.message, r.code));
    if r.status == StatusCode::METHOD_NOT_ALLOWED {
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("POST"));
    }
    if r.status == StatusCode::UNAUTHORIZED {
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    res
}

/// `GET /graphql` and `POST /graphql`.
pub async fn handle(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    schema: SharedSchema,
) -> HttpResponse {
    let accept = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok());
    if req.method() == Method::GET
        && state.config.graphiql
        && req.query_string().is_empty()
        && accept.is_some_and(|a| a.contains("text/html"))
    {
        return super::graphiql_page();
    }
    let Some(media) = negotiate(accept) else {
        return refusal_response(
            MediaType::Json,
            refuse(
                StatusCode::NOT_ACCEPTABLE,
                "BAD_USER_INPUT",
                "accepts only application/graphql-response+json or application/json",
            ),
        );
    };
    match serve(&req, payload, &state, &schema, media).await {
        Ok(res) => res,
        Err(r) => refusal_response(media, r),
    }
}

async fn serve(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    schema: &ColeadSchema,
    media: MediaType,
) -> Result<HttpResponse, Refusal> {
    let is_get = req.method() == Method::GET;
    let (requests, batch) = if is_get {
        (vec![parse_get(req.query_string())?], false)
    } else {
        check_content_type(req)?;
        let body = read_body(payload).await?;
        if body.is_empty() {
            return Err(refuse(
                StatusCode::BAD_REQUEST,
                "BAD_USER_INPUT",
                "the request body is empty",
            ));
        }
        parse_body(&body)?
    };
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
    let ctx = auth::authenticate(state, req, request_id.clone())
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "authentication checks are unavailable");
            refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "INTERNAL",
                "authentication is unavailable; try again shortly",
            )
        })?;
    let mut results = Vec::with_capacity(requests.len());
    for request in requests {
        results.push(execute::execute(schema, state, request, is_get, ctx.clone(), media).await?);
    }
    let unauthenticated = results.iter().any(|r| r.unauthenticated);
    let retry_after = results.iter().find_map(|r| r.retry_after);
    for r in &mut results {
        mask_internal_errors(&mut r.body, &request_id);
    }
    let mut res = if batch {
        respond_bodies(media, StatusCode::OK, results.iter().map(|r| &r.body), true)
    } else {
        let r = results
            .pop()
            .ok_or_else(|| refuse(StatusCode::BAD_REQUEST, "BAD_USER_INPUT", "no operation"))?;
        respond_bodies(media, r.status, std::iter::once(&r.body), false)
    };
    // A batch answers 200 with each operation's own errors: some may have committed.
    if let (Some(secs), false) = (retry_after, batch) {
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    } else if unauthenticated && !batch {
        *res.status_mut() = StatusCode::UNAUTHORIZED;
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    }
    Ok(res)
}

pub(super) fn errors_only(mut errors: Vec<ServerError>) -> serde_json::Value {
    for e in &mut errors {
        if code_of(e).is_none() {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
        }
    }
    json!({ "errors": errors })
}

/// Internal errors show clients only the request id; their detail went to the log.
/// Errors without a code are the library's own input errors: they get `BAD_USER_INPUT`.
fn mask_internal_errors(body: &mut Body, id: &RequestId) {
    match body {
        Body::Graphql(response) => {
            for error in &mut response.errors {
                match code_of(error) {
                    Some("INTERNAL") => {
                        error.message = format!("internal error (request id {id})");
                        error
                            .extensions
                            .get_or_insert_with(Default::default)
                            .set("requestId", id.0.as_str());
                    }
                    Some(_) => {}
                    None => error
                        .extensions
                        .get_or_insert_with(Default::default)
                        .set("code", "BAD_USER_INPUT"),
                }
            }
        }
        // A compiled answer carries no errors.
        Body::Raw(_) => {}
        Body::Json(json) => {
            let Some(errors) = json.get_mut("errors").and_then(|e| e.as_array_mut()) else {
                return;
            };
            for error in errors {
                let code = error.pointer("/extensions/code").and_then(|c| c.as_str());
                match code {
                    Some("INTERNAL") => {
                        error["message"] = json!(format!("internal error (request id {id})"));
                        error["extensions"]["requestId"] = json!(id.0);
                    }
                    Some(_) => {}
                    None => error["extensions"]["code"] = json!("BAD_USER_INPUT"),
                }
            }
        }
    }
}
