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
    if let Some(summary) = meta.get(Field::Summary) {
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
        if let Some(value) = meta.get(field) {
            for address in split_addresses(value) {
                if !is_valid_email(&address) {
                    f.error(
                        "email",
                        format!("{} must hold valid email addresses", field.header()),
                        format!("'{address}'"),
                    );
                }
            }
        }
    }
}

fn check_urls(meta: &CoreMetadata, f: &mut Findings<'_>) {
    for field in [Field::HomePage, Field::DownloadUrl] {
        if let Some(value) = meta
            .get(field)
            .filter(|v| !v.trim().is_empty() && *v != "UNKNOWN")
        {
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
    if let Some(spec) = meta
        .get(Field::RequiresPython)
        .filter(|s| !s.trim().is_empty())
    {
        if let Err(e) = VersionSpecifiers::from_str(spec) {
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
    let content_type = meta
        .get(Field::DescriptionContentType)
        .unwrap_or("text/x-rst");
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
    for param in parts.filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').unwrap_or((param, ""));
        let (key, value) = (
            key.trim().to_ascii_lowercase(),
            value.trim().trim_matches('"'),
        );
        let ok = match key.as_str() {
            "charset" => value.eq_ignore_ascii_case("utf-8"),
            "variant" => {
                mime == "text/markdown"
                    && ["gfm", "commonmark"].contains(&value.to_ascii_lowercase().as_str())
            }
            _ => false,
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

/// Splits an RFC 822 address list on commas outside quotes and angle brackets.
fn split_addresses(value: &str) -> Vec<String> {
    let (mut out, mut current, mut quoted, mut angle) = (Vec::new(), String::new(), false, false);
    for c in value.chars() {
        match c {
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
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

fn is_valid_url(value: &str) -> bool {
    url::Url::parse(value.trim()).is_ok_and(|u| {
        ["http", "https"].contains(&u.scheme()) && u.host_str().is_some_and(|h| !h.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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
