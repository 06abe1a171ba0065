//! The event outbox: domain events written in the same transaction as the change they
//! describe, for the integrations layer to deliver.

use chrono::Utc;
use entity::outbox_event;
use sea_orm::{ActiveValue::Set, ConnectionTrait};
use uuid::Uuid;

use crate::error::Result;
use crate::tenancy;

/// Records `event_type` with `data` for organization `org`.
pub async fn record<C: ConnectionTrait>(
    db: &C,
    org: Uuid,
    event_type: &str,
    data: serde_json::Value,
) -> Result<()> {
    tenancy::insert(
        db,
        org,
        outbox_event::ActiveModel {
            id: Set(Uuid::now_v7()),
            event_type: Set(event_type.to_owned()),
            payload: Set(data.to_string()),
            occurred_at: Set(Utc::now()),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}

/// Events waiting in the outbox, across organizations.
pub async fn pending<C: ConnectionTrait>(db: &C) -> Result<u64> {
    tenancy::outbox_depth(db).await
}
