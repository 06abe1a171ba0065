//! The command line: `serve` (the default), `migrate`, `schema`.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::config::Config;
use crate::error::{Context, Result};
use crate::startup::Application;

#[derive(Parser)]
#[command(
    name = "colead",
    version,
    about = "colead: the GraphQL API for collaborative-leadership 360s"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Apply, roll back or list database migrations.
    Migrate {
        #[command(subcommand)]
        action: Option<MigrateAction>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
}

#[derive(Subcommand, Clone, Copy)]
pub enum MigrateAction {
    /// Apply pending migrations (the default).
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

/// Runs the parsed command.
pub async fn run(cli: Cli, config: Config) -> Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Migrate { action } => migrate(config, action.unwrap_or(MigrateAction::Up)).await,
        Command::Schema => {
            print!("{}", crate::graphql::sdl());
            Ok(())
        }
    }
}

async fn serve(config: Config) -> Result<()> {
    if config.jwt_secret_generated {
        tracing::warn!(
            "COLEAD_JWT_SECRET is not set: using a random secret, so tokens die with this process"
        );
    }
    let graphiql = config.graphiql;
    let app = Application::build(config).await?;
    let addr = format!("http://127.0.0.1:{}", app.port());
    tracing::info!(graphql = %format!("{addr}/graphql"), "colead is serving");
    if graphiql {
        tracing::info!("GraphiQL is at {addr}/graphiql");
    }
    app.run_until_stopped().await.context("serving")
}

async fn migrate(config: Config, action: MigrateAction) -> Result<()> {
    let db = crate::db::connect(&config.database_url, 1).await?;
    match action {
        MigrateAction::Up => Migrator::up(&db, None).await.context("migrating up")?,
        MigrateAction::Down => Migrator::down(&db, Some(1))
            .await
            .context("migrating down")?,
        MigrateAction::Status => {
            for (name, applied) in migration::status(&db).await.context("reading migrations")? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
    }
    Ok(())
}
