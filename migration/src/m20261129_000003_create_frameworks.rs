//! Behavior frameworks, their behaviors and indicators, and the built-in framework
//! "Collaborative Leadership" v1 (visible to every organization, read-only).

use chrono::{TimeZone, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use uuid::Uuid;

use crate::seed_collaborative_leadership as seed;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Organizations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Frameworks {
    Table,
    Id,
    OrganizationId,
    Name,
    Description,
    Source,
    Version,
    Status,
    BasedOnId,
    PublishedAt,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Behaviors {
    Table,
    Id,
    FrameworkId,
    OrganizationId,
    Key,
    Position,
    Title,
    Summary,
}

#[derive(DeriveIden)]
enum Indicators {
    Table,
    Id,
    BehaviorId,
    FrameworkId,
    OrganizationId,
    Position,
    Text,
}

/// The built-in framework's id; behaviors and indicators derive theirs from it, so the
/// same ids hold on every installation.
pub const BUILT_IN_FRAMEWORK: u128 = 0x0193_a000_0000_7000_8000_0000_0000_0001;

pub fn behavior_id(index: usize) -> Uuid {
    Uuid::from_u128(BUILT_IN_FRAMEWORK + 0x100 + index as u128)
}

pub fn indicator_id(behavior: usize, index: usize) -> Uuid {
    Uuid::from_u128(BUILT_IN_FRAMEWORK + 0x1_0000 + (behavior as u128) * 0x10 + index as u128)
}

fn insert_err(e: impl std::fmt::Display) -> DbErr {
    DbErr::Custom(format!("seeding the built-in framework: {e}"))
}

async fn seed_built_in(m: &SchemaManager<'_>) -> Result<(), DbErr> {
    let at = Utc
        .with_ymd_and_hms(2026, 11, 29, 0, 0, 0)
        .single()
        .ok_or_else(|| insert_err("bad date"))?;
    let fw = Uuid::from_u128(BUILT_IN_FRAMEWORK);
    let framework = Query::insert()
        .into_table(Frameworks::Table)
        .columns([
            Frameworks::Id,
            Frameworks::Name,
            Frameworks::Description,
            Frameworks::Source,
            Frameworks::Version,
            Frameworks::Status,
            Frameworks::PublishedAt,
            Frameworks::CreatedAt,
            Frameworks::UpdatedAt,
        ])
        .values([
            fw.into(),
            seed::NAME.into(),
            seed::DESCRIPTION.into(),
            seed::SOURCE.into(),
            1.into(),
            "PUBLISHED".into(),
            at.into(),
            at.into(),
            at.into(),
        ])
        .map_err(insert_err)?
        .to_owned();
    m.exec_stmt(framework).await?;
    let mut behaviors = Query::insert()
        .into_table(Behaviors::Table)
        .columns([
            Behaviors::Id,
            Behaviors::FrameworkId,
            Behaviors::Key,
            Behaviors::Position,
            Behaviors::Title,
            Behaviors::Summary,
        ])
        .to_owned();
    let mut indicators = Query::insert()
        .into_table(Indicators::Table)
        .columns([
            Indicators::Id,
            Indicators::BehaviorId,
            Indicators::FrameworkId,
            Indicators::Position,
            Indicators::Text,
        ])
        .to_owned();
    for (i, b) in seed::BEHAVIORS.iter().enumerate() {
        behaviors
            .values([
                behavior_id(i).into(),
                fw.into(),
                b.key.into(),
                (i as i32 + 1).into(),
                b.title.into(),
                b.summary.into(),
            ])
            .map_err(insert_err)?;
        for (j, text) in b.indicators.iter().enumerate() {
            indicators
                .values([
                    indicator_id(i, j).into(),
                    behavior_id(i).into(),
                    fw.into(),
                    (j as i32 + 1).into(),
                    (*text).into(),
                ])
                .map_err(insert_err)?;
        }
    }
    m.exec_stmt(behaviors).await?;
    m.exec_stmt(indicators).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Frameworks::Table)
                .col(pk_uuid(Frameworks::Id))
                .col(uuid_null(Frameworks::OrganizationId))
                .col(string(Frameworks::Name))
                .col(text_null(Frameworks::Description))
                .col(text_null(Frameworks::Source))
                .col(integer(Frameworks::Version))
                .col(string(Frameworks::Status))
                .col(uuid_null(Frameworks::BasedOnId))
                .col(timestamp_with_time_zone_null(Frameworks::PublishedAt))
                .col(timestamp_with_time_zone(Frameworks::CreatedAt))
                .col(timestamp_with_time_zone(Frameworks::UpdatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_frameworks_organization")
                        .from(Frameworks::Table, Frameworks::OrganizationId)
                        .to(Organizations::Table, Organizations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_frameworks_org")
                .table(Frameworks::Table)
                .col(Frameworks::OrganizationId)
                .col(Frameworks::Id)
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Behaviors::Table)
                .col(pk_uuid(Behaviors::Id))
                .col(uuid(Behaviors::FrameworkId))
                .col(uuid_null(Behaviors::OrganizationId))
                .col(string(Behaviors::Key))
                .col(integer(Behaviors::Position))
                .col(string(Behaviors::Title))
                .col(text(Behaviors::Summary))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_behaviors_framework")
                        .from(Behaviors::Table, Behaviors::FrameworkId)
                        .to(Frameworks::Table, Frameworks::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_behaviors_framework_key")
                .table(Behaviors::Table)
                .col(Behaviors::FrameworkId)
                .col(Behaviors::Key)
                .unique()
                .take(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Indicators::Table)
                .col(pk_uuid(Indicators::Id))
                .col(uuid(Indicators::BehaviorId))
                .col(uuid(Indicators::FrameworkId))
                .col(uuid_null(Indicators::OrganizationId))
                .col(integer(Indicators::Position))
                .col(text(Indicators::Text))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_indicators_behavior")
                        .from(Indicators::Table, Indicators::BehaviorId)
                        .to(Behaviors::Table, Behaviors::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_indicators_behavior")
                .table(Indicators::Table)
                .col(Indicators::BehaviorId)
                .col(Indicators::Position)
                .take(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_indicators_framework")
                .table(Indicators::Table)
                .col(Indicators::FrameworkId)
                .take(),
        )
        .await?;
        seed_built_in(m).await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(Indicators::Table).take())
            .await?;
        m.drop_table(Table::drop().table(Behaviors::Table).take())
            .await?;
        m.drop_table(Table::drop().table(Frameworks::Table).take())
            .await
    }
}
