//! `pypi-publish upload`: check, plan against the index, upload, report.

use std::time::Duration;

use super::Status;
use std::sync::Arc;

use crate::auth::credentials::GivenCredentials;
use crate::auth::exchange::Exchange;
use crate::auth::{
    Auth, ChooseError, Credentials, TrustedPublishing, TrustedPublishingMode, choose,
};
use crate::cli::UploadArgs;
use crate::github::workflow::mask;
use crate::http::{RetryPolicy, SafeUrl, client};
use crate::index::{Index, url};
use crate::publish::{PublishOptions, PublishReport, publish};
use crate::report::errors::{render_chain, render_hint};
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
    let auth = match choose(
        args.trusted_publishing,
        given.resolve(&env),
        &env,
        args.id_token_env.as_deref(),
    ) {
        Ok(auth) => auth,
        Err(e) if args.dry_run => {
            eprintln!("warning: {e} (dry run: going on without credentials)");
            Auth::Fixed(None)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = choose_hint(&e, &upload_url) {
                eprintln!("{}", render_hint(&hint));
            }
            return Ok(Status::Failure);
        }
    };
    if let Some(line) = describe_auth(&auth, args.trusted_publishing) {
        eprintln!("{line}");
    } else if !args.dry_run {
        eprintln!(
            "warning: no credentials given (--token, --username/--password, TWINE_USERNAME/TWINE_PASSWORD, or trusted publishing in CI)"
        );
    }
    let terminal = Terminal::new(!args.no_progress, args.verbose);
    let ca_bundle = args
        .ca_bundle
        .clone()
        .or_else(|| client::ca_bundle_from_env(&env));
    let in_github = env("GITHUB_ACTIONS").as_deref() == Some("true");
    let mut index = connect(
        upload_url,
        check_url,
        auth,
        ca_bundle.as_deref(),
        usize::from(args.concurrency),
        in_github,
    )?;
    index.retry.max_attempts = args.attempts;
    index.lookup_retry.max_attempts = args.attempts;
    index.stall_timeout = Duration::from_secs(args.stall_timeout.max(1));
    let attestations = match super::attest::session_for_upload(
        args.attestations,
        &args.sigstore,
        &index,
        ca_bundle.as_deref(),
        &env,
    ) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(Status::Failure);
        }
    };
    let options = PublishOptions {
        paths: args.paths.clone(),
        concurrency: usize::from(args.concurrency),
        dry_run: args.dry_run,
        verify_metadata: !args.no_verify_metadata,
        attestations,
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

/// The index for a run: the upload URL, the simple index, an HTTP client, and the
/// credentials (fixed, or minted by trusted publishing). `mask_tokens`: print
/// `::add-mask::` for every minted token, before anything else can show it (GitHub Actions).
pub fn connect(
    upload_url: SafeUrl,
    check_url: Option<SafeUrl>,
    auth: Auth,
    ca_bundle: Option<&std::path::Path>,
    concurrency: usize,
    mask_tokens: bool,
) -> anyhow::Result<Index> {
    let http = client::build(ca_bundle, concurrency.max(crate::index::LOOKUPS_IN_FLIGHT))?;
    Ok(match auth {
        Auth::Fixed(credentials) => Index::new(http, upload_url, check_url, credentials),
        Auth::Trusted(identity) => {
            let retry = RetryPolicy::lookups().tuned(|k| std::env::var(k).ok());
            let exchange = Exchange::new(http.clone(), &upload_url, retry);
            let on_mint: Box<dyn Fn(&Credentials) + Send + Sync> = if mask_tokens {
                Box::new(|c: &Credentials| {
                    use std::io::Write as _;
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "{}", mask(c.password.reveal()));
                    let _ = out.flush();
                })
            } else {
                Box::new(|_: &Credentials| {})
            };
            let trusted = TrustedPublishing::new(exchange, http.clone(), identity, on_mint);
            Index::new(http, upload_url, check_url, None).with_trusted_publishing(Arc::new(trusted))
        }
    })
}

/// The one line that says what the run authenticates with (`None`: nothing).
pub fn describe_auth(auth: &Auth, mode: TrustedPublishingMode) -> Option<String> {
    match auth {
        Auth::Fixed(Some(c)) => Some(format!(
            "Using credentials from {} (user {})",
            c.source.describe(),
            c.username
        )),
        Auth::Fixed(None) => None,
        Auth::Trusted(identity) if mode == TrustedPublishingMode::Auto => Some(format!(
            "No password or token given: using trusted publishing ({})",
            identity.describe()
        )),
        Auth::Trusted(identity) => Some(format!(
            "Using trusted publishing ({})",
            identity.describe()
        )),
    }
}

/// The fix for a failed choice of credentials.
pub fn choose_hint(e: &ChooseError, upload_url: &SafeUrl) -> Option<String> {
    match e {
        ChooseError::Identity(e) => {
            // The audience is only known after asking the index; these are PyPI's.
            e.hint(crate::settings::KnownIndex::of(upload_url).audience())
        }
        ChooseError::Conflicting(_) => None,
    }
}

/// The simple-index URL: the one given, or one derived from the upload URL.
pub fn resolve_check_url(
    given: Option<&str>,
    upload_url: &SafeUrl,
    allow_http: bool,
) -> anyhow::Result<Option<SafeUrl>> {
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
    // A stopped run has one cause, said once below (not again per file).
    let per_file = !matches!(error, PublishError::Stopped { .. });
    for f in report
        .files
        .iter()
        .filter(|f| per_file && f.error.is_some())
    {
        eprintln!("error: {}", f.error.as_deref().unwrap_or_default());
        if let Some(hint) = &f.hint {
            eprintln!("{}", render_hint(hint));
        }
    }
    eprintln!("{}", render_chain(error));
    if let Some(hint) = error.hint() {
        eprintln!("{}", render_hint(&hint));
    }
}

/// Attaches a URL error's hint to the message that reaches the user.
pub fn with_hint(e: url::UrlError) -> anyhow::Error {
    match e.hint() {
        Some(hint) => anyhow::anyhow!("{e}\n  hint: {hint}"),
        None => e.into(),
    }
}
