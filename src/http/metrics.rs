//! `GET /metrics` in the Prometheus text format: GraphQL requests by operation name and
//! outcome, their latency, refusals by the limits, the database pool and webhooks.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::header;
use actix_web::{HttpResponse, web};

use crate::startup::AppState;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];
/// Most distinct operation names tracked; later names are counted as `other`, so that
/// clients cannot grow the metrics without bound.
const MAX_OPERATIONS: usize = 200;

/// How a GraphQL operation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Ran without errors.
    Ok,
    /// Ran, with errors in the response.
    Error,
    /// Refused before running: unparsable, invalid, or over a limit.
    Rejected,
    /// Refused by the rate limit.
    RateLimited,
    /// Cancelled at the deadline.
    Timeout,
}

impl Outcome {
    const ALL: [Outcome; 5] = [
        Outcome::Ok,
        Outcome::Error,
        Outcome::Rejected,
        Outcome::RateLimited,
        Outcome::Timeout,
    ];

    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
            Outcome::RateLimited => "rate_limited",
            Outcome::Timeout => "timeout",
        }
    }
}

/// How one webhook attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The receiver answered 2xx.
    Succeeded,
    /// It did not; the delivery will be tried again.
    Retrying,
    /// It did not, and the retry window is spent: the delivery is FAILED.
    GaveUp,
}

impl WebhookOutcome {
    const ALL: [WebhookOutcome; 3] = [
        WebhookOutcome::Succeeded,
        WebhookOutcome::Retrying,
        WebhookOutcome::GaveUp,
    ];

    fn as_str(self) -> &'static str {
        match self {
            WebhookOutcome::Succeeded => "succeeded",
            WebhookOutcome::Retrying => "retrying",
            WebhookOutcome::GaveUp => "failed",
        }
    }
}

/// One operation name's figures: requests by outcome, and its latency histogram.
#[derive(Default)]
struct Operation {
    outcomes: [u64; Outcome::ALL.len()],
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The counters of one process.
#[derive(Default)]
pub struct Metrics {
    operations: Mutex<HashMap<String, Operation>>,
    rate_limited: AtomicU64,
    too_complex: AtomicU64,
    compiled: AtomicU64,
    webhook_attempts: [AtomicU64; WebhookOutcome::ALL.len()],
}

impl Metrics {
    /// Records one operation.
    pub fn observe(&self, operation: Option<&str>, outcome: Outcome, elapsed: Duration) {
        let mut ops = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        let mut name = operation.unwrap_or("anonymous");
        if !ops.contains_key(name) {
            if ops.len() >= MAX_OPERATIONS {
                name = "other";
            }
            ops.entry(name.to_owned()).or_default();
        }
        let Some(op) = ops.get_mut(name) else {
            return;
        };
        op.outcomes[outcome as usize] += 1;
        let secs = elapsed.as_secs_f64();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if secs <= *bound {
                op.buckets[i] += 1;
            }
        }
        op.count += 1;
        op.sum += secs;
        if outcome == Outcome::RateLimited {
            self.rate_limited.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a refusal by a rate limit outside GraphQL operations' own (logins).
    pub fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an operation refused by a query limit.
    pub fn too_complex(&self) {
        self.too_complex.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts an operation answered from a compiled plan.
    pub fn compiled_answer(&self) {
        self.compiled.fetch_add(1, Ordering::Relaxed);
    }

    /// Operations answered from compiled plans so far.
    pub fn compiled_answers(&self) -> u64 {
        self.compiled.load(Ordering::Relaxed)
    }

    /// Counts a webhook delivery attempt by how it ended.
    pub fn webhook_attempt(&self, outcome: WebhookOutcome) {
        self.webhook_attempts[outcome as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn render(&self, out: &mut String) {
        let ops = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        out.push_str("# HELP colead_graphql_requests_total GraphQL operations by name and outcome.\n# TYPE colead_graphql_requests_total counter\n");
        let mut names: Vec<&String> = ops.keys().collect();
        names.sort();
        for name in &names {
            for outcome in Outcome::ALL {
                let n = ops[*name].outcomes[outcome as usize];
                if n > 0 {
                    let _ = writeln!(
                        out,
                        "colead_graphql_requests_total{{operation=\"{}\",outcome=\"{}\"}} {n}",
                        escape(name),
                        outcome.as_str()
                    );
                }
            }
        }
        out.push_str("# HELP colead_graphql_request_duration_seconds Time to answer a GraphQL operation.\n# TYPE colead_graphql_request_duration_seconds histogram\n");
        for name in names {
            let h = &ops[name];
            let name = escape(name);
            for (bound, n) in BUCKETS.iter().zip(h.buckets) {
                let _ = writeln!(
                    out,
                    "colead_graphql_request_duration_seconds_bucket{{operation=\"{name}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "colead_graphql_request_duration_seconds_bucket{{operation=\"{name}\",le=\"+Inf\"}} {}\ncolead_graphql_request_duration_seconds_sum{{operation=\"{name}\"}} {}\ncolead_graphql_request_duration_seconds_count{{operation=\"{name}\"}} {}",
                h.count, h.sum, h.count
            );
        }
        let _ = write!(
            out,
            "# HELP colead_rate_limited_total Operations and login attempts refused by a rate limit.\n# TYPE colead_rate_limited_total counter\ncolead_rate_limited_total {}\n# HELP colead_query_too_complex_total Operations refused by a query limit.\n# TYPE colead_query_too_complex_total counter\ncolead_query_too_complex_total {}\n# HELP colead_graphql_compiled_total Operations answered from a compiled plan.\n# TYPE colead_graphql_compiled_total counter\ncolead_graphql_compiled_total {}\n",
            self.rate_limited.load(Ordering::Relaxed),
            self.too_complex.load(Ordering::Relaxed),
            self.compiled.load(Ordering::Relaxed)
        );
        out.push_str("# HELP colead_webhook_attempts_total Webhook delivery attempts by outcome.\n# TYPE colead_webhook_attempts_total counter\n");
        for outcome in WebhookOutcome::ALL {
            let _ = writeln!(
                out,
                "colead_webhook_attempts_total{{outcome=\"{}\"}} {}",
                outcome.as_str(),
                self.webhook_attempts[outcome as usize].load(Ordering::Relaxed)
            );
        }
    }
}

fn escape(label: &str) -> String {
    label
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// `GET /metrics`; with `COLEAD_METRICS_TOKEN` set, only for `Authorization: Bearer` it.
pub async fn metrics(req: actix_web::HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if let Some(token) = &state.config.hardening.metrics_token {
        let presented = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let matches = presented.is_some_and(|p| {
            use sha2::Digest;
            // Compared as digests, so the comparison takes the same time wherever they differ.
            sha2::Sha256::digest(p.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
        });
        if !matches {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .finish();
        }
    }
    let mut out = String::with_capacity(4096);
    state.metrics.render(&mut out);
    let (open, idle) = crate::db::pool_usage(&state.db);
    let _ = write!(
        out,
        "# HELP colead_db_pool_connections Open database connections.\n# TYPE colead_db_pool_connections gauge\ncolead_db_pool_connections {open}\n# HELP colead_db_pool_idle_connections Idle database connections.\n# TYPE colead_db_pool_idle_connections gauge\ncolead_db_pool_idle_connections {idle}\n# HELP colead_db_pool_max_connections The pool's size limit.\n# TYPE colead_db_pool_max_connections gauge\ncolead_db_pool_max_connections {}\n# HELP colead_sql_statements_total SQL statements run.\n# TYPE colead_sql_statements_total counter\ncolead_sql_statements_total {}\n",
        state.config.max_connections,
        state.statements.load(Ordering::Relaxed)
    );
    if let Ok(depth) = crate::tenancy::webhook_queue::pending_count(&state.db).await {
        let _ = write!(
            out,
            "# HELP colead_webhook_queue_depth Webhook deliveries waiting for an attempt or a retry.\n# TYPE colead_webhook_queue_depth gauge\ncolead_webhook_queue_depth {depth}\n"
        );
    }
    HttpResponse::Ok()
        .insert_header((
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        ))
        .body(out)
}
