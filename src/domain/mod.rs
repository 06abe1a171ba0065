//! The rules and queries of each area, free of GraphQL types.

pub mod pagination;
