//! A wheel's `entry_points.txt`, judged as PyPI judges it before accepting the upload.
//!
//! Warehouse (`warehouse/utils/wheel.py`, `_validate_entrypoints`, warehouse#20081) decodes
//! the file as strict UTF-8 (a byte-order mark stays, as part of the first line), reads it
//! with `configparser.ConfigParser(delimiters=("=",))` made case-sensitive, and requires every
//! name in `[console_scripts]` and `[gui_scripts]` (with those inherited from `[DEFAULT]`) to
//! match `[\w.-]+`; any failure is a 400. This is a port of CPython's
//! `RawConfigParser._read` as far as it decides whether the file reads (values are not
//! kept): 3.11's loop and 3.14's `_read_inner` agree on everything below.

mod other_alphabetic;
#[cfg(test)]
mod tests;

use std::collections::{HashMap, HashSet};

/// Python's `configparser.DEFAULTSECT`, the section every other one inherits from.
const DEFAULT: &str = "DEFAULT";

/// Why PyPI refuses the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EntryPointsError {
    /// Python's strict `bytes.decode()` fails.
    #[error("not UTF-8")]
    NotUtf8,
    /// `MissingSectionHeaderError`: a line before any `[section]`.
    #[error("line {line}: no [section] before it")]
    MissingSectionHeader {
        /// 1-based line number.
        line: usize,
    },
    /// `ParsingError`: neither `[section]` nor `name = value` (or an empty name).
    #[error("line {line}: not `name = value`")]
    Parsing {
        /// 1-based line number (the first such line; Python lists them all).
        line: usize,
    },
    /// `DuplicateSectionError` (`strict=True`).
    #[error("line {line}: duplicate section '{}'", .section.escape_debug())]
    DuplicateSection {
        /// 1-based line number.
        line: usize,
        /// The section's name.
        section: String,
    },
    /// `DuplicateOptionError` (`strict=True`).
    #[error("line {line}: duplicate option '{}' in section '{}'", .option.escape_debug(), .section.escape_debug())]
    DuplicateOption {
        /// 1-based line number.
        line: usize,
        /// The section's name.
        section: String,
        /// The option's name.
        option: String,
    },
    /// Warehouse's own rule: a script name that is not `[\w.-]+`.
    #[error("invalid entry point name '{}' in '{}'", .name.escape_debug(), .section.escape_debug())]
    InvalidName {
        /// The entry point's name.
        name: String,
        /// `console_scripts` or `gui_scripts`.
        section: String,
    },
}

/// Whether PyPI accepts this `entry_points.txt`.
pub fn check(bytes: &[u8]) -> Result<(), EntryPointsError> {
    let text = std::str::from_utf8(bytes).map_err(|_| EntryPointsError::NotUtf8)?;
    let parsed = Parsed::read(text)?;
    for section in ["console_scripts", "gui_scripts"] {
        let Some(own) = parsed.sections.get(section) else {
            continue;
        };
        // `SectionProxy` iterates the section's names, then the inherited ones.
        if let Some(name) = own
            .iter()
            .chain(&parsed.defaults)
            .find(|name| !is_entry_point_name(name))
        {
            return Err(EntryPointsError::InvalidName {
                name: (*name).to_string(),
                section: section.to_string(),
            });
        }
    }
    Ok(())
}

/// The option names of each section, as `configparser` reads them.
struct Parsed<'a> {
    sections: HashMap<&'a str, Vec<&'a str>>,
    defaults: Vec<&'a str>,
}

impl<'a> Parsed<'a> {
    fn read(text: &'a str) -> Result<Self, EntryPointsError> {
        let mut parsed = Parsed {
            sections: HashMap::new(),
            defaults: Vec::new(),
        };
        // The (section, option) pairs met so far (`elements_added`; every section in
        // `sections` is in it too, and `[DEFAULT]` never is).
        let mut seen_options = HashSet::new();
        // `cursect` and `sectname`: `None` until the first header.
        let mut current: Option<&str> = None;
        // `optname`, which a continuation line needs to be non-empty.
        let mut option: Option<&str> = None;
        let mut indent_level = 0;
        let mut first_error = None;
        // `io.StringIO` splits on "\n" only.
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let line = index + 1;
            let clean = raw.trim_matches(is_python_space);
            // Full-line comments; no inline comments by default.
            if clean.is_empty() || clean.starts_with(['#', ';']) {
                continue;
            }
            let indent = raw.chars().take_while(|&c| is_python_space(c)).count();
            if current.is_some() && option.is_some_and(|o| !o.is_empty()) && indent > indent_level {
                continue;
            }
            indent_level = indent;
            if let Some(section) = section_header(clean) {
                if parsed.sections.contains_key(section) {
                    return Err(EntryPointsError::DuplicateSection {
                        line,
                        section: section.to_string(),
                    });
                }
                if section != DEFAULT {
                    parsed.sections.insert(section, Vec::new());
                }
                current = Some(section);
                option = None;
                continue;
            }
            let Some(section) = current else {
                return Err(EntryPointsError::MissingSectionHeader { line });
            };
            let Some(eq) = clean.find('=') else {
                // Collected and raised at the end; `optname` stays as it was.
                first_error.get_or_insert(EntryPointsError::Parsing { line });
                continue;
            };
            let name = clean[..eq].trim_end_matches(is_python_space);
            if name.is_empty() {
                first_error.get_or_insert(EntryPointsError::Parsing { line });
            }
            if !seen_options.insert((section, name)) {
                return Err(EntryPointsError::DuplicateOption {
                    line,
                    section: section.to_string(),
                    option: name.to_string(),
                });
            }
            match parsed.sections.get_mut(section) {
                Some(names) => names.push(name),
                None => parsed.defaults.push(name),
            }
            option = Some(name);
        }
        match first_error {
            Some(error) => Err(error),
            None => Ok(parsed),
        }
    }
}

/// `SECTCRE.match`: `\[(?P<header>.+)\]` at the start, the header running to the last `]`
/// (the pattern is greedy and not anchored at the end: `[a] junk` is section `a`).
fn section_header(clean: &str) -> Option<&str> {
    let rest = clean.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// Python's `str.isspace()`, which `str.strip()` and the regex `\s` use: Unicode White_Space
/// and the four separators U+001C..U+001F.
fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `re.fullmatch(r"[\w.-]+", name)` with Python's Unicode `\w`.
fn is_entry_point_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| matches!(c, '.' | '-') || is_python_word(c))
}

/// Python's `\w`: `_`, or a letter or number (general category L* or N*).
fn is_python_word(c: char) -> bool {
    c == '_' || c.is_numeric() || (c.is_alphabetic() && !is_other_alphabetic(c))
}

fn is_other_alphabetic(c: char) -> bool {
    let c = u32::from(c);
    let ranges = other_alphabetic::OTHER_ALPHABETIC;
    let i = ranges.partition_point(|&(_, last)| last < c);
    ranges.get(i).is_some_and(|&(first, _)| first <= c)
}
