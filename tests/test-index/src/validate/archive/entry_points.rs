//! A wheel's `entry_points.txt` as PyPI judges it (warehouse#20081, `utils/wheel.py`
//! `validate_entrypoints`): UTF-8, read by Python's `configparser` with `=` as the only
//! delimiter, names kept as written, strict (a section or an option twice is an error);
//! then every name in `[console_scripts]` and `[gui_scripts]` must be `[\w.-]+`, or it
//! could name a path. This is a reading of `configparser`'s line rules of its own, kept
//! to what decides valid or not; the values are never looked at.

use std::collections::HashSet;

/// Python's `str.isspace` (and `re`'s `\s`): Unicode White_Space and the four
/// information separators U+001C..U+001F, which Python counts too.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `re` `\w` on `str`: `str.isalnum()` or `_`. `isalnum` is the letter and
/// number categories; Rust's `is_alphanumeric` adds Other_Alphabetic (vowel signs and
/// other marks, circled letters), which Python leaves out.
fn is_word(c: char) -> bool {
    use icu_properties::props::{GeneralCategory as Gc, GeneralCategoryGroup as Group};
    let category = icu_properties::CodePointMapData::<Gc>::new().get(c);
    c == '_' || Group::Letter.contains(category) || Group::Number.contains(category)
}

/// A script name `validate_entrypoints` takes: `[\w.-]+` matching the whole name.
fn script_name_ok(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| is_word(c) || c == '.' || c == '-')
}

/// `configparser`'s section header pattern `\[(?P<header>.+)\]`, matched at the start
/// of the stripped line: the name runs to the line's last `]`.
fn section_header(clean: &str) -> Option<&str> {
    let rest = clean.strip_prefix('[')?;
    let close = rest.rfind(']')?;
    (close > 0).then(|| &rest[..close])
}

/// `ConfigParser(delimiters=("=",))` with `optionxform = str` reading `text`: the
/// option names of each section (`DEFAULT` apart), or `None` where it raises.
struct Parsed {
    sections: Vec<(String, Vec<String>)>,
    defaults: Vec<String>,
}

fn parse(text: &str) -> Option<Parsed> {
    const DEFAULT: &str = "DEFAULT";
    let mut parsed = Parsed {
        sections: Vec::new(),
        defaults: Vec::new(),
    };
    // (section, option) pairs already read: strict mode refuses them twice.
    let mut added: HashSet<(String, String)> = HashSet::new();
    let mut section: Option<String> = None;
    let mut in_option = false;
    let mut indent_level = 0usize;
    // `read_string` reads through `StringIO`: lines end at `\n` only.
    for line in text.split_inclusive('\n') {
        let stripped = line.trim_matches(is_space);
        // Full-line comments (`#`, `;`) and blank lines; values may span blank lines.
        if stripped.is_empty() || stripped.starts_with(['#', ';']) {
            continue;
        }
        let indent = line.chars().take_while(|&c| is_space(c)).count();
        // Indented deeper than the option line: more of its value.
        if section.is_some() && in_option && indent > indent_level {
            continue;
        }
        indent_level = indent;
        if let Some(name) = section_header(stripped) {
            if parsed.sections.iter().any(|(s, _)| s == name) {
                return None; // DuplicateSectionError
            }
            if name != DEFAULT {
                parsed.sections.push((name.to_owned(), Vec::new()));
            }
            section = Some(name.to_owned());
            in_option = false;
            continue;
        }
        let current = section.as_deref()?; // MissingSectionHeaderError
        // `(?P<option>.*?)\s*=\s*(?P<value>.*)$`: the name runs to the first `=`.
        let (option, _) = stripped.split_once('=')?; // ParsingError
        let option = option.trim_end_matches(is_space);
        if option.is_empty() {
            return None; // ParsingError
        }
        if !added.insert((current.to_owned(), option.to_owned())) {
            return None; // DuplicateOptionError
        }
        if current == DEFAULT {
            parsed.defaults.push(option.to_owned());
        } else if let Some((_, options)) = parsed.sections.last_mut() {
            options.push(option.to_owned());
        }
        in_option = true;
    }
    Some(parsed)
}

/// Whether PyPI takes this `entry_points.txt`.
pub fn valid(bytes: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return false;
    };
    let Some(parsed) = parse(text) else {
        return false;
    };
    // A section's options include `[DEFAULT]`'s (`SectionProxy` iterates both).
    parsed
        .sections
        .iter()
        .filter(|(name, _)| matches!(name.as_str(), "console_scripts" | "gui_scripts"))
        .flat_map(|(_, options)| options.iter().chain(&parsed.defaults))
        .all(|name| script_name_ok(name))
}
