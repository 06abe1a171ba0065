//! Leaders (the people being developed), teams and team membership.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::schema_helpers::idx;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Leaders {
    Table,
    Id,
    OrganizationId,
    Name,
    Email,
    Title,
    Department,
    Location,
    ExternalId,
    ManagerId,
    StartDate,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Teams {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TeamMembers {
    Table,
    OrganizationId,
    TeamId,
    LeaderId,
    AddedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Leaders::Table)
                .col(pk_uuid(Leaders::Id))
                .col(uuid(Leaders::OrganizationId))
                .col(string(Leaders::Name))
                .col(string_null(Leaders::Email))
                .col(string_null(Leaders::Title))
                .col(string_null(Leaders::Department))
                .col(string_null(Leaders::Location))
                .col(string_null(Leaders::ExternalId))
                .col(uuid_null(Leaders::ManagerId))
                .col(date_null(Leaders::StartDate))
                .col(string(Leaders::Status))
                .col(timestamp_with_time_zone(Leaders::CreatedAt))
                .col(timestamp_with_time_zone(Leaders::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_leaders_organization")
                        .from(Leaders::Table, Leaders::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_leaders_manager")
                        .from(Leaders::Table, Leaders::ManagerId)
                        .to(Leaders::Table, Leaders::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ux_leaders_org_external_id",
            Leaders::Table,
            &["organization_id", "external_id"],
            true,
        ))
        .await?;
        for (name, cols) in [
            (
                "ix_leaders_org_name",
                &["organization_id", "name", "id"][..],
            ),
            (
                "ix_leaders_org_department",
                &["organization_id", "department", "id"][..],
            ),
            (
                "ix_leaders_org_created",
                &["organization_id", "created_at", "id"][..],
            ),
            (
                "ix_leaders_org_manager",
                &["organization_id", "manager_id"][..],
            ),
        ] {
            m.create_index(idx(name, Leaders::Table, cols, false))
                .await?;
        }
        m.create_table(
            Table::create()
                .table(Teams::Table)
                .col(pk_uuid(Teams::Id))
                .col(uuid(Teams::OrganizationId))
                .col(string(Teams::Name))
                .col(text_null(Teams::Description))
                .col(timestamp_with_time_zone(Teams::CreatedAt))
                .col(timestamp_with_time_zone(Teams::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_teams_organization")
                        .from(Teams::Table, Teams::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_teams_org",
            Teams::Table,
            &["organization_id", "id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(TeamMembers::Table)
                .col(uuid(TeamMembers::OrganizationId))
                .col(uuid(TeamMembers::TeamId))
                .col(uuid(TeamMembers::LeaderId))
                .col(timestamp_with_time_zone(TeamMembers::AddedAt))
                .primary_key(
                    Index::create()
                        .col(TeamMembers::TeamId)
                        .col(TeamMembers::LeaderId),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_team_members_team")
                        .from(TeamMembers::Table, TeamMembers::TeamId)
                        .to(Teams::Table, Teams::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_team_members_leader")
                        .from(TeamMembers::Table, TeamMembers::LeaderId)
                        .to(Leaders::Table, Leaders::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_team_members_leader",
            TeamMembers::Table,
            &["leader_id", "team_id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(TeamMembers::Table).take())
            .await?;
        m.drop_table(Table::drop().table(Teams::Table).take())
            .await?;
        m.drop_table(Table::drop().table(Leaders::Table).take())
            .await
    }
}
