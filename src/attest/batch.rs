//! **Signing a release at once.** Each file's signature is a Rekor entry, and each entry is
//! one round trip to the log: one after the other, a 50-wheel release spends most of its
//! time waiting on the network (the reference action signs one file at a time). Here up to
//! [`IN_FLIGHT`] entries are submitted together, all under the session's one key and
//! certificate, each through the session's retry driver. The certificate is requested
//! first, while the connections the entries will use are opened ([`Session::warm_up`]).
//!
//! The results come back in the statements' order whatever order Rekor answers in. After
//! the first failure no new entry is started (every entry is a permanent public record of a
//! file that will now not be uploaded); the ones already in flight finish, and their
//! attestations are returned so the caller can keep them for the re-run.

use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::{StreamExt, stream};

use super::file::Attestation;
use super::signing::{Session, SignError};
use super::statement::Statement;

/// Rekor entries submitted at once (10: a 20-file release is two rounds, 1.2 s of round
/// trips at 150 ms each way with the certificate, under the 1.5 s target; 8 would be three
/// rounds, 1.5 s of network alone). Also the connections the signing client keeps open (a
/// smaller pool would close some after each round and pay new handshakes).
pub const IN_FLIGHT: usize = 10;

/// One statement's outcome.
#[derive(Debug)]
pub enum Signed {
    /// Signed and logged.
    Done(Attestation),
    /// Signing or logging failed.
    Failed(SignError),
    /// Not started: an earlier signature failed.
    NotStarted,
}

/// Signs every statement, [`IN_FLIGHT`] at a time; one outcome per statement, in order.
pub async fn sign_all(session: &Session, statements: &[Statement]) -> Vec<Signed> {
    if statements.is_empty() {
        return Vec::new();
    }
    // The certificate first (one request, whoever asks), with the log's connections opened
    // meanwhile; then the entries.
    let connections = statements.len().min(IN_FLIGHT);
    let (ready, ()) = tokio::join!(session.ready(), session.warm_up(connections));
    if let Err(e) = ready {
        let mut out = vec![Signed::Failed(e)];
        out.extend(statements[1..].iter().map(|_| Signed::NotStarted));
        return out;
    }
    let failed = AtomicBool::new(false);
    let failed = &failed;
    stream::iter(statements)
        .map(|statement| async move {
            // Checked when the slot opens, not when the batch starts.
            if failed.load(Ordering::Relaxed) {
                return Signed::NotStarted;
            }
            match session.sign(statement).await {
                Ok(attestation) => Signed::Done(attestation),
                Err(e) => {
                    failed.store(true, Ordering::Relaxed);
                    Signed::Failed(e)
                }
            }
        })
        .buffered(IN_FLIGHT)
        .collect()
        .await
}
