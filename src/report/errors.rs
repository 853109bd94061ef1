//! Renders an error chain the same way everywhere: the error, its `Caused by:` lines, and a
//! hint when the cause is known.

use std::error::Error;

/// `error: …` plus one `Caused by:` line per source that says something new (a message
/// that already quotes its cause does not repeat it).
pub fn render_chain(error: &(dyn Error + 'static)) -> String {
    let mut out = format!("error: {error}");
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

/// Attaches a URL error's hint to the message that reaches the user.
pub fn with_hint(e: crate::index::url::UrlError) -> anyhow::Error {
    match e.hint() {
        Some(hint) => anyhow::anyhow!("{e}\n  hint: {hint}"),
        None => e.into(),
    }
}
