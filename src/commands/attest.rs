//! `pypi-publish attest`: sign a PEP 740 publish attestation for each distribution and write
//! `<dist>.publish.attestation`; nothing is uploaded.

use std::time::Instant;

use super::Status;
use crate::attest::batch::{self, Signed};
use crate::attest::{self, Services, Statement, file};
use crate::cli::AttestArgs;
use crate::dist::filename::DistFilename;
use crate::dist::{discover, hash};
use crate::http::client;
use crate::report::errors::describe;

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
        let digests = hash::sha256_file(path)?;
        files.push((path.clone(), name, digests.sha256.as_str().to_string()));
    }
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir)?;
    }
    let ca_bundle = args
        .ca_bundle
        .clone()
        .or_else(|| client::ca_bundle_from_env(&env));
    let services = Services::from_flags(
        args.sigstore.fulcio_url.as_deref(),
        args.sigstore.rekor_url.as_deref(),
        args.sigstore.sigstore_staging,
    );
    let http = client::build(ca_bundle.as_deref(), batch::IN_FLIGHT)?;
    let session = attest::open_session(services, http, &env)?;
    let mut to_sign = Vec::new();
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
        to_sign.push((out, name, Statement::publish(name, sha256)));
    }
    let statements: Vec<Statement> = to_sign.iter().map(|(_, _, s)| s.clone()).collect();
    let outcomes = batch::sign_all(&session, &statements).await;
    // Every signature made is written, even past a failure: a re-run keeps it.
    let (mut signed, mut failed) = (0, false);
    for ((out, name, _), outcome) in to_sign.iter().zip(outcomes) {
        match outcome {
            Signed::Done(attestation) => {
                file::write(out, &attestation)?;
                signed += 1;
                println!("{name}: signed ({})", out.display());
            }
            Signed::Failed(e) if !failed => {
                failed = true;
                eprintln!("error: {name}: {}", describe(&e));
            }
            Signed::Failed(_) | Signed::NotStarted => {}
        }
    }
    if failed {
        return Ok(Status::Failure);
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
