//! `goals`: a commitment about one behavior.

use sea_orm::entity::prelude::*;

use crate::enums::GoalStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "goals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub plan_id: Uuid,
    pub behavior_id: Uuid,
    pub title: String,
    pub success_measure: Option<String>,
    pub target_date: Option<Date>,
    pub status: GoalStatus,
    pub progress: i32,
    /// JSON: why the goal was suggested (scores of the source assessment).
    pub suggestion: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
