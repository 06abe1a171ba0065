//! Heatmaps kept in the database. A closed cycle's heatmap sums change only when people
//! move between departments, managers and teams; computing them reads every rating
//! aggregate of the cycle (about 300 ms at 10,000 leaders), so they are computed once
//! and kept in `heatmap_snapshots`, stamped with the organization's `people_versions`
//! version at the time.
//!
//! Triggers bump that version whenever a leader's department or manager changes, a
//! leader is deleted, or team membership changes, whatever path wrote it (the API,
//! SCIM, an import, an operator's SQL). A snapshot whose stamp is not the current
//! version is stale and is computed again. On PostgreSQL the triggers run once per
//! statement over its transition tables, so a 10,000-row import bumps the version once,
//! not 10,000 times; SQLite has row triggers only, which cost it little.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

const POSTGRES_UP: &str = r#"
CREATE TABLE people_versions (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
    version bigint NOT NULL
);
CREATE TABLE heatmap_snapshots (
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    cycle_id uuid NOT NULL REFERENCES assessment_cycles (id) ON DELETE CASCADE,
    group_by varchar(16) NOT NULL,
    people_version bigint NOT NULL,
    sums text NOT NULL,
    PRIMARY KEY (cycle_id, group_by)
);
CREATE FUNCTION colead_people_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO people_versions (organization_id, version)
    SELECT DISTINCT organization_id, 1 FROM changed
    ON CONFLICT (organization_id) DO UPDATE SET version = people_versions.version + 1;
    RETURN NULL;
END $$;
CREATE FUNCTION colead_leaders_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO people_versions (organization_id, version)
    SELECT DISTINCT n.organization_id, 1 FROM new_rows n JOIN old_rows o ON o.id = n.id
    WHERE o.department IS DISTINCT FROM n.department
       OR o.manager_id IS DISTINCT FROM n.manager_id
    ON CONFLICT (organization_id) DO UPDATE SET version = people_versions.version + 1;
    RETURN NULL;
END $$;
CREATE TRIGGER leaders_moved AFTER UPDATE ON leaders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION colead_leaders_moved();
CREATE TRIGGER leaders_deleted AFTER DELETE ON leaders
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION colead_people_changed();
CREATE TRIGGER team_members_added AFTER INSERT ON team_members
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION colead_people_changed();
CREATE TRIGGER team_members_removed AFTER DELETE ON team_members
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION colead_people_changed();
CREATE TRIGGER team_members_changed AFTER UPDATE ON team_members
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION colead_people_changed();
"#;

const POSTGRES_DOWN: &str = r#"
DROP TRIGGER IF EXISTS team_members_changed ON team_members;
DROP TRIGGER IF EXISTS team_members_removed ON team_members;
DROP TRIGGER IF EXISTS team_members_added ON team_members;
DROP TRIGGER IF EXISTS leaders_deleted ON leaders;
DROP TRIGGER IF EXISTS leaders_moved ON leaders;
DROP FUNCTION IF EXISTS colead_leaders_moved();
DROP FUNCTION IF EXISTS colead_people_changed();
DROP TABLE IF EXISTS heatmap_snapshots;
DROP TABLE IF EXISTS people_versions;
"#;

/// SQLite's tables, one statement per call.
const SQLITE_TABLES: [&str; 2] = [
    "CREATE TABLE people_versions (
        organization_id blob PRIMARY KEY REFERENCES organizations (id) ON DELETE CASCADE,
        version integer NOT NULL
    )",
    "CREATE TABLE heatmap_snapshots (
        organization_id blob NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
        cycle_id blob NOT NULL REFERENCES assessment_cycles (id) ON DELETE CASCADE,
        group_by varchar(16) NOT NULL,
        people_version integer NOT NULL,
        sums text NOT NULL,
        PRIMARY KEY (cycle_id, group_by)
    )",
];

/// SQLite's row triggers: (name, when it fires, the row whose organization moved).
const SQLITE_TRIGGERS: [(&str, &str, &str); 5] = [
    (
        "leaders_moved",
        "AFTER UPDATE OF department, manager_id ON leaders \
         WHEN OLD.department IS NOT NEW.department OR OLD.manager_id IS NOT NEW.manager_id",
        "NEW",
    ),
    ("leaders_deleted", "AFTER DELETE ON leaders", "OLD"),
    ("team_members_added", "AFTER INSERT ON team_members", "NEW"),
    (
        "team_members_removed",
        "AFTER DELETE ON team_members",
        "OLD",
    ),
    (
        "team_members_changed",
        "AFTER UPDATE ON team_members",
        "NEW",
    ),
];

fn sqlite_up() -> Vec<String> {
    let triggers = SQLITE_TRIGGERS.iter().map(|(name, when, row)| {
        format!(
            "CREATE TRIGGER {name} {when} BEGIN \
             INSERT INTO people_versions (organization_id, version) \
             VALUES ({row}.organization_id, 1) \
             ON CONFLICT (organization_id) DO UPDATE SET version = version + 1; END"
        )
    });
    SQLITE_TABLES
        .iter()
        .map(|t| (*t).to_owned())
        .chain(triggers)
        .collect()
}

fn sqlite_down() -> Vec<String> {
    SQLITE_TRIGGERS
        .iter()
        .rev()
        .map(|(name, _, _)| format!("DROP TRIGGER IF EXISTS {name}"))
        .chain([
            "DROP TABLE IF EXISTS heatmap_snapshots".to_owned(),
            "DROP TABLE IF EXISTS people_versions".to_owned(),
        ])
        .collect()
}

async fn run(
    manager: &SchemaManager<'_>,
    postgres: &str,
    sqlite: Vec<String>,
) -> Result<(), DbErr> {
    let db = manager.get_connection();
    match manager.get_database_backend() {
        DbBackend::Postgres => {
            db.execute_unprepared(postgres).await?;
        }
        _ => {
            for statement in sqlite {
                db.execute_unprepared(&statement).await?;
            }
        }
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_UP, sqlite_up()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        run(manager, POSTGRES_DOWN, sqlite_down()).await
    }
}
