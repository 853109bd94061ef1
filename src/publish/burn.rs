//! Step 8 of a publish: burning the upload tokens trusted publishing minted for it, however
//! the run ends — done, failed, or stopped by a signal — at the index that minted them
//! ([`crate::auth::burn`]). On a signal the burn starts at once, alongside the run's winding
//! down (no upload starts after a signal, so no token is needed any more), so that it fits
//! the runner's grace period; a token minted after that is burned when the run ends.

use std::future::Future;

use super::PublishReport;
use crate::auth::burn::Burned;
use crate::events::Reporter;
use crate::index::Index;

/// Runs `steps` (the publish) and burns the index's minted tokens when they end, or from the
/// signal on. Returns what the steps returned and what the burns did.
pub(super) async fn burning<T>(index: &Index, steps: impl Future<Output = T>) -> (T, Burned) {
    let Some(trusted) = index.trusted_publishing() else {
        return (steps.await, Burned::default());
    };
    let mut steps = std::pin::pin!(steps);
    let (out, mut burned) = tokio::select! {
        out = &mut steps => (out, Burned::default()),
        () = index.cancel.cancelled() => tokio::join!(steps, trusted.burn()),
    };
    // At the end: every token; after a signal, only those minted since.
    burned.add(trusted.burn().await);
    (out, burned)
}

/// Says what the burns did: the report counts the revoked tokens, a note says so, and the
/// tokens left unrevoked are one warning (never a failure: they expire by themselves).
pub(super) fn record(burned: &Burned, reporter: &dyn Reporter, report: &mut PublishReport) {
    report.tokens_revoked = burned.revoked;
    if burned.revoked > 0 {
        reporter.note(&format!(
            "Revoked {} upload token(s) minted by trusted publishing for this run",
            burned.revoked
        ));
    }
    if let Some(warning) = burned.warning() {
        reporter.warning(&warning);
    }
}
