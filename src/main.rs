//! Parse the CLI, load the configuration, initialise tracing, run.

use clap::Parser;
use colead::cli::{self, Cli};
use colead::config::Config;

/// mimalloc: a page allocates thousands of small values, and glibc's malloc and free were
/// a fifth of the server's CPU on the directory benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("colead: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    colead::telemetry::init(&config);
    let code = match cli::run(cli, config).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("colead: {}", e.report());
            std::process::ExitCode::FAILURE
        }
    };
    // The exporter's blocking flush must not run on a runtime worker.
    let _ = tokio::task::spawn_blocking(colead::telemetry::shutdown).await;
    code
}
