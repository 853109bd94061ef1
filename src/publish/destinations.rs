//! Several destinations in one run (TestPyPI as a gate before PyPI): each is published to
//! completion, in order, and a failure leaves the later ones untouched. The preflight
//! applies the strictest rules among them before the first byte goes anywhere. Files are
//! signed once: the first destination that sends attestations writes them beside the files,
//! and the later ones find and send the same ones (they attest the same bytes).

use std::path::Path;
use std::sync::Arc;

use super::{PublishError, PublishOptions, PublishReport, publish};
use crate::dist::{Problem, Target};
use crate::events::Reporter;
use crate::index::Index;

/// One destination, connected: its index and, when attestations are on for it, the
/// signing session.
pub struct Connected {
    /// The index.
    pub index: Index,
    /// The signing session (`None`: no attestations for this destination).
    pub attestations: Option<Arc<crate::attest::Session>>,
}

/// Publishes to each destination in turn. Returns one report per destination reached and
/// the first failure (the destinations after it were not contacted).
pub async fn publish_in_order(
    options: &PublishOptions,
    destinations: &[Connected],
    reporter: &dyn Reporter,
) -> (Vec<PublishReport>, Result<(), PublishError>) {
    let strictest = strictest(destinations.iter().map(|d| Target::from(d.index.known())));
    let mut reports = Vec::with_capacity(destinations.len());
    for (i, destination) in destinations.iter().enumerate() {
        let options = PublishOptions {
            attestations: destination.attestations.clone(),
            preflight_target: Some(strictest),
            ..options.clone()
        };
        if destinations.len() > 1 {
            reporter.note(&format!(
                "destination {} of {}: {}",
                i + 1,
                destinations.len(),
                destination.index.upload_url()
            ));
        }
        // The preflight's findings are the same for every destination: said once.
        let quiet = AfterTheFirst(reporter);
        let reporter: &dyn Reporter = if i == 0 { reporter } else { &quiet };
        let (report, result) = publish(&options, &destination.index, reporter).await;
        reports.push(report);
        if result.is_err() {
            return (reports, result);
        }
    }
    (reports, Ok(()))
}

/// A reporter for the second destination on: the preflight's problems and skipped paths
/// were reported with the first.
struct AfterTheFirst<'a>(&'a dyn Reporter);

impl Reporter for AfterTheFirst<'_> {
    fn skipped(&self, _path: &Path, _reason: &str) {}
    fn problem(&self, _problem: &Problem) {}
    fn note(&self, message: &str) {
        self.0.note(message);
    }
    fn warning(&self, message: &str) {
        self.0.warning(message);
    }
    fn upload_started(&self, file: &str, size: u64, progress: Arc<crate::index::form::Progress>) {
        self.0.upload_started(file, size, progress);
    }
    fn upload_finished(&self, file: &str, status: &str, ok: bool) {
        self.0.upload_finished(file, status, ok);
    }
}

/// PyPI's rules if any destination is PyPI or TestPyPI (they include the general ones).
fn strictest(targets: impl Iterator<Item = Target>) -> Target {
    targets
        .into_iter()
        .find(|t| *t == Target::Pypi)
        .unwrap_or(Target::Other)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_rules_win_wherever_pypi_is_in_the_list() {
        use Target::{Other, Pypi};
        assert_eq!(strictest([Other, Pypi, Other].into_iter()), Pypi);
        assert_eq!(strictest([Other, Other].into_iter()), Other);
        assert_eq!(strictest([Pypi].into_iter()), Pypi);
    }
}
