//! The API test suite: one binary; each test starts the real server on a random port
//! with a fresh database (SQLite by default, PostgreSQL when TEST_DATABASE_URL is set).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod anonymity;
mod asymmetric;
mod cli;
mod compiled;
mod config;
mod cycles;
mod demo_data;
mod directory;
mod faults;
mod frameworks;
mod graphql_building_blocks;
mod helpers;
mod http_protocol;
mod import;
mod import_file;
mod insights;
mod limits;
mod operations;
mod people;
mod plans;
mod schema;
mod scim;
mod security;
mod subscriptions;
mod tenancy;
mod webhook_receiver;
mod webhooks;
