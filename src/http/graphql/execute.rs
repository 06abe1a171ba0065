//! Running one operation: persisted queries, the limits checked before execution, the
//! cost charged to the caller's budgets, the deadline, and `extensions.cost`.

use std::sync::atomic::Ordering;
use std::time::Instant;

use actix_web::http::StatusCode;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType};
use async_graphql::{ServerError, Value};
use serde_json::json;
use tracing::Instrument;

use super::charge::{budgets, cost_json, settle, too_complex};
use super::request::{MediaType, Refusal, refuse};
use super::{Executed, errors_only};
use crate::auth::RequestContext;
use crate::graphql::ColeadSchema;
use crate::graphql::audit::RequestVariables;
use crate::graphql::compiled;
use crate::graphql::cost::actual_cost;
use crate::http::metrics::Outcome;
use crate::ratelimit::Charge;
use crate::startup::AppState;

/// One operation's answer, before it joins the HTTP response.
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) body: Body,
    pub(super) unauthenticated: bool,
    /// Seconds to wait, when a rate limit refused the operation.
    pub(super) retry_after: Option<u64>,
}

impl Answer {
    fn new(status: StatusCode, body: serde_json::Value) -> Self {
        Self {
            status,
            body: Body::Json(body),
            unauthenticated: false,
            retry_after: None,
        }
    }
}

/// An operation's response body: a refusal built here, what the schema answered
/// (serialized once straight from async-graphql's values, with no detour through
/// `serde_json::Value`, which would copy every string and map of the page), or a
/// compiled plan's JSON.
pub(super) enum Body {
    Json(serde_json::Value),
    Graphql(Box<async_graphql::Response>),
    Raw(Vec<u8>),
}

impl Body {
    /// Appends the body's JSON to `out`.
    pub(super) fn write(&self, out: &mut Vec<u8>) -> serde_json::Result<()> {
        match self {
            Body::Json(v) => serde_json::to_writer(out, v),
            Body::Graphql(r) => serde_json::to_writer(out, r),
            Body::Raw(bytes) => {
                out.extend_from_slice(bytes);
                Ok(())
            }
        }
    }
}

pub(super) fn error(message: &str, code: &str) -> serde_json::Value {
    json!({ "message": message, "extensions": { "code": code } })
}

/// Runs one operation of a request.
pub(super) async fn execute(
    schema: &ColeadSchema,
    state: &AppState,
    mut request: async_graphql::Request,
    is_get: bool,
    ctx: RequestContext,
    media: MediaType,
) -> Result<Answer, Refusal> {
    let started = Instant::now();
    let request_error_status = match media {
        MediaType::GraphQlResponseJson => StatusCode::BAD_REQUEST,
        MediaType::Json => StatusCode::OK,
    };
    let metrics = &state.metrics;
    let operation_name = request.operation_name.clone();
    // Metrics name an operation as its document does; until parsed, it has no name.
    let mut label: Option<String> = None;
    let observe = |label: &Option<String>, outcome: Outcome| {
        metrics.observe(label.as_deref(), outcome, started.elapsed());
    };
    let remember = match state.persisted.resolve(&mut request) {
        Ok(hash) => hash,
        Err(refused) => {
            observe(&label, Outcome::Rejected);
            let body = json!({ "errors": [error(refused.message, refused.code)] });
            return Ok(Answer::new(request_error_status, body));
        }
    };
    if request.query.is_empty() {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "BAD_USER_INPUT",
            "the request has no `query`",
        ));
    }
    // The variables step aside while the parsed document borrows the request.
    let variables = std::mem::take(&mut request.variables);
    let mut kept = state.documents.get(&request.query);
    let restored = kept.is_some();
    let analyze = |doc: &ExecutableDocument| {
        (
            operation_label(doc, operation_name.as_deref()),
            operation_type(doc, operation_name.as_deref()),
            state
                .schema_index
                .analyze(doc, operation_name.as_deref(), &variables),
        )
    };
    let analyzed = if let Some(k) = &kept {
        Ok(analyze(&k.doc))
    } else {
        let text = request.query.clone();
        match request.parsed_query() {
            Ok(doc) => {
                kept = state.documents.keep(&text, doc);
                Ok(analyze(doc))
            }
            Err(err) => Err(err),
        }
    };
    request.variables = variables;
    let analyzed = analyzed.map(|(found, op_type, shape)| {
        label = found;
        (op_type, shape)
    });
    let (op_type, shape) = match analyzed {
        Ok(found) => found,
        Err(err) => {
            observe(&label, Outcome::Rejected);
            return Ok(Answer::new(request_error_status, errors_only(vec![err])));
        }
    };
    if is_get
        && matches!(
            op_type,
            Some(OperationType::Mutation | OperationType::Subscription)
        )
    {
        return Err(refuse(
            StatusCode::METHOD_NOT_ALLOWED,
            "BAD_USER_INPUT",
            "mutations are only accepted over POST",
        ));
    }
    if op_type == Some(OperationType::Subscription) {
        observe(&label, Outcome::Rejected);
        let message = "subscriptions are served over GET /graphql/ws (graphql-transport-ws)";
        let body = json!({ "errors": [error(message, "BAD_USER_INPUT")] });
        return Ok(Answer::new(request_error_status, body));
    }
    let shape = shape.unwrap_or_default();
    if shape.introspection && !state.config.hardening.introspection {
        observe(&label, Outcome::Rejected);
        let body =
            json!({ "errors": [error("introspection is disabled on this server", "FORBIDDEN")] });
        return Ok(Answer::new(request_error_status, body));
    }
    if let Some(body) = too_complex(state, &shape) {
        observe(&label, Outcome::Rejected);
        return Ok(Answer::new(request_error_status, body));
    }
    let buckets = budgets(state, &ctx);
    let throttle = if buckets.is_empty() {
        None
    } else {
        match state.limiter.charge(&buckets, shape.cost).await {
            Charge::Granted(status) => Some(status),
            Charge::Refused {
                status,
                retry_after,
            } => {
                observe(&label, Outcome::RateLimited);
                let secs = crate::error::retry_after_secs(retry_after);
                let mut err = error(
                    &format!("the query cost budget is spent; retry in {secs} s"),
                    "RATE_LIMITED",
                );
                err["extensions"]["retryAfter"] = json!(secs);
                let body = json!({
                    "errors": [err],
                    "extensions": { "cost": cost_json(shape.cost, 0, Some(status)) },
                });
                let mut answer = Answer::new(StatusCode::TOO_MANY_REQUESTS, body);
                answer.retry_after = Some(secs);
                return Ok(answer);
            }
        }
    };
    let query_text = if remember.is_some() {
        request.query.clone()
    } else {
        String::new()
    };
    let deadline = state.config.hardening.request_timeout;
    let timed_out = || {
        json!({
            "errors": [error("the request took too long and was cancelled", "TIMEOUT")],
            "extensions": { "cost": cost_json(shape.cost, shape.cost, throttle) },
        })
    };
    if let Some(plan) = kept
        .as_ref()
        .and_then(|k| k.plan(operation_name.as_deref()))
    {
        let span = tracing::info_span!("graphql.field", parent = "Query", field = "leaders");
        let run = compiled::run(plan, state, &ctx, &request.variables).instrument(span);
        match tokio::time::timeout(deadline, run).await {
            Err(_) => {
                observe(&label, Outcome::Timeout);
                return Ok(Answer::new(StatusCode::GATEWAY_TIMEOUT, timed_out()));
            }
            Ok(Some(answer)) => {
                observe(&label, Outcome::Ok);
                metrics.compiled_answer();
                if let Some(hash) = remember {
                    state.persisted.remember(hash, &request.query);
                }
                let throttle = settle(state, &buckets, shape.cost, answer.objects, throttle).await;
                let mut body = Vec::with_capacity(answer.data.len() + 192);
                body.extend_from_slice(b"{\"data\":");
                body.extend_from_slice(&answer.data);
                body.extend_from_slice(b",\"extensions\":{\"cost\":");
                serde_json::to_writer(&mut body, &cost_json(shape.cost, answer.objects, throttle))
                    .map_err(|_| {
                        refuse(
                            StatusCode::INTERNAL_SERVER_ERROR,
                            "INTERNAL",
                            "writing the answer",
                        )
                    })?;
                body.extend_from_slice(b"}}");
                return Ok(Answer {
                    status: StatusCode::OK,
                    body: Body::Raw(body),
                    unauthenticated: false,
                    retry_after: None,
                });
            }
            // Not covered after all: the general executor answers (and reports errors).
            Ok(None) => {}
        }
    }
    if let (true, Some(k)) = (restored, &kept) {
        request.set_parsed_query(k.doc.clone());
    }
    let executed = Executed::default();
    let mut request = crate::graphql::request_data(request, state, ctx).data(executed.clone());
    if op_type == Some(OperationType::Mutation) {
        let vars = RequestVariables(request.variables.clone());
        request = request.data(vars);
    }
    let Ok(response) = tokio::time::timeout(deadline, schema.execute(request)).await else {
        observe(&label, Outcome::Timeout);
        return Ok(Answer::new(StatusCode::GATEWAY_TIMEOUT, timed_out()));
    };
    if !executed.0.load(Ordering::Acquire) {
        observe(&label, Outcome::Rejected);
        // Refused by validation: nothing ran, so nothing is owed.
        state.limiter.refund(&buckets, shape.cost).await;
        return Ok(Answer::new(
            request_error_status,
            errors_only(response.errors),
        ));
    }
    if let Some(k) = &kept {
        k.accept();
    }
    let unauthenticated = response
        .errors
        .iter()
        .any(|e| code_of(e) == Some("UNAUTHENTICATED"));
    let retry_after = response.errors.iter().find_map(retry_after_of);
    observe(
        &label,
        if response.errors.is_empty() {
            Outcome::Ok
        } else {
            Outcome::Error
        },
    );
    let mut response = response;
    if let Some(hash) = remember {
        state.persisted.remember(hash, &query_text);
    }
    let actual = actual_cost(&response.data, shape.mutation_fields);
    let throttle = settle(state, &buckets, shape.cost, actual, throttle).await;
    if let Ok(cost) = Value::from_json(cost_json(shape.cost, actual, throttle)) {
        response.extensions.insert("cost".to_owned(), cost);
    }
    Ok(Answer {
        status: StatusCode::OK,
        body: Body::Graphql(Box::new(response)),
        unauthenticated,
        retry_after,
    })
}

pub(super) fn code_of(e: &ServerError) -> Option<&str> {
    match e.extensions.as_ref()?.get("code")? {
        Value::String(s) => Some(s.as_str()),
        _ => None,
    }
}

fn retry_after_of(e: &ServerError) -> Option<u64> {
    if code_of(e) != Some("RATE_LIMITED") {
        return None;
    }
    match e.extensions.as_ref()?.get("retryAfter")? {
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

/// The type of the operation that runs: the named one, or the document's only one.
pub(crate) fn operation_type(
    doc: &ExecutableDocument,
    name: Option<&str>,
) -> Option<OperationType> {
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => {
            ops.values().next().map(|op| op.node.ty)
        }
        (DocumentOperations::Multiple(_), None) => None,
    }
}

/// The metrics label of the operation that runs: a name its document defines, cut to
/// 64 name characters; `None` (shown as `anonymous`) otherwise.
fn operation_label(doc: &ExecutableDocument, name: Option<&str>) -> Option<String> {
    let DocumentOperations::Multiple(ops) = &doc.operations else {
        return None;
    };
    let found = match name {
        Some(n) => ops.keys().find(|k| k.as_str() == n),
        None if ops.len() == 1 => ops.keys().next(),
        None => None,
    }?;
    Some(
        found
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect(),
    )
}
