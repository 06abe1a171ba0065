//! When a failed delivery is tried again: exponential backoff with jitter, until the
//! retry window (24 hours by default) after it was queued is spent.

use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use crate::config::WebhookSettings;

/// The delay after the `attempts`-th failed attempt: `base · 2^(attempts-1)`, capped, of
/// which a random half is kept ("equal jitter"), so that retries of many deliveries that
/// failed together spread out.
pub fn delay(settings: &WebhookSettings, attempts: i32) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let full = settings
        .retry_base
        .saturating_mul(1 << exp)
        .min(settings.retry_max_delay);
    let half = full / 2;
    let jitter = rand::rng().random_range(0..=half.as_millis().max(1) as u64);
    half + Duration::from_millis(jitter)
}

/// The next attempt after `attempts` failures, or `None` when the window is spent.
pub fn next_attempt(
    settings: &WebhookSettings,
    attempts: i32,
    queued_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let next = now + chrono::Duration::from_std(delay(settings, attempts)).ok()?;
    let deadline = queued_at + chrono::Duration::from_std(settings.give_up_after).ok()?;
    (next <= deadline).then_some(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> WebhookSettings {
        WebhookSettings {
            allow_private: false,
            worker: true,
            poll_interval: Duration::from_secs(1),
            retry_base: Duration::from_secs(10),
            retry_max_delay: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            request_timeout: Duration::from_secs(10),
        }
    }

    #[test]
    fn delays_double_with_jitter_up_to_the_cap() {
        let s = settings();
        for (attempts, full) in [(1, 10), (2, 20), (3, 40), (10, 3600), (40, 3600)] {
            let d = delay(&s, attempts).as_secs_f64();
            let full = full as f64;
            assert!(d >= full / 2.0 && d <= full + 0.001, "{attempts}: {d}");
        }
    }

    #[test]
    fn retries_stop_a_day_after_queueing() {
        let s = settings();
        let queued = Utc::now();
        assert!(next_attempt(&s, 1, queued, queued).is_some());
        let late = queued + chrono::Duration::hours(24);
        assert_eq!(next_attempt(&s, 30, queued, late), None);
    }
}
