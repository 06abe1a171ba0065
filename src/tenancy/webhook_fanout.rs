//! The webhook worker's fan-out queries. They run across organizations by nature (one worker
//! serves every tenant), so they live here beside the scoped ones; each row written keeps
//! the organization of the event it came from, and every join matches organizations.
//!
//! Fan-out keeps a durable cursor (the highest event id fanned out) and a record of each
//! event fanned out. Events may commit out of id order (a transaction that started
//! earlier commits later), so each pass looks back [`LOOK_BACK`] behind the cursor for
//! events not yet recorded; records older than that are pruned.

use chrono::{DateTime, Utc};
use entity::{webhook_delivery, webhook_endpoint};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, Statement, Value,
};
use uuid::Uuid;

use super::sql::placeholder;
use crate::error::{Context, Result};

/// How far behind the cursor a pass looks for events that committed late: longer than
/// any transaction that records events may stay open.
pub const LOOK_BACK: chrono::Duration = chrono::Duration::minutes(10);
const CURSOR: &str = "outbox";

/// An outbox event waiting to be fanned out.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: Uuid,
    pub organization_id: Uuid,
    pub event_type: String,
    pub occurred_at: DateTime<Utc>,
}

fn stmt(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Creates the cursor row if it is missing.
pub async fn ensure_cursor<C: ConnectionTrait>(db: &C) -> Result<()> {
    let p = |i| placeholder(db.get_database_backend(), i);
    let sql = format!(
        "INSERT INTO webhook_cursors (name, position, updated_at) VALUES ({}, NULL, {}) \
         ON CONFLICT (name) DO NOTHING",
        p(1),
        p(2)
    );
    let values = vec![CURSOR.into(), Value::ChronoDateTimeUtc(Some(Utc::now()))];
    db.execute_raw(stmt(db, sql, values))
        .await
        .context("creating the webhook cursor")?;
    Ok(())
}

/// Takes the cursor for the running transaction and returns its position, or `None` when
/// another instance holds it (PostgreSQL, `SKIP LOCKED`). SQLite takes its write lock
/// first, so that the pass reads what the last writer committed.
pub async fn lock_cursor<C: ConnectionTrait>(txn: &C) -> Result<Option<Option<Uuid>>> {
    let backend = txn.get_database_backend();
    let p1 = placeholder(backend, 1);
    let sql = match backend {
        DatabaseBackend::Postgres => {
            format!("SELECT position FROM webhook_cursors WHERE name = {p1} FOR UPDATE SKIP LOCKED")
        }
        _ => format!("UPDATE webhook_cursors SET name = name WHERE name = {p1} RETURNING position"),
    };
    let row = txn
        .query_one_raw(stmt(txn, sql, vec![CURSOR.into()]))
        .await
        .context("locking the webhook cursor")?;
    row.map(|r| r.try_get::<Option<Uuid>>("", "position"))
        .transpose()
        .context("reading the webhook cursor")
}

/// The smallest UUIDv7 of the millisecond `ms`.
fn v7_floor(ms: i64) -> Uuid {
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&Ord::max(ms, 0).to_be_bytes()[2..]);
    b[6] = 0x70;
    b[8] = 0x80;
    Uuid::from_bytes(b)
}

/// Where a pass starts looking: [`LOOK_BACK`] before the cursor's event.
pub fn look_back_from(position: Option<Uuid>) -> Uuid {
    let Some(pos) = position else {
        return Uuid::nil();
    };
    let b = pos.as_bytes();
    let mut ms = [0u8; 8];
    ms[2..].copy_from_slice(&b[..6]);
    v7_floor(i64::from_be_bytes(ms) - LOOK_BACK.num_milliseconds())
}

/// Up to `limit` events after `from` not yet fanned out, oldest first.
pub async fn unfanned_events<C: ConnectionTrait>(
    txn: &C,
    from: Uuid,
    limit: u64,
) -> Result<Vec<NewEvent>> {
    let p = |i| placeholder(txn.get_database_backend(), i);
    let sql = format!(
        "SELECT e.id, e.organization_id, e.event_type, e.occurred_at FROM outbox_events e \
         WHERE e.id > {} AND NOT EXISTS (SELECT 1 FROM webhook_fanouts f WHERE f.event_id = e.id) \
         ORDER BY e.id LIMIT {limit}",
        p(1)
    );
    let rows = txn
        .query_all_raw(stmt(txn, sql, vec![Value::Uuid(Some(from))]))
        .await
        .context("reading new outbox events")?;
    rows.iter()
        .map(|r| {
            Ok(NewEvent {
                id: r.try_get("", "id")?,
                organization_id: r.try_get("", "organization_id")?,
                event_type: r.try_get("", "event_type")?,
                occurred_at: r.try_get("", "occurred_at")?,
            })
        })
        .collect::<std::result::Result<_, sea_orm::DbErr>>()
        .context("reading new outbox events")
}

/// The active endpoints of `orgs`.
pub async fn active_endpoints<C: ConnectionTrait>(
    db: &C,
    orgs: impl IntoIterator<Item = Uuid>,
) -> Result<Vec<webhook_endpoint::Model>> {
    webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::OrganizationId.is_in(orgs))
        .filter(webhook_endpoint::Column::Active.eq(true))
        .all(db)
        .await
        .context("loading subscribed endpoints")
}

/// Writes new deliveries, records `events` as fanned out and moves the cursor to `to`.
pub async fn record_fanout<C: ConnectionTrait>(
    txn: &C,
    deliveries: Vec<webhook_delivery::ActiveModel>,
    events: &[Uuid],
    to: Uuid,
) -> Result<()> {
    for chunk in deliveries.chunks(1000) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .context("writing webhook deliveries")?;
    }
    let backend = txn.get_database_backend();
    let now = Value::ChronoDateTimeUtc(Some(Utc::now()));
    for chunk in events.chunks(1000) {
        let tuples: Vec<String> = (0..chunk.len())
            .map(|i| {
                format!(
                    "({}, {})",
                    placeholder(backend, i + 2),
                    placeholder(backend, 1)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO webhook_fanouts (event_id, fanned_out_at) VALUES {}",
            tuples.join(", ")
        );
        let mut values = vec![now.clone()];
        values.extend(chunk.iter().map(|id| Value::Uuid(Some(*id))));
        txn.execute_raw(stmt(txn, sql, values))
            .await
            .context("recording fanned-out events")?;
    }
    let sql = format!(
        "UPDATE webhook_cursors SET position = {}, updated_at = {} WHERE name = {}",
        placeholder(backend, 1),
        placeholder(backend, 2),
        placeholder(backend, 3)
    );
    let values = vec![Value::Uuid(Some(to)), now, CURSOR.into()];
    txn.execute_raw(stmt(txn, sql, values))
        .await
        .context("moving the webhook cursor")?;
    // Records behind the look-back window are no longer needed.
    let sql = format!(
        "DELETE FROM webhook_fanouts WHERE event_id < {}",
        placeholder(backend, 1)
    );
    let floor = look_back_from(Some(to));
    txn.execute_raw(stmt(txn, sql, vec![Value::Uuid(Some(floor))]))
        .await
        .context("pruning fanned-out events")?;
    Ok(())
}

/// The cursor's position, read without taking it.
pub async fn cursor_position<C: ConnectionTrait>(db: &C) -> Result<Option<Uuid>> {
    let p1 = placeholder(db.get_database_backend(), 1);
    let sql = format!("SELECT position FROM webhook_cursors WHERE name = {p1}");
    let row = db
        .query_one_raw(stmt(db, sql, vec![CURSOR.into()]))
        .await
        .context("reading the webhook cursor")?;
    Ok(row
        .map(|r| r.try_get::<Option<Uuid>>("", "position"))
        .transpose()
        .context("reading the webhook cursor")?
        .flatten())
}

/// When the oldest active endpoint was created, if there is one: events before it go
/// nowhere, so fan-out starts there and writes nothing while no endpoint exists.
pub async fn oldest_active_endpoint<C: ConnectionTrait>(db: &C) -> Result<Option<DateTime<Utc>>> {
    use sea_orm::QueryOrder;
    Ok(webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Active.eq(true))
        .order_by_asc(webhook_endpoint::Column::CreatedAt)
        .one(db)
        .await
        .context("looking for active webhook endpoints")?
        .map(|w| w.created_at))
}

/// Where a pass starts: behind the cursor by [`LOOK_BACK`], but never before `since`
/// (less a second, as an event's id is taken just before its time).
pub fn start_from(position: Option<Uuid>, since: DateTime<Utc>) -> Uuid {
    let floor = v7_floor(since.timestamp_millis() - 1000);
    Ord::max(look_back_from(position), floor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_look_back_starts_ten_minutes_before_the_cursor_and_not_before_the_endpoints() {
        assert_eq!(look_back_from(None), Uuid::nil());
        let now = Utc::now();
        let cursor = Uuid::now_v7();
        let from = look_back_from(Some(cursor));
        assert!(from < cursor);
        assert!(from > v7_floor((now - LOOK_BACK).timestamp_millis() - 1000));
        assert!(from <= v7_floor((now - LOOK_BACK).timestamp_millis() + 1000));
        // An endpoint created just now: nothing older than a second before it matters.
        assert_eq!(
            start_from(Some(cursor), now),
            v7_floor(now.timestamp_millis() - 1000)
        );
        assert_eq!(
            start_from(None, now),
            v7_floor(now.timestamp_millis() - 1000)
        );
    }
}
