//! The command line: `serve` (the default), `migrate`, `schema`, `token`, `demo`, `import`.

pub mod import;

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};

use crate::auth::jwt::JwtKeys;
use crate::config::Config;
use crate::domain::accounts::{Issuer, operator};
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
    /// Print an access token for an existing membership (for operators and scripts).
    Token {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// The member's email.
        #[arg(long)]
        email: String,
    },
    /// Create the demo organization with an admin (idempotent) and print how to log in;
    /// with `--leaders`, also fill it with generated people, released cycles and plans.
    Demo {
        /// Leaders to generate in a hierarchy (into an organization that has none yet).
        #[arg(long)]
        leaders: Option<usize>,
        /// Released 360 cycles to generate (with `--leaders`).
        #[arg(long, default_value_t = 1)]
        cycles: usize,
        /// Seed of the generator: the same seed gives the same organization.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import leaders from a CSV file with the columns of `LeaderRecordInput`
    /// (externalId, name, email, title, department, managerExternalId, active).
    Import {
        /// The organization's slug.
        #[arg(long)]
        org: String,
        /// Deactivate active leaders whose external id is not in the file.
        #[arg(long)]
        deactivate_missing: bool,
        /// Records per transaction (at most 5,000).
        #[arg(long, default_value_t = 1_000)]
        batch_size: usize,
        /// The CSV file.
        file: std::path::PathBuf,
    },
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
        Command::Token { org, email } => token(config, &org, &email).await,
        Command::Demo {
            leaders,
            cycles,
            seed,
        } => {
            demo(
                config,
                leaders.map(|leaders| crate::demo::Scale {
                    leaders,
                    cycles,
                    seed,
                }),
            )
            .await
        }
        Command::Import {
            org,
            deactivate_missing,
            batch_size,
            file,
        } => {
            let (db, _) = open(&config).await?;
            import::run(&db, &org, &file, batch_size, deactivate_missing).await
        }
    }
}

/// Opens the database (migrating when configured) and the signing keys, for one command.
async fn open(config: &Config) -> Result<(sea_orm::DatabaseConnection, JwtKeys)> {
    if config.jwt_secret_generated {
        eprintln!(
            "warning: COLEAD_JWT_SECRET is not set, so this token is signed with a throwaway secret \
             that no running server shares; set it to the server's secret"
        );
    }
    let db = crate::db::connect(&config.database_url, 2).await?;
    if config.auto_migrate {
        crate::db::migrate(&db).await?;
    }
    Ok((db, JwtKeys::from_config(config)?))
}

async fn token(config: Config, org: &str, email: &str) -> Result<()> {
    let (db, jwt) = open(&config).await?;
    let issuer = Issuer {
        db: &db,
        jwt: &jwt,
        refresh_ttl: config.refresh_token_ttl,
    };
    let signed = operator::token_for(&issuer, org, email).await?;
    println!("{}", signed.token);
    Ok(())
}

async fn demo(config: Config, scale: Option<crate::demo::Scale>) -> Result<()> {
    let (db, jwt) = open(&config).await?;
    let issuer = Issuer {
        db: &db,
        jwt: &jwt,
        refresh_ttl: config.refresh_token_ttl,
    };
    let tokens = operator::demo(&issuer).await?;
    println!("organization: {}", operator::DEMO_SLUG);
    println!("email:        {}", operator::DEMO_EMAIL);
    println!("password:     {}", operator::DEMO_PASSWORD);
    println!("access token: {}", tokens.access_token);
    if let Some(scale) = scale {
        let org = crate::tenancy::organization_by_slug(&db, operator::DEMO_SLUG)
            .await?
            .ok_or(crate::error::Error::NotFound("organization"))?;
        let (c, took) = crate::demo::populate(&db, org.id, scale).await?;
        println!(
            "generated:    {} leaders, {} teams, {} cycles, {} reviews, {} ratings, {} comments, {} plans in {:.1} s",
            c.leaders,
            c.teams,
            c.cycles,
            c.reviews,
            c.ratings,
            c.comments,
            c.plans,
            took.as_secs_f64()
        );
    }
    Ok(())
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
