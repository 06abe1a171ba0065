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

/// Whether a leader is current; leaders are deactivated, never deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum LeaderStatus {
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    Inactive,
}

/// A framework's lifecycle: drafts change, published versions never do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum FrameworkStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "RETIRED")]
    Retired,
}
