//! Tables: grid tables (`+---+`) and simple tables (`=== ===`), isolated from the text around
//! them the way docutils' `isolate_grid_table` and `isolate_simple_table` do.
//!
//! Cell contents are not followed into (docutils parses each cell as body elements): the
//! table only marks the document "blind" so that name resolution, which could miss a
//! target or reference inside a cell, does not refuse anything.

use super::body::Document;
use super::lines::{Line, column_width, text_block};
use super::{Failure, Step};

/// `\+-[-+]+-\+ *$`
pub(super) fn is_grid_top(text: &str) -> bool {
    let t = text.trim_end_matches(' ');
    t.len() >= 4
        && t.starts_with("+-")
        && t.ends_with("-+")
        && t[1..t.len() - 1].bytes().all(|b| b == b'-' || b == b'+')
}

/// `=+( +=+)+ *$`
pub(super) fn is_simple_top(text: &str) -> bool {
    let t = text.trim_end_matches(' ');
    t.starts_with('=')
        && t.bytes().all(|b| b == b'=' || b == b' ')
        && t.split(' ').filter(|s| !s.is_empty()).count() >= 2
}

/// `=+[ =]*$`
fn is_simple_border(text: &str) -> bool {
    text.starts_with('=') && text.bytes().all(|b| b == b'=' || b == b' ')
}

fn malformed(line: usize) -> Failure {
    Failure::at(line, "Malformed table.")
}

fn blank_required(lines: &[Line], next: usize) -> Step<usize> {
    match lines.get(next) {
        Some(l) if !l.is_blank() => Err(Failure::at(l.no, "Blank line required after table.")),
        _ => Ok(next),
    }
}

pub(super) fn grid(doc: &mut Document, lines: &[Line], i: usize) -> Step<usize> {
    let (mut end, indented) = text_block(lines, i, true);
    if let Some(k) = indented {
        return Err(Failure::at(lines[k].no, "Unexpected indentation."));
    }
    let width = column_width(lines[i].text.trim());
    let mut blank_finish = true;
    if let Some(k) = (i..end).find(|&k| !lines[k].text.trim_start().starts_with(['+', '|'])) {
        blank_finish = false;
        end = k;
    }
    if !is_grid_top(lines[end - 1].text.trim()) {
        blank_finish = false;
        match (i + 2..end - 1)
            .rev()
            .find(|&k| is_grid_top(lines[k].text.trim()))
        {
            Some(k) => end = k + 1,
            None => return Err(malformed(lines[i].no)),
        }
    }
    for l in &lines[i..end] {
        let t = l.text.trim();
        if column_width(t) != width || !t.ends_with(['+', '|']) {
            return Err(malformed(lines[i].no));
        }
    }
    doc.renders_something = true;
    doc.names.blind = true;
    if !blank_finish {
        return blank_required(lines, end);
    }
    Ok(end)
}

pub(super) fn simple(doc: &mut Document, lines: &[Line], i: usize) -> Step<usize> {
    let top = lines[i].text.trim().chars().count();
    let mut found = 0;
    let mut k = i + 1;
    let end = loop {
        let Some(line) = lines.get(k) else {
            return Err(malformed(lines[i].no));
        };
        if is_simple_border(&line.text) {
            if line.text.trim().chars().count() != top {
                return Err(malformed(lines[i].no));
            }
            found += 1;
            if found == 2 || lines.get(k + 1).is_none_or(Line::is_blank) {
                break k + 1;
            }
        }
        k += 1;
    };
    doc.renders_something = true;
    doc.names.blind = true;
    Ok(end)
}

#[cfg(test)]
mod tests {
    use super::super::{Verdict, check};
    use super::*;

    #[test]
    fn table_patterns() {
        assert!(is_grid_top("+---+---+"));
        assert!(!is_grid_top("+---"));
        assert!(is_simple_top("=== ==="));
        assert!(!is_simple_top("======"));
    }

    #[test]
    fn tables_render_or_are_malformed() {
        assert_eq!(check("+---+\n| a |\n+---+\n"), Verdict::Renders);
        assert_eq!(check("===  ===\na    b\n===  ===\n"), Verdict::Renders);
        assert!(matches!(check("+---+\n| a  |\n+---+\n"), Verdict::Fails(_)));
    }
}
