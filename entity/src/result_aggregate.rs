//! `result_aggregates`: per assessment × behavior × relationship, the count, sum, sum of
//! squares and histogram of submitted behavior scores, maintained on submit.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "result_aggregates")]
pub struct Model {
    pub organization_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub behavior_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub relationship: String,
    pub rater_count: i32,
    pub score_sum: f64,
    pub score_sum_sq: f64,
    pub hist1: i32,
    pub hist2: i32,
    pub hist3: i32,
    pub hist4: i32,
    pub hist5: i32,
    pub hist6: i32,
    pub hist7: i32,
    pub hist8: i32,
    pub hist9: i32,
    pub hist10: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
