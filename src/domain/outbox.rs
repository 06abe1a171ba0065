//! The event outbox: domain events written in the same transaction as the change they
//! describe, for the integrations layer to deliver; and their announcement to live
//! subscribers (see [`crate::events`]), only once the change is committed.
//!
//! Internal events (type `internal.…`, e.g. `internal.plan.activity`) are announced to
//! subscribers only: they are never written to `outbox_events`, so webhooks never see
//! them.

use std::cell::RefCell;

use chrono::Utc;
use entity::outbox_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbBackend};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Context, Result};
use crate::events::{CHANNEL, Event};
use crate::tenancy;

/// The prefix of events announced to subscribers but never stored nor delivered.
pub const INTERNAL: &str = "internal.";

/// PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; keep clear of it.
const NOTIFY_LIMIT: usize = 7900;

/// What travels in a NOTIFY: the event, or without its data when that is too large
/// (the listener then loads it from the outbox by id).
#[derive(Debug, Serialize, Deserialize)]
pub struct Notice {
    #[serde(flatten)]
    pub event: Event,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub trimmed: bool,
}

tokio::task_local! {
    /// Events recorded by the running mutation, to publish once it has committed (SQLite).
    static PENDING: RefCell<Vec<Event>>;
}

/// Records `event_type` with `data` for organization `org`, and announces it to
/// subscribers once the caller's transaction commits.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    event_type: &str,
    data: serde_json::Value,
) -> Result<()> {
    let id = Uuid::now_v7();
    tenancy::insert(
        db,
        org,
        outbox_event::ActiveModel {
            id: Set(id),
            event_type: Set(event_type.to_owned()),
            payload: Set(data.to_string()),
            occurred_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    let event = Event {
        id,
        event_type: event_type.to_owned(),
        organization_id: org,
        data,
    };
    announce_event(db, event).await
}

/// Announces an internal event (its type starts with [`INTERNAL`]) to subscribers once
/// the caller's transaction commits, without writing it to the outbox.
pub async fn announce<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    event_type: &str,
    data: serde_json::Value,
) -> Result<()> {
    debug_assert!(event_type.starts_with(INTERNAL));
    let event = Event {
        id: Uuid::now_v7(),
        event_type: event_type.to_owned(),
        organization_id: org,
        data,
    };
    announce_event(db, event).await
}

/// PostgreSQL: a NOTIFY in the caller's transaction, delivered by the server only on
/// commit. SQLite: noted for the running mutation, published when it succeeded.
async fn announce_event<C: ConnectionTrait>(db: &C, event: Event) -> Result<()> {
    if db.get_database_backend() == DbBackend::Postgres {
        return tenancy::notify(db, CHANNEL, &notice(event)?).await;
    }
    let _ = PENDING.try_with(|p| p.borrow_mut().push(event));
    Ok(())
}

/// The NOTIFY payload of `event`: the whole event, or its head when too large.
fn notice(event: Event) -> Result<String> {
    let full = serde_json::to_string(&Notice {
        event,
        trimmed: false,
    })
    .context("encoding an event")?;
    if full.len() <= NOTIFY_LIMIT {
        return Ok(full);
    }
    let mut head: Notice = serde_json::from_str(&full).context("decoding an event")?;
    head.event.data = serde_json::Value::Null;
    head.trimmed = true;
    serde_json::to_string(&head).context("encoding an event")
}

/// Runs `work` (one mutation) and returns the events it recorded, for publishing
/// after it succeeded. Only SQLite collects events this way.
pub async fn collecting<F: std::future::Future>(work: F) -> (F::Output, Vec<Event>) {
    PENDING
        .scope(RefCell::new(Vec::new()), async {
            let out = work.await;
            (out, PENDING.with(|p| p.take()))
        })
        .await
}

/// Forgets the events the running mutation recorded: it was refused, nothing changed.
pub fn discard_pending() {
    let _ = PENDING.try_with(|p| p.borrow_mut().clear());
}

/// The stored event `id` of `org`, for a notice that was too large to carry its data.
pub async fn load<C: ConnectionTrait>(db: &C, org: Uuid, id: Uuid) -> Result<Option<Event>> {
    let Some(row) = tenancy::find::<outbox_event::Entity, _>(db, org, id).await? else {
        return Ok(None);
    };
    Ok(Some(Event {
        id,
        event_type: row.event_type,
        organization_id: org,
        data: serde_json::from_str(&row.payload).context("decoding an outbox payload")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(data: serde_json::Value) -> Event {
        Event {
            id: Uuid::now_v7(),
            event_type: "review.submitted".into(),
            organization_id: Uuid::now_v7(),
            data,
        }
    }

    #[test]
    fn a_small_event_travels_whole() {
        let e = event(serde_json::json!({ "cycleId": Uuid::now_v7() }));
        let n: Notice = serde_json::from_str(&notice(e.clone()).unwrap()).unwrap();
        assert!(!n.trimmed);
        assert_eq!(n.event, e);
    }

    #[test]
    fn a_large_event_travels_without_its_data_under_the_notify_limit() {
        let e = event(serde_json::json!({ "body": "x".repeat(20_000) }));
        let text = notice(e.clone()).unwrap();
        assert!(text.len() < 8000);
        let n: Notice = serde_json::from_str(&text).unwrap();
        assert!(n.trimmed);
        assert_eq!((n.event.id, n.event.data), (e.id, serde_json::Value::Null));
    }
}
