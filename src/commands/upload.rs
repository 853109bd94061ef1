//! `pypi-publish upload`: the command line's front door. Hands the flags to the settings
//! resolver, chooses the credentials, publishes, prints the report and picks the exit code.

use std::time::Duration;

use super::Status;
use crate::auth::credentials::GivenCredentials;
use crate::auth::{Auth, choose};
use crate::cli::UploadArgs;
use crate::github::workflow::mask_minted;
use crate::publish::publish;
use crate::report::errors::{render, render_hint, with_hint};
use crate::report::terminal::{Terminal, print_failure, print_report};
use crate::secret::Secret;
use crate::settings::{RawSettings, RunSettings};

/// The flags, as the resolver takes them.
fn raw(args: &UploadArgs) -> RawSettings {
    RawSettings {
        paths: args.paths.clone(),
        repository_url: args.repository_url.clone(),
        check_url: args.check_url.clone(),
        repository: args.repository.clone(),
        config_file: args.config_file.clone(),
        index_name: args.index.clone(),
        project_dir: None,
        allow_http: args.allow_http,
        ca_bundle: args.ca_bundle.clone(),
        concurrency: usize::from(args.concurrency),
        dry_run: args.dry_run,
        verify_metadata: !args.no_verify_metadata,
        attempts: args.attempts,
        stall_timeout: Duration::from_secs(args.stall_timeout),
        attestations: args.attestations.into(),
        fulcio_url: args.sigstore.fulcio_url.clone(),
        rekor_url: args.sigstore.rekor_url.clone(),
        sigstore_staging: args.sigstore.sigstore_staging,
    }
}

/// Runs an upload. `env` reads environment variables (injected for tests).
pub async fn run(args: UploadArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Status> {
    let settings = RunSettings::resolve(raw(&args), &env).map_err(with_hint)?;
    let mode = args.trusted_publishing.into();
    let given = GivenCredentials {
        username: args.username.clone(),
        password: args.password.clone().map(Secret::new),
        token: args.token.clone().map(Secret::new),
    };
    if let Some(origin) = &settings.url_origin {
        eprintln!("Uploading to {} ({origin})", settings.upload_url);
    }
    // Flags, then variables, then the file; `always` ignores the file rather than refusing
    // credentials nobody typed for this run.
    let given = given.resolve(&env).or_else(|| {
        settings
            .file_credentials
            .clone()
            .filter(|_| mode != crate::auth::TrustedPublishingMode::Always)
    });
    let auth = match choose(mode, given, &env, args.id_token_env.as_deref()) {
        Ok(auth) => auth,
        Err(e) if args.dry_run => {
            eprintln!("warning: {e} (dry run: going on without credentials)");
            Auth::Fixed(None)
        }
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = crate::auth::choose::hint(&e, settings.index) {
                eprintln!("{}", render_hint(&hint));
            }
            return Ok(Status::Failure);
        }
    };
    if let Some(line) = crate::auth::choose::describe(&auth, mode) {
        eprintln!("{line}");
    } else if !args.dry_run {
        eprintln!(
            "warning: no credentials given (--token, --username/--password, TWINE_USERNAME/TWINE_PASSWORD, or trusted publishing in CI)"
        );
    }
    let in_github = env("GITHUB_ACTIONS").as_deref() == Some("true");
    let index = settings.connect(auth, mask_minted(in_github))?;
    let attestations = match settings.attestation_session(&index, &env) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("{}", render(&e));
            return Ok(Status::Failure);
        }
    };
    let terminal = Terminal::new(!args.no_progress, args.verbose);
    let options = settings.publish_options(attestations);
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
