//! `pypi-publish action`: the GitHub Action entry point. Reads the inputs, masks the secret
//! before anything else is printed, publishes, then writes outputs and the job summary.

use std::path::PathBuf;
use std::time::Duration;

use super::Status;
use crate::auth::credentials::TOKEN_USERNAME;
use crate::auth::{Auth, CredentialSource, Credentials, TrustedPublishingMode, choose};
use crate::github::workflow::{annotation, mask, mask_minted};
use crate::github::{ActionInputs, reporter::GitHub, summary};
use crate::known_index::KnownIndex;
use crate::publish::publish_in_order;
use crate::report::errors::{describe, with_hint};
use crate::report::terminal::{print_failure, print_report};
use crate::settings::{Destination, RawSettings, RunSettings};

/// The inputs, as the resolver takes them. The reference action's `attestations: true`
/// signs only with trusted publishing to PyPI/TestPyPI (what `auto` means), with
/// public-good Sigstore, as PyPI verifies against it. A step's `env:` may set the CLI's
/// variables for another Sigstore or index: `PYPI_PUBLISH_FULCIO_URL`,
/// `PYPI_PUBLISH_REKOR_URL`, and `PYPI_PUBLISH_ATTESTATIONS=on` (sign for any index).
fn raw(inputs: &ActionInputs, env: &impl Fn(&str) -> Option<String>) -> RawSettings {
    let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
    let attestations = match (inputs.attestations, var("PYPI_PUBLISH_ATTESTATIONS")) {
        (false, _) => crate::attest::Mode::Off,
        (true, Some(v)) if v.trim().eq_ignore_ascii_case("on") => crate::attest::Mode::On,
        (true, _) => crate::attest::Mode::Auto,
    };
    RawSettings {
        paths: inputs.packages_dir.clone(),
        repository_urls: inputs.repository_urls.clone(),
        check_urls: inputs.check_urls.clone(),
        repository: None,
        config_file: None,
        index_name: None,
        project_dir: None,
        allow_http: false,
        ca_bundle: inputs.ca_bundle.clone(),
        concurrency: inputs.concurrency,
        dry_run: inputs.dry_run,
        verify_metadata: inputs.verify_metadata,
        attempts: None,
        stall_timeout: Duration::from_secs(60),
        attestations,
        fulcio_url: var("PYPI_PUBLISH_FULCIO_URL"),
        rekor_url: var("PYPI_PUBLISH_REKOR_URL"),
        sigstore_staging: false,
        provenance_check: inputs.provenance_check,
        github_store: crate::attest::github_store::Requested {
            enabled: inputs.github_attestations,
            token: inputs.github_token.clone(),
        },
    }
}

/// Runs the action with the variables `env` gives.
pub async fn run(env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Status> {
    let inputs = match ActionInputs::read(&env) {
        Ok(i) => i,
        Err(e) => {
            println!(
                "{}",
                annotation("error", None, "invalid input", &e.to_string())
            );
            return Ok(Status::Failure);
        }
    };
    // Mask first: nothing printed after this line can show the password.
    for secret in inputs.passwords.iter().chain(&inputs.github_token) {
        println!("{}", mask(secret.reveal()));
    }
    for alias in &inputs.deprecated_used {
        println!(
            "{}",
            annotation(
                "warning",
                None,
                "deprecated input",
                &format!("'{alias}' is deprecated: use '{}'", alias.replace('_', "-"))
            )
        );
    }
    let settings = RunSettings::resolve(raw(&inputs, &env), &env).map_err(with_hint)?;
    let n = settings.destinations.len();
    let mut identities = Vec::with_capacity(n);
    let auth_for = |i: usize, destination: &Destination| {
        let auth = choose_auth(&inputs, i, n, destination.index, &env)?;
        if let Some(line) = crate::auth::choose::describe(&auth, inputs.trusted_publishing) {
            match n {
                1 => println!("{line}"),
                _ => println!("{}: {line}", destination.upload_url),
            }
        }
        identities.push(match &auth {
            Auth::Fixed(Some(c)) => format!("{} (user `{}`)", c.source.describe(), c.username),
            Auth::Fixed(None) => "none".to_string(),
            Auth::Trusted(identity) => format!("trusted publishing ({})", identity.describe()),
        });
        Some(auth)
    };
    let destinations = match settings.connect_all(auth_for, || mask_minted(true), &env) {
        Ok(Some(destinations)) => destinations,
        Ok(None) => return Ok(Status::Failure),
        Err(e) => {
            let message = describe(&e);
            println!("{}", annotation("error", None, "attestations", &message));
            return Ok(Status::Failure);
        }
    };
    let options = settings.publish_options(None);
    let reporter = GitHub::new(inputs.packages_dir.clone(), inputs.verbose);
    if inputs.verbose {
        println!("::group::Preflight and upload");
    }
    let (reports, result) = publish_in_order(&options, &destinations, &reporter).await;
    if inputs.verbose {
        println!("::endgroup::");
    }
    if inputs.print_hash
        && let Some(first) = reports.first()
    {
        // The reference action's format: the path, then one line per digest.
        println!("Showing hash values of files to be uploaded:");
        for f in &first.files {
            println!("{}\nSHA256: {}\n", f.path.display(), f.sha256);
        }
    }
    for report in &reports {
        if n > 1 {
            println!("{}:", report.repository_url);
        }
        print_report(report);
    }
    let report_path = env("RUNNER_TEMP")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("."))
        .join("pypi-publish-report.json");
    let json = match reports.as_slice() {
        [one] if n == 1 => serde_json::to_vec_pretty(one)?,
        all => serde_json::to_vec_pretty(&serde_json::json!({ "destinations": all }))?,
    };
    std::fs::write(&report_path, json)?;
    if let Some(path) = env("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        let outputs = summary::outputs_all(&reports, n > 1, &report_path);
        summary::write_outputs(path.as_ref(), &outputs)?;
    }
    let failure = result.as_ref().err().map(|e| describe(e));
    let not_reached = settings.not_reached(reports.len());
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        let markdown = match reports.as_slice() {
            [one] if n == 1 => summary::markdown(one, &identities[0], failure.as_deref()),
            all => summary::markdown_all(all, &identities, failure.as_deref(), &not_reached),
        };
        summary::write_summary(path.as_ref(), &markdown)?;
    }
    match result {
        Ok(()) => Ok(Status::Success),
        Err(e) => {
            let last = reports
                .last()
                .expect("a failure comes with its destination's report");
            print_failure(&e, last);
            println!(
                "{}",
                annotation(
                    "error",
                    None,
                    "publish failed",
                    failure.as_deref().unwrap_or_default()
                )
            );
            for url in &not_reached {
                println!("{}", super::not_reached_line(url));
            }
            Ok(Status::Failure)
        }
    }
}

/// The reference action's rule: trusted publishing when `password` is empty and `user` is
/// `__token__` (unless `trusted-publishing` says otherwise). With several destinations,
/// `password` holds one line per `repository-url`. `None`: an error was printed.
fn choose_auth(
    inputs: &ActionInputs,
    i: usize,
    n: usize,
    index: KnownIndex,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Auth> {
    let passwords = &inputs.passwords;
    if passwords.len() > 1 && passwords.len() != n {
        let message = format!(
            "{} password lines for {n} repository URL(s): give one per line of repository-url, in the same order",
            passwords.len()
        );
        println!("{}", annotation("error", None, "invalid input", &message));
        return None;
    }
    let mut mode = inputs.trusted_publishing;
    let password = passwords.get(i).or(passwords.first().filter(|_| n == 1));
    let given = password.map(|password| Credentials {
        username: inputs.user.clone(),
        password: password.clone(),
        source: CredentialSource::ActionInputs,
    });
    if given.is_none() && inputs.user != TOKEN_USERNAME && mode == TrustedPublishingMode::Auto {
        mode = TrustedPublishingMode::Never;
    }
    match choose(mode, given, env, None) {
        Ok(auth) => Some(auth),
        Err(e) => {
            let chain = crate::report::errors::chain(&e);
            let message = match crate::auth::choose::hint(&e, index) {
                Some(hint) => format!("{chain}\n{}", crate::report::errors::render_hint(&hint)),
                None => chain,
            };
            println!(
                "{}",
                annotation("error", None, "trusted publishing", &message)
            );
            None
        }
    }
}
