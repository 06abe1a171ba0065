//! Opening the database (SQLite or PostgreSQL) and running migrations.

use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection};

use sea_orm::{ActiveModelTrait, EntityTrait};

use crate::error::{Context, Result};

/// The size of a pool and how long its work may wait.
#[derive(Debug, Clone, Copy)]
pub struct PoolOptions {
    pub max_connections: u32,
    /// How long a request waits for a connection before failing (fast, when the
    /// database is gone).
    pub acquire_timeout: Duration,
    /// The longest a statement may run on PostgreSQL before the server cancels it.
    pub statement_timeout: Option<Duration>,
}

impl PoolOptions {
    /// A pool for tools and tests: no statement timeout.
    pub fn small(max_connections: u32) -> Self {
        Self {
            max_connections,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: None,
        }
    }

    /// The server's pool, as configured.
    pub fn from_config(config: &crate::config::Config) -> Self {
        Self {
            max_connections: config.max_connections,
            acquire_timeout: config.hardening.acquire_timeout,
            statement_timeout: Some(config.hardening.statement_timeout),
        }
    }
}

/// Opens a small pool on `url` (tools and tests).
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection> {
    connect_with(url, PoolOptions::small(max_connections)).await
}

/// Opens a pool on `url`. SQLite gets WAL, a busy timeout and foreign keys, so that
/// concurrent requests behave as they do on PostgreSQL; PostgreSQL gets the statement
/// timeout as a session setting.
pub async fn connect_with(url: &str, pool: PoolOptions) -> Result<DatabaseConnection> {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(pool.max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(5))
        .acquire_timeout(pool.acquire_timeout)
        .sqlx_logging(false)
        .map_sqlx_postgres_opts(move |o| match pool.statement_timeout {
            Some(t) => o.options([("statement_timeout", format!("{}ms", t.as_millis()))]),
            None => o,
        })
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

/// The connections of the pool: (open, idle).
pub fn pool_usage(db: &DatabaseConnection) -> (u32, usize) {
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => {
            let pool = db.get_postgres_connection_pool();
            (pool.size(), pool.num_idle())
        }
        sea_orm::DbBackend::Sqlite => {
            let pool = db.get_sqlite_connection_pool();
            (pool.size(), pool.num_idle())
        }
        _ => (0, 0),
    }
}

/// Most bind parameters in one statement (SQLite allows 32,766; PostgreSQL 65,535).
const MAX_PARAMS: usize = 30_000;

/// Writes rows in multi-row inserts of at most [`MAX_PARAMS`] parameters.
pub struct Batch<A: ActiveModelTrait> {
    rows: Vec<A>,
    per_statement: usize,
}

impl<A> Batch<A>
where
    A: ActiveModelTrait + Send,
{
    pub fn new(columns: usize) -> Self {
        let per_statement = (MAX_PARAMS / columns.max(1)).max(1);
        Self {
            rows: Vec::with_capacity(per_statement),
            per_statement,
        }
    }

    pub async fn push<C: sea_orm::ConnectionTrait>(&mut self, db: &C, row: A) -> Result<()> {
        self.rows.push(row);
        if self.rows.len() >= self.per_statement {
            self.flush(db).await?;
        }
        Ok(())
    }

    /// Adds a row without writing; the caller flushes (after the rows it refers to).
    pub fn hold(&mut self, row: A) {
        self.rows.push(row);
    }

    /// True when a statement's worth of rows is held.
    pub fn is_full(&self) -> bool {
        self.rows.len() >= self.per_statement
    }

    pub async fn flush<C: sea_orm::ConnectionTrait>(&mut self, db: &C) -> Result<()> {
        if self.rows.is_empty() {
            return Ok(());
        }
        let rows = std::mem::replace(&mut self.rows, Vec::with_capacity(self.per_statement));
        A::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .context("writing demo rows")?;
        Ok(())
    }
}
