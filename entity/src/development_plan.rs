//! `development_plans`: a leader's development plan, usually born from an assessment.

use sea_orm::entity::prelude::*;

use crate::enums::PlanStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "development_plans")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub leader_id: Uuid,
    pub source_assessment_id: Option<Uuid>,
    pub title: String,
    pub status: PlanStatus,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
