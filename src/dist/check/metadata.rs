//! The rules on core-metadata fields that do not depend on the file: versions, names,
//! text fields, URLs, requirements, classifiers and the description's content type.
//!
//! PyPI validates the upload FORM (Warehouse `forklift/legacy.py` `file_upload` →
//! `forklift/metadata.py` `parse_form_metadata`), with `packaging`'s `Metadata.from_raw` plus
//! its own `_validate_metadata`; each refusing rule below names which of those it mirrors.
//! Build-backend conventions that PyPI does not enforce are warnings at most.

use super::address::{self, Parsed, is_valid_email};
use super::declared::{check_dynamic, check_fields_in_version, check_license};
use super::web::is_valid_url;
use super::{Findings, Target, pep440, pep508};
use crate::dist::classifiers::{self, Verdict};
use crate::dist::metadata::{CoreMetadata, Field};
use crate::dist::rst;

pub(super) const METADATA_VERSIONS: &[&str] =
    &["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

/// Every metadata rule.
pub(super) fn check_metadata(meta: &CoreMetadata, target: Target, f: &mut Findings<'_>) {
    for field in &meta.repeated {
        f.error(
            "repeated-field",
            format!("{} may appear only once", field.header()),
            "given more than once",
        );
    }
    if meta.description_conflict {
        f.warn(
            "description",
            "description given both as a header and as the body; the body is sent",
            "",
        );
    }
    let mv = meta.metadata_version();
    if !METADATA_VERSIONS.contains(&mv) {
        f.error(
            "metadata-version",
            format!(
                "Metadata-Version must be one of {}",
                METADATA_VERSIONS.join(", ")
            ),
            if mv.is_empty() {
                "missing".to_string()
            } else {
                format!("'{mv}'")
            },
        );
    }
    check_fields_in_version(meta, f);
    check_name_and_version(meta, target, f);
    check_text_fields(meta, f);
    check_urls(meta, f);
    check_requirements(meta, f);
    check_classifiers(meta, target, f);
    check_license(meta, f);
    check_description(meta, target, f);
    check_dynamic(meta, f);
}

/// A field's value as PyPI validates it. Warehouse's `sanitize` decorator
/// (warehouse/forklift/decorators.py) deletes every upload-form field whose value is
/// distutils' "UNKNOWN" placeholder before any rule runs, so such a value is never refused
/// (ordereddict 1.1's `Author-email: UNKNOWN`, ujson 1.4's `Home-page: UNKNOWN`).
fn sent(meta: &CoreMetadata, field: Field) -> Option<&str> {
    meta.get(field).filter(|v| v.trim() != "UNKNOWN")
}

fn check_name_and_version(meta: &CoreMetadata, target: Target, f: &mut Findings<'_>) {
    let name = meta.name();
    if !is_valid_name(name) {
        f.error(
            "name",
            "Name must start and end with a letter or numeral and contain only ascii numeric and '.', '_' and '-'",
            if name.is_empty() { "missing".to_string() } else { format!("'{name}'") },
        );
    }
    let version = meta.version();
    // packaging `Version` (Metadata.from_raw), which strips whitespace around it (the
    // old Warehouse form's "Can't have leading or trailing whitespace" is gone), then
    // Warehouse `_validate_metadata` refuses a local version.
    match pep440::parse_version(version) {
        _ if version.is_empty() => f.error("version", "Version is required", "missing"),
        Err(e) => f.error("version", "Version must be a valid PEP 440 version", e),
        Ok(v) if v.is_local() && target == Target::Pypi => f.error(
            "local-version",
            "Can't use PEP 440 local versions.",
            format!("'{version}'"),
        ),
        Ok(_) => {}
    }
}

fn check_text_fields(meta: &CoreMetadata, f: &mut Findings<'_>) {
    if let Some(summary) = sent(meta, Field::Summary) {
        let chars = summary.chars().count();
        if chars > 512 {
            f.error(
                "summary",
                "Summary must be 512 characters or fewer",
                format!("{chars} characters"),
            );
        }
        if summary.contains('\n') {
            f.error(
                "summary",
                "Summary must be a single line",
                format!("{} lines", summary.lines().count()),
            );
        }
    }
    for field in [Field::AuthorEmail, Field::MaintainerEmail] {
        if let Some(value) = sent(meta, field) {
            let rule = format!("{} must hold valid email addresses", field.header());
            match address::parse(value) {
                Parsed::One(address) if !is_valid_email(&address) => {
                    let found = if address == value.trim() {
                        format!("'{address}'")
                    } else {
                        format!("'{address}', read from '{value}'")
                    };
                    f.error("email", rule, found);
                }
                // Strict parseaddr gives ('', '') for a list of several addresses, and PyPI
                // then validates none of them (urllib3 2.6, annotated_types 0.8 list three):
                // a bad one is worth a warning, not a refusal.
                Parsed::List(addresses) => {
                    for address in addresses
                        .iter()
                        .filter(|a| !a.is_empty() && !is_valid_email(a))
                    {
                        f.warn(
                            "email",
                            format!("{rule} (PyPI does not check the addresses of a list)"),
                            format!("'{address}'"),
                        );
                    }
                }
                // No address read (unbalanced parentheses, say): PyPI checks nothing.
                Parsed::One(_) | Parsed::Nothing => {}
            }
        }
    }
}

/// Warehouse `_validate_metadata` with `is_valid_uri(url, require_authority=False)`; an
/// `UNKNOWN` value is dropped before that (see `sent`).
fn check_urls(meta: &CoreMetadata, f: &mut Findings<'_>) {
    for field in [Field::HomePage, Field::DownloadUrl] {
        if let Some(value) = sent(meta, field).filter(|v| !v.trim().is_empty()) {
            if !is_valid_url(value) {
                f.error(
                    "url",
                    format!("{} must be a valid http(s) URL", field.header()),
                    format!("'{value}'"),
                );
            }
        }
    }
    // packaging `_parse_project_urls` refuses a label given twice; Warehouse then answers
    // "'project_urls' has invalid data".
    let mut labels = std::collections::BTreeSet::new();
    for (label, _) in meta.project_urls() {
        if !labels.insert(label) {
            f.error(
                "project-url",
                "Project-URL labels must be unique ('project_urls' has invalid data)",
                format!("'{label}' given twice"),
            );
        }
    }
    for (label, url) in meta.project_urls() {
        if label.is_empty() {
            f.error(
                "project-url",
                "Project-URL must have a label",
                format!("', {url}'"),
            );
        } else if label.chars().count() > 32 {
            f.error(
                "project-url",
                "Project-URL label must not be longer than 32 characters",
                format!("'{label}'"),
            );
        }
        if !is_valid_url(url) {
            f.error(
                "project-url",
                "Project-URL must have a valid URL",
                format!("'{label}, {url}'"),
            );
        }
    }
}

/// Requires-Dist is read by packaging's `Metadata.from_raw`, Provides-Dist and
/// Obsoletes-Dist by Warehouse `_validate_metadata`, all with packaging's `Requirement`;
/// `_validate_metadata` then refuses a URL in any of them. Requires-External is free text
/// to both.
fn check_requirements(meta: &CoreMetadata, f: &mut Findings<'_>) {
    for field in [
        Field::RequiresDist,
        Field::ProvidesDist,
        Field::ObsoletesDist,
    ] {
        for req in meta.get_all(field) {
            match pep508::parse(req) {
                Err(e) => f.error(
                    "requirement",
                    format!("{} must be a valid PEP 508 requirement", field.header()),
                    format!("'{req}': {e}"),
                ),
                Ok(r) if r.url => f.error(
                    "requirement",
                    "Can't have direct dependency (PyPI refuses URL requirements)",
                    format!("'{req}'"),
                ),
                Ok(_) => {}
            }
        }
    }
    // packaging `_process_provides_extra` (PEP 685): every extra must be a valid name.
    for extra in meta.get_all(Field::ProvidesExtra) {
        if !is_valid_name(extra) {
            f.error(
                "provides-extra",
                format!("'{extra}' is invalid for 'provides-extra'"),
                "an extra is a name: letters, digits, '.', '_' and '-'",
            );
        }
    }
    if let Some(spec) = sent(meta, Field::RequiresPython).filter(|s| !s.trim().is_empty()) {
        // packaging's SpecifierSet (Metadata.from_raw), which drops empty items:
        // `>=3.8,` and `>=3.8,,<4` are valid there, and `===` takes any string.
        if let Err(e) = pep440::check_specifier_set(spec) {
            f.error(
                "requires-python",
                "Requires-Python must be a valid PEP 440 specifier",
                format!("'{spec}': {e}"),
            );
        }
    }
}

fn check_classifiers(meta: &CoreMetadata, target: Target, f: &mut Findings<'_>) {
    if target != Target::Pypi {
        return;
    }
    // Warehouse `_validate_metadata`: unknown and deprecated classifiers.
    for classifier in meta.get_all(Field::Classifier) {
        match classifiers::verdict(classifier) {
            Verdict::Known => {}
            Verdict::Deprecated(repl) if repl.is_empty() => f.error(
                "classifier",
                "Classifier has been deprecated",
                format!("'{classifier}'"),
            ),
            Verdict::Deprecated(repl) => f.error(
                "classifier",
                "Classifier has been deprecated",
                format!("'{classifier}', use instead: {}", repl.join(", ")),
            ),
            Verdict::Unknown => f.error(
                "classifier",
                "unknown trove classifier",
                format!("'{classifier}'"),
            ),
        }
    }
}

fn check_description(meta: &CoreMetadata, target: Target, f: &mut Findings<'_>) {
    let content_type = sent(meta, Field::DescriptionContentType).unwrap_or("text/x-rst");
    let mut parts = content_type.split(';').map(str::trim);
    let mime = parts.next().unwrap_or("").to_ascii_lowercase();
    if !["text/plain", "text/x-rst", "text/markdown"].contains(&mime.as_str()) {
        f.error(
            "content-type",
            "Description-Content-Type must be text/plain, text/x-rst or text/markdown",
            format!("'{content_type}'"),
        );
        return;
    }
    // Warehouse validates the form with packaging's `Metadata.from_raw`, whose
    // `_process_description_content_type` judges two parameters and ignores any other:
    // the charset must be UTF-8 (any case), and a Markdown variant exactly `GFM` or
    // `CommonMark` (compared case-sensitively; a variant on another type is ignored).
    for param in parts.filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let (key, value) = (
            key.trim().to_ascii_lowercase(),
            value.trim().trim_matches('"'),
        );
        let ok = match key.as_str() {
            "charset" => value.eq_ignore_ascii_case("utf-8"),
            "variant" => mime != "text/markdown" || ["GFM", "CommonMark"].contains(&value),
            _ => true,
        };
        if !ok {
            f.error(
                "content-type",
                format!("Description-Content-Type has an unsupported {key}"),
                format!("'{param}'"),
            );
        }
    }
    if mime == "text/x-rst" && target == Target::Pypi {
        if let Some(rst::Verdict::Fails(failure)) = meta.get(Field::Description).map(rst::check) {
            // PyPI's own words, which differ when the content type is only the default.
            let rule = match meta.get(Field::DescriptionContentType) {
                Some(given) => format!("The description failed to render for '{given}'"),
                None => "The description failed to render in the default format of \
                         reStructuredText"
                    .to_string(),
            };
            f.error("description-rst", rule, failure.to_string());
        }
    }
}

/// `^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$`, case-insensitively (packaging
/// `canonicalize_name(validate=True)`, Warehouse's upload form).
fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests;
