//! Database migrations, one file per migration, each with a working `down()`.
//! Every migration runs on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_create_accounts;
mod m20261129_000002_create_people;
mod m20261129_000003_create_frameworks;
mod m20261129_000004_create_assessments;
mod m20261129_000005_create_plans;
mod m20261129_000006_create_audit_events;
mod m20261130_000007_create_webhooks;
mod m20261130_000009_add_leader_scim_fields;
mod m20261130_000010_persist_heatmaps;
mod schema_helpers;
pub mod seed_collaborative_leadership;

pub use m20261129_000003_create_frameworks::{BUILT_IN_FRAMEWORK, behavior_id, indicator_id};

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_create_accounts::Migration),
            Box::new(m20261129_000002_create_people::Migration),
            Box::new(m20261129_000003_create_frameworks::Migration),
            Box::new(m20261129_000004_create_assessments::Migration),
            Box::new(m20261129_000005_create_plans::Migration),
            Box::new(m20261129_000006_create_audit_events::Migration),
            Box::new(m20261130_000007_create_webhooks::Migration),
            Box::new(m20261130_000009_add_leader_scim_fields::Migration),
            Box::new(m20261130_000010_persist_heatmaps::Migration),
        ]
    }
}

/// Every known migration with whether it is applied, in order.
pub async fn status<C: ConnectionTrait>(db: &C) -> Result<Vec<(String, bool)>, DbErr>
where
    for<'c> &'c C: IntoSchemaManagerConnection<'c>,
{
    let applied: std::collections::HashSet<String> = Migrator::get_applied_migrations(db)
        .await?
        .into_iter()
        .map(|m| m.name().to_owned())
        .collect();
    Ok(Migrator::migrations()
        .iter()
        .map(|m| (m.name().to_owned(), applied.contains(m.name())))
        .collect())
}
