//! `pypi-publish attest`: sign a PEP 740 publish attestation for each distribution and write
//! `<dist>.publish.attestation`; nothing is uploaded. Also the glue `upload` uses to decide
//! whether it signs ([`session_for_upload`]).

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use super::Status;
use crate::attest::{self, Mode, Services, Session, Statement, file, identity};
use crate::cli::{AttestArgs, SigstoreArgs};
use crate::dist::filename::DistFilename;
use crate::dist::{discover, hash};
use crate::http::client;
use crate::report::errors::render_chain;

/// Variable that shortens the certificate refresh margin (seconds): tests use it to make
/// every signature need a new certificate, as a run longer than a certificate's life does.
pub const REFRESH_MARGIN_ENV: &str = "PYPI_PUBLISH_CERT_REFRESH_MARGIN";

/// Runs `attest`. `env` reads environment variables (injected for tests).
pub async fn run(args: AttestArgs, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Status> {
    let started = Instant::now();
    let found = discover::discover(&args.paths)?;
    let mut files = Vec::new();
    for path in &found.dists {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        // PyPI refuses attestations whose subject is not a valid distribution filename.
        if let Err(e) = DistFilename::parse(&name) {
            eprintln!("error: {name}: not a valid distribution filename: {e}");
            return Ok(Status::Failure);
        }
        let digests = hash::digest_file(path)?;
        files.push((path.clone(), name, digests.sha256.as_str().to_string()));
    }
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir)?;
    }
    let ca_bundle = args
        .ca_bundle
        .clone()
        .or_else(|| client::ca_bundle_from_env(&env));
    let session = session(&args.sigstore, ca_bundle.as_deref(), &env)?;
    let mut signed = 0;
    for (path, name, sha256) in &files {
        let out = file::path_for(path, args.output_dir.as_deref());
        match file::read_for(&out, name, sha256) {
            Ok(_) => {
                println!("{name}: already attested ({})", out.display());
                continue;
            }
            Err(e) if e.is_stale() => eprintln!("warning: {e}: stale, replacing it"),
            Err(file::FileError::Read { .. }) => {}
            Err(e) => {
                eprintln!("error: {e}");
                eprintln!("  hint: delete it or choose another --output-dir");
                return Ok(Status::Failure);
            }
        }
        match session.sign(&Statement::publish(name, sha256)).await {
            Ok(attestation) => {
                file::write(&out, &attestation)?;
                signed += 1;
                println!("{name}: signed ({})", out.display());
            }
            Err(e) => {
                eprintln!(
                    "{}",
                    render_chain(&e).replacen("error: ", &format!("error: {name}: "), 1)
                );
                if let Some(hint) = e.hint() {
                    eprintln!("  hint: {hint}");
                }
                return Ok(Status::Failure);
            }
        }
    }
    eprintln!(
        "Signed {signed} of {} file(s) with {} certificate(s) from {} in {:.2}s",
        files.len(),
        session.certificates_issued(),
        session.services().fulcio_url,
        started.elapsed().as_secs_f64()
    );
    Ok(Status::Success)
}

/// The Sigstore services the flags name.
pub fn services(args: &SigstoreArgs) -> Services {
    let base = if args.sigstore_staging {
        Services::staging()
    } else {
        Services::production()
    };
    Services::new(
        args.fulcio_url.as_deref().unwrap_or(&base.fulcio_url),
        args.rekor_url.as_deref().unwrap_or(&base.rekor_url),
    )
}

fn session(
    args: &SigstoreArgs,
    ca_bundle: Option<&Path>,
    env: &impl Fn(&str) -> Option<String>,
) -> anyhow::Result<Session> {
    let http = client::build(ca_bundle, 2)?;
    let tokens = identity::token_source(env, http.clone());
    let mut session = Session::new(services(args), tokens, http)?;
    session.retry = session.retry.clone().tuned(env);
    if let Some(secs) = env(REFRESH_MARGIN_ENV).and_then(|v| v.parse().ok()) {
        session.refresh_margin = std::time::Duration::from_secs(secs);
    }
    Ok(session)
}

/// For `upload`: the signing session when attestations are on for this upload, `None` when
/// off. `Err` (one line, with a hint) when they are asked for with a credential PyPI
/// refuses them with — before anything is signed or uploaded.
pub fn session_for_upload(
    mode: Mode,
    sigstore: &SigstoreArgs,
    index: &crate::index::Index,
    ca_bundle: Option<&Path>,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<Arc<Session>>, anyhow::Error> {
    // Trusted publishing mints its tokens later; its presence is what counts here.
    let kind = match index.trusted_publishing() {
        Some(_) => attest::CredentialKind::TrustedPublishing,
        None => attest::classify(index.credentials()),
    };
    match attest::enabled(mode, kind, index.known()) {
        Ok(false) => Ok(None),
        Ok(true) => Ok(Some(Arc::new(session(sigstore, ca_bundle, env)?))),
        Err(e) => Err(match e.hint() {
            Some(hint) => anyhow::anyhow!("{e}\n  hint: {hint}"),
            None => e.into(),
        }),
    }
}
