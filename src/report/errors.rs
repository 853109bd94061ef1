//! Renders an error the same way everywhere — the terminal, `::error` annotations and the
//! job summary: the error, one `Caused by:` line per cause, and its hint when the cause is
//! known ([`Hint`]).

use std::error::Error;

/// An error that may know how to fix it. Implemented here, for the errors that reach a
/// front door, by delegating to their own `hint()`, so the lower layers need no reporter.
pub trait Hint: Error + 'static {
    /// How to fix it, in the user's words.
    fn hint(&self) -> Option<String>;
}

impl Hint for crate::publish::PublishError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl Hint for crate::index::UploadError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl Hint for crate::index::url::UrlError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl Hint for crate::settings::SettingsError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl Hint for crate::settings::AttestSetupError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

impl Hint for crate::attest::SignError {
    fn hint(&self) -> Option<String> {
        self.hint()
    }
}

/// `error: …`, its causes and its hint: what the terminal prints.
pub fn render(error: &dyn Hint) -> String {
    format!("error: {}", describe(error))
}

/// The error, its causes and its hint without the `error: ` prefix: for an `::error`
/// annotation, the job summary, and an error handed up as `anyhow`.
pub fn describe(error: &dyn Hint) -> String {
    let mut out = chain(error);
    if let Some(hint) = error.hint() {
        out.push('\n');
        out.push_str(&render_hint(&hint));
    }
    out
}

/// `error: …` plus one `Caused by:` line per source that says something new (a message
/// that already quotes its cause does not repeat it).
pub fn render_chain(error: &(dyn Error + 'static)) -> String {
    format!("error: {}", chain(error))
}

/// The error and one `Caused by:` line per cause, without prefix (for annotations).
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut shown = error.to_string();
    for cause in crate::error::causes(error) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            out.push_str(&format!("\n  Caused by: {text}"));
        }
        shown = text;
    }
    out
}

/// A multi-line hint under its error, continuation lines indented.
pub fn render_hint(hint: &str) -> String {
    format!("  hint: {}", hint.replace('\n', "\n    "))
}

/// An error (a URL, a settings file), its hint attached, for the command layer's `anyhow`
/// result.
pub fn with_hint<E: Hint>(e: E) -> anyhow::Error {
    anyhow::anyhow!(describe(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::SafeUrl;
    use crate::index::{Refusal, RefusalKind, UploadError, UploadErrorKind};
    use crate::publish::PublishError;

    /// Issue 13: a site's front page as the upload URL, as the user reads it.
    fn stopped() -> PublishError {
        PublishError::Stopped {
            url: SafeUrl::parse("https://__token__:pypi-secret@pypi.example.org/").unwrap(),
            refusal: Refusal {
                status: 405,
                message: "Method Not Allowed".into(),
                kind: RefusalKind::NotAnUploadEndpoint,
            },
            not_attempted: 5,
        }
    }

    #[test]
    fn a_stopped_run_reads_as_one_error_and_its_fix() {
        insta::assert_snapshot!(render(&stopped()), @"
        error: https://****@pypi.example.org/ is not an upload endpoint: it refused the first upload (405: Method Not Allowed); 5 file(s) not attempted
          hint: the repository URL must be an index's upload endpoint (the legacy upload API), such as PyPI's https://upload.pypi.org/legacy/ or TestPyPI's https://test.pypi.org/legacy/ (devpi: https://HOST/USER/INDEX/); a simple-index or web-page URL does not take uploads
        ");
    }

    #[test]
    fn an_upload_error_names_its_file_once_and_its_cause_below() {
        let io = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "permission denied");
        let e = UploadError::new("demo-1.0.tar.gz", UploadErrorKind::Io(io));
        insta::assert_snapshot!(render(&e), @"
        error: demo-1.0.tar.gz: cannot read the file
          Caused by: permission denied
        ");
    }

    #[test]
    fn a_file_that_ran_out_of_attempts_shows_the_last_failure_as_its_cause() {
        let last = crate::index::AttemptError::Stalled {
            idle_secs: 61,
            sent: 4096,
            size: 10_000,
        };
        let e = UploadError::new(
            "demo-1.0.tar.gz",
            UploadErrorKind::Exhausted { attempts: 3, last },
        );
        insta::assert_snapshot!(render(&e), @"
        error: demo-1.0.tar.gz: gave up after 3 attempts
          Caused by: the upload stalled (61 s without progress at 4096 of 10000 bytes)
          hint: the index kept failing: re-run later; files already uploaded are skipped
        ");
        assert_eq!(
            e.one_line(),
            "demo-1.0.tar.gz: gave up after 3 attempts: the upload stalled (61 s without progress at 4096 of 10000 bytes)"
        );
    }

    #[test]
    fn the_job_summary_of_a_stopped_run() {
        let report = crate::publish::PublishReport {
            repository_url: "https://pypi.example.org/".into(),
            ..Default::default()
        };
        let failure = describe(&stopped());
        let md = crate::github::summary::markdown(
            &report,
            "API token (user `__token__`)",
            Some(&failure),
        );
        insta::assert_snapshot!(md, @"
        ## PyPI publish

        Index: `https://pypi.example.org/` · credentials: API token (user `__token__`)

        Attestations: none sent.

        > [!CAUTION]
        > https://****@pypi.example.org/ is not an upload endpoint: it refused the first upload (405: Method Not Allowed); 5 file(s) not attempted
        >   hint: the repository URL must be an index's upload endpoint (the legacy upload API), such as PyPI's https://upload.pypi.org/legacy/ or TestPyPI's https://test.pypi.org/legacy/ (devpi: https://HOST/USER/INDEX/); a simple-index or web-page URL does not take uploads
        ");
    }
}
