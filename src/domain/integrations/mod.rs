//! Integrations with other systems: signed webhooks.

pub mod webhooks;
