//! Whether PyPI can render a reStructuredText description.
//!
//! PyPI renders a `text/x-rst` description (and one without a content type) with
//! `readme_renderer`, which runs docutils with `halt_level` 2: the first WARNING, ERROR or
//! SEVERE system message aborts the render, and the upload is refused; so is a render that
//! produces nothing. This module follows docutils' parser far enough to find that first
//! message: `body` walks the block structure the way docutils' state machine does (`sections`
//! for titles and transitions, `lists` and `enumerators`, `explicit` and `directive` for
//! explicit markup, `tables`), `inline` finds inline markup with docutils' start/end-string
//! rules (`punctuation`), `directives` knows which directives and roles plain docutils (not
//! Sphinx) has, and `names` resolves references the way docutils' transforms do after
//! parsing; `lines` holds the input as docutils splits it. Where it is unsure, it says
//! "renders": a false refusal would block a good upload, a miss only leaves the refusal to
//! the index.

mod body;
mod directive;
mod directives;
mod enumerators;
mod explicit;
mod inline;
mod lines;
mod lists;
mod names;
mod punctuation;
mod sections;
mod tables;

use std::fmt;

/// The first problem docutils reports at WARNING level or worse, which stops PyPI's render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The 1-based line docutils names, when it names one.
    pub line: Option<usize>,
    /// docutils' message, first line only (e.g. `Unexpected indentation.`).
    pub message: String,
}

impl Failure {
    pub(crate) fn at(line: usize, message: impl Into<String>) -> Self {
        Failure {
            line: Some(line),
            message: message.into(),
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "line {line}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

/// What PyPI's renderer does with a description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// It renders (as far as this module can tell).
    Renders,
    /// It does not; the first reason.
    Fails(Failure),
}

/// The outcome of one parsing step: the first halting message ends the whole parse.
pub(crate) type Step<T = ()> = Result<T, Failure>;

/// Judges a description the way `readme_renderer.rst.render` does.
pub fn check(text: &str) -> Verdict {
    // Warehouse renders only a non-empty description.
    if text.is_empty() {
        return Verdict::Renders;
    }
    let lines = lines::split(text);
    let mut doc = body::Document::default();
    let outcome = body::parse(&mut doc, &lines, true).and_then(|()| doc.names.resolve());
    match outcome {
        Err(failure) => Verdict::Fails(failure),
        // readme_renderer refuses an empty fragment (only comments, targets, substitutions).
        Ok(()) if !doc.renders_something => Verdict::Fails(Failure {
            line: None,
            message: "No content rendered from RST source.".to_string(),
        }),
        Ok(()) => Verdict::Renders,
    }
}

/// For the rule tests: `"<line>: <message>"` of the first failure, or `renders`.
#[cfg(test)]
fn message(text: &str) -> String {
    match check(text) {
        Verdict::Fails(f) => format!("{:?}: {}", f.line, f.message),
        Verdict::Renders => "renders".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fails(text: &str) -> (Option<usize>, String) {
        match check(text) {
            Verdict::Fails(f) => (f.line, f.message),
            Verdict::Renders => panic!("expected a failure for {text:?}"),
        }
    }

    #[test]
    fn short_underlines_fail_only_from_four_characters() {
        assert_eq!(check("Title\n=====\n\ntext\n"), Verdict::Renders);
        assert_eq!(
            fails("Long title\n=====\n"),
            (Some(2), "Title underline too short.".to_string())
        );
        assert_eq!(check("A paragraph\n\n----\n\nmore\n"), Verdict::Renders);
        assert_eq!(check("Long title\n===\n"), Verdict::Renders);
    }

    #[test]
    fn empty_output_fails_without_a_line() {
        assert_eq!(check(""), Verdict::Renders);
        assert_eq!(fails(".. a comment\n").0, None);
        assert_eq!(fails("   \n").1, "No content rendered from RST source.");
    }

    #[test]
    fn failure_display_names_the_line() {
        assert_eq!(
            Failure::at(12, "Unexpected indentation.").to_string(),
            "line 12: Unexpected indentation."
        );
    }
}
