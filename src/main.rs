use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = pypi_publish::cli::Cli::parse();
    match pypi_publish::commands::run(cli) {
        Ok(status) => status.into(),
        Err(error) => {
            eprintln!(
                "{}",
                pypi_publish::report::errors::render_chain(error.as_ref())
            );
            ExitCode::from(2)
        }
    }
}
