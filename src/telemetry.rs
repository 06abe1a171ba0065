//! Tracing setup and request ids: every request gets an id (kept when the client sent a
//! sane `x-request-id`), a span that carries it into every log line, and the id echoed
//! back in the response header.

use actix_web::HttpMessage;
use actix_web::dev::{Service, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use tracing::Instrument;
use tracing_subscriber::EnvFilter;

use crate::config::Config;

pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the request being served; put into actix request extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Installs the global subscriber: human-readable in development, JSON in production.
/// Safe to call more than once (later calls are ignored), which tests rely on.
pub fn init(config: &Config) {
    let filter = EnvFilter::try_new(&config.log).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if config.is_production() {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}

/// A client-supplied id is kept when it is short and printable; otherwise a new one is made.
fn request_id_from(req: &ServiceRequest) -> RequestId {
    req.headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(|v| RequestId(v.to_owned()))
        .unwrap_or_else(|| RequestId(uuid::Uuid::now_v7().to_string()))
}

/// Middleware body for `App::wrap_fn`: assigns the id, opens the span, logs the outcome.
pub fn request_span<S, B>(
    req: ServiceRequest,
    srv: &S,
) -> impl Future<Output = Result<ServiceResponse<B>, actix_web::Error>> + use<S, B>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let id = request_id_from(&req);
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method = %req.method(),
        path = %req.path(),
    );
    req.extensions_mut().insert(id.clone());
    let started = std::time::Instant::now();
    let fut = {
        let _entered = span.enter();
        srv.call(req)
    };
    async move {
        let mut res = fut.await?;
        if let Ok(value) = HeaderValue::from_str(&id.0) {
            res.headers_mut()
                .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
        }
        tracing::info!(
            status = res.status().as_u16(),
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            "served"
        );
        Ok(res)
    }
    .instrument(span)
}
