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

fn chain(error: &(dyn Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut shown = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !shown.contains(&text) {
            out.push_str(&format!("\n  Caused by: {text}"));
        }
        shown = text;
        source = cause.source();
    }
    out
}

/// A multi-line hint under its error, continuation lines indented.
pub fn render_hint(hint: &str) -> String {
    format!("  hint: {}", hint.replace('\n', "\n    "))
}

/// A URL error, its hint attached, for the command layer's `anyhow` result.
pub fn with_hint(e: crate::index::url::UrlError) -> anyhow::Error {
    anyhow::anyhow!(describe(&e))
}
