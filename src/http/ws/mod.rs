//! `GET /graphql/ws`: GraphQL subscriptions over the `graphql-transport-ws` protocol.
//!
//! The client's first message must be `connection_init` within [`INIT_TIMEOUT`] (else
//! the socket closes with 4408), carrying its JWT as `{"authorization": "Bearer <jwt>"}`
//! or `{"token": "<jwt>"}`. The token is verified as an HTTP request's would be; a
//! missing or refused token closes the socket with 4403 Forbidden, a `subscribe` before
//! `connection_init` with 4401. Then async-graphql speaks the rest of the protocol, and
//! [`executor`] runs subscriptions (only) with the connection's principal.

mod executor;

use std::future::ready;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use actix_ws::{AggregatedMessage, AggregatedMessageStream, CloseCode, CloseReason, Session};
use async_graphql::http::{WebSocket, WebSocketProtocols, WsMessage};
use futures_util::StreamExt;
use serde_json::json;

use crate::auth::jwt::PrincipalType;
use crate::auth::{self, AuthError, RequestContext};
use crate::graphql::ColeadSchema;
use crate::startup::AppState;
use crate::telemetry::RequestId;
use executor::WsExecutor;

/// The only sub-protocol served.
pub const PROTOCOL: &str = "graphql-transport-ws";
/// How long a client may take to send `connection_init` (graphql-ws's default too).
pub const INIT_TIMEOUT: Duration = Duration::from_secs(3);
/// The largest message a client may send.
const MAX_MESSAGE: usize = 64 * 1024;

/// The schema `/graphql/ws` runs, with its own limits (see `graphql::build_ws_schema`).
pub struct WsSchema(pub ColeadSchema);

/// Why the socket closes before the protocol starts: a close code and its reason.
type Refusal = (u16, &'static str);

/// `GET /graphql/ws`: upgrades a client that offers `graphql-transport-ws`.
pub async fn handle(
    req: HttpRequest,
    body: web::Payload,
    state: web::Data<AppState>,
    schema: web::Data<WsSchema>,
) -> actix_web::Result<HttpResponse> {
    if !offers_protocol(&req) {
        return Ok(HttpResponse::BadRequest().json(json!({ "errors": [{
            "message": format!("a websocket upgrade with the `{PROTOCOL}` sub-protocol is required"),
            "extensions": { "code": "BAD_USER_INPUT" },
        }] })));
    }
    let (response, session, messages) = actix_ws::handle_with_protocols(&req, body, &[PROTOCOL])?;
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .cloned()
        .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()));
    let state = state.into_inner();
    let client_ip = crate::ratelimit::client_ip(&req, state.config.hardening.trust_forwarded_for);
    let ctx = RequestContext {
        client_ip,
        ..RequestContext::anonymous(request_id)
    };
    let messages = messages
        .aggregate_continuations()
        .max_continuation_size(MAX_MESSAGE);
    actix_web::rt::spawn(serve(state, schema.0.clone(), ctx, session, messages));
    Ok(response)
}

fn offers_protocol(req: &HttpRequest) -> bool {
    req.headers()
        .get_all(actix_web::http::header::SEC_WEBSOCKET_PROTOCOL)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(PROTOCOL))
}

/// One connection: the handshake of the protocol here, the rest in async-graphql.
async fn serve(
    state: Arc<AppState>,
    schema: ColeadSchema,
    ctx: RequestContext,
    mut session: Session,
    mut messages: AggregatedMessageStream,
) {
    let init =
        match tokio::time::timeout(INIT_TIMEOUT, first_text(&mut session, &mut messages)).await {
            Err(_) => return close(session, (4408, "Connection initialisation timeout")).await,
            Ok(None) => return,
            Ok(Some(init)) => init,
        };
    let executor = match accept(&state, schema, ctx, &init).await {
        Ok(executor) => executor,
        Err(refusal) => return close(session, refusal).await,
    };
    let pinged = session.clone();
    let incoming = messages
        .take_while(|m| ready(matches!(m, Ok(m) if !matches!(m, AggregatedMessage::Close(_)))))
        .filter_map(move |m| {
            let mut session = pinged.clone();
            async move {
                match m {
                    Ok(AggregatedMessage::Text(text)) => Some(text.as_bytes().to_vec()),
                    Ok(AggregatedMessage::Binary(bytes)) => Some(bytes.to_vec()),
                    Ok(AggregatedMessage::Ping(bytes)) => {
                        let _ = session.pong(&bytes).await;
                        None
                    }
                    _ => None,
                }
            }
        });
    // async-graphql acknowledges the `connection_init` it is handed first.
    let input = futures_util::stream::once(ready(init.into_bytes())).chain(incoming);
    let mut output = std::pin::pin!(WebSocket::new(
        executor,
        input,
        WebSocketProtocols::GraphQLWS
    ));
    while let Some(message) = output.next().await {
        match message {
            WsMessage::Text(text) => {
                if session.text(text).await.is_err() {
                    return;
                }
            }
            WsMessage::Close(code, reason) => {
                let _ = session
                    .close(Some(CloseReason {
                        code: CloseCode::from(code),
                        description: Some(reason),
                    }))
                    .await;
                return;
            }
        }
    }
    let _ = session.close(None).await;
}

/// The first text message, answering pings meanwhile; `None` when the client left.
async fn first_text(
    session: &mut Session,
    messages: &mut AggregatedMessageStream,
) -> Option<String> {
    while let Some(Ok(message)) = messages.recv().await {
        match message {
            AggregatedMessage::Text(text) => return Some(text.to_string()),
            AggregatedMessage::Binary(bytes) => {
                return Some(String::from_utf8_lossy(&bytes).into_owned());
            }
            AggregatedMessage::Ping(bytes) => {
                if session.pong(&bytes).await.is_err() {
                    return None;
                }
            }
            AggregatedMessage::Pong(_) => {}
            AggregatedMessage::Close(_) => return None,
        }
    }
    None
}

/// Checks `connection_init` and the token it carries.
async fn accept(
    state: &Arc<AppState>,
    schema: ColeadSchema,
    ctx: RequestContext,
    init: &str,
) -> Result<WsExecutor, Refusal> {
    let message: serde_json::Value =
        serde_json::from_str(init).map_err(|_| (4400, "Invalid message"))?;
    match message.get("type").and_then(|t| t.as_str()) {
        Some("connection_init") => {}
        Some("subscribe") => return Err((4401, "Unauthorized")),
        _ => return Err((4400, "Invalid message")),
    }
    let token = token_of(message.get("payload")).ok_or((4403, "Forbidden"))?;
    let principal = match auth::principal_for_token(state, &token).await {
        Ok(p) => p,
        Err(AuthError::Unavailable) => return Err((1011, "authentication is unavailable")),
        Err(_) => return Err((4403, "Forbidden")),
    };
    // An external rater's token opens its one review, nothing live.
    if principal.kind == PrincipalType::Review {
        return Err((4403, "Forbidden"));
    }
    let ctx = RequestContext {
        principal: Some(Arc::new(principal)),
        ..ctx
    };
    Ok(WsExecutor::new(schema, state.clone(), ctx, token))
}

/// The JWT of a `connection_init` payload: `authorization` (or `Authorization`) as
/// `Bearer <jwt>`, or `token` (with or without `Bearer `).
fn token_of(payload: Option<&serde_json::Value>) -> Option<String> {
    let payload = payload?;
    let raw = ["authorization", "Authorization", "token"]
        .iter()
        .find_map(|k| payload.get(*k)?.as_str())?
        .trim();
    let token = raw
        .strip_prefix("Bearer ")
        .or_else(|| raw.strip_prefix("bearer "))
        .unwrap_or(raw)
        .trim();
    (!token.is_empty()).then(|| token.to_owned())
}

async fn close(session: Session, (code, reason): Refusal) {
    let _ = session
        .close(Some(CloseReason {
            code: CloseCode::from(code),
            description: Some(reason.to_owned()),
        }))
        .await;
}
