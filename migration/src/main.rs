//! `migration up|down|status|fresh`: the migrations' own CLI, for operators.
//! The service binary offers the same through `colead migrate`.

use clap::{Parser, Subcommand};
use migration::{Migrator, MigratorTrait};
use sea_orm_migration::sea_orm::Database;

#[derive(Parser)]
#[command(about = "Apply or roll back colead's database migrations")]
struct Cli {
    /// Database URL (sqlite:// or postgres://).
    #[arg(
        long,
        env = "COLEAD_DATABASE_URL",
        default_value = "sqlite://colead.db?mode=rwc"
    )]
    database_url: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations (the default).
    Up,
    /// Roll back the last migration.
    Down,
    /// List migrations and whether each is applied.
    Status,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let cli = Cli::parse();
    let db = Database::connect(cli.database_url.as_str()).await?;
    match cli.command.unwrap_or(Command::Up) {
        Command::Up => Migrator::up(&db, None).await?,
        Command::Down => Migrator::down(&db, Some(1)).await?,
        Command::Status => {
            for (name, applied) in migration::status(&db).await? {
                println!("{} {name}", if applied { "applied" } else { "pending" });
            }
        }
    }
    Ok(())
}
