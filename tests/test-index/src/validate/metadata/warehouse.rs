//! Warehouse's rules on top of packaging's (`forklift/metadata.py`): no local
//! versions, summary length, e-mails, classifiers, URLs, project-URL labels, direct
//! references, dynamic fields, License vs License-Expression.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use super::{Invalid, Raw, email_name};
use crate::oracle;
use crate::pyfmt::{repr, repr_list};
use crate::validate::uri::{is_valid_url, parse_address, validate_email};

/// Warehouse's `DYNAMIC_FIELDS`, lowercased.
const DYNAMIC_FIELDS: [&str; 28] = [
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

static CLASSIFIERS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../../data/classifiers.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect()
});

static DEPRECATED: LazyLock<BTreeMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    include_str!("../../../data/deprecated-classifiers.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut parts = l.split('\t');
            let key = parts.next().unwrap_or("");
            (key, parts.collect())
        })
        .collect()
});

/// `warehouse.forklift.metadata._validate_metadata` (run once packaging is happy).
pub(super) fn warehouse_rules(raw: &BTreeMap<String, Raw>) -> Vec<Invalid> {
    let mut errors: Vec<Invalid> = Vec::new();
    let text = |key: &str| match raw.get(key) {
        Some(Raw::Str(s)) => Some(s.as_str()),
        _ => None,
    };
    let list = |key: &str| match raw.get(key) {
        Some(Raw::List(l)) => l.clone(),
        _ => Vec::new(),
    };

    if let Some(version) = text("version").and_then(|v| oracle::version(v).ok())
        && version.local.is_some()
    {
        errors.push((
            "version".into(),
            format!("The use of local versions in '{version}' is not allowed."),
        ));
    }
    if let Some(summary) = text("summary")
        && summary.chars().count() > 512
    {
        errors.push((
            "summary".into(),
            "'summary' field must be 512 characters or less.".into(),
        ));
    }
    for key in ["author_email", "maintainer_email"] {
        if let Some(value) = text(key) {
            let address = parse_address(value);
            if !address.is_empty()
                && let Err(reason) = validate_email(&address)
            {
                errors.push((
                    email_name(key).into(),
                    format!("{} is not a valid email address: {reason}", repr(&address)),
                ));
            }
        }
    }
    let mut classifiers = list("classifiers");
    classifiers.sort();
    classifiers.dedup();
    for c in classifiers
        .iter()
        .filter(|c| !CLASSIFIERS.contains(c.as_str()))
    {
        errors.push((
            "classifier".into(),
            format!("{} is not a valid classifier.", repr(c)),
        ));
    }
    for c in classifiers.iter() {
        if let Some(replacements) = DEPRECATED.get(c.as_str()) {
            let message = if replacements.is_empty() {
                format!("The classifier {} has been deprecated.", repr(c))
            } else {
                format!(
                    "The classifier {} has been deprecated, use one of {} instead.",
                    repr(c),
                    repr_list(replacements)
                )
            };
            errors.push(("classifier".into(), message));
        }
    }
    for key in ["home_page", "download_url"] {
        if let Some(url) = text(key)
            && !is_valid_url(url)
        {
            errors.push((
                email_name(key).into(),
                format!("{} is not a valid url.", repr(url)),
            ));
        }
    }
    if let Some(Raw::Urls(urls)) = raw.get("project_urls") {
        for (label, url) in urls {
            let message = if label.is_empty() {
                "Must have a label".to_owned()
            } else if label.chars().count() > 32 {
                format!("{} must be 32 characters or less.", repr(label))
            } else if url.is_empty() {
                "Must have a URL".to_owned()
            } else if !is_valid_url(url) {
                format!("{} is not a valid url", repr(url))
            } else {
                continue;
            };
            errors.push(("project-url".into(), message));
        }
    }
    for key in ["provides_dist", "obsoletes_dist"] {
        for req in list(key) {
            match oracle::requirement(&req) {
                Err(e) => errors.push((
                    email_name(key).into(),
                    format!("{} is invalid: {e}", repr(&req)),
                )),
                Ok(parsed) if parsed.url => {
                    errors.push((
                        email_name(key).into(),
                        format!("Can't have direct dependency: {}", repr(&req)),
                    ));
                }
                Ok(_) => {}
            }
        }
    }
    for req in list("requires_dist") {
        if let Ok(parsed) = oracle::requirement(&req)
            && parsed.url
        {
            errors.push((
                "requires-dist".into(),
                format!("Can't have direct dependency: {}", parsed.normalized),
            ));
        }
    }
    for key in list("dynamic") {
        let lowered = key.to_lowercase();
        if !DYNAMIC_FIELDS.contains(&lowered.as_str()) {
            errors.push((
                "dynamic".into(),
                format!(
                    "Dynamic field {} is not a valid dynamic field.",
                    repr(&lowered)
                ),
            ));
        }
    }
    if text("license").is_some() && text("license_expression").is_some() {
        errors.push((
            "license".into(),
            "License is deprecated when License-Expression is present. Only License-Expression should be present."
                .into(),
        ));
    }
    errors
}

#[cfg(test)]
mod classifier_release {
    /// Issue 16: the fixture and the client judge classifiers with the same
    /// trove-classifiers release (the fixture keeps its own copy, so they share no code).
    #[test]
    fn is_the_clients() {
        let set = |text: &'static str| -> std::collections::BTreeSet<&'static str> {
            text.lines()
                .filter(|l| !l.starts_with('#') && !l.is_empty())
                .map(|l| l.split('\t').next().unwrap_or(""))
                .collect()
        };
        let deprecated = set(include_str!("../../../data/deprecated-classifiers.tsv"));
        assert_eq!(
            deprecated,
            set(include_str!(
                "../../../../../src/dist/classifiers-deprecated.txt"
            ))
        );
        // Warehouse's `all_classifiers` holds the deprecated ones too; the client lists them apart.
        let client: std::collections::BTreeSet<_> =
            set(include_str!("../../../../../src/dist/classifiers.txt"))
                .union(&deprecated)
                .copied()
                .collect();
        assert_eq!(set(include_str!("../../../data/classifiers.txt")), client);
    }
}
