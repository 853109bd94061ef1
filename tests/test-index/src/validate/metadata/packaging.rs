//! packaging's own validation of core metadata (`Metadata.from_raw`): required
//! fields, the metadata version that introduced each field, and the per-field
//! `_process_*` rules, with packaging's messages. Versions, `Requires-Python` and
//! `Requires-Dist` are judged by packaging itself (`crate::oracle`).

use std::collections::BTreeMap;

use super::{FIELDS, Invalid, METADATA_VERSIONS, Raw, email_name};
use crate::names::is_valid_project_name;
use crate::oracle;
use crate::pyfmt::repr;
use crate::validate::license::is_valid_expression;

/// packaging's `Metadata.from_raw(..., validate=True)`.
pub(super) fn packaging_rules(raw: &BTreeMap<String, Raw>) -> Vec<Invalid> {
    let mut errors: Vec<Invalid> = Vec::new();
    let mut error = |key: &str, message: String| errors.push((email_name(key).to_owned(), message));

    let metadata_version = match raw.get("metadata_version") {
        Some(Raw::Str(v)) => Some(v.as_str()),
        _ => None,
    };
    let age = metadata_version.and_then(|v| METADATA_VERSIONS.iter().position(|m| *m == v));
    if age.is_none() {
        let shown = metadata_version.map_or_else(|| "None".to_owned(), repr);
        error(
            "metadata_version",
            format!("{shown} is not a valid metadata version"),
        );
    }

    let mut keys: Vec<&str> = raw
        .keys()
        .map(String::as_str)
        .filter(|k| *k != "metadata_version")
        .collect();
    for required in ["name", "version"] {
        if !keys.contains(&required) {
            keys.push(required);
        }
    }
    for key in keys {
        let &(_, field, _, added) = FIELDS.iter().find(|f| f.0 == key).expect("known field");
        if let (Some(age), Some(mv)) = (age, metadata_version) {
            let added_age = METADATA_VERSIONS
                .iter()
                .position(|m| *m == added)
                .unwrap_or(0);
            if added_age > age {
                error(
                    key,
                    format!("{field} introduced in metadata version {added}, not {mv}"),
                );
                continue;
            }
        }
        let field_repr = repr(field);
        let value = raw.get(key);
        let text = match value {
            Some(Raw::Str(s)) => Some(s.as_str()),
            _ => None,
        };
        let list: &[String] = match value {
            Some(Raw::List(l)) => l,
            _ => &[],
        };
        let message = match key {
            "name" => match text {
                None | Some("") => Some(format!("{field_repr} is a required field")),
                Some(name) if !is_valid_project_name(name) => {
                    Some(format!("{} is invalid for {field_repr}", repr(name)))
                }
                _ => None,
            },
            "version" => match text {
                None | Some("") => Some(format!("{field_repr} is a required field")),
                Some(v) if oracle::version(v).is_err() => {
                    Some(format!("{} is invalid for {field_repr}", repr(v)))
                }
                _ => None,
            },
            "summary" => text
                .filter(|s| s.contains('\n'))
                .map(|_| format!("{field_repr} must be a single line")),
            "description_content_type" => text.and_then(|v| content_type_error(v, &field_repr)),
            "dynamic" => list.iter().map(|d| d.to_lowercase()).find_map(|d| {
                if matches!(d.as_str(), "name" | "version" | "metadata-version") {
                    Some(format!("{} is not allowed as a dynamic field", repr(&d)))
                } else if !FIELDS.iter().any(|f| f.1 == d) {
                    Some(format!("{} is not a valid dynamic field", repr(&d)))
                } else {
                    None
                }
            }),
            "provides_extra" => list
                .iter()
                .find(|e| !is_valid_project_name(e))
                .map(|e| format!("{} is invalid for {field_repr}", repr(e))),
            "requires_python" => text
                .filter(|v| oracle::specifier_set(v).is_err())
                .map(|v| format!("{} is invalid for {field_repr}", repr(v))),
            "requires_dist" => list
                .iter()
                .find(|r| oracle::requirement(r).is_err())
                .map(|r| format!("{} is invalid for {field_repr}", repr(r))),
            "license_expression" => text
                .filter(|v| !is_valid_expression(v))
                .map(|v| format!("{} is invalid for {field_repr}", repr(v))),
            "license_file" => list.iter().find_map(|p| license_file_error(p, &field_repr)),
            "import_name" | "import_namespace" => {
                list.iter().find_map(|n| import_name_error(n, &field_repr))
            }
            _ => None,
        };
        if let Some(message) = message {
            error(key, message);
        }
    }
    errors
}

/// packaging's `_process_description_content_type`.
fn content_type_error(value: &str, field: &str) -> Option<String> {
    let mut parts = value.split(';');
    let mut content_type = parts.next().unwrap_or("").trim().to_lowercase();
    if content_type.matches('/').count() != 1 {
        // The email package falls back to text/plain for what it cannot parse.
        content_type = "text/plain".to_owned();
    }
    let params: Vec<(String, String)> = parts
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| {
            (
                k.trim().to_lowercase(),
                v.trim().trim_matches('"').to_owned(),
            )
        })
        .collect();
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if !matches!(
        content_type.as_str(),
        "text/plain" | "text/x-rst" | "text/markdown"
    ) || !value.to_lowercase().contains(&content_type)
    {
        // Python prints a set here, so PyPI's order varies between processes.
        return Some(format!(
            "{field} must be one of ['text/plain', 'text/markdown', 'text/x-rst'], not {}",
            repr(value)
        ));
    }
    let charset = param("charset").unwrap_or("UTF-8");
    if charset != "UTF-8" {
        return Some(format!(
            "{field} can only specify the UTF-8 charset, not {}",
            repr(charset)
        ));
    }
    let variant = param("variant").unwrap_or("GFM");
    if content_type == "text/markdown" && !matches!(variant, "GFM" | "CommonMark") {
        return Some(format!(
            "valid Markdown variants for {field} are ['GFM', 'CommonMark'], not {}",
            repr(variant)
        ));
    }
    None
}

/// packaging's `_process_license_files` for one path.
fn license_file_error(path: &str, field: &str) -> Option<String> {
    let p = repr(path);
    if path.contains("..") {
        return Some(format!(
            "{p} is invalid for {field}, parent directory indicators are not allowed"
        ));
    }
    if path.contains('*') {
        return Some(format!(
            "{p} is invalid for {field}, paths must be resolved"
        ));
    }
    let bytes = path.as_bytes();
    let windows_absolute = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'/' | b'\\')
        || (path.starts_with("\\\\") || path.starts_with("//")) && path[2..].contains(['/', '\\']);
    if path.starts_with('/') || windows_absolute {
        return Some(format!(
            "{p} is invalid for {field}, paths must be relative"
        ));
    }
    // `PureWindowsPath(path).as_posix() != path`: backslashes, `.` parts, `//`.
    let normalized = path
        .replace('\\', "/")
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/");
    let normalized = if normalized.is_empty() {
        ".".to_owned()
    } else {
        normalized
    };
    if normalized != path {
        return Some(format!(
            "{p} is invalid for {field}, paths must use '/' delimiter"
        ));
    }
    None
}

const PYTHON_KEYWORDS: [&str; 35] = [
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// packaging's `_process_import_names` for one entry.
fn import_name_error(import_name: &str, field: &str) -> Option<String> {
    let (name, private) = match import_name.split_once(';') {
        Some((name, private)) => (name, Some(private)),
        None => (import_name, None),
    };
    let name = name.trim_end();
    for identifier in name.split('.') {
        let mut chars = identifier.chars();
        let is_identifier = chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric());
        if !is_identifier {
            return Some(format!(
                "{} is invalid for {field}; {} is not a valid identifier",
                repr(name),
                repr(identifier)
            ));
        }
        if PYTHON_KEYWORDS.contains(&identifier) {
            return Some(format!(
                "{} is invalid for {field}; {} is a keyword",
                repr(name),
                repr(identifier)
            ));
        }
    }
    if private.is_some_and(|p| p.trim_start() != "private") {
        return Some(format!(
            "{} is invalid for {field}; the only valid option is 'private'",
            repr(import_name)
        ));
    }
    None
}
