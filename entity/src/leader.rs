//! `leaders`: people being developed (and usually raters too).

use sea_orm::entity::prelude::*;

use crate::enums::LeaderStatus;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leaders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub title: Option<String>,
    pub department: Option<String>,
    pub location: Option<String>,
    pub external_id: Option<String>,
    pub manager_id: Option<Uuid>,
    pub start_date: Option<Date>,
    pub status: LeaderStatus,
    /// The identity provider's `userName` (SCIM); unique in the organization.
    pub user_name: Option<String>,
    /// The SCIM enterprise extension's `employeeNumber`.
    pub employee_number: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
