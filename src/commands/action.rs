//! `pypi-publish action`: the GitHub Action entry point. Reads the inputs, masks the secret
//! before anything else is printed, publishes, then writes outputs and the job summary.

use std::path::PathBuf;
use std::time::Duration;

use super::Status;
use crate::auth::credentials::TOKEN_USERNAME;
use crate::auth::{Auth, CredentialSource, Credentials, TrustedPublishingMode, choose};
use crate::github::workflow::{annotation, mask, mask_minted};
use crate::github::{ActionInputs, reporter::GitHub, summary};
use crate::publish::publish;
use crate::report::errors::{describe, with_hint};
use crate::report::terminal::{print_failure, print_report};
use crate::settings::{KnownIndex, RawSettings, RunSettings};

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
        repository_url: Some(inputs.repository_url.clone()),
        check_url: inputs.check_url.clone(),
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
    if !inputs.password.is_empty() {
        println!("{}", mask(inputs.password.reveal()));
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
    let Some(auth) = choose_auth(&inputs, settings.index, &env) else {
        return Ok(Status::Failure);
    };
    let mode = inputs.trusted_publishing;
    if let Some(line) = crate::auth::choose::describe(&auth, mode) {
        println!("{line}");
    }
    let identity = match &auth {
        Auth::Fixed(Some(c)) => format!("{} (user `{}`)", c.source.describe(), c.username),
        Auth::Fixed(None) => "none".to_string(),
        Auth::Trusted(identity) => format!("trusted publishing ({})", identity.describe()),
    };
    let index = settings.connect(auth, mask_minted(true))?;
    let attestations = match settings.attestation_session(&index, &env) {
        Ok(session) => session,
        Err(e) => {
            let message = describe(&e);
            println!("{}", annotation("error", None, "attestations", &message));
            return Ok(Status::Failure);
        }
    };
    let options = settings.publish_options(attestations);
    let reporter = GitHub::new(inputs.packages_dir.clone(), inputs.verbose);
    if inputs.verbose {
        println!("::group::Preflight and upload");
    }
    let (report, result) = publish(&options, &index, &reporter).await;
    if inputs.verbose {
        println!("::endgroup::");
    }
    if inputs.print_hash {
        // The reference action's format: the path, then one line per digest.
        println!("Showing hash values of files to be uploaded:");
        for f in &report.files {
            println!("{}\nSHA256: {}\n", f.path.display(), f.sha256);
        }
    }
    print_report(&report);
    let report_path = env("RUNNER_TEMP")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("."))
        .join("pypi-publish-report.json");
    std::fs::write(&report_path, serde_json::to_vec_pretty(&report)?)?;
    if let Some(path) = env("GITHUB_OUTPUT").filter(|p| !p.is_empty()) {
        summary::write_outputs(path.as_ref(), &summary::outputs(&report, &report_path))?;
    }
    let failure = result.as_ref().err().map(|e| describe(e));
    if let Some(path) = env("GITHUB_STEP_SUMMARY").filter(|p| !p.is_empty()) {
        summary::write_summary(
            path.as_ref(),
            &summary::markdown(&report, &identity, failure.as_deref()),
        )?;
    }
    match result {
        Ok(()) => Ok(Status::Success),
        Err(e) => {
            print_failure(&e, &report);
            println!(
                "{}",
                annotation(
                    "error",
                    None,
                    "publish failed",
                    failure.as_deref().unwrap_or_default()
                )
            );
            Ok(Status::Failure)
        }
    }
}

/// The reference action's rule: trusted publishing when `password` is empty and `user` is
/// `__token__` (unless `trusted-publishing` says otherwise). `None`: an error was printed.
fn choose_auth(
    inputs: &ActionInputs,
    index: KnownIndex,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<Auth> {
    let mut mode = inputs.trusted_publishing;
    let given = (!inputs.password.is_empty()).then(|| Credentials {
        username: inputs.user.clone(),
        password: inputs.password.clone(),
        source: CredentialSource::ActionInputs,
    });
    if given.is_none() && inputs.user != TOKEN_USERNAME && mode == TrustedPublishingMode::Auto {
        mode = TrustedPublishingMode::Never;
    }
    match choose(mode, given, env, None) {
        Ok(auth) => Some(auth),
        Err(e) if inputs.dry_run => {
            println!(
                "{}",
                annotation(
                    "warning",
                    None,
                    "no credentials",
                    &format!("{e} (dry run: going on without credentials)")
                )
            );
            Some(Auth::Fixed(None))
        }
        Err(e) => {
            let message = match crate::auth::choose::hint(&e, index) {
                Some(hint) => format!("{e}\n{hint}"),
                None => e.to_string(),
            };
            println!(
                "{}",
                annotation("error", None, "trusted publishing", &message)
            );
            None
        }
    }
}
