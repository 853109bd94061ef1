//! The commands: each parses nothing, prints its results, and returns an exit status.

pub mod action;
pub mod check;
pub mod upload;

use std::process::ExitCode;

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything passed.
    Success,
    /// The work was refused or failed (exit 1).
    Failure,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::Failure => ExitCode::from(1),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: crate::cli::Cli) -> anyhow::Result<Status> {
    use crate::cli::Command;
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Upload(args) => runtime()?.block_on(upload::run(args, |k| std::env::var(k).ok())),
        Command::Action => runtime()?.block_on(action::run(|k| std::env::var(k).ok())),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
