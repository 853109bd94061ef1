//! Source lines: the description as docutils' state machine sees it, and the indented blocks
//! it cuts out of them.
//!
//! docutils (`statemachine.string2lines`) expands tabs to 8-column stops, turns vertical tabs
//! and form feeds into spaces and strips trailing whitespace from every line before parsing.

/// One line of input with its 1-based line number in the description.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub(super) text: String,
    pub(super) no: usize,
}

impl Line {
    pub(super) fn is_blank(&self) -> bool {
        self.text.is_empty()
    }

    pub(super) fn is_indented(&self) -> bool {
        self.text.starts_with(' ')
    }

    fn indent(&self) -> usize {
        self.text.len() - self.text.trim_start_matches(' ').len()
    }
}

/// Splits a description into docutils' input lines.
pub(super) fn split(text: &str) -> Vec<Line> {
    // `str.splitlines` also breaks on these; docutils splits the same way.
    let breaks = |c: char| {
        matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        )
    };
    let mut lines = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next) = match rest.find(breaks) {
            Some(i) => {
                let c = rest[i..].chars().next().unwrap_or('\n');
                let mut end = i + c.len_utf8();
                if c == '\r' && rest[end..].starts_with('\n') {
                    end += 1;
                }
                (&rest[..i], &rest[end..])
            }
            None => (rest, ""),
        };
        lines.push(Line {
            text: expand_tabs(line).trim_end().to_string(),
            no: lines.len() + 1,
        });
        rest = next;
    }
    lines
}

fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut column = 0;
    for c in line.chars() {
        if c == '\t' {
            let pad = 8 - column % 8;
            out.extend(std::iter::repeat_n(' ', pad));
            column += pad;
        } else {
            out.push(c);
            column += 1;
        }
    }
    out
}

/// An indented block cut out of the input, as `StringList.get_indented` returns it.
pub(super) struct Indented {
    /// The block's lines with the common indentation removed and trailing blank lines dropped.
    pub(super) lines: Vec<Line>,
    /// The index of the first line after the block (trailing blank lines included).
    pub(super) end: usize,
    /// Whether the block ended with a blank line or at the end of input.
    pub(super) blank_finish: bool,
}

/// How the first line of an indented block is measured.
#[derive(Clone, Copy)]
pub(super) enum First {
    /// The block starts at an indented line (block quotes, definitions, literal blocks).
    Unknown,
    /// The first line's text starts at this column (list items, explicit markup): the rest of
    /// the block's indentation is the smallest among its lines.
    Known(usize),
    /// Every line must be indented at least this much (list items with text on the first line).
    Block(usize),
}

/// Collects the indented block starting at `lines[start]`.
pub(super) fn indented(lines: &[Line], start: usize, first: First, until_blank: bool) -> Indented {
    let (block_indent, first_indent) = match first {
        First::Unknown => (None, None),
        First::Known(n) => (None, Some(n)),
        First::Block(n) => (Some(n), Some(n)),
    };
    let mut indent: Option<usize> = block_indent;
    let mut end = start + usize::from(first_indent.is_some());
    let mut blank_finish = true;
    while end < lines.len() {
        let line = &lines[end];
        let short = block_indent.is_some_and(|b| line.indent() < b);
        if !line.is_blank() && (!line.is_indented() || short) {
            blank_finish = end > start && lines[end - 1].is_blank();
            break;
        }
        if line.is_blank() {
            if until_blank {
                break;
            }
        } else if block_indent.is_none() {
            indent = Some(indent.map_or(line.indent(), |i| i.min(line.indent())));
        }
        end += 1;
    }
    let mut block: Vec<Line> = lines[start..end].to_vec();
    if let (Some(n), Some(first)) = (first_indent, block.first_mut()) {
        first.text = first.text.get(n..).unwrap_or("").trim_start().to_string();
    }
    let skip = usize::from(first_indent.is_some());
    if let Some(n) = indent.filter(|n| *n > 0) {
        for line in block.iter_mut().skip(skip) {
            line.text = line.text.get(n..).unwrap_or("").to_string();
        }
    }
    while block.last().is_some_and(Line::is_blank) {
        block.pop();
    }
    Indented {
        lines: block,
        end,
        blank_finish,
    }
}

/// The text block (up to a blank line) starting at `lines[start]`; with `flush_left`, the index
/// of the first indented line, which docutils reports as "Unexpected indentation.".
pub(super) fn text_block(lines: &[Line], start: usize, flush_left: bool) -> (usize, Option<usize>) {
    let mut end = start;
    while end < lines.len() && !lines[end].is_blank() {
        if flush_left && lines[end].is_indented() {
            return (end, Some(end));
        }
        end += 1;
    }
    (end, None)
}

/// Display width as docutils' `column_width` counts it: East Asian wide characters take two.
pub(super) fn column_width(text: &str) -> usize {
    text.chars()
        .map(|c| {
            let c = c as u32;
            let wide = (0x1100..=0x115F).contains(&c)
                || (0x2E80..=0xA4CF).contains(&c)
                || (0xAC00..=0xD7A3).contains(&c)
                || (0xF900..=0xFAFF).contains(&c)
                || (0xFE30..=0xFE4F).contains(&c)
                || (0xFF00..=0xFF60).contains(&c)
                || (0xFFE0..=0xFFE6).contains(&c)
                || (0x1F300..=0x1F64F).contains(&c)
                || (0x20000..=0x3FFFD).contains(&c);
            // Combining marks take no column.
            let combining = (0x0300..=0x036F).contains(&c);
            if combining {
                0
            } else if wide {
                2
            } else {
                1
            }
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_expands_tabs_and_strips() {
        let lines = split("a\tb  \r\n\x0cc\n");
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].text, "a       b");
        assert_eq!(lines[1].text, "");
        assert_eq!(lines[2].no, 3);
    }

    #[test]
    fn indented_block_reports_blank_finish() {
        let lines = split("  a\n   b\nc\n");
        let block = indented(&lines, 0, First::Unknown, false);
        assert_eq!(block.lines.len(), 2);
        assert_eq!(block.lines[1].text, " b");
        assert!(!block.blank_finish);
        assert_eq!(block.end, 2);
    }
}
