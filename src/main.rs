//! Parse the CLI, load the configuration, initialise tracing, run.

use clap::Parser;
use colead::cli::{self, Cli};
use colead::config::Config;

/// mimalloc: a page allocates thousands of small values, and glibc's malloc and free were
/// a fifth of the server's CPU on the directory benchmark.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// `mi_option_purge_delay` in mimalloc v3's `mi_option_e` (the sys crate names no
/// constant for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

#[actix_web::main]
async fn main() -> std::process::ExitCode {
    // Freed memory goes back to the system at once rather than after 10 ms: a 5,000-record
    // import otherwise peaked at 160-180 MB resident instead of about 130. An operator's
    // own MIMALLOC_PURGE_DELAY wins.
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: mi_option_set only stores an option's value, which mimalloc reads when
        // it next purges; any thread may call it at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
    }
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
