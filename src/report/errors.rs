//! Renders an error chain the same way everywhere: the error, its `Caused by:` lines, and a
//! hint when the cause is known.

use std::error::Error;

/// `error: …` plus one `Caused by:` line per source.
pub fn render_chain(error: &(dyn Error + 'static)) -> String {
    let mut out = format!("error: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        out.push_str(&format!("\n  Caused by: {cause}"));
        source = cause.source();
    }
    out
}
