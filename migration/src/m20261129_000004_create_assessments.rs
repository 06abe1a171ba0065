//! 360 cycles: cycles, assessments (one per subject), reviews (one per rater), ratings,
//! comments, the per-group aggregates that keep results fast, and the event outbox.

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
enum Frameworks {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum AssessmentCycles {
    Table,
    Id,
    OrganizationId,
    Name,
    FrameworkId,
    Status,
    OpensAt,
    ClosesAt,
    AnonymityThreshold,
    RatingScaleMax,
    OpenedAt,
    ClosedAt,
    ReleasedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Assessments {
    Table,
    Id,
    OrganizationId,
    CycleId,
    SubjectId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reviews {
    Table,
    Id,
    OrganizationId,
    AssessmentId,
    CycleId,
    RaterId,
    ExternalEmail,
    Relationship,
    Status,
    SubmittedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    OrganizationId,
    ReviewId,
    IndicatorId,
    Score,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Comments {
    Table,
    Id,
    OrganizationId,
    ReviewId,
    BehaviorId,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ResultAggregates {
    Table,
    OrganizationId,
    AssessmentId,
    BehaviorId,
    Relationship,
    RaterCount,
    ScoreSum,
    ScoreSumSq,
    Hist1,
    Hist2,
    Hist3,
    Hist4,
    Hist5,
    Hist6,
    Hist7,
    Hist8,
    Hist9,
    Hist10,
}

#[derive(DeriveIden)]
enum OutboxEvents {
    Table,
    Id,
    OrganizationId,
    EventType,
    Payload,
    OccurredAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AssessmentCycles::Table)
                .col(pk_uuid(AssessmentCycles::Id))
                .col(uuid(AssessmentCycles::OrganizationId))
                .col(string(AssessmentCycles::Name))
                .col(uuid(AssessmentCycles::FrameworkId))
                .col(string(AssessmentCycles::Status))
                .col(timestamp_with_time_zone_null(AssessmentCycles::OpensAt))
                .col(timestamp_with_time_zone_null(AssessmentCycles::ClosesAt))
                .col(integer(AssessmentCycles::AnonymityThreshold))
                .col(integer(AssessmentCycles::RatingScaleMax))
                .col(timestamp_with_time_zone_null(AssessmentCycles::OpenedAt))
                .col(timestamp_with_time_zone_null(AssessmentCycles::ClosedAt))
                .col(timestamp_with_time_zone_null(AssessmentCycles::ReleasedAt))
                .col(timestamp_with_time_zone(AssessmentCycles::CreatedAt))
                .col(timestamp_with_time_zone(AssessmentCycles::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_cycles_organization",
                    (AssessmentCycles::Table, AssessmentCycles::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_cycles_framework")
                        .from(AssessmentCycles::Table, AssessmentCycles::FrameworkId)
                        .to(Frameworks::Table, Frameworks::Id)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_cycles_org",
            AssessmentCycles::Table,
            &["organization_id", "id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Assessments::Table)
                .col(pk_uuid(Assessments::Id))
                .col(uuid(Assessments::OrganizationId))
                .col(uuid(Assessments::CycleId))
                .col(uuid(Assessments::SubjectId))
                .col(timestamp_with_time_zone(Assessments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_assessments_cycle",
                    (Assessments::Table, Assessments::CycleId),
                    (AssessmentCycles::Table, AssessmentCycles::Id),
                ))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_assessments_subject")
                        .from(Assessments::Table, Assessments::SubjectId)
                        .to(Leaders::Table, Leaders::Id)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ux_assessments_cycle_subject",
            Assessments::Table,
            &["cycle_id", "subject_id"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "ix_assessments_subject",
            Assessments::Table,
            &["subject_id"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Reviews::Table)
                .col(pk_uuid(Reviews::Id))
                .col(uuid(Reviews::OrganizationId))
                .col(uuid(Reviews::AssessmentId))
                .col(uuid(Reviews::CycleId))
                .col(uuid_null(Reviews::RaterId))
                .col(string_null(Reviews::ExternalEmail))
                .col(string(Reviews::Relationship))
                .col(string(Reviews::Status))
                .col(timestamp_with_time_zone_null(Reviews::SubmittedAt))
                .col(timestamp_with_time_zone(Reviews::CreatedAt))
                .col(timestamp_with_time_zone(Reviews::UpdatedAt))
                .foreign_key(&mut fk(
                    "fk_reviews_assessment",
                    (Reviews::Table, Reviews::AssessmentId),
                    (Assessments::Table, Assessments::Id),
                ))
                .foreign_key(
                    &mut ForeignKey::create()
                        .name("fk_reviews_rater")
                        .from(Reviews::Table, Reviews::RaterId)
                        .to(Leaders::Table, Leaders::Id)
                        .take(),
                )
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ux_reviews_assessment_rater",
            Reviews::Table,
            &["assessment_id", "rater_id"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "ux_reviews_assessment_external",
            Reviews::Table,
            &["assessment_id", "external_email"],
            true,
        ))
        .await?;
        m.create_index(idx(
            "ix_reviews_rater",
            Reviews::Table,
            &["rater_id", "id"],
            false,
        ))
        .await?;
        m.create_index(idx(
            "ix_reviews_cycle",
            Reviews::Table,
            &["cycle_id", "status"],
            false,
        ))
        .await?;
        m.create_table(
            Table::create()
                .table(Ratings::Table)
                .col(uuid(Ratings::OrganizationId))
                .col(uuid(Ratings::ReviewId))
                .col(uuid(Ratings::IndicatorId))
                .col(integer_null(Ratings::Score))
                .col(timestamp_with_time_zone(Ratings::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(Ratings::ReviewId)
                        .col(Ratings::IndicatorId),
                )
                .foreign_key(&mut fk(
                    "fk_ratings_review",
                    (Ratings::Table, Ratings::ReviewId),
                    (Reviews::Table, Reviews::Id),
                ))
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Comments::Table)
                .col(pk_uuid(Comments::Id))
                .col(uuid(Comments::OrganizationId))
                .col(uuid(Comments::ReviewId))
                .col(uuid_null(Comments::BehaviorId))
                .col(text(Comments::Body))
                .col(timestamp_with_time_zone(Comments::CreatedAt))
                .foreign_key(&mut fk(
                    "fk_comments_review",
                    (Comments::Table, Comments::ReviewId),
                    (Reviews::Table, Reviews::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_comments_review",
            Comments::Table,
            &["review_id"],
            false,
        ))
        .await?;
        let mut agg = Table::create()
            .table(ResultAggregates::Table)
            .col(uuid(ResultAggregates::OrganizationId))
            .col(uuid(ResultAggregates::AssessmentId))
            .col(uuid(ResultAggregates::BehaviorId))
            .col(string(ResultAggregates::Relationship))
            .col(integer(ResultAggregates::RaterCount))
            .col(double(ResultAggregates::ScoreSum))
            .col(double(ResultAggregates::ScoreSumSq))
            .primary_key(
                Index::create()
                    .col(ResultAggregates::AssessmentId)
                    .col(ResultAggregates::BehaviorId)
                    .col(ResultAggregates::Relationship),
            )
            .foreign_key(&mut fk(
                "fk_aggregates_assessment",
                (ResultAggregates::Table, ResultAggregates::AssessmentId),
                (Assessments::Table, Assessments::Id),
            ))
            .take();
        for h in [
            ResultAggregates::Hist1,
            ResultAggregates::Hist2,
            ResultAggregates::Hist3,
            ResultAggregates::Hist4,
            ResultAggregates::Hist5,
            ResultAggregates::Hist6,
            ResultAggregates::Hist7,
            ResultAggregates::Hist8,
            ResultAggregates::Hist9,
            ResultAggregates::Hist10,
        ] {
            agg.col(integer(h).default(0));
        }
        m.create_table(agg).await?;
        m.create_table(
            Table::create()
                .table(OutboxEvents::Table)
                .col(pk_uuid(OutboxEvents::Id))
                .col(uuid(OutboxEvents::OrganizationId))
                .col(string(OutboxEvents::EventType))
                .col(text(OutboxEvents::Payload))
                .col(timestamp_with_time_zone(OutboxEvents::OccurredAt))
                .foreign_key(&mut fk(
                    "fk_outbox_organization",
                    (OutboxEvents::Table, OutboxEvents::OrganizationId),
                    (Organizations::Table, Organizations::Id),
                ))
                .take(),
        )
        .await?;
        m.create_index(idx(
            "ix_outbox_org",
            OutboxEvents::Table,
            &["organization_id", "id"],
            false,
        ))
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            OutboxEvents::Table.into_iden(),
            ResultAggregates::Table.into_iden(),
            Comments::Table.into_iden(),
            Ratings::Table.into_iden(),
            Reviews::Table.into_iden(),
            Assessments::Table.into_iden(),
            AssessmentCycles::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).take()).await?;
        }
        Ok(())
    }
}
