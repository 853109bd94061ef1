//! Lists: bullet, enumerated, definition, field and option lists, and line blocks — the
//! compound constructs whose items docutils collects one by one until a line is no longer an
//! item, warning when the list then ends without a blank line.

use super::body::{self, Document, Pattern, parse, unindent};
use super::enumerators::{Sequence, enumerator, is_item, ordinal, sequence_of};
use super::lines::{self, First, Indented, Line};
use super::{Failure, Step, inline};

/// `[-+*•‣⁃]( +|$)`: the end of a bullet marker.
pub(super) fn bullet(text: &str) -> Option<usize> {
    let c = text.chars().next()?;
    if !matches!(c, '-' | '+' | '*' | '\u{2022}' | '\u{2023}' | '\u{2043}') {
        return None;
    }
    body::marker(text, &text[..c.len_utf8()])
}

/// One list item's body, parsed as nested body elements.
fn item(
    doc: &mut Document,
    lines: &[Line],
    i: usize,
    marker_end: usize,
    list_item: bool,
) -> Step<Indented> {
    doc.renders_something = true;
    // docutils' `list_item` holds the lines after a marker with text to its column; fields
    // and options (and empty list markers) take the least indentation of their block.
    let first = if list_item && lines[i].text.len() > marker_end {
        First::Block(marker_end)
    } else {
        First::Known(marker_end)
    };
    let block = lines::indented(lines, i, first, false);
    parse(doc, &block.lines, false)?;
    Ok(block)
}

/// Runs the items of a list; `next` says whether the line at an index starts another item
/// (and where its marker ends).
fn run_list(
    doc: &mut Document,
    lines: &[Line],
    i: usize,
    marker_end: usize,
    what: &str,
    mut next: impl FnMut(&[Line], usize) -> Option<usize>,
) -> Step<usize> {
    let list_item = matches!(what, "Bullet list" | "Enumerated list");
    let mut block = item(doc, lines, i, marker_end, list_item)?;
    while let Some(end) = lines.get(block.end).and_then(|_| next(lines, block.end)) {
        block = item(doc, lines, block.end, end, list_item)?;
    }
    if !block.blank_finish {
        return Err(unindent(what, lines, block.end));
    }
    Ok(block.end)
}

/// A line at list level: not blank and not indented.
fn flush(lines: &[Line], k: usize) -> Option<&str> {
    lines
        .get(k)
        .filter(|l| !l.is_blank() && !l.is_indented())
        .map(|l| l.text.as_str())
}

pub(super) fn bullet_list(doc: &mut Document, lines: &[Line], i: usize, end: usize) -> Step<usize> {
    let symbol = lines[i].text.chars().next();
    run_list(doc, lines, i, end, "Bullet list", |lines, k| {
        let text = flush(lines, k)?;
        match body::pattern(text) {
            Pattern::Bullet(end) if text.chars().next() == symbol => Some(end),
            _ => None,
        }
    })
}

/// An enumerated list, or `None` when docutils would read the line as text.
pub(super) fn enumerated_list(doc: &mut Document, lines: &[Line], i: usize) -> Step<Option<usize>> {
    let Some(first) = enumerator(&lines[i].text) else {
        return Ok(None);
    };
    let sequence = sequence_of(&first.text, None);
    let Some(start) = ordinal(&first.text, sequence) else {
        return Ok(None);
    };
    if !is_item(lines, i, start, sequence, first.format) {
        return Ok(None);
    }
    // `#` lists are arabic; a list is "auto" once it has used `#`.
    let list_sequence = if sequence == Sequence::Auto {
        Sequence::Arabic
    } else {
        sequence
    };
    let mut last = start;
    let mut auto = sequence == Sequence::Auto;
    let end = run_list(doc, lines, i, first.end, "Enumerated list", |lines, k| {
        let text = flush(lines, k)?;
        if !matches!(body::pattern(text), Pattern::Enumerator(_)) {
            return None;
        }
        let e = enumerator(text)?;
        let seq = sequence_of(&e.text, Some(list_sequence));
        let ord = ordinal(&e.text, seq)?;
        let fits = e.format == first.format
            && (seq == Sequence::Auto || (seq == list_sequence && !auto && ord == last + 1))
            && is_item(lines, k, ord, seq, e.format);
        if !fits {
            return None;
        }
        auto |= seq == Sequence::Auto;
        last = ord;
        Some(e.end)
    })?;
    Ok(Some(end))
}

/// `:name: body`: the field name and the end of the marker.
pub(super) fn field_marker(text: &str) -> Option<(&str, usize)> {
    let rest = text.strip_prefix(':')?;
    if rest.starts_with([':', ' ']) || rest.is_empty() {
        return None;
    }
    let mut chars = rest.char_indices();
    while let Some((k, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next()?;
            }
            ':' => {
                let after = &rest[k + 1..];
                if after.is_empty() || after.starts_with(' ') {
                    if rest[..k].ends_with(' ') {
                        return None;
                    }
                    let end = body::marker(text, &text[..k + 2])?;
                    return Some((&rest[..k], end));
                }
                if after.starts_with('`') {
                    return None;
                }
            }
            _ => {}
        }
    }
    None
}

pub(super) fn field_list(doc: &mut Document, lines: &[Line], i: usize) -> Step<usize> {
    let mut k = i;
    loop {
        // The field name is inline text, parsed before the field body.
        let (name, end) = field_marker(&lines[k].text).unwrap_or(("", 1));
        inline::parse(doc, name, lines[k].no)?;
        let block = item(doc, lines, k, end, false)?;
        let next =
            flush(lines, block.end).is_some_and(|t| body::pattern(t) == Pattern::FieldMarker);
        if next {
            k = block.end;
            continue;
        }
        if !block.blank_finish {
            return Err(unindent("Field list", lines, block.end));
        }
        return Ok(block.end);
    }
}

/// docutils' `option_marker` pattern: options separated by `, `, then two spaces or the end.
pub(super) fn option_marker(text: &str) -> bool {
    option_ends(text, 0)
        .into_iter()
        .any(|end| option_tail(text, end))
}

fn option_tail(text: &str, end: usize) -> bool {
    let rest = &text[end..];
    if rest.is_empty() || rest == " " || rest.starts_with("  ") {
        return true;
    }
    rest.strip_prefix(", ").is_some_and(|_| {
        option_ends(text, end + 2)
            .into_iter()
            .any(|e| option_tail(text, e))
    })
}

/// Every end position of one option starting at `at` (the pattern backtracks over them).
fn option_ends(text: &str, at: usize) -> Vec<usize> {
    let s = &text.as_bytes()[at..];
    let alnum = |b: u8| b.is_ascii_alphanumeric();
    let plus = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    let arg_ends = |from: usize| -> Vec<usize> {
        let mut out = Vec::new();
        if s.get(from).is_some_and(u8::is_ascii_alphabetic) {
            let mut k = from + 1;
            while s.get(k).is_some_and(|b| plus(*b)) {
                k += 1;
            }
            out.push(k);
        } else if s.get(from) == Some(&b'<')
            && let Some(close) = s[from + 1..].iter().position(|b| *b == b'>' || *b == b'<')
            && s[from + 1 + close] == b'>'
            && close > 0
        {
            out.push(from + close + 2);
        }
        out
    };
    let mut ends = Vec::new();
    let (long, name_at) = if s.starts_with(b"--") {
        (true, 2)
    } else if s.first() == Some(&b'/') {
        (true, 1)
    } else if matches!(s.first(), Some(b'-' | b'+')) {
        (false, 1)
    } else {
        return ends;
    };
    if !s.get(name_at).is_some_and(|b| alnum(*b)) {
        return ends;
    }
    let mut k = name_at + 1;
    if long {
        while s.get(k).is_some_and(|b| plus(*b)) {
            k += 1;
        }
    }
    ends.push(k);
    let seps: &[u8] = if long { b" =" } else { b" " };
    if s.get(k).is_some_and(|b| seps.contains(b)) {
        ends.extend(arg_ends(k + 1));
    }
    if !long {
        ends.extend(arg_ends(k));
    }
    ends.sort_unstable_by(|a, b| b.cmp(a));
    ends.into_iter().map(|e| e + at).collect()
}

/// An option list, or `None` when docutils would read the line as text.
pub(super) fn option_list(doc: &mut Document, lines: &[Line], i: usize) -> Step<Option<usize>> {
    let marker_end = |text: &str| {
        // The item's text starts after the options and the spaces that follow them.
        let ends = option_ends(text, 0);
        let end = ends
            .into_iter()
            .find(|e| option_tail(text, *e))
            .unwrap_or(text.len());
        let mut end = end;
        while let Some(rest) = text[end..].strip_prefix(", ") {
            end = option_ends(text, end + 2)
                .into_iter()
                .find(|e| option_tail(text, *e))
                .unwrap_or(text.len() - rest.len());
        }
        end + (text.len() - end - text[end..].trim_start().len())
    };
    let end = marker_end(&lines[i].text);
    // An option with no description is not an option list item but text.
    let has_body = lines[i].text.len() > end
        || lines
            .get(i + 1)
            .is_some_and(|l| l.is_indented() && !l.is_blank());
    if !has_body {
        return Ok(None);
    }
    run_list(doc, lines, i, end, "Option list", |lines, k| {
        let text = flush(lines, k)?;
        matches!(body::pattern(text), Pattern::OptionMarker).then(|| marker_end(text))
    })
    .map(Some)
}

pub(super) fn line_block(doc: &mut Document, lines: &[Line], i: usize, end: usize) -> Step<usize> {
    doc.renders_something = true;
    let first_line = lines[i].no;
    let mut k = i;
    let mut end = end;
    loop {
        let block = lines::indented(lines, k, First::Known(end), true);
        let text: Vec<&str> = block.lines.iter().map(|l| l.text.as_str()).collect();
        inline::parse(doc, &text.join("\n"), lines[k].no)?;
        if block.blank_finish {
            return Ok(block.end);
        }
        match flush(lines, block.end).map(body::pattern) {
            Some(Pattern::LineBlock(e)) => {
                k = block.end;
                end = e;
            }
            _ => {
                return Err(Failure::at(
                    first_line + 1,
                    "Line block ends without a blank line.",
                ));
            }
        }
    }
}

/// docutils' `Text.indent`: a term line followed by an indented definition.
pub(super) fn definition_list(doc: &mut Document, lines: &[Line], i: usize) -> Step<usize> {
    doc.renders_something = true;
    let mut term = i;
    loop {
        // Classifiers (`term : classifier`) need no check of their own.
        inline::parse(doc, &lines[term].text, lines[term].no)?;
        let block = lines::indented(lines, term + 1, First::Unknown, false);
        parse(doc, &block.lines, false)?;
        let next = block.end;
        let continues = flush(lines, next).is_some_and(|t| body::pattern(t) == Pattern::Text)
            && lines
                .get(next + 1)
                .is_some_and(|l| l.is_indented() && !l.is_blank());
        if continues {
            term = next;
            continue;
        }
        if !block.blank_finish {
            return Err(unindent("Definition list", lines, next));
        }
        return Ok(next);
    }
}

#[cfg(test)]
mod tests {
    use super::super::message;
    use super::*;

    #[test]
    fn markers() {
        assert_eq!(bullet("- a"), Some(2));
        assert_eq!(bullet("-a"), None);
        assert!(enumerator("1. a").is_some());
        assert!(enumerator("(ii) a").is_some());
        assert!(enumerator("A. Einstein").is_some());
        assert_eq!(field_marker(":param x: y"), Some(("param x", 10)));
        assert_eq!(field_marker(":a :"), None);
        assert!(option_marker("-h, --help  Show help"));
        assert!(option_marker("--output=FILE"));
        assert!(!option_marker("-- not an option"));
    }

    #[test]
    fn list_endings() {
        assert_eq!(
            message("x\n\n- a\nb\n"),
            "Some(4): Bullet list ends without a blank line; unexpected unindent."
        );
        assert_eq!(
            message("x\n\n1. a\n2. b\nc\n"),
            "Some(4): Enumerated list ends without a blank line; unexpected unindent."
        );
        assert_eq!(message("A. Einstein was\na physicist.\n"), "renders");
        assert_eq!(message("3. start\n4. next\n"), "renders");
        assert_eq!(
            message("term\n  def\nnot a term\n"),
            "Some(3): Definition list ends without a blank line; unexpected unindent."
        );
        assert_eq!(
            message("| a\n| b\nc\n"),
            "Some(2): Line block ends without a blank line."
        );
    }
}
