//! `audit_events`: who changed what, when, in which request. Append-only.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organization_id: Uuid,
    /// `USER` or `API_KEY`.
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    /// The mutation, e.g. `createLeader`.
    pub action: String,
    /// The GraphQL type of the target, e.g. `Leader`.
    pub target_type: Option<String>,
    pub target_id: Option<Uuid>,
    pub request_id: String,
    pub occurred_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
