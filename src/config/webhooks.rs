//! Settings of webhook delivery: the SSRF guard, the worker's polling, retries and timeout.

use std::time::Duration;

use super::{ConfigError, boolean, seconds};

#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// Allow endpoints on loopback, private, link-local and other internal addresses
    /// (`COLEAD_WEBHOOK_ALLOW_PRIVATE`); off by default, on only for tests and development.
    pub allow_private: bool,
    /// Run the delivery worker in this process (`COLEAD_WEBHOOK_WORKER`).
    pub worker: bool,
    /// How often the worker looks for new events and due deliveries.
    pub poll_interval: Duration,
    /// The first retry's delay; each later one doubles, with jitter, up to `retry_max_delay`.
    pub retry_base: Duration,
    pub retry_max_delay: Duration,
    /// How long a delivery is retried before it is FAILED (24 hours).
    pub give_up_after: Duration,
    /// How long one POST may take, connection included.
    pub request_timeout: Duration,
}

impl WebhookSettings {
    pub(super) fn from_lookup(get: &impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        Ok(Self {
            allow_private: boolean(get, "COLEAD_WEBHOOK_ALLOW_PRIVATE", false)?,
            worker: boolean(get, "COLEAD_WEBHOOK_WORKER", true)?,
            poll_interval: Duration::from_millis(seconds(get, "COLEAD_WEBHOOK_POLL_MS", 1000)?),
            retry_base: Duration::from_millis(seconds(
                get,
                "COLEAD_WEBHOOK_RETRY_BASE_MS",
                10_000,
            )?),
            retry_max_delay: Duration::from_millis(seconds(
                get,
                "COLEAD_WEBHOOK_RETRY_MAX_MS",
                3_600_000,
            )?),
            give_up_after: Duration::from_secs(seconds(
                get,
                "COLEAD_WEBHOOK_GIVE_UP_SECS",
                24 * 3600,
            )?),
            request_timeout: Duration::from_millis(seconds(
                get,
                "COLEAD_WEBHOOK_TIMEOUT_MS",
                10_000,
            )?),
        })
    }
}
