//! sea-orm entities: one file per table; models and relations, nothing else.
//! Never derive GraphQL output types here, so secrets and `organization_id` cannot leak.

pub mod action;
pub mod api_key;
pub mod assessment;
pub mod assessment_cycle;
pub mod audit_event;
pub mod behavior;
pub mod comment;
pub mod development_plan;
pub mod enums;
pub mod framework;
pub mod goal;
pub mod indicator;
pub mod invitation;
pub mod leader;
pub mod membership;
pub mod organization;
pub mod outbox_event;
pub mod plan_activity;
pub mod plan_supporter;
pub mod rating;
pub mod refresh_token;
pub mod result_aggregate;
pub mod review;
pub mod team;
pub mod team_member;
pub mod user;
pub mod webhook_delivery;
pub mod webhook_endpoint;
