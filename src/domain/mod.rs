//! The rules and queries of each area, free of GraphQL types.

pub mod accounts;
pub mod audit;
pub mod cycles;
pub mod frameworks;
pub mod input;
pub mod insights;
pub mod integrations;
pub mod live;
pub mod outbox;
pub mod pagination;
pub mod people;
pub mod plans;
pub mod results;
pub mod reviews;
