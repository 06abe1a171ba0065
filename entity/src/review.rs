//! `reviews`: one rater's questionnaire for one assessment.

use sea_orm::entity::prelude::*;

use crate::enums::ReviewStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reviews")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub assessment_id: Uuid,
    pub cycle_id: Uuid,
    pub rater_id: Option<Uuid>,
    pub external_email: Option<String>,
    pub relationship: String,
    pub status: ReviewStatus,
    pub submitted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
