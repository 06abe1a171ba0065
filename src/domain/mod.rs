//! The rules and queries of each area, free of GraphQL types.

pub mod accounts;
pub mod input;
pub mod pagination;
