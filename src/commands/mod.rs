//! The commands: each parses nothing, prints its results, and returns an exit status.

// The front doors own the terminal: they print results and errors.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod action;
pub mod attest;
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
    /// A signal stopped the work before it was done (exit 128 + signal number).
    Interrupted(crate::interrupt::Signal),
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> Self {
        match s {
            Status::Success => ExitCode::SUCCESS,
            Status::Failure => ExitCode::from(1),
            Status::Interrupted(signal) => ExitCode::from(signal.exit_code()),
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: crate::cli::Cli) -> anyhow::Result<Status> {
    use crate::cli::Command;
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Upload(args) => interruptible(upload::run(args, |k| std::env::var(k).ok())),
        Command::Action => interruptible(action::run(|k| std::env::var(k).ok())),
        Command::Attest(args) => interruptible(attest::run(args, |k| std::env::var(k).ok())),
    }
}

/// Runs a publishing command with SIGINT/SIGTERM handled ([`crate::interrupt`]): a run that
/// a signal stopped short exits 130/143; one that finished anyway keeps its own status.
fn interruptible(
    command: impl std::future::Future<Output = anyhow::Result<Status>>,
) -> anyhow::Result<Status> {
    let status = runtime()?.block_on(async {
        crate::interrupt::listen()?;
        command.await
    })?;
    Ok(match (status, crate::interrupt::received()) {
        (Status::Failure, Some(signal)) => Status::Interrupted(signal),
        (status, _) => status,
    })
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// The line for a destination a failed run did not go on to (both front doors).
fn not_reached_line(url: &str) -> String {
    format!("not published to {url}: an earlier destination failed")
}
