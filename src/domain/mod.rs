//! The rules and queries of each area, free of GraphQL types.

pub mod accounts;
pub mod frameworks;
pub mod input;
pub mod pagination;
pub mod people;
