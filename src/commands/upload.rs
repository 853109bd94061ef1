//! `pypi-publish upload`: check, plan against the index, upload, report.

use std::time::Duration;

use super::Status;
use crate::auth::credentials::GivenCredentials;
use crate::cli::UploadArgs;
use crate::index::{Index, RetryPolicy, client, url};
use crate::publish::{PublishOptions, PublishReport, publish};
use crate::report::errors::render_chain;
use crate::report::table;
use crate::report::terminal::Terminal;
use crate::secret::Secret;

/// Runs an upload. `env` reads environment variables (injected for tests).
pub async fn run(args: UploadArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Status> {
    let upload_url = url::upload_url(&args.repository_url, args.allow_http).map_err(with_hint)?;
    let check_url = resolve_check_url(args.check_url.as_deref(), &upload_url, args.allow_http)?;
    let given = GivenCredentials {
        username: args.username.clone(),
        password: args.password.clone().map(Secret::new),
        token: args.token.clone().map(Secret::new),
    };
    let credentials = given.resolve(&env);
    let terminal = Terminal::new(!args.no_progress, args.verbose);
    match &credentials {
        Some(c) => eprintln!(
            "Using credentials from {} (user {})",
            c.source.describe(),
            c.username
        ),
        None if !args.dry_run => {
            eprintln!(
                "warning: no credentials given (--token, --username/--password, TWINE_USERNAME/TWINE_PASSWORD)"
            )
        }
        None => {}
    }
    let ca_bundle = args
        .ca_bundle
        .clone()
        .or_else(|| client::ca_bundle_from_env(&env));
    let mut index = connect(
        upload_url,
        check_url,
        credentials,
        ca_bundle.as_deref(),
        usize::from(args.concurrency),
    )?;
    index.retry = RetryPolicy {
        max_attempts: args.attempts,
        ..index.retry.clone()
    };
    index.stall_timeout = Duration::from_secs(args.stall_timeout.max(1));
    let options = PublishOptions {
        paths: args.paths.clone(),
        concurrency: usize::from(args.concurrency),
        dry_run: args.dry_run,
        verify_metadata: !args.no_verify_metadata,
    };
    let (report, result) = publish(&options, &index, &terminal).await;
    print_report(&report);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)?;
    }
    match result {
        Ok(()) => Ok(Status::Success),
        Err(e) => {
            print_failure(&e, &report);
            Ok(Status::Failure)
        }
    }
}

/// The index for a run: the upload URL, the simple index and an HTTP client.
pub fn connect(
    upload_url: ::url::Url,
    check_url: Option<::url::Url>,
    credentials: Option<crate::auth::Credentials>,
    ca_bundle: Option<&std::path::Path>,
    concurrency: usize,
) -> anyhow::Result<Index> {
    let http = client::build(ca_bundle, concurrency)?;
    Ok(Index::new(http, upload_url, check_url, credentials))
}

/// The simple-index URL: the one given, or one derived from the upload URL.
pub fn resolve_check_url(
    given: Option<&str>,
    upload_url: &::url::Url,
    allow_http: bool,
) -> anyhow::Result<Option<::url::Url>> {
    Ok(match given {
        Some(given) => Some(url::check_url(given, allow_http).map_err(with_hint)?),
        None => url::derive_check_url(upload_url),
    })
}

/// Prints the final table on stdout.
pub fn print_report(report: &PublishReport) {
    if !report.files.is_empty() {
        print!("{}", table::render(report));
    }
}

/// Prints every problem, conflict and failure, then the error chain and its hint.
pub fn print_failure(error: &crate::publish::PublishError, report: &PublishReport) {
    use crate::publish::PublishError;
    match error {
        PublishError::Preflight(problems) => {
            for p in problems {
                println!("{p}");
            }
        }
        PublishError::Conflicts(conflicts) => {
            for c in conflicts {
                println!("{c}");
            }
        }
        _ => {}
    }
    for f in report.files.iter().filter(|f| f.error.is_some()) {
        eprintln!("error: {}", f.error.as_deref().unwrap_or_default());
        if let Some(hint) = &f.hint {
            eprintln!("  hint: {hint}");
        }
    }
    eprintln!("{}", render_chain(error));
    if let Some(hint) = error.hint() {
        eprintln!("  hint: {hint}");
    }
}

/// Attaches a URL error's hint to the message that reaches the user.
pub fn with_hint(e: url::UrlError) -> anyhow::Error {
    match e.hint() {
        Some(hint) => anyhow::anyhow!("{e}\n  hint: {hint}"),
        None => e.into(),
    }
}
