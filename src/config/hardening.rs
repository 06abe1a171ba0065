//! Settings that protect the service: query limits, rate limits, persisted queries,
//! introspection, timeouts and CORS.

use std::time::Duration;

use super::{ConfigError, boolean, invalid, seconds};
use crate::graphql::cost::Limits;
use crate::ratelimit::Rate;

/// How persisted queries are handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistedQueries {
    /// Apollo automatic persisted queries: any query may run, and a known hash may stand
    /// for its query.
    Automatic,
    /// Only the queries of the manifest file run, by hash or by text.
    AllowList(std::path::PathBuf),
}

/// Query cost budgets: per principal and per organization.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostBudgets {
    pub principal: Rate,
    pub organization: Rate,
}

#[derive(Debug, Clone)]
pub struct Hardening {
    pub limits: Limits,
    /// `None` turns query-cost rate limiting off (benchmarks).
    pub cost_budgets: Option<CostBudgets>,
    pub login_per_account: Rate,
    pub login_per_ip: Rate,
    pub redis_url: Option<String>,
    pub introspection: bool,
    pub request_timeout: Duration,
    pub statement_timeout: Duration,
    pub acquire_timeout: Duration,
    pub cors_origins: Vec<String>,
    pub persisted_queries: PersistedQueries,
    /// Take the client's address from the last `X-Forwarded-For` entry (behind one
    /// trusted proxy) instead of the connection.
    pub trust_forwarded_for: bool,
    /// A bearer token `/metrics` asks for; open when unset.
    pub metrics_token: Option<String>,
    /// Answer directory-page queries from compiled plans (`graphql::compiled`).
    pub compiled_reads: bool,
}

/// Login attempts are counted over this window.
const LOGIN_WINDOW_SECS: f64 = 900.0;

impl Hardening {
    pub(super) fn from_lookup(
        get: &impl Fn(&str) -> Option<String>,
        production: bool,
    ) -> Result<Self, ConfigError> {
        let limits = Limits {
            depth: seconds(get, "COLEAD_MAX_QUERY_DEPTH", 12)?,
            cost: seconds(get, "COLEAD_MAX_QUERY_COST", 10_000)?,
            aliases: seconds(get, "COLEAD_MAX_ALIASES", 100)?,
            root_fields: seconds(get, "COLEAD_MAX_ROOT_FIELDS", 50)?,
            directives: seconds(get, "COLEAD_MAX_DIRECTIVES", 50)?,
        };
        let rate = |size: &'static str, size_default: u64, restore: &'static str, r: u64| {
            Ok::<_, ConfigError>(Rate {
                maximum: seconds(get, size, size_default)? as f64,
                restore_rate: seconds(get, restore, r)? as f64,
            })
        };
        let cost_budgets = if boolean(get, "COLEAD_RATE_LIMIT", true)? {
            let principal = rate(
                "COLEAD_RATE_LIMIT_BUCKET",
                20_000,
                "COLEAD_RATE_LIMIT_RESTORE",
                1_000,
            )?;
            if (principal.maximum as u64) < limits.cost {
                return Err(invalid(
                    "COLEAD_RATE_LIMIT_BUCKET",
                    "must hold at least COLEAD_MAX_QUERY_COST points",
                ));
            }
            Some(CostBudgets {
                principal,
                organization: rate(
                    "COLEAD_ORG_RATE_LIMIT_BUCKET",
                    100_000,
                    "COLEAD_ORG_RATE_LIMIT_RESTORE",
                    5_000,
                )?,
            })
        } else {
            None
        };
        let per_window = |name: &'static str, default: u64| {
            let n = seconds(get, name, default)? as f64;
            Ok::<_, ConfigError>(Rate {
                maximum: n,
                restore_rate: n / LOGIN_WINDOW_SECS,
            })
        };
        let persisted_queries = match get("COLEAD_PERSISTED_QUERIES").as_deref().map(str::trim) {
            None | Some("automatic") => PersistedQueries::Automatic,
            Some("allowlist") => PersistedQueries::AllowList(
                get("COLEAD_PERSISTED_QUERIES_FILE")
                    .ok_or_else(|| {
                        invalid(
                            "COLEAD_PERSISTED_QUERIES_FILE",
                            "is required when COLEAD_PERSISTED_QUERIES is allowlist",
                        )
                    })?
                    .into(),
            ),
            Some(other) => {
                return Err(invalid(
                    "COLEAD_PERSISTED_QUERIES",
                    format!("'{other}' is not one of automatic, allowlist"),
                ));
            }
        };
        let cors_origins = get("COLEAD_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_owned())
                    .filter(|o| !o.is_empty())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        if let Some(bad) = cors_origins
            .iter()
            .find(|o| !(o.starts_with("http://") || o.starts_with("https://")))
        {
            return Err(invalid(
                "COLEAD_CORS_ORIGINS",
                format!("'{bad}' is not an origin like https://app.example.com"),
            ));
        }
        let millis = |name: &'static str, default: u64| {
            Ok::<_, ConfigError>(Duration::from_millis(seconds(get, name, default)?))
        };
        Ok(Self {
            limits,
            cost_budgets,
            login_per_account: per_window("COLEAD_LOGIN_ATTEMPTS_PER_ACCOUNT", 10)?,
            login_per_ip: per_window("COLEAD_LOGIN_ATTEMPTS_PER_IP", 100)?,
            redis_url: get("COLEAD_REDIS_URL"),
            introspection: boolean(get, "COLEAD_INTROSPECTION", !production)?,
            request_timeout: millis("COLEAD_REQUEST_TIMEOUT_MS", 15_000)?,
            statement_timeout: millis("COLEAD_DB_STATEMENT_TIMEOUT_MS", 10_000)?,
            acquire_timeout: millis("COLEAD_DB_ACQUIRE_TIMEOUT_MS", 3_000)?,
            cors_origins,
            persisted_queries,
            trust_forwarded_for: boolean(get, "COLEAD_TRUST_X_FORWARDED_FOR", false)?,
            metrics_token: get("COLEAD_METRICS_TOKEN"),
            compiled_reads: boolean(get, "COLEAD_COMPILED_READS", true)?,
        })
    }
}
