//! sea-orm entities: one file per table; models and relations, nothing else.
//! Never derive GraphQL output types here, so secrets and `organization_id` cannot leak.

pub mod api_key;
pub mod behavior;
pub mod enums;
pub mod framework;
pub mod indicator;
pub mod invitation;
pub mod leader;
pub mod membership;
pub mod organization;
pub mod refresh_token;
pub mod team;
pub mod team_member;
pub mod user;
