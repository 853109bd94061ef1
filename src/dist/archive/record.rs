//! A wheel's `RECORD`, compared with the archive's members as PyPI compares them.
//!
//! Warehouse (`warehouse/utils/wheel.py`, `_validate_record`, warehouse#19135) decodes
//! `<name>-<version>.dist-info/RECORD` as strict UTF-8, reads it with
//! `csv.reader(text.splitlines())` (the excel dialect), and takes the first field of each row,
//! `\` made `/`. A decoding or CSV error is a 400 ("does not contain the required RECORD
//! file"); a blank line makes `for fn, *_ in ...` raise an uncaught `ValueError`, a 500.
//! Otherwise the entries are compared with the archive's files (directories and the
//! `RECORD.jws` / `RECORD.p7s` signatures left out) and a difference is only e-mailed to the
//! project's owners. The CSV reader is a port of CPython's `Modules/_csv.c` for that dialect,
//! as far as the first field of each row, an empty row, and its errors.

use std::collections::BTreeSet;

/// `csv.field_size_limit()`'s default: the most characters a field may hold.
pub const FIELD_SIZE_LIMIT: usize = 131_072;

/// What PyPI does with a wheel's `RECORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordVerdict {
    /// The entries are exactly the archive's files.
    Ok,
    /// `MissingWheelRecordError`: refused with a 400, as if there were no `RECORD`.
    Unreadable {
        /// Why, in a few words.
        reason: String,
    },
    /// A blank line: PyPI fails with a 500, so the upload fails.
    Crash {
        /// 1-based line number (as `str.splitlines()` counts).
        line: usize,
    },
    /// `InvalidWheelRecordError`: accepted, and the owners are e-mailed.
    Mismatch {
        /// Files in the archive that `RECORD` does not list, sorted.
        record_is_missing: Vec<String>,
        /// Entries of `RECORD` the archive does not hold, sorted.
        wheel_is_missing: Vec<String>,
    },
}

/// Judges `record` (the bytes of `<dist_info>/RECORD`) against the archive's member names
/// (as Python's `zipfile` lists them). `dist_info` is `<name>-<version>.dist-info` as the
/// wheel's filename spells it.
pub fn check<S: AsRef<str>>(record: &[u8], members: &[S], dist_info: &str) -> RecordVerdict {
    let Ok(text) = std::str::from_utf8(record) else {
        return RecordVerdict::Unreadable {
            reason: "not UTF-8".into(),
        };
    };
    let entries = match first_fields(text) {
        Ok(entries) => entries,
        Err(Stop::Csv(reason)) => return RecordVerdict::Unreadable { reason },
        Err(Stop::EmptyRow(line)) => return RecordVerdict::Crash { line },
    };
    let entries: BTreeSet<String> = entries.into_iter().map(|e| e.replace('\\', "/")).collect();
    let signatures = [
        format!("{dist_info}/RECORD.jws"),
        format!("{dist_info}/RECORD.p7s"),
    ];
    let files: BTreeSet<&str> = members
        .iter()
        .map(AsRef::as_ref)
        .filter(|m| !m.ends_with(['/', '\\']) && !signatures.iter().any(|s| s == m))
        .collect();
    let record_is_missing: Vec<String> = files
        .iter()
        .filter(|f| !entries.contains(**f))
        .map(|f| f.to_string())
        .collect();
    let wheel_is_missing: Vec<String> = entries
        .iter()
        .filter(|e| !files.contains(e.as_str()))
        .cloned()
        .collect();
    if record_is_missing.is_empty() && wheel_is_missing.is_empty() {
        RecordVerdict::Ok
    } else {
        RecordVerdict::Mismatch {
            record_is_missing,
            wheel_is_missing,
        }
    }
}

/// Why reading stopped before the end.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// `csv.Error`.
    Csv(String),
    /// An empty row (a blank line): the unpacking's `ValueError`.
    EmptyRow(usize),
}

/// The reader's states (`_csv.c`'s `ParserState`) that the excel dialect reaches on lines
/// without line breaks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuotedField,
    QuoteInQuotedField,
}

/// The first field of every row of `csv.reader(text.splitlines())`, in order.
fn first_fields(text: &str) -> Result<Vec<String>, Stop> {
    let mut rows = Vec::new();
    let mut state = State::StartRecord;
    // Fields saved in this row, the first of them, and the field being read.
    let mut saved = 0;
    let mut first = String::new();
    let mut field_len = 0;
    for (index, line) in splitlines(text).enumerate() {
        for c in line.chars() {
            state = match (state, c) {
                (State::StartRecord | State::StartField, '"') => State::InQuotedField,
                (State::StartRecord | State::StartField | State::InField, ',')
                | (State::QuoteInQuotedField, ',') => {
                    saved += 1;
                    field_len = 0;
                    State::StartField
                }
                (State::InQuotedField, '"') => State::QuoteInQuotedField,
                (State::QuoteInQuotedField, '"') | (State::InQuotedField, _) => {
                    add(c, saved, &mut first, &mut field_len)?;
                    State::InQuotedField
                }
                (_, _) => {
                    add(c, saved, &mut first, &mut field_len)?;
                    State::InField
                }
            };
        }
        // The end of the line: a quoted field goes on on the next line (with no line
        // break in it), anything else ends the row.
        match state {
            State::StartRecord => return Err(Stop::EmptyRow(index + 1)),
            State::InQuotedField => continue,
            _ => {}
        }
        rows.push(std::mem::take(&mut first));
        (state, saved, field_len) = (State::StartRecord, 0, 0);
    }
    // An unterminated quoted field ends the last row (the dialect is not strict).
    if state == State::InQuotedField {
        rows.push(first);
    }
    Ok(rows)
}

/// `_csv.c`'s `parse_add_char`: one more character in the field being read (kept when it is
/// the row's first field).
fn add(c: char, saved: usize, first: &mut String, field_len: &mut usize) -> Result<(), Stop> {
    if *field_len >= FIELD_SIZE_LIMIT {
        return Err(Stop::Csv(format!(
            "field larger than field limit ({FIELD_SIZE_LIMIT})"
        )));
    }
    *field_len += 1;
    if saved == 0 {
        first.push(c);
    }
    Ok(())
}

/// Python's `str.splitlines()`: split at `\n`, `\r`, `\r\n`, `\v`, `\f`, U+001C..U+001E,
/// U+0085, U+2028 and U+2029, with no empty piece after a final break.
fn splitlines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let Some((at, c)) = rest.char_indices().find(|&(_, c)| is_line_break(c)) else {
            return Some(std::mem::take(&mut rest));
        };
        let line = &rest[..at];
        let mut next = at + c.len_utf8();
        if c == '\r' && rest[next..].starts_with('\n') {
            next += 1;
        }
        rest = &rest[next..];
        Some(line)
    })
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\u{b}'
            | '\u{c}'
            | '\u{1c}'
            | '\u{1d}'
            | '\u{1e}'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

#[cfg(test)]
mod tests;
