//! Running the subscriptions of one websocket connection: subscriptions only (queries
//! and mutations belong to `POST /graphql`, with its cost limits), each with the
//! connection's principal and fresh loaders, and the token checked again before every
//! event so that a revoked membership, a changed role or an expired token ends the
//! stream.

use std::future::{Future, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::parser::types::OperationType;
use async_graphql::{Data, Executor, Request, Response, ServerError};
use futures_util::stream::{BoxStream, StreamExt};

use crate::auth::{self, AuthError, Principal, RequestContext};
use crate::graphql::live::through_first_error;
use crate::graphql::{self, ColeadSchema};
use crate::startup::AppState;

/// Most subscriptions running at once on one connection.
pub const MAX_SUBSCRIPTIONS: usize = 20;

#[derive(Clone)]
pub struct WsExecutor {
    schema: ColeadSchema,
    state: Arc<AppState>,
    ctx: RequestContext,
    token: Arc<str>,
    /// The connection's running subscriptions.
    running: Arc<AtomicUsize>,
}

/// One running subscription, counted until its stream is dropped.
struct Running(Arc<AtomicUsize>);

impl Running {
    fn start(count: &Arc<AtomicUsize>) -> Option<Self> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_SUBSCRIPTIONS).then_some(n + 1)
            })
            .ok()
            .map(|_| Self(count.clone()))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl WsExecutor {
    pub fn new(
        schema: ColeadSchema,
        state: Arc<AppState>,
        ctx: RequestContext,
        token: String,
    ) -> Self {
        Self {
            schema,
            state,
            ctx,
            token: token.into(),
            running: Default::default(),
        }
    }
}

fn refusal(message: &str, code: &str) -> Response {
    let mut e = ServerError::new(message, None);
    e.extensions
        .get_or_insert_with(Default::default)
        .set("code", code);
    Response::from_errors(vec![e])
}

fn only_subscriptions() -> Response {
    refusal(
        "only subscriptions are served here; send queries and mutations to POST /graphql",
        "BAD_USER_INPUT",
    )
}

impl Executor for WsExecutor {
    fn execute(&self, _request: Request) -> impl Future<Output = Response> + Send {
        ready(only_subscriptions())
    }

    fn execute_stream(
        &self,
        mut request: Request,
        _session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        let name = request.operation_name.clone();
        // A document that does not parse goes on, for the schema to report why.
        if let Ok(doc) = request.parsed_query()
            && crate::http::graphql::operation_type(doc, name.as_deref())
                != Some(OperationType::Subscription)
        {
            return futures_util::stream::once(ready(only_subscriptions())).boxed();
        }
        let Some(running) = Running::start(&self.running) else {
            let message =
                format!("at most {MAX_SUBSCRIPTIONS} subscriptions run on one connection");
            return futures_util::stream::once(ready(refusal(&message, "RATE_LIMITED"))).boxed();
        };
        let request = graphql::request_data(request, &self.state, self.ctx.clone());
        let (state, token) = (self.state.clone(), self.token.clone());
        let principal = self.ctx.principal.clone();
        let checked = self.schema.execute_stream(request).then(move |response| {
            let _counted = &running;
            let (state, token, principal) = (state.clone(), token.clone(), principal.clone());
            async move {
                still_allowed(&state, &token, principal.as_deref())
                    .await
                    .map(|()| response)
            }
        });
        through_first_error(checked)
            .map(|item| item.unwrap_or_else(|refused| refused))
            .boxed()
    }
}

/// Whether the connection's token still grants what it granted at `connection_init`.
async fn still_allowed(
    state: &AppState,
    token: &str,
    principal: Option<&Principal>,
) -> Result<(), Response> {
    match auth::principal_for_token(state, token).await {
        Ok(now) if Some(&now) == principal => Ok(()),
        // The event was just read from the database: an outage of the check is not a refusal.
        Err(AuthError::Unavailable) => Ok(()),
        Ok(_) => Err(refusal(
            "the access token no longer grants this subscription; reconnect",
            "FORBIDDEN",
        )),
        Err(e) => Err(refusal(
            &format!("{}; reconnect with a fresh token", e.message()),
            "UNAUTHENTICATED",
        )),
    }
}
