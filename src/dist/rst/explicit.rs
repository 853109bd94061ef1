//! Explicit markup: the `.. ` blocks — footnotes, citations, hyperlink targets, substitution
//! definitions, directives and comments — and anonymous targets (`__ uri`), in runs that
//! docutils' `Explicit` state reads until a line is none of them.

use super::body::{self, Document, Pattern, parse, unindent};
use super::lines::{self, First, Line};
use super::names::normalize;
use super::punctuation::simplename_ends;
use super::{Failure, Step, directive};

/// A run of explicit markup starting at `lines[i]`.
pub(super) fn explicit_list(
    doc: &mut Document,
    lines: &[Line],
    i: usize,
    marker_end: usize,
    anonymous: bool,
    top_level: bool,
) -> Step<usize> {
    let visible_before = std::mem::replace(&mut doc.explicit_visible, false);
    let outcome = run_list(doc, lines, i, marker_end, anonymous);
    if !doc.explicit_visible && top_level {
        doc.ignore_last();
    }
    doc.explicit_visible |= visible_before;
    outcome
}

/// The constructs of one run, each followed by the next until a line is none of them.
fn run_list(
    doc: &mut Document,
    lines: &[Line],
    mut k: usize,
    mut end: usize,
    mut anonymous: bool,
) -> Step<usize> {
    loop {
        let (next, blank_finish) = if anonymous {
            let block = lines::indented(lines, k, First::Known(end), true);
            doc.names.anonymous_target();
            (block.end, block.blank_finish)
        } else {
            construct(doc, lines, k, end)?
        };
        let following = lines
            .get(next)
            .filter(|l| !l.is_blank() && !l.is_indented())
            .map(|l| body::pattern(&l.text));
        match following {
            Some(Pattern::Explicit(e)) => (k, end, anonymous) = (next, e, false),
            Some(Pattern::Anonymous(e)) => (k, end, anonymous) = (next, e, true),
            _ if !blank_finish => return Err(unindent("Explicit markup", lines, next)),
            _ => return Ok(next),
        }
    }
}

/// `( +|$)` at byte `at` of `text`.
fn spaces_or_end(text: &str, at: usize) -> bool {
    text.get(at..)
        .is_some_and(|r| r.is_empty() || r.starts_with(' '))
}

/// One construct: `(index after it, blank_finish)`.
fn construct(doc: &mut Document, lines: &[Line], k: usize, end: usize) -> Step<(usize, bool)> {
    let text = lines[k].text.as_str();
    let after = &text[end..];
    let line = lines[k].no;
    if let Some(label) = footnote_label(after) {
        let marker = end + label.len() + 2;
        if spaces_or_end(text, marker) {
            doc.renders_something = true;
            doc.explicit_visible = true;
            doc.names.footnote(label, line)?;
            return nested(doc, lines, k, marker);
        }
    }
    if let Some(rest) = after
        .strip_prefix('_')
        .filter(|r| !r.is_empty() && !r.starts_with(' '))
    {
        let block = lines::indented(lines, k, First::Known(end + 1), true);
        let pieces: Vec<&str> = std::iter::once(rest)
            .chain(block.lines.iter().skip(1).map(|l| l.text.as_str()))
            .collect();
        hyperlink_target(doc, &pieces, line)?;
        return Ok((block.end, block.blank_finish));
    }
    if after.starts_with('|') && after.len() > 1 && !after[1..].starts_with(' ') {
        return substitution_def(doc, lines, k, end + 1);
    }
    let chars: Vec<char> = after.chars().collect();
    for name_end in simplename_ends(&chars, 0) {
        let mut e = name_end;
        if chars.get(e) == Some(&' ') {
            e += 1;
        }
        if chars.get(e) == Some(&':') && chars.get(e + 1) == Some(&':') {
            let name: String = chars[..name_end].iter().collect();
            let rest: String = chars[e + 2..].iter().collect();
            if rest.is_empty() || rest.starts_with(' ') {
                let marker = text.len() - rest.trim_start().len();
                return directive::directive(doc, lines, k, &name, marker, false);
            }
        }
    }
    comment(lines, k, end)
}

fn footnote_label(after: &str) -> Option<&str> {
    let inner = after.strip_prefix('[')?;
    let close = inner.find(']')?;
    let label = &inner[..close];
    let chars: Vec<char> = label.chars().collect();
    let simple = |from: usize| simplename_ends(&chars, from).first() == Some(&chars.len());
    let ok = (!label.is_empty() && label.bytes().all(|b| b.is_ascii_digit()))
        || label == "#"
        || label == "*"
        || (label.starts_with('#') && simple(1))
        || simple(0);
    ok.then_some(label)
}

/// A block whose content is parsed as body elements (footnotes, citations).
fn nested(doc: &mut Document, lines: &[Line], k: usize, marker: usize) -> Step<(usize, bool)> {
    let block = lines::indented(lines, k, First::Known(marker), false);
    parse(doc, &block.lines, false)?;
    Ok((block.end, block.blank_finish))
}

/// A comment. readme_renderer strips comments, so it neither shows nor counts as an element
/// next to a transition.
fn comment(lines: &[Line], k: usize, end: usize) -> Step<(usize, bool)> {
    // An empty comment followed by a blank line is just that line ("a tiny but practical wart").
    if lines[k].text.len() <= end && lines.get(k + 1).is_none_or(Line::is_blank) {
        return Ok((k + 1, true));
    }
    let block = lines::indented(lines, k, First::Known(end), false);
    Ok((block.end, block.blank_finish))
}

/// `.. _name: uri`, `.. _name: other_`, `.. _name:` or `.. __: uri`; `pieces` are the
/// block's lines after the `_`. Like docutils, the name is looked for in the first line, then
/// in the first lines run together, one more at a time.
fn hyperlink_target(doc: &mut Document, pieces: &[&str], line: usize) -> Step {
    let mut escaped = String::new();
    for (used, piece) in pieces.iter().enumerate() {
        escaped.push_str(piece);
        if let Some(rest) = escaped.strip_prefix('_') {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            if rest.starts_with(':') && spaces_or_end(rest, 1) {
                doc.names.anonymous_target();
                return Ok(());
            }
            continue;
        }
        if let Some((name, rest)) = target_name(&escaped) {
            let rest = std::iter::once(rest)
                .chain(pieces[used + 1..].iter().copied())
                .collect::<Vec<_>>()
                .join(" ");
            return named_target(doc, &name, &rest, line);
        }
    }
    Err(Failure::at(line, "malformed hyperlink target."))
}

/// A named target pointing at a URI, at another target, or at the next element.
fn named_target(doc: &mut Document, name: &str, rest: &str, line: usize) -> Step {
    let name = normalize(&name.replace('\\', ""));
    let rest = rest.trim();
    if rest.is_empty() {
        return doc.names.explicit_target(&name, None, line);
    }
    let squeezed = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(refname) = reference_name(&squeezed) {
        doc.names.explicit_target(&name, None, line)?;
        doc.names.indirect_target(&name, &normalize(&refname), line);
        return Ok(());
    }
    let uri: String = rest.split_whitespace().collect();
    doc.names.explicit_target(&name, Some(&uri), line)
}

/// The target name and what follows its colon (docutils' `patterns.target`).
fn target_name(text: &str) -> Option<(String, &str)> {
    let quote = text.starts_with('`');
    let body = if quote { &text[1..] } else { text };
    if body.starts_with([' ', '`']) || body.is_empty() {
        return None;
    }
    let bytes = body.as_bytes();
    for (k, _) in body.char_indices().skip(1) {
        let (name, after) = body.split_at(k);
        let last = name.chars().last()?;
        if last.is_whitespace() || (name.len() >= 2 && bytes[k - 2] == b'\\' && !quote) {
            continue;
        }
        let after = if quote {
            match after.strip_prefix('`') {
                Some(a) => a,
                None => continue,
            }
        } else {
            after
        };
        if !quote && last == ':' {
            continue;
        }
        let after = after.strip_prefix(' ').unwrap_or(after);
        if let Some(rest) = after.strip_prefix(':')
            && (rest.is_empty() || rest.starts_with(' '))
        {
            return Some((name.to_string(), rest));
        }
    }
    None
}

/// `name_` or `` `phrase`_ `` alone: an indirect target's reference.
pub(super) fn reference_name(text: &str) -> Option<String> {
    let inner = text.strip_suffix('_')?;
    if let Some(phrase) = inner.strip_prefix('`').and_then(|p| p.strip_suffix('`')) {
        return (!phrase.is_empty() && !phrase.starts_with(' ')).then(|| phrase.to_string());
    }
    let chars: Vec<char> = inner.chars().collect();
    (simplename_ends(&chars, 0).first() == Some(&chars.len()) && !chars.is_empty())
        .then(|| inner.to_string())
}

/// `.. |name| directive:: ...`; `start` is the byte after the first `|`.
fn substitution_def(
    doc: &mut Document,
    lines: &[Line],
    k: usize,
    start: usize,
) -> Step<(usize, bool)> {
    let line = lines[k].no;
    let block = lines::indented(lines, k, First::Known(start), false);
    let done = (block.end, block.blank_finish);
    let mut joined = block.lines[0].text.clone();
    let mut used = 1;
    let (name, rest) = loop {
        if let Some(found) = substitution_name(&joined) {
            break found;
        }
        let Some(next) = block.lines.get(used) else {
            return Err(Failure::at(line, "malformed substitution definition."));
        };
        joined.push(' ');
        joined.push_str(next.text.trim());
        used += 1;
    };
    let rest = rest.trim().to_string();
    if rest.is_empty() && block.lines.len() <= used {
        return Err(Failure::at(
            line,
            format!("Substitution definition \"{name}\" missing contents."),
        ));
    }
    let chars: Vec<char> = rest.chars().collect();
    let directive_name = simplename_ends(&chars, 0).into_iter().find_map(|e| {
        let tail: String = chars[e..].iter().collect();
        let tail = tail.strip_prefix("::")?;
        (tail.is_empty() || tail.starts_with(' ')).then(|| chars[..e].iter().collect::<String>())
    });
    let Some(directive_name) = directive_name else {
        return Err(Failure::at(
            line,
            format!("Substitution definition \"{name}\" empty or invalid."),
        ));
    };
    // Re-read the block with the directive's own first line, keeping the original numbers.
    let mut sub: Vec<Line> = vec![Line {
        text: format!(".. {rest}"),
        no: line,
    }];
    sub.extend(block.lines[used..].iter().map(|l| Line {
        text: format!("   {}", l.text),
        no: l.no,
    }));
    let marker = 3 + directive_name.len() + 2;
    let marker = marker + sub[0].text[marker.min(sub[0].text.len())..].len()
        - sub[0].text[marker.min(sub[0].text.len())..]
            .trim_start()
            .len();
    directive::directive(doc, &sub, 0, &directive_name, marker, true)?;
    doc.names.substitution_def(&name, line)?;
    Ok(done)
}

/// `name| rest` → the substitution name and the rest.
fn substitution_name(text: &str) -> Option<(String, &str)> {
    let mut from = 0;
    while let Some(p) = text[from..].find('|') {
        let at = from + p;
        let name = &text[..at];
        let ok = !name.is_empty()
            && !name.ends_with(char::is_whitespace)
            && !name.ends_with('\\')
            && spaces_or_end(text, at + 1);
        if ok {
            return Some((name.to_string(), &text[at + 1..]));
        }
        from = at + 1;
    }
    None
}
