//! The delivery worker, one per server process: it fans new outbox events out into
//! deliveries for each subscribed endpoint, then POSTs the due ones, at least once and in
//! order per endpoint. Several instances may run on one database: the fan-out cursor and
//! each delivery are claimed (row locks and leases), so no delivery is in flight twice.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use entity::enums::DeliveryStatus;
use entity::{outbox_event, webhook_delivery, webhook_endpoint};
use sea_orm::{ActiveValue::Set, DatabaseConnection, TransactionTrait};
use tokio::sync::watch;
use tokio::task::JoinSet;
use uuid::Uuid;

use super::{attempt, events};
use crate::error::{Context, Result};
use crate::http::webhook_client;
use crate::startup::AppState;
use crate::tenancy::webhook_fanout as fanout;
use crate::tenancy::webhook_queue as queue;

/// Events fanned out per transaction, and passes per tick.
const FAN_OUT_BATCH: u64 = 500;
const FAN_OUT_PASSES: usize = 10;
/// Most attempts in flight at once in one process.
const MAX_IN_FLIGHT: usize = 32;

/// A running worker; [`Worker::stop`] ends it after the attempts in flight.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    grace: Duration,
}

/// What the worker and its attempts share.
pub(super) struct Ctx {
    pub(super) state: Arc<AppState>,
    /// The worker's own handle on the pool: its statements are not counted with requests'.
    pub(super) db: DatabaseConnection,
    pub(super) client: reqwest::Client,
    /// This worker's claims, for its leases.
    pub(super) owner: Uuid,
}

impl Worker {
    /// Starts the worker unless the configuration turns it off.
    pub fn spawn(state: Arc<AppState>, db: DatabaseConnection) -> Option<Self> {
        let settings = &state.config.webhooks;
        if !settings.worker {
            return None;
        }
        let client = match webhook_client::client(settings) {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %crate::error::chain(&e), "the webhook worker did not start");
                return None;
            }
        };
        let grace = settings.request_timeout + Duration::from_secs(5);
        let (stop, stopped) = watch::channel(false);
        let ctx = Ctx {
            state,
            db,
            client,
            owner: Uuid::now_v7(),
        };
        let task = tokio::spawn(run(ctx, stopped));
        Some(Self { stop, task, grace })
    }

    /// Stops polling and waits for the attempts in flight (up to the request timeout).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(self.grace, self.task).await.is_err() {
            abort.abort();
        }
    }
}

async fn run(ctx: Ctx, mut stopped: watch::Receiver<bool>) {
    let ctx = Arc::new(ctx);
    if let Err(e) = fanout::ensure_cursor(&ctx.db).await {
        tracing::error!(error = %e.report(), "the webhook cursor could not be created");
    }
    // Attempts run as tasks, so that a slow endpoint does not hold up the others; each
    // endpoint has at most one in flight (its earliest pending delivery, leased).
    let mut in_flight: JoinSet<()> = JoinSet::new();
    loop {
        if let Err(e) = fan_out(&ctx).await {
            tracing::warn!(error = %e.report(), "webhook fan-out failed; retrying");
        }
        while in_flight.try_join_next().is_some() {}
        let room = MAX_IN_FLIGHT.saturating_sub(in_flight.len());
        match claim(&ctx, room as u64).await {
            Ok(claimed) => {
                for (d, event, endpoint) in claimed {
                    in_flight.spawn(attempt::attempt(ctx.clone(), d, event, endpoint));
                }
            }
            Err(e) => tracing::warn!(error = %e.report(), "claiming webhook deliveries failed"),
        }
        // Wake at the next poll, or as soon as an attempt ends: its endpoint's next
        // event may be due at once.
        let stop = tokio::select! {
            _ = tokio::time::sleep(ctx.state.config.webhooks.poll_interval) => false,
            // Stopped, or the handle is gone: stop either way.
            changed = stopped.changed() => changed.is_err() || *stopped.borrow(),
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => false,
        };
        if stop {
            break;
        }
    }
    while in_flight.join_next().await.is_some() {}
}

/// Fans out new events until none are left (or the passes of a tick are spent).
async fn fan_out(ctx: &Ctx) -> Result<()> {
    for _ in 0..FAN_OUT_PASSES {
        // Reads first: an idle poll, or one with no endpoint to deliver to, writes nothing
        // (on SQLite a write between another transaction's read and write fails it).
        let Some(since) = fanout::oldest_active_endpoint(&ctx.db).await? else {
            return Ok(());
        };
        let from = fanout::start_from(fanout::cursor_position(&ctx.db).await?, since);
        if fanout::unfanned_events(&ctx.db, from, 1).await?.is_empty() {
            return Ok(());
        }
        if fan_out_pass(ctx, since).await? < FAN_OUT_BATCH as usize {
            return Ok(());
        }
    }
    Ok(())
}

/// One transaction: take the cursor, read a batch of events, write their deliveries.
async fn fan_out_pass(ctx: &Ctx, since: chrono::DateTime<Utc>) -> Result<usize> {
    let txn = ctx.db.begin().await.context("starting a fan-out")?;
    let Some(position) = fanout::lock_cursor(&txn).await? else {
        return Ok(0); // another instance is fanning out
    };
    let from = fanout::start_from(position, since);
    let batch = fanout::unfanned_events(&txn, from, FAN_OUT_BATCH).await?;
    let Some(last) = batch.last().map(|e| e.id) else {
        return Ok(0);
    };
    let orgs: HashSet<Uuid> = batch.iter().map(|e| e.organization_id).collect();
    let endpoints: Vec<(webhook_endpoint::Model, Vec<String>)> =
        fanout::active_endpoints(&txn, orgs)
            .await?
            .into_iter()
            .map(|w| {
                let subscribed = events::decode(&w.events);
                (w, subscribed)
            })
            .collect();
    let now = Utc::now();
    let mut deliveries = Vec::new();
    for e in &batch {
        // An endpoint gets the events of its organization that it subscribes to and
        // that happened after it was created.
        let targets = endpoints.iter().filter(|(w, subscribed)| {
            w.organization_id == e.organization_id
                && w.created_at <= e.occurred_at
                && subscribed.contains(&e.event_type)
        });
        for (w, _) in targets {
            deliveries.push(new_delivery(e, w.id, now));
        }
    }
    let ids: Vec<Uuid> = batch.iter().map(|e| e.id).collect();
    let to = position.map_or(last, |p| p.max(last));
    let fanned = deliveries.len();
    fanout::record_fanout(&txn, deliveries, &ids, to).await?;
    txn.commit().await.context("committing a fan-out")?;
    if fanned > 0 {
        tracing::debug!(events = batch.len(), deliveries = fanned, "webhook fan-out");
    }
    Ok(batch.len())
}

fn new_delivery(
    e: &fanout::NewEvent,
    endpoint: Uuid,
    now: chrono::DateTime<Utc>,
) -> webhook_delivery::ActiveModel {
    webhook_delivery::ActiveModel {
        id: Set(Uuid::now_v7()),
        organization_id: Set(e.organization_id),
        endpoint_id: Set(endpoint),
        event_id: Set(e.id),
        event_type: Set(e.event_type.clone()),
        status: Set(DeliveryStatus::Pending),
        attempts: Set(0),
        last_response_code: Set(None),
        last_error: Set(None),
        next_attempt_at: Set(Some(now)),
        queued_at: Set(now),
        lease_owner: Set(None),
        lease_expires_at: Set(None),
        created_at: Set(now),
        delivered_at: Set(None),
    }
}

/// A claimed delivery with its event and endpoint (`None` when deleted meanwhile).
type Claimed = (
    webhook_delivery::Model,
    Option<outbox_event::Model>,
    Option<webhook_endpoint::Model>,
);

/// Leases up to `room` due deliveries to this worker.
async fn claim(ctx: &Ctx, room: u64) -> Result<Vec<Claimed>> {
    let now = Utc::now();
    if room == 0 || !queue::any_due(&ctx.db, now).await? {
        return Ok(Vec::new());
    }
    let lease = ctx.state.config.webhooks.request_timeout * 2 + Duration::from_secs(30);
    let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
    let claimed = queue::claim_due(&ctx.db, ctx.owner, now, until, room).await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    let (events, endpoints) = queue::delivery_inputs(&ctx.db, &claimed).await?;
    Ok(claimed
        .into_iter()
        .map(|d| {
            let event = events.iter().find(|e| e.id == d.event_id).cloned();
            let endpoint = endpoints.iter().find(|w| w.id == d.endpoint_id).cloned();
            (d, event, endpoint)
        })
        .collect())
}
