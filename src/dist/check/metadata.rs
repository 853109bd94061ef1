//! The rules on core-metadata fields that do not depend on the file: versions, names,
//! text fields, URLs, requirements, classifiers and the description's content type.
//!
//! PyPI validates the upload FORM (Warehouse `forklift/legacy.py` `file_upload` →
//! `forklift/metadata.py` `parse_form_metadata`), with `packaging`'s `Metadata.from_raw` plus
//! its own `_validate_metadata`; each refusing rule below names which of those it mirrors.
//! Build-backend conventions that PyPI does not enforce are warnings at most.

use std::str::FromStr;

use pep440_rs::{Version, VersionSpecifiers};

use super::{Findings, Target};
use crate::dist::classifiers::{self, Verdict};
use crate::dist::metadata::{CoreMetadata, Field};
use crate::dist::rst;

const METADATA_VERSIONS: &[&str] = &["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

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

/// `Metadata.from_raw`: a field the declared version does not have is refused ("Classifier
/// introduced in metadata version 1.1, not 1.0"). Judged on what the form sends: a field
/// whose only value is empty is skipped by Warehouse (`if value == [""]: continue`), and
/// `License-File` under < 2.4 is never sent.
fn check_fields_in_version(meta: &CoreMetadata, f: &mut Findings<'_>) {
    let mv = meta.metadata_version();
    let Some(declared) = meta
        .metadata_version_tuple()
        .filter(|_| METADATA_VERSIONS.contains(&mv))
    else {
        return; // reported by the Metadata-Version rule
    };
    let mut reported = Vec::new();
    for (field, _) in meta.form_values() {
        // Warehouse's `sanitize` drops "UNKNOWN" values before validating (see `sent`).
        let values: Vec<&String> = meta
            .get_all(field)
            .iter()
            .filter(|v| v.trim() != "UNKNOWN")
            .collect();
        let only_empty = values.iter().all(|v| v.is_empty());
        let (major, minor) = field.added_in();
        if (major, minor) > declared && !only_empty && !reported.contains(&field) {
            reported.push(field);
            f.error(
                "field-version",
                format!(
                    "{} introduced in metadata version {major}.{minor}, not {mv}",
                    field.header()
                ),
                "raise Metadata-Version or drop the field",
            );
        }
    }
}

/// Warehouse `DYNAMIC_FIELDS` (and `packaging`, which refuses Name, Version and
/// Metadata-Version outright): the only fields `Dynamic` may name.
const DYNAMIC_FIELDS: &[&str] = &[
    "platform",
    "supported-platform",
    "summary",
    "description",
    "description-content-type",
    "keywords",
    "home-page",
    "download-url",
    "author",
    "author-email",
    "maintainer",
    "maintainer-email",
    "license",
    "license-expression",
    "license-file",
    "classifier",
    "requires-dist",
    "requires-python",
    "requires-external",
    "project-url",
    "provides-extra",
    "provides-dist",
    "obsoletes-dist",
    "requires",
    "provides",
    "obsoletes",
    "import-name",
    "import-namespace",
];

fn check_dynamic(meta: &CoreMetadata, f: &mut Findings<'_>) {
    for d in meta.get_all(Field::Dynamic) {
        let key = d.to_ascii_lowercase();
        if ["name", "version", "metadata-version"].contains(&key.as_str()) {
            f.error(
                "dynamic",
                format!("'{key}' is not allowed as a dynamic field"),
                d.as_str(),
            );
        } else if !DYNAMIC_FIELDS.contains(&key.as_str()) {
            f.error(
                "dynamic",
                format!("Dynamic field '{key}' is not a valid dynamic field."),
                d.as_str(),
            );
        }
    }
}

/// License rules. Warehouse `_validate_metadata` refuses `License` next to
/// `License-Expression`. License classifiers next to `License-Expression` are refused by
/// setuptools at build time (PEP 639) but accepted by PyPI, so they are only a warning.
fn check_license(meta: &CoreMetadata, f: &mut Findings<'_>) {
    let has_expression = meta
        .get(Field::LicenseExpression)
        .is_some_and(|v| !v.is_empty());
    if has_expression && meta.get(Field::License).is_some_and(|v| !v.is_empty()) {
        f.error(
            "license",
            "License is deprecated when License-Expression is present. Only License-Expression should be present.",
            "drop the License field",
        );
    }
    if has_expression {
        for classifier in meta
            .get_all(Field::Classifier)
            .iter()
            .filter(|c| c.starts_with("License ::"))
        {
            f.warn(
                "license-classifier",
                "License classifiers are superseded by License-Expression (PEP 639); PyPI accepts both, some build backends refuse them",
                format!("'{classifier}'"),
            );
        }
    }
    // packaging `_process_license_files` (sent from metadata 2.4 on).
    if meta.metadata_version_tuple() >= Some((2, 4)) {
        for path in meta.get_all(Field::LicenseFile) {
            let why = if path.contains("..") {
                "parent directory indicators are not allowed"
            } else if path.contains('*') {
                "paths must be resolved"
            } else if path.starts_with(['/', '\\'])
                || (path.as_bytes().get(1) == Some(&b':')
                    && matches!(path.as_bytes().get(2), Some(b'/' | b'\\')))
            {
                "paths must be relative"
            } else if path.contains('\\') {
                "paths must use '/' delimiter"
            } else {
                continue;
            };
            f.error(
                "license-file",
                format!("'{path}' is invalid for 'license-file', {why}"),
                path.as_str(),
            );
        }
    }
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
    match Version::from_str(version) {
        _ if version.is_empty() => f.error("version", "Version is required", "missing"),
        _ if version.trim() != version => f.error(
            "version",
            "Version cannot have leading or trailing whitespace",
            format!("'{version}'"),
        ),
        Err(e) => f.error(
            "version",
            "Version must be a valid PEP 440 version",
            format!("'{version}': {e}"),
        ),
        Ok(v) if !v.local().is_empty() && target == Target::Pypi => f.error(
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
            let addresses = split_addresses(value);
            // Warehouse validates `email.utils.parseaddr(value)[1]` (forklift/metadata.py)
            // on Python 3.14, whose strict parseaddr gives ('', '') for a list of several
            // addresses: PyPI then validates none of them (urllib3 2.6, annotated_types
            // 0.8 list three). A bad address in a list is worth a warning, not a refusal.
            let listed = addresses.len() > 1;
            for address in addresses.iter().filter(|a| !is_valid_email(a)) {
                let rule = format!("{} must hold valid email addresses", field.header());
                if listed {
                    f.warn(
                        "email",
                        format!("{rule} (PyPI does not check the addresses of a list)"),
                        format!("'{address}'"),
                    );
                } else {
                    f.error("email", rule, format!("'{address}'"));
                }
            }
        }
    }
}

/// Warehouse `_validate_metadata` with `is_valid_uri(url, require_authority=False)`; the
/// form sends old setuptools' `UNKNOWN` as it is, and PyPI refuses it ("'UNKNOWN' is not a
/// valid url.").
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

fn check_requirements(meta: &CoreMetadata, f: &mut Findings<'_>) {
    for field in [
        Field::RequiresDist,
        Field::ProvidesDist,
        Field::ObsoletesDist,
    ] {
        for req in meta.get_all(field) {
            match super::requirement::parse(req) {
                Err(e) => f.error(
                    "requirement",
                    format!("{} must be a valid PEP 508 requirement", field.header()),
                    format!("'{req}': {e}"),
                ),
                Ok(r) if matches!(r.version_or_url, Some(pep508_rs::VersionOrUrl::Url(_))) => f
                    .error(
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
        // Warehouse checks it with packaging's SpecifierSet (Metadata.from_raw), which
        // drops empty items: `>=3.8,` and `>=3.8,,<4` are valid there.
        let items: Vec<&str> = spec
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if let Err(e) = VersionSpecifiers::from_str(&items.join(",")) {
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

/// Splits an RFC 822 address list on commas outside quotes and angle brackets.
fn split_addresses(value: &str) -> Vec<String> {
    let (mut out, mut current, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    let mut depth = 0usize;
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth = depth.saturating_sub(1),
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle && depth == 0 => {
                out.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect()
}

fn is_valid_email(entry: &str) -> bool {
    // RFC 822 comments (`a@b.org (Jane Doe)`, distutils' old style): Warehouse validates
    // what `email.utils.parseaddr` returns, which has them removed.
    let entry = &strip_comments(entry);
    let address = match (entry.rfind('<'), entry.rfind('>')) {
        (Some(a), Some(b)) if a < b => &entry[a + 1..b],
        _ => entry,
    };
    let Some((local, domain)) = address.trim().rsplit_once('@') else {
        return false;
    };
    let labels: Vec<&str> = domain.split('.').collect();
    !local.is_empty()
        && !local.contains(char::is_whitespace)
        && labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

/// `entry` without its parenthesized comments (outside quotes; they nest).
fn strip_comments(entry: &str) -> String {
    let (mut out, mut depth, mut quoted) = (String::new(), 0usize, false);
    for c in entry.chars() {
        match c {
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => {
                depth -= 1;
                continue;
            }
            _ => {}
        }
        if depth == 0 {
            out.push(c);
        }
    }
    out
}

/// Warehouse's `is_valid_uri(url, require_authority=False)` (warehouse/utils/http.py,
/// applied to Home-page, Download-URL and Project-URL by forklift/metadata.py): `rfc3986`
/// wants an http(s) scheme and, when an authority is given, a numeric port of at most
/// 65535 — nothing more. It accepts a missing or odd host (`https:`, `https://`,
/// `http://exa mple.com`), so refusing those would block an upload PyPI takes.
fn is_valid_url(value: &str) -> bool {
    let value = value.trim();
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let Some(after) = rest.strip_prefix("//") else {
        return true;
    };
    let authority = after.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    // An IPv6 literal keeps its colons inside brackets.
    let port = match host_port.rfind(']') {
        Some(end) => host_port[end..].split_once(':').map(|(_, p)| p),
        None => host_port.rsplit_once(':').map(|(_, p)| p),
    };
    // rfc3986 judges only an all-digit port (`:abc` passes).
    !port.is_some_and(|p| {
        !p.is_empty()
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().map_or(true, |n| n > 65535)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::check::Severity;

    /// The problems PyPI's rules find in `raw` metadata, for a file named `f`.
    fn found(raw: &str) -> Vec<crate::dist::Problem> {
        let meta = CoreMetadata::parse(raw.as_bytes()).unwrap();
        let mut out = Vec::new();
        check_metadata(
            &meta,
            Target::Pypi,
            &mut Findings {
                file: "f",
                out: &mut out,
            },
        );
        out
    }

    fn problems(raw: &str) -> Vec<String> {
        found(raw).into_iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn valid_metadata_has_no_problems() {
        let ok = "Metadata-Version: 2.4\nName: demo.pkg\nVersion: 1.0rc1\nSummary: s\nAuthor-email: \"A, B\" <a@b.org>, c@d.io\nProject-URL: Source, https://e.org/x\nClassifier: Programming Language :: Python :: 3\nRequires-Dist: x[y]>=1; python_version >= \"3.9\"\nRequires-Python: >=3.9\nDescription-Content-Type: text/markdown; charset=UTF-8; variant=GFM\n\nbody";
        assert_eq!(problems(ok), Vec::<String>::new());
    }

    #[test]
    fn unknown_values_are_dropped_by_pypi_not_refused() {
        // Real corpus: ordereddict-1.1.tar.gz (Author-email), ujson-1.4.zip (Home-page),
        // attrs-17.4.0 (Description-Content-Type) carry distutils' placeholder.
        let unknown = "Metadata-Version: 1.1\nName: demo\nVersion: 1.0\nSummary: UNKNOWN\nAuthor-email: UNKNOWN\nMaintainer-email:  UNKNOWN \nHome-page: UNKNOWN\nDownload-URL: UNKNOWN\nRequires-Python: UNKNOWN\nDescription-Content-Type: UNKNOWN\n\nbody";
        assert_eq!(problems(unknown), Vec::<String>::new());
    }

    #[test]
    fn a_bad_address_in_a_list_is_a_warning_as_pypi_checks_no_list() {
        let meta = |emails: &str| {
            let raw = format!(
                "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nAuthor-email: {emails}\n"
            );
            let meta = CoreMetadata::parse(raw.as_bytes()).unwrap();
            let mut out = Vec::new();
            let file = "f";
            check_metadata(
                &meta,
                Target::Pypi,
                &mut Findings {
                    file,
                    out: &mut out,
                },
            );
            out.into_iter()
                .map(|p| (p.severity, p.found))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            meta("A <a@b.org>, nobody"),
            [(Severity::Warning, "'nobody'".to_string())]
        );
        assert_eq!(
            meta("\"Doe, J\" <nobody>"),
            [(Severity::Error, "'\"Doe, J\" <nobody>'".to_string())]
        );
        assert_eq!(meta("A <a@b.org>, C <c@d.org>"), []);
        // Comments go, as parseaddr drops them (values recorded through email-validator).
        assert_eq!(meta("a@b.org (Doe, Jane)"), []);
        assert_eq!(meta("Jane <a@b.org> (x)"), []);
        assert_eq!(meta("a(x)@b.org"), []);
        assert_eq!(
            meta("(c) nobody"),
            [(Severity::Error, "'(c) nobody'".to_string())]
        );
    }

    #[test]
    fn urls_as_warehouse_is_valid_uri_judges_them() {
        // Recorded from rfc3986 2.0.0 through Warehouse's is_valid_uri(require_authority=False).
        for (url, ok) in [
            ("https://example.com/a", true),
            ("HTTP://EX.ORG", true),
            ("https:", true),
            ("https://", true),
            ("http:/example.com", true),
            ("https://example.com:abc", true),
            ("http://exa mple.com", true),
            ("https://example.com/%zz", true),
            ("http://[invalid", true),
            ("http://user@", true),
            ("https://[::1]:8080/", true),
            ("https://éx.org/é", true),
            ("https://example.com:99999", false),
            ("ftp://example.com", false),
            ("example.com", false),
            ("mailto:a@b.org", false),
        ] {
            assert_eq!(is_valid_url(url), ok, "{url}");
        }
    }

    #[test]
    fn requires_python_as_packaging_specifier_set_reads_it() {
        for (spec, ok) in [
            (">=3.8,", true),
            (" >=3.8 , ", true),
            (">=3.8,,<4", true),
            (",", true),
            ("3.8", false),
            (">=3.8,foo", false),
        ] {
            let raw =
                format!("Metadata-Version: 2.1\nName: d\nVersion: 1\nRequires-Python: {spec}\n");
            assert_eq!(
                problems(&raw).is_empty(),
                ok,
                "{spec}: {:?}",
                problems(&raw)
            );
        }
    }

    #[test]
    fn content_type_parameters_as_packaging_judges_them() {
        // Recorded from packaging 26.3's Metadata.from_raw (what Warehouse runs on the form).
        for (content_type, ok) in [
            ("text/markdown; charset=utf-8; variant=CommonMark", true),
            ("text/markdown; variant=GFM; foo=bar", true),
            ("text/plain; variant=whatever", true),
            ("text/x-rst; charset=UTF-8", true),
            ("text/markdown; variant=gfm", false),
            ("text/markdown; variant=Markdown", false),
            ("text/x-rst; charset=latin1", false),
        ] {
            let raw = format!(
                "Metadata-Version: 2.1\nName: d\nVersion: 1\nDescription-Content-Type: {content_type}\n\nbody"
            );
            assert_eq!(
                problems(&raw).is_empty(),
                ok,
                "{content_type}: {:?}",
                problems(&raw)
            );
        }
    }

    #[test]
    fn each_metadata_rule_names_what_it_found() {
        let bad = format!(
            "Metadata-Version: 2.0\nName: -bad\nVersion: 1.0+local\nSummary: {}\nAuthor-email: nobody\nHome-page: ftp://x\nProject-URL: {}, https://e.org\nClassifier: Nope :: Nope\nRequires-Dist: foo @ https://e.org/f.whl\nDynamic: Version\nDescription-Content-Type: text/html\n",
            "x".repeat(513),
            "L".repeat(33)
        );
        insta::assert_snapshot!(problems(&bad).join("\n"), @r"
        f: Metadata-Version must be one of 1.0, 1.1, 1.2, 2.1, 2.2, 2.3, 2.4, 2.5 ('2.0')
        f: Name must start and end with a letter or numeral and contain only ascii numeric and '.', '_' and '-' ('-bad')
        f: Can't use PEP 440 local versions. ('1.0+local')
        f: Summary must be 512 characters or fewer (513 characters)
        f: Author-email must hold valid email addresses ('nobody')
        f: Home-page must be a valid http(s) URL ('ftp://x')
        f: Project-URL label must not be longer than 32 characters ('LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL')
        f: Can't have direct dependency (PyPI refuses URL requirements) ('foo @ https://e.org/f.whl')
        f: unknown trove classifier ('Nope :: Nope')
        f: Description-Content-Type must be text/plain, text/x-rst or text/markdown ('text/html')
        f: 'version' is not allowed as a dynamic field (Version)
        ");
    }

    fn with_severity(raw: &str) -> Vec<String> {
        found(raw)
            .into_iter()
            .map(|p| format!("{:?} {p}", p.severity))
            .collect()
    }

    #[test]
    fn issue16_each_refusing_rule_fires_on_its_own() {
        let base = "Metadata-Version: 2.4\nName: a\nVersion: 1\n";
        for (extra, expected) in [
            (
                "Summary: one\n  two\n",
                "Error f: Summary must be a single line (2 lines)",
            ),
            (
                "Classifier: Framework :: Django CMS :: 4.2\n",
                "Error f: Classifier has been deprecated ('Framework :: Django CMS :: 4.2', use instead: Framework :: Django CMS :: 5.0)",
            ),
            (
                "Requires-Python: >=3.8,<\n",
                "Error f: Requires-Python must be a valid PEP 440 specifier",
            ),
            (
                "Description-Content-Type: text/markdown; charset=latin-1\n",
                "Error f: Description-Content-Type has an unsupported charset ('charset=latin-1')",
            ),
            (
                "Author-email: not an address\n",
                "Error f: Author-email must hold valid email addresses ('not an address')",
            ),
        ] {
            let found = with_severity(&format!("{base}{extra}"));
            assert!(
                found.len() == 1 && found[0].starts_with(expected),
                "{extra:?}: {found:?}"
            );
        }
    }

    #[test]
    fn issue12_fields_are_judged_against_the_declared_version_as_the_form_sends_them() {
        // packaging `Metadata.from_raw` on the form Warehouse receives.
        insta::assert_snapshot!(with_severity(
            "Metadata-Version: 1.0\nName: a\nVersion: 1\nClassifier: Programming Language :: Python :: 3\nClassifier: Programming Language :: Python\nRequires-Dist: x\nRequires-Python: \nLicense-File: LICENSE\n"
        ).join("\n"), @r"
        Error f: Classifier introduced in metadata version 1.1, not 1.0 (raise Metadata-Version or drop the field)
        Error f: Requires-Dist introduced in metadata version 1.2, not 1.0 (raise Metadata-Version or drop the field)
        ");
        // License-File under < 2.4 is never sent, and an empty value is skipped by Warehouse.
        assert_eq!(
            with_severity(
                "Metadata-Version: 2.1\nName: a\nVersion: 1\nLicense-File: LICENSE\nRequires-Python: \n"
            ),
            Vec::<String>::new()
        );
        assert_eq!(
            with_severity(
                "Metadata-Version: 2.3\nName: a\nVersion: 1\nLicense-Expression: MIT\nImport-Name: a\n"
            ),
            [
                "Error f: License-Expression introduced in metadata version 2.4, not 2.3 (raise Metadata-Version or drop the field)",
                "Error f: Import-Name introduced in metadata version 2.5, not 2.3 (raise Metadata-Version or drop the field)",
            ]
        );
    }

    #[test]
    fn issue12_license_classifiers_next_to_an_expression_are_a_warning_not_a_refusal() {
        // orjson 3.13.0 and annotated_types 0.8.0 on PyPI have both.
        assert_eq!(
            with_severity(
                "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: MIT\nClassifier: License :: OSI Approved :: MIT License\n"
            ),
            [
                "Warning f: License classifiers are superseded by License-Expression (PEP 639); PyPI accepts both, some build backends refuse them ('License :: OSI Approved :: MIT License')"
            ]
        );
        // Warehouse `_validate_metadata` refuses License next to License-Expression.
        assert_eq!(
            with_severity(
                "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-Expression: MIT\nLicense: MIT\n"
            ),
            [
                "Error f: License is deprecated when License-Expression is present. Only License-Expression should be present. (drop the License field)"
            ]
        );
        insta::assert_snapshot!(with_severity(
            "Metadata-Version: 2.4\nName: a\nVersion: 1\nLicense-File: ../LICENSE\nLicense-File: LICEN*\nLicense-File: /abs\nLicense-File: C:/abs\nLicense-File: a\\b\nLicense-File: licenses/OK.txt\nLicense-File: ab/OK.txt\nLicense-File: C:drive-relative.txt\n"
        ).join("\n"), @r"
        Error f: '../LICENSE' is invalid for 'license-file', parent directory indicators are not allowed (../LICENSE)
        Error f: 'LICEN*' is invalid for 'license-file', paths must be resolved (LICEN*)
        Error f: '/abs' is invalid for 'license-file', paths must be relative (/abs)
        Error f: 'C:/abs' is invalid for 'license-file', paths must be relative (C:/abs)
        Error f: 'a\b' is invalid for 'license-file', paths must use '/' delimiter (a\b)
        ");
    }

    #[test]
    fn issue12_dynamic_content_type_urls_and_extras_as_warehouse_judges_them() {
        // `Home-page: UNKNOWN` below is dropped by Warehouse's `sanitize`, not refused.
        let ok = "Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Requires-Dist\nDynamic: license-file\nHome-page: https:no-host\nDescription-Content-Type: text/x-rst; variant=whatever; foo=bar; charset=utf-8\nProvides-Extra: dev.tools_2\n";
        assert_eq!(with_severity(ok), Vec::<String>::new());
        insta::assert_snapshot!(with_severity(
            "Metadata-Version: 2.2\nName: a\nVersion: 1\nDynamic: Dynamic\nDynamic: metadata-version\nHome-page: UNKNOWN\nProject-URL: Docs, https://e.org/1\nProject-URL: Docs, https://e.org/2\nDescription-Content-Type: text/markdown; variant=gfm\nProvides-Extra: not valid\n"
        ).join("\n"), @r"
        Error f: Project-URL labels must be unique ('project_urls' has invalid data) ('Docs' given twice)
        Error f: 'not valid' is invalid for 'provides-extra' (an extra is a name: letters, digits, '.', '_' and '-')
        Error f: Description-Content-Type has an unsupported variant ('variant=gfm')
        Error f: Dynamic field 'dynamic' is not a valid dynamic field. (Dynamic)
        Error f: 'metadata-version' is not allowed as a dynamic field (metadata-version)
        ");
    }
}
