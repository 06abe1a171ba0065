//! Opening the database (SQLite or PostgreSQL) and running migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use crate::error::{Context, Result};

/// Opens a pool on `url`. SQLite gets WAL, a busy timeout and foreign keys, so that
/// concurrent requests behave as they do on PostgreSQL.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(Duration::from_secs(5))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(opts)
        .await
        .context("connecting to the database")
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await.context("running migrations")
}

/// True when the database answers within a second.
pub async fn is_ready(db: &DatabaseConnection) -> bool {
    matches!(
        tokio::time::timeout(Duration::from_secs(1), db.ping()).await,
        Ok(Ok(()))
    )
}
