//! Enumerations stored as text columns.

use sea_orm::entity::prelude::*;

/// A member's or API key's role inside one organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "HR")]
    Hr,
    #[sea_orm(string_value = "MEMBER")]
    Member,
    #[sea_orm(string_value = "INTEGRATION")]
    Integration,
}

/// An invited membership becomes active when its invitation is accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum MembershipStatus {
    #[sea_orm(string_value = "INVITED")]
    Invited,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
}
