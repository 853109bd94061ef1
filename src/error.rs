//! Walking an error's causes: the one place that follows `source()`, for the renderers
//! (terminal, annotations, job summary), the report's rows and the TLS hint.

use std::error::Error;

/// The causes of `error`, nearest first (the error itself not included).
pub fn causes<'a>(
    error: &'a (dyn Error + 'static),
) -> impl Iterator<Item = &'a (dyn Error + 'static)> {
    std::iter::successors(error.source(), |e: &&'a (dyn Error + 'static)| {
        (*e).source()
    })
}
