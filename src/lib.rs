//! colead: a multi-tenant GraphQL API for collaborative-leadership 360 assessments.

pub mod auth;
pub mod cli;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod events;
pub mod graphql;
pub mod http;
pub mod ratelimit;
pub mod startup;
pub mod telemetry;
pub mod tenancy;
