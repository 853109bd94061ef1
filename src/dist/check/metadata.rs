//! The rules on core-metadata fields that do not depend on the file: versions, names,
//! text fields, URLs, requirements, classifiers and the description's content type.

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
    check_name_and_version(meta, target, f);
    check_text_fields(meta, f);
    check_urls(meta, f);
    check_requirements(meta, f);
    check_classifiers(meta, target, f);
    check_description(meta, target, f);
    for d in meta.get_all(Field::Dynamic) {
        if ["name", "version", "metadata-version"].contains(&d.to_ascii_lowercase().as_str()) {
            f.error(
                "dynamic",
                "Dynamic cannot name Name, Version or Metadata-Version",
                d.as_str(),
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
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid_name {
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
    let has_expression = meta.get(Field::LicenseExpression).is_some();
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
        // PEP 639: with a License-Expression, license classifiers must go.
        if has_expression && classifier.starts_with("License ::") {
            f.error(
                "classifier",
                "License classifiers have been superseded by License-Expression (PEP 639)",
                format!("'{classifier}'"),
            );
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
                "Description-Content-Type has an unsupported parameter",
                format!("'{param}'"),
            );
        }
    }
    if mime == "text/x-rst" && target == Target::Pypi {
        if let Some((line, message)) = meta.get(Field::Description).and_then(rst::check) {
            f.error(
                "description-rst",
                "The description failed to render as reStructuredText (text/x-rst)",
                format!("line {line}: {message}"),
            );
        }
    }
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

/// Warehouse's `is_valid_uri(url, require_authority=False)` (warehouse/utils/http.py,
/// applied to Home-page, Download-URL and Project-URL by forklift/metadata.py): `rfc3986`
/// wants an http(s) scheme and, when an authority is given, a numeric port of at most
/// 65535 — nothing more. It accepts a missing or odd host (`https:`, `https://`,
/// `http://exa mple.com`), so refusing those would block an upload PyPI takes.
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

    fn problems(raw: &str) -> Vec<String> {
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
        out.into_iter().map(|p| p.to_string()).collect()
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
        f: Dynamic cannot name Name, Version or Metadata-Version (Version)
        ");
    }
}
