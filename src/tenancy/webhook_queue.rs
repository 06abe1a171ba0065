//! The webhook worker's queries. They run across organizations by nature (one worker
//! serves every tenant), so they live here beside the scoped ones; each row written keeps
//! the organization of the event it came from, and every join matches organizations.
//!
//! Fan-out keeps a durable cursor (the highest event id fanned out) and a record of each
//! event fanned out. Events may commit out of id order (a transaction that started
//! earlier commits later), so each pass looks back [`LOOK_BACK`] behind the cursor for
//! events not yet recorded; records older than that are pruned.

use chrono::{DateTime, Utc};
use entity::enums::DeliveryStatus;
use entity::{outbox_event, webhook_delivery, webhook_endpoint};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, FromQueryResult, QueryFilter,
    Statement, Value,
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

/// Leases up to `limit` due deliveries to `owner` until `lease_until`: only the earliest
/// pending delivery of each active endpoint is due (order per endpoint), and rows another
/// instance is claiming are skipped (PostgreSQL `FOR UPDATE SKIP LOCKED`).
pub async fn claim_due<C: ConnectionTrait>(
    db: &C,
    owner: Uuid,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<webhook_delivery::Model>> {
    let backend = db.get_database_backend();
    let p = |i| placeholder(backend, i);
    let lock = match backend {
        DatabaseBackend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        _ => "",
    };
    let (owner_p, until_p, now_p) = (p(1), p(2), p(3));
    let sql = format!(
        "UPDATE webhook_deliveries SET lease_owner = {owner_p}, lease_expires_at = {until_p} \
         WHERE id IN ( \
           SELECT d.id FROM webhook_deliveries d \
           JOIN webhook_endpoints w ON w.id = d.endpoint_id AND w.organization_id = d.organization_id \
           WHERE d.status = 'PENDING' AND d.next_attempt_at <= {now_p} AND w.active = {t} \
             AND (d.lease_expires_at IS NULL OR d.lease_expires_at < {now_p}) \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e \
               WHERE e.endpoint_id = d.endpoint_id AND e.status = 'PENDING' AND e.event_id < d.event_id) \
           ORDER BY d.next_attempt_at, d.event_id LIMIT {limit} {lock}) \
         AND status = 'PENDING' AND (lease_expires_at IS NULL OR lease_expires_at < {now_p}) \
         RETURNING *",
        t = p(4)
    );
    let values = vec![
        Value::Uuid(Some(owner)),
        Value::ChronoDateTimeUtc(Some(lease_until)),
        Value::ChronoDateTimeUtc(Some(now)),
        Value::Bool(Some(true)),
    ];
    webhook_delivery::Model::find_by_statement(stmt(db, sql, values))
        .all(db)
        .await
        .context("claiming due webhook deliveries")
}

/// The events and endpoints of claimed deliveries.
pub async fn delivery_inputs<C: ConnectionTrait>(
    db: &C,
    claimed: &[webhook_delivery::Model],
) -> Result<(Vec<outbox_event::Model>, Vec<webhook_endpoint::Model>)> {
    let events = outbox_event::Entity::find()
        .filter(outbox_event::Column::Id.is_in(claimed.iter().map(|d| d.event_id)))
        .all(db)
        .await
        .context("loading the events to deliver")?;
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(claimed.iter().map(|d| d.endpoint_id)))
        .all(db)
        .await
        .context("loading the endpoints to deliver to")?;
    Ok((events, endpoints))
}

/// What an attempt ended with.
#[derive(Debug, Clone)]
pub struct AttemptResult {
    pub status: DeliveryStatus,
    pub response_code: Option<i32>,
    pub error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Records an attempt of `d` and releases its lease, if `owner` still holds it.
pub async fn finish_attempt<C: ConnectionTrait>(
    db: &C,
    d: &webhook_delivery::Model,
    owner: Uuid,
    r: AttemptResult,
) -> Result<bool> {
    use webhook_delivery::Column as C;
    let done = super::update_many::<webhook_delivery::Entity>(d.organization_id)
        .col_expr(C::Status, Expr::value(r.status))
        .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
        .col_expr(C::LastResponseCode, Expr::value(r.response_code))
        .col_expr(C::LastError, Expr::value(r.error))
        .col_expr(C::NextAttemptAt, Expr::value(r.next_attempt_at))
        .col_expr(
            C::DeliveredAt,
            Expr::value(r.delivered_at.or(d.delivered_at)),
        )
        .col_expr(C::LeaseOwner, Expr::value(Option::<Uuid>::None))
        .col_expr(
            C::LeaseExpiresAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(C::Id.eq(d.id))
        .filter(C::LeaseOwner.eq(owner))
        .exec(db)
        .await
        .context("recording a webhook attempt")?;
    Ok(done.rows_affected == 1)
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

/// True when some delivery is due: a cheap read before the claiming write.
pub async fn any_due<C: ConnectionTrait>(db: &C, now: DateTime<Utc>) -> Result<bool> {
    let p1 = placeholder(db.get_database_backend(), 1);
    let sql = format!(
        "SELECT 1 AS due FROM webhook_deliveries WHERE status = 'PENDING' \
         AND next_attempt_at <= {p1} LIMIT 1"
    );
    let row = db
        .query_one_raw(stmt(db, sql, vec![Value::ChronoDateTimeUtc(Some(now))]))
        .await
        .context("looking for due webhook deliveries")?;
    Ok(row.is_some())
}

/// Deliveries waiting (for a first attempt or a retry), across organizations: the
/// webhook queue's depth, for metrics.
pub async fn pending_count<C: ConnectionTrait>(db: &C) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending))
        .count(db)
        .await
        .context("counting pending webhook deliveries")
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
