//! Body elements: docutils' `Body` and `Text` states, which classify the first lines of each
//! block (paragraph, section title, transition, block quote, definition list, literal block)
//! and hand the compound constructs to [`super::lists`], [`super::explicit`] and
//! [`super::tables`].

use super::lines::{self, First, Line, column_width};
use super::names::Names;
use super::sections::{self, Top};
use super::{Failure, Step, enumerators, explicit, inline, lists, tables};

/// What the parse has learnt about the whole document so far.
#[derive(Debug, Default)]
pub(super) struct Document {
    /// Targets, references, substitutions and footnotes, resolved after parsing.
    pub(super) names: Names,
    /// Section title styles in order of first use (docutils' `memo.title_styles`).
    pub(super) title_styles: Vec<String>,
    /// The current section depth (0 = document).
    pub(super) section_level: usize,
    /// Whether anything visible has been parsed (an empty fragment does not render).
    pub(super) renders_something: bool,
    /// Whether the explicit constructs being parsed show anything (comments, footnotes and
    /// directives do; targets and substitution definitions do not).
    pub(super) explicit_visible: bool,
    /// Roles defined by the `role` directive.
    pub(super) custom_roles: Vec<String>,
    /// The top-level sequence docutils' `misc.Transitions` transform checks.
    pub(super) top: Vec<Top>,
}

/// The first-line patterns of docutils' `Body` state, tested in its order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Pattern {
    Bullet(usize),
    Enumerator(usize),
    FieldMarker,
    OptionMarker,
    Doctest,
    LineBlock(usize),
    GridTable,
    SimpleTable,
    Explicit(usize),
    Anonymous(usize),
    Line,
    Text,
}

/// Classifies a non-blank, non-indented line by pattern alone (no validity checks).
pub(super) fn pattern(text: &str) -> Pattern {
    if let Some(end) = lists::bullet(text) {
        return Pattern::Bullet(end);
    }
    if let Some(e) = enumerators::enumerator(text) {
        return Pattern::Enumerator(e.end);
    }
    if lists::field_marker(text).is_some() {
        return Pattern::FieldMarker;
    }
    if lists::option_marker(text) {
        return Pattern::OptionMarker;
    }
    if marker(text, ">>>").is_some() {
        return Pattern::Doctest;
    }
    if let Some(end) = marker(text, "|") {
        return Pattern::LineBlock(end);
    }
    if tables::is_grid_top(text) {
        return Pattern::GridTable;
    }
    if tables::is_simple_top(text) {
        return Pattern::SimpleTable;
    }
    if let Some(end) = marker(text, "..") {
        return Pattern::Explicit(end);
    }
    if let Some(end) = marker(text, "__") {
        return Pattern::Anonymous(end);
    }
    if is_line(text) {
        return Pattern::Line;
    }
    Pattern::Text
}

/// `prefix( +|$)`: the end of the match.
pub(super) fn marker(text: &str, prefix: &str) -> Option<usize> {
    let rest = text.strip_prefix(prefix)?;
    if rest.is_empty() {
        return Some(text.len());
    }
    let spaces = rest.len() - rest.trim_start_matches(' ').len();
    (spaces > 0).then_some(prefix.len() + spaces)
}

/// A line of one repeated 7-bit punctuation character (an adornment or a transition).
pub(super) fn is_line(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) if c.is_ascii_punctuation() => chars.all(|x| x == c),
        _ => false,
    }
}

/// The line number docutils gives to "the line after": the next line, or one past the end.
pub(super) fn line_after(lines: &[Line], index: usize) -> usize {
    lines
        .get(index)
        .map_or_else(|| lines.last().map_or(1, |l| l.no + 1), |l| l.no)
}

/// Parses a block of lines in the `Body` state. `titles` is docutils' `match_titles`: true
/// only for the document itself (sections cannot nest inside other elements).
pub(super) fn parse(doc: &mut Document, lines: &[Line], titles: bool) -> Step {
    let mut i = 0;
    while i < lines.len() {
        i = body(doc, lines, i, titles)?;
    }
    if titles {
        doc.check_transitions()?;
    }
    Ok(())
}

fn body(doc: &mut Document, lines: &[Line], i: usize, titles: bool) -> Step<usize> {
    let line = &lines[i];
    if line.is_blank() {
        return Ok(i + 1);
    }
    if titles {
        doc.top.push(Top::Element);
    }
    if line.is_indented() {
        return block_quote(doc, lines, i);
    }
    match pattern(&line.text) {
        Pattern::Bullet(end) => lists::bullet_list(doc, lines, i, end),
        Pattern::Enumerator(_) => match lists::enumerated_list(doc, lines, i)? {
            Some(next) => Ok(next),
            None => text(doc, lines, i, titles),
        },
        Pattern::FieldMarker => lists::field_list(doc, lines, i),
        Pattern::OptionMarker => match lists::option_list(doc, lines, i)? {
            Some(next) => Ok(next),
            None => text(doc, lines, i, titles),
        },
        Pattern::Doctest => {
            doc.renders_something = true;
            Ok(lines::text_block(lines, i, false).0)
        }
        Pattern::LineBlock(end) => lists::line_block(doc, lines, i, end),
        Pattern::GridTable => tables::grid(doc, lines, i),
        Pattern::SimpleTable => tables::simple(doc, lines, i),
        Pattern::Explicit(end) => explicit::explicit_list(doc, lines, i, end, false, titles),
        Pattern::Anonymous(end) => explicit::explicit_list(doc, lines, i, end, true, titles),
        Pattern::Line => sections::line_start(doc, lines, i, titles),
        Pattern::Text => text(doc, lines, i, titles),
    }
}

/// An indented block: a block quote (docutils' `Body.indent`).
fn block_quote(doc: &mut Document, lines: &[Line], i: usize) -> Step<usize> {
    // Even an empty block quote (say, around a substitution definition) is output.
    doc.renders_something = true;
    let block = lines::indented(lines, i, First::Unknown, false);
    parse(doc, &block.lines, false)?;
    if !block.blank_finish {
        return Err(unindent("Block quote", lines, block.end));
    }
    Ok(block.end)
}

/// docutils' `unindent_warning`.
pub(super) fn unindent(what: &str, lines: &[Line], at: usize) -> Failure {
    Failure::at(
        line_after(lines, at),
        format!("{what} ends without a blank line; unexpected unindent."),
    )
}

/// The `Text` state: the second line decides between paragraph, title and definition list.
pub(super) fn text(doc: &mut Document, lines: &[Line], i: usize, titles: bool) -> Step<usize> {
    let Some(next) = lines.get(i + 1) else {
        return paragraph_then_literal(doc, lines, i, i + 1);
    };
    if next.is_blank() {
        return paragraph_then_literal(doc, lines, i, i + 1);
    }
    if next.is_indented() {
        return lists::definition_list(doc, lines, i);
    }
    if is_line(&next.text) {
        let title = lines[i].text.as_str();
        let under = next.text.chars().count();
        let too_short = column_width(title) > under;
        if !(too_short && under < 4) {
            if too_short {
                return Err(Failure::at(next.no, "Title underline too short."));
            }
            if !titles {
                return Err(Failure::at(next.no, "Unexpected section title."));
            }
            if titles {
                doc.top.pop();
            }
            doc.section(title, next.text[..1].to_string(), lines[i].no)?;
            return Ok(i + 2);
        }
    }
    let (end, indented) = lines::text_block(lines, i + 1, true);
    if let Some(k) = indented {
        return Err(Failure::at(lines[k].no, "Unexpected indentation."));
    }
    paragraph_then_literal(doc, lines, i, end)
}

/// A paragraph of `lines[start..end]`, then the literal block its `::` announces.
fn paragraph_then_literal(
    doc: &mut Document,
    lines: &[Line],
    start: usize,
    end: usize,
) -> Step<usize> {
    let text: Vec<&str> = lines[start..end].iter().map(|l| l.text.as_str()).collect();
    let data = text.join("\n");
    let data = data.trim_end();
    let literal_next = ends_with_literal_marker(data);
    let shown = if !literal_next {
        data
    } else if data.len() == 2 {
        ""
    } else if data[..data.len() - 2].ends_with([' ', '\n']) {
        data[..data.len() - 2].trim_end()
    } else {
        &data[..data.len() - 1]
    };
    if !shown.is_empty() {
        doc.renders_something = true;
        inline::parse(doc, shown, lines[start].no)?;
    }
    if literal_next {
        return literal_block(doc, lines, end);
    }
    Ok(end)
}

/// `::` at the end, not escaped by an odd number of backslashes.
fn ends_with_literal_marker(data: &str) -> bool {
    let Some(before) = data.strip_suffix("::") else {
        return false;
    };
    let slashes = before.len() - before.trim_end_matches('\\').len();
    slashes % 2 == 0
}

/// The literal block after a `::` paragraph: indented, or quoted (each line starting with the
/// same punctuation character).
fn literal_block(doc: &mut Document, lines: &[Line], at: usize) -> Step<usize> {
    let block = lines::indented(lines, at, First::Unknown, false);
    if block.lines.iter().any(|l| !l.is_blank()) {
        doc.renders_something = true;
        if !block.blank_finish {
            return Err(unindent("Literal block", lines, block.end));
        }
        return Ok(block.end);
    }
    let first = (at..lines.len()).find(|&k| !lines[k].is_blank());
    let Some(first) = first else {
        return Err(Failure::at(
            line_after(lines, lines.len()),
            "Literal block expected; none found.",
        ));
    };
    let quote = lines[first].text.chars().next().unwrap_or(' ');
    if !quote.is_ascii_punctuation() {
        return Err(Failure::at(
            lines[first].no,
            "Literal block expected; none found.",
        ));
    }
    let mut k = first;
    while k < lines.len() && !lines[k].is_blank() {
        if !lines[k].text.starts_with(quote) {
            return Err(Failure::at(
                lines[k].no,
                "Inconsistent literal block quoting.",
            ));
        }
        k += 1;
    }
    doc.renders_something = true;
    Ok(k)
}

#[cfg(test)]
mod tests {
    use super::super::{Verdict, check};

    fn first(text: &str) -> (Option<usize>, String) {
        match check(text) {
            Verdict::Fails(f) => (f.line, f.message),
            Verdict::Renders => (None, "renders".to_string()),
        }
    }

    #[test]
    fn unexpected_indentation_names_the_indented_line() {
        assert_eq!(
            first("a\nb\n  c\n"),
            (Some(3), "Unexpected indentation.".to_string())
        );
    }

    #[test]
    fn block_quote_needs_a_blank_line_before_unindent() {
        assert_eq!(
            first("a\n\n   b\n  c\n"),
            (
                Some(4),
                "Block quote ends without a blank line; unexpected unindent.".to_string()
            )
        );
    }

    #[test]
    fn title_levels_and_transitions() {
        assert_eq!(
            first("T\n=====\n\nS\n-----\n\nT2\n=====\n\nS2\n~~~~\n").0,
            Some(10)
        );
        assert_eq!(
            first("----\n\nx\n").1,
            "Transition at the start of the document."
        );
        assert_eq!(first("x\n\n-----\n\ny\n").1, "renders");
        assert_eq!(first("- a\n\n  T\n  ----\n").1, "Unexpected section title.");
    }

    #[test]
    fn literal_blocks() {
        assert_eq!(first("a::\n\n    code\n\nb\n").1, "renders");
        assert_eq!(
            first("a::\n\nnot literal\n"),
            (Some(3), "Literal block expected; none found.".to_string())
        );
        assert_eq!(first("a::\n\n> q\n> r\n\nb\n").1, "renders");
    }
}
