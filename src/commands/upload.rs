//! `pypi-publish upload`: the command line's front door. Hands the flags to the settings
//! resolver, chooses the credentials, publishes, prints the report and picks the exit code.

use std::time::Duration;

use super::Status;
use crate::auth::choose;
use crate::auth::credentials::{CredentialSource, Credentials, GivenCredentials};
use crate::cli::UploadArgs;
use crate::github::workflow::mask_minted;
use crate::publish::publish_in_order;
use crate::report::errors::{render, render_chain, render_hint, with_hint};
use crate::report::terminal::{Terminal, print_failure, print_report};
use crate::secret::Secret;
use crate::settings::{Destination, RawSettings, RunSettings};

/// The flags, as the resolver takes them.
fn raw(args: &UploadArgs) -> RawSettings {
    RawSettings {
        paths: args.paths.clone(),
        repository_urls: args.repository_url.clone(),
        check_urls: args.check_url.clone(),
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
        provenance_check: args.provenance_check.into(),
        // The token from GITHUB_TOKEN (or GH_TOKEN), read by the resolver.
        github_store: crate::attest::github_store::Requested {
            enabled: args.github_attestations,
            token: None,
        },
    }
}

/// The credentials given for destination `i` of `n`: with several destinations, one
/// `--token` (or `--password`) per `--repository-url`, in the same order, and none from the
/// environment (one credential would go to every index).
fn given_for(
    args: &UploadArgs,
    (i, n): (usize, usize),
    destination: &Destination,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<Credentials>, String> {
    let mode: crate::auth::TrustedPublishingMode = args.trusted_publishing.into();
    let flags = [
        ("--token", &args.token),
        ("--password", &args.password),
        ("--username", &args.username),
    ];
    for (flag, values) in flags {
        if values.len() > 1 && values.len() != n {
            return Err(format!(
                "{} {flag} values for {n} repository URL(s): give one {flag} per --repository-url, in the same order",
                values.len()
            ));
        }
    }
    let pick = |values: &[String]| {
        values
            .get(i)
            .or(values.first().filter(|_| n == 1))
            .map(Secret::new)
    };
    // A username is no secret: one may serve every destination.
    let username = args.username.get(i).or(args.username.first());
    let given = GivenCredentials {
        username: username.cloned(),
        password: pick(&args.password),
        token: pick(&args.token),
    };
    // Flags, then variables, then the file (which names only its own URL); `always`
    // ignores the file rather than refusing credentials nobody typed for this run.
    let resolved = given.resolve(env).or_else(|| {
        destination
            .file_credentials
            .clone()
            .filter(|_| mode != crate::auth::TrustedPublishingMode::Always)
    });
    if n > 1
        && let Some(c) = &resolved
        && !matches!(
            c.source,
            CredentialSource::Flags | CredentialSource::ConfigFile
        )
    {
        return Err(format!(
            "credentials from {} would go to each of the {n} repository URLs: give one --token (or --password) per --repository-url, in the same order",
            c.source.describe()
        ));
    }
    Ok(resolved)
}

/// Runs an upload. `env` reads environment variables (injected for tests).
pub async fn run(args: UploadArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Status> {
    let settings = RunSettings::resolve(raw(&args), &env).map_err(with_hint)?;
    let mode = args.trusted_publishing.into();
    let n = settings.destinations.len();
    for d in &settings.destinations {
        if let Some(origin) = &d.url_origin {
            eprintln!("Uploading to {} ({origin})", d.upload_url);
        }
    }
    let in_github = env("GITHUB_ACTIONS").as_deref() == Some("true");
    let auth_for = |i: usize, destination: &Destination| {
        let chosen = given_for(&args, (i, n), destination, &env)
            .map_err(|e| (format!("error: {e}"), None))
            .and_then(|given| {
                choose(mode, given, &env, args.id_token_env.as_deref()).map_err(|e| {
                    (
                        render_chain(&e),
                        crate::auth::choose::hint(&e, destination.index),
                    )
                })
            });
        let auth = match chosen {
            Ok(auth) => auth,
            Err((e, hint)) => {
                eprintln!("{e}");
                if let Some(hint) = hint {
                    eprintln!("{}", render_hint(&hint));
                }
                return None;
            }
        };
        let to = if n > 1 {
            format!("{}: ", destination.upload_url)
        } else {
            String::new()
        };
        match crate::auth::choose::describe(&auth, mode) {
            Some(line) => eprintln!("{to}{line}"),
            None => eprintln!(
                "{to}warning: no credentials given (--token, --username/--password, TWINE_USERNAME/TWINE_PASSWORD, or trusted publishing in CI)"
            ),
        }
        Some(auth)
    };
    let destinations = match settings.connect_all(auth_for, || mask_minted(in_github), &env) {
        Ok(Some(destinations)) => destinations,
        Ok(None) => return Ok(Status::Failure),
        Err(e) => {
            eprintln!("{}", render(&e));
            return Ok(Status::Failure);
        }
    };
    let terminal = Terminal::new(!args.no_progress, args.verbose);
    let options = settings.publish_options(None);
    let (reports, result) = publish_in_order(&options, &destinations, &terminal).await;
    for report in &reports {
        if n > 1 {
            println!("{}:", report.repository_url);
        }
        print_report(report);
    }
    if let Some(path) = &args.json {
        let json = match reports.as_slice() {
            [one] if n == 1 => serde_json::to_vec_pretty(one)?,
            all => serde_json::to_vec_pretty(&serde_json::json!({ "destinations": all }))?,
        };
        std::fs::write(path, json)?;
    }
    match result {
        Ok(()) => Ok(Status::Success),
        Err(e) => {
            let last = reports
                .last()
                .expect("a failure comes with its destination's report");
            print_failure(&e, last);
            for url in settings.not_reached(reports.len()) {
                eprintln!("{}", super::not_reached_line(&url));
            }
            Ok(Status::Failure)
        }
    }
}
