//! One delivery attempt: the signed POST, then its outcome recorded (SUCCEEDED, a retry
//! after backoff, or FAILED once the retry window is spent) and the lease released.

use std::sync::Arc;

use chrono::Utc;
use entity::enums::DeliveryStatus;
use entity::{outbox_event, webhook_delivery, webhook_endpoint};

use super::retry;
use super::worker::Ctx;
use crate::http::metrics::WebhookOutcome;
use crate::http::webhook_client::{self, Answer};
use crate::tenancy::webhook_queue::{self as queue, AttemptResult};

/// POSTs one delivery and records the outcome.
pub(super) async fn attempt(
    ctx: Arc<Ctx>,
    d: webhook_delivery::Model,
    event: Option<outbox_event::Model>,
    endpoint: Option<webhook_endpoint::Model>,
) {
    let settings = &ctx.state.config.webhooks;
    let answer = match (event, endpoint) {
        (Some(e), Some(w)) => {
            let body = webhook_client::body(
                e.id,
                &e.event_type,
                e.organization_id,
                e.occurred_at,
                &e.payload,
            );
            webhook_client::post(&ctx.client, settings, &w.url, &w.secret, e.id, body).await
        }
        _ => Answer::Failed("the event or the endpoint no longer exists".to_owned()),
    };
    let now = Utc::now();
    let (result, outcome) = match answer {
        Answer::Status(code) if (200..300).contains(&code) => (
            AttemptResult {
                status: DeliveryStatus::Succeeded,
                response_code: Some(i32::from(code)),
                error: None,
                next_attempt_at: None,
                delivered_at: Some(now),
            },
            WebhookOutcome::Succeeded,
        ),
        other => {
            let (code, error) = match other {
                Answer::Status(code) => (Some(i32::from(code)), format!("HTTP {code}")),
                Answer::Failed(e) => (None, e),
            };
            let next = retry::next_attempt(settings, d.attempts + 1, d.queued_at, now);
            let (status, outcome) = match next {
                Some(_) => (DeliveryStatus::Pending, WebhookOutcome::Retrying),
                None => (DeliveryStatus::Failed, WebhookOutcome::GaveUp),
            };
            tracing::info!(delivery = %d.id, endpoint = %d.endpoint_id, error = %error, "webhook attempt failed");
            let error = Some(error.chars().take(500).collect());
            let result = AttemptResult {
                status,
                response_code: code,
                error,
                next_attempt_at: next,
                delivered_at: None,
            };
            (result, outcome)
        }
    };
    ctx.state.metrics.webhook_attempt(outcome);
    match queue::finish_attempt(&ctx.db, &d, ctx.owner, result).await {
        Ok(true) => {}
        Ok(false) => tracing::warn!(delivery = %d.id, "a webhook lease expired during its attempt"),
        Err(e) => tracing::error!(error = %e.report(), "a webhook attempt was not recorded"),
    }
}
