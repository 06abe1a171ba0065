//! Development plans: goals on behaviors, actions, supporters, check-ins and the plan's
//! activity stream.

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
enum Leaders {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum DevelopmentPlans {
    Table,
    Id,
    OrganizationId,
    LeaderId,
    SourceAssessmentId,
    Title,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Goals {
    Table,
    Id,
    OrganizationId,
    PlanId,
    BehaviorId,
    Title,
    SuccessMeasure,
    TargetDate,
    Status,
    Progress,
    Suggestion,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Actions {
    Table,
    Id,
    OrganizationId,
    PlanId,
    GoalId,
    Title,
    DueDate,
    CompletedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PlanSupporters {
    Table,
    Id,
    OrganizationId,
    PlanId,
    LeaderId,
    Role,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PlanActivities {
    Table,
    Id,
    OrganizationId,
    PlanId,
    GoalId,
    Kind,
    Body,
    AuthorUserId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(DevelopmentPlans::Table)
                .col(pk_uuid(DevelopmentPlans::Id))
                .col(uuid(DevelopmentPlans::OrganizationId))
                .col(uuid(DevelopmentPlans::LeaderId))
                .col(uuid_null(DevelopmentPlans::SourceAssessmentId))
                .col(string(DevelopmentPlans::Title))
                .col(string(DevelopmentPlans::Status))
                .col(timestamp_with_time_zone(DevelopmentPlans::CreatedAt))
                .col(timestamp_with_time_zone(DevelopmentPlans::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_plans_organization",
                    (DevelopmentPlans::Table, DevelopmentPlans::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_plans_leader",
                    (DevelopmentPlans::Table, DevelopmentPlans::LeaderId),
                    (Leaders::Table, Leaders::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_plans_org_leader",
            DevelopmentPlans::Table,
            &["organization_id", "leader_id", "id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Goals::Table)
                .col(pk_uuid(Goals::Id))
                .col(uuid(Goals::OrganizationId))
                .col(uuid(Goals::PlanId))
                .col(uuid(Goals::BehaviorId))
                .col(string(Goals::Title))
                .col(text_null(Goals::SuccessMeasure))
                .col(date_null(Goals::TargetDate))
                .col(string(Goals::Status))
                .col(integer(Goals::Progress))
                .col(text_null(Goals::Suggestion))
                .col(timestamp_with_time_zone(Goals::CreatedAt))
                .col(timestamp_with_time_zone(Goals::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_goals_plan",
                    (Goals::Table, Goals::PlanId),
                    (DevelopmentPlans::Table, DevelopmentPlans::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_goals_plan",
            Goals::Table,
            &["plan_id", "id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Actions::Table)
                .col(pk_uuid(Actions::Id))
                .col(uuid(Actions::OrganizationId))
                .col(uuid(Actions::PlanId))
                .col(uuid(Actions::GoalId))
                .col(string(Actions::Title))
                .col(date_null(Actions::DueDate))
                .col(timestamp_with_time_zone_null(Actions::CompletedAt))
                .col(timestamp_with_time_zone(Actions::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_actions_goal",
                    (Actions::Table, Actions::GoalId),
                    (Goals::Table, Goals::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_actions_plan",
            Actions::Table,
            &["plan_id", "due_date"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(PlanSupporters::Table)
                .col(pk_uuid(PlanSupporters::Id))
                .col(uuid(PlanSupporters::OrganizationId))
                .col(uuid(PlanSupporters::PlanId))
                .col(uuid(PlanSupporters::LeaderId))
                .col(string(PlanSupporters::Role))
                .col(timestamp_with_time_zone(PlanSupporters::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_supporters_plan",
                    (PlanSupporters::Table, PlanSupporters::PlanId),
                    (DevelopmentPlans::Table, DevelopmentPlans::Id),
                ))
                .foreign_key(&mut fk(
                    "fk_supporters_leader",
                    (PlanSupporters::Table, PlanSupporters::LeaderId),
                    (Leaders::Table, Leaders::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ux_supporters_plan_leader",
            PlanSupporters::Table,
            &["plan_id", "leader_id"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "ix_supporters_leader",
            PlanSupporters::Table,
            &["leader_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(PlanActivities::Table)
                .col(pk_uuid(PlanActivities::Id))
                .col(uuid(PlanActivities::OrganizationId))
                .col(uuid(PlanActivities::PlanId))
                .col(uuid_null(PlanActivities::GoalId))
                .col(string(PlanActivities::Kind))
                .col(text(PlanActivities::Body))
                .col(uuid_null(PlanActivities::AuthorUserId))
                .col(timestamp_with_time_zone(PlanActivities::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_activities_plan",
                    (PlanActivities::Table, PlanActivities::PlanId),
                    (DevelopmentPlans::Table, DevelopmentPlans::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_activities_plan",
            PlanActivities::Table,
            &["plan_id", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            PlanActivities::Table.into_iden(),
            PlanSupporters::Table.into_iden(),
            Actions::Table.into_iden(),
            Goals::Table.into_iden(),
            DevelopmentPlans::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
