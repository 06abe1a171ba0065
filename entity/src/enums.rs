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

/// An assessment cycle's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum CycleStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "RELEASED")]
    Released,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// How a rater relates to the subject, frozen when the review is assigned. Stored as
/// text (`SELF`, `MANAGER`, …) through [`Relationship::as_str`] and [`Relationship::parse`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Relationship {
    SelfRating,
    Manager,
    DirectReport,
    Peer,
    External,
}

impl Relationship {
    pub const ALL: [Relationship; 5] = [
        Relationship::SelfRating,
        Relationship::Manager,
        Relationship::DirectReport,
        Relationship::Peer,
        Relationship::External,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Relationship::SelfRating => "SELF",
            Relationship::Manager => "MANAGER",
            Relationship::DirectReport => "DIRECT_REPORT",
            Relationship::Peer => "PEER",
            Relationship::External => "EXTERNAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A review's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum ReviewStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

/// A development plan's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum PlanStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

/// A goal's lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum GoalStatus {
    #[sea_orm(string_value = "NOT_STARTED")]
    NotStarted,
    #[sea_orm(string_value = "IN_PROGRESS")]
    InProgress,
    #[sea_orm(string_value = "ACHIEVED")]
    Achieved,
    #[sea_orm(string_value = "DROPPED")]
    Dropped,
}

/// How a supporter helps with a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum SupporterRole {
    #[sea_orm(string_value = "MANAGER")]
    Manager,
    #[sea_orm(string_value = "COACH")]
    Coach,
    #[sea_orm(string_value = "PEER")]
    Peer,
    #[sea_orm(string_value = "MENTOR")]
    Mentor,
}

/// A webhook delivery: waiting (or retrying), delivered, or given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
pub enum DeliveryStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SUCCEEDED")]
    Succeeded,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}
