//! The webhook worker's delivery queries, across organizations like the fan-out's (see
//! `webhook_fanout`): claiming due deliveries under a lease, in order per endpoint, and
//! recording each attempt.

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

fn stmt(db: &impl ConnectionTrait, sql: String, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
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
