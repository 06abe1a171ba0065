//! The audit log: who changed what, append-only.

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
enum AuditEvents {
    Table,
    Id,
    OrganizationId,
    ActorKind,
    ActorId,
    Action,
    TargetType,
    TargetId,
    RequestId,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditEvents::Table)
                    .if_not_exists()
                    .col(uuid(AuditEvents::Id).primary_key())
                    .col(uuid(AuditEvents::OrganizationId))
                    .col(string_len(AuditEvents::ActorKind, 16))
                    .col(uuid_null(AuditEvents::ActorId))
                    .col(string_len(AuditEvents::Action, 80))
                    .col(string_len_null(AuditEvents::TargetType, 40))
                    .col(uuid_null(AuditEvents::TargetId))
                    .col(string_len(AuditEvents::RequestId, 80))
                    .col(timestamp_with_time_zone(AuditEvents::OccurredAt))
                    .foreign_key(&mut fk(
                        "fk_audit_events_organization",
                        (AuditEvents::Table, AuditEvents::OrganizationId),
                        (Organizations::Table, Organizations::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(idx(
                "idx_audit_events_org_time",
                AuditEvents::Table,
                &["organization_id", "occurred_at", "id"],
                false,
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditEvents::Table).to_owned())
            .await
    }
}
