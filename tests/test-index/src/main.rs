//! `test-index`: a Warehouse-faithful package index for tests and demos. It speaks
//! PyPI's legacy upload API with Warehouse's checks, statuses and messages, serves
//! the simple API, and (with `--oidc`) trusted publishing with a built-in issuer.
//! Versions, specifiers, requirements and distribution filenames are judged by
//! Python's `packaging` (see `oracle`), not by the crates the client uses.
//! See `README.md` beside this crate for the interface.

mod accept;
mod app;
mod attestations;
mod auth;
mod config;
mod form;
mod httpexc;
mod integrity;
mod legacy;
mod names;
mod oidc;
mod oracle;
mod pyfmt;
mod simple;
mod stats;
mod store;
mod upload;
mod validate;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = config::Cli::parse();
    // First, so Python starts while the index does; `app::run` waits for its answer.
    if let Err(message) = oracle::start(cli.python.as_deref()) {
        eprintln!("test-index: {message}");
        return std::process::ExitCode::from(2);
    }
    let config = match config::Config::from_cli(cli) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("test-index: {message}");
            return std::process::ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("test-index: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(app::run(config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("test-index: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
