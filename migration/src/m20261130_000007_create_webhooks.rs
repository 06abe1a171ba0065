//! Webhooks: the endpoints an organization registers, one delivery per (endpoint, event)
//! with its retry state, and the worker's durable fan-out cursor over the outbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::{fk, idx};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    OrganizationId,
    Url,
    Events,
    Description,
    Secret,
    Active,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    OrganizationId,
    EndpointId,
    EventId,
    EventType,
    Status,
    Attempts,
    LastResponseCode,
    LastError,
    NextAttemptAt,
    QueuedAt,
    LeaseOwner,
    LeaseExpiresAt,
    CreatedAt,
    DeliveredAt,
}

/// Events already fanned out (kept for a while behind the cursor, see the worker).
#[derive(DeriveIden)]
enum WebhookFanouts {
    Table,
    EventId,
    FannedOutAt,
}

/// One row per fan-out stream: the highest event id fanned out.
#[derive(DeriveIden)]
enum WebhookCursors {
    Table,
    Name,
    Position,
    UpdatedAt,
}

async fn create_endpoints(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WebhookEndpoints::Table)
                .if_not_exists()
                .col(uuid(WebhookEndpoints::Id).primary_key())
                .col(uuid(WebhookEndpoints::OrganizationId))
                .col(string_len(WebhookEndpoints::Url, 2048))
                .col(text(WebhookEndpoints::Events))
                .col(string_len_null(WebhookEndpoints::Description, 500))
                .col(string_len(WebhookEndpoints::Secret, 100))
                .col(boolean(WebhookEndpoints::Active))
                .col(timestamp_with_time_zone(WebhookEndpoints::CreatedAt))
                .col(timestamp_with_time_zone(WebhookEndpoints::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_webhook_endpoints_organization",
                    (WebhookEndpoints::Table, WebhookEndpoints::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(idx(
            "idx_webhook_endpoints_org",
            WebhookEndpoints::Table,
            &["organization_id", "id"],
            false,
        ))
        .await
}

async fn create_deliveries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WebhookDeliveries::Table)
                .if_not_exists()
                .col(uuid(WebhookDeliveries::Id).primary_key())
                .col(uuid(WebhookDeliveries::OrganizationId))
                .col(uuid(WebhookDeliveries::EndpointId))
                .col(uuid(WebhookDeliveries::EventId))
                .col(string_len(WebhookDeliveries::EventType, 64))
                .col(string_len(WebhookDeliveries::Status, 16))
                .col(integer(WebhookDeliveries::Attempts))
                .col(integer_null(WebhookDeliveries::LastResponseCode))
                .col(string_len_null(WebhookDeliveries::LastError, 500))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::NextAttemptAt,
                ))
                .col(timestamp_with_time_zone(WebhookDeliveries::QueuedAt))
                .col(uuid_null(WebhookDeliveries::LeaseOwner))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::LeaseExpiresAt,
                ))
                .col(timestamp_with_time_zone(WebhookDeliveries::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    WebhookDeliveries::DeliveredAt,
                ))
                .foreign_key(&mut fk(
                    "fk_webhook_deliveries_organization",
                    (WebhookDeliveries::Table, WebhookDeliveries::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_webhook_deliveries_endpoint",
                    (WebhookDeliveries::Table, WebhookDeliveries::EndpointId),
                    (WebhookEndpoints::Table, WebhookEndpoints::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_webhook_deliveries_event",
                    (WebhookDeliveries::Table, WebhookDeliveries::EventId),
                    (OutboxEvents::Table, OutboxEvents::Id),
                ))
                .to_owned(),
        )
        .await?;
    // One delivery per event and endpoint; also the per-endpoint order the worker keeps.
    manager
        .create_index(idx(
            "idx_webhook_deliveries_endpoint_event",
            WebhookDeliveries::Table,
            &["endpoint_id", "event_id"],
            true,
        ))
        .await?;
    // The worker's due work, and the head-of-line check per endpoint.
    manager
        .create_index(idx(
            "idx_webhook_deliveries_due",
            WebhookDeliveries::Table,
            &["status", "next_attempt_at"],
            false,
        ))
        .await?;
    manager
        .create_index(idx(
            "idx_webhook_deliveries_endpoint_status",
            WebhookDeliveries::Table,
            &["endpoint_id", "status", "event_id"],
            false,
        ))
        .await?;
    // An endpoint's deliveries, newest first.
    manager
        .create_index(idx(
            "idx_webhook_deliveries_endpoint_id",
            WebhookDeliveries::Table,
            &["endpoint_id", "id"],
            false,
        ))
        .await
}

async fn create_fanout_state(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(WebhookFanouts::Table)
                .if_not_exists()
                .col(uuid(WebhookFanouts::EventId).primary_key())
                .col(timestamp_with_time_zone(WebhookFanouts::FannedOutAt))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(WebhookCursors::Table)
                .if_not_exists()
                .col(string_len(WebhookCursors::Name, 40).primary_key())
                .col(uuid_null(WebhookCursors::Position))
                .col(timestamp_with_time_zone(WebhookCursors::UpdatedAt))
                .to_owned(),
        )
        .await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_endpoints(manager).await?;
        create_deliveries(manager).await?;
        create_fanout_state(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookCursors::Table.into_iden(),
            WebhookFanouts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
