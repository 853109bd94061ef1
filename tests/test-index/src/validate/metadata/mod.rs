//! Core metadata from the upload form: `warehouse.forklift.metadata.parse`, i.e.
//! packaging's `Metadata.from_raw` validation followed by Warehouse's own rules
//! (supported versions, no local versions, summary length, e-mails, classifiers,
//! URLs, project-URL labels, direct references, dynamic fields, license fields).
//! Errors are gathered per field and reported like Warehouse: metadata-version,
//! then name, then version, then the alphabetically first field. Versions, specifiers
//! and requirements are parsed by Python's `packaging` (`crate::oracle`).

mod packaging;
mod warehouse;

use std::collections::BTreeMap;

use crate::form::PostData;
use crate::oracle::{self, Version};
use crate::pyfmt::repr;
use packaging::packaging_rules;
use warehouse::warehouse_rules;

const CORE_METADATA_URL: &str = "https://packaging.python.org/specifications/core-metadata";
const LOCAL_VERSION_URL: &str = "https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers";

/// packaging's `_VALID_METADATA_VERSIONS` (= Warehouse's supported set; no 2.0).
pub(super) const METADATA_VERSIONS: [&str; 8] =
    ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

/// How a form field is read (packaging's `_STRING_FIELDS`, `_LIST_FIELDS`, specials).
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Kind {
    Str,
    List,
    Keywords,
    ProjectUrls,
}

/// (form key, core-metadata field name, kind, metadata version that added it)
pub(super) const FIELDS: [(&str, &str, Kind, &str); 32] = [
    ("metadata_version", "metadata-version", Kind::Str, "1.0"),
    ("name", "name", Kind::Str, "1.0"),
    ("version", "version", Kind::Str, "1.0"),
    ("dynamic", "dynamic", Kind::List, "2.2"),
    ("platform", "platform", Kind::List, "1.0"),
    (
        "supported_platform",
        "supported-platform",
        Kind::List,
        "1.1",
    ),
    ("summary", "summary", Kind::Str, "1.0"),
    ("description", "description", Kind::Str, "1.0"),
    (
        "description_content_type",
        "description-content-type",
        Kind::Str,
        "2.1",
    ),
    ("keywords", "keywords", Kind::Keywords, "1.0"),
    ("home_page", "home-page", Kind::Str, "1.0"),
    ("download_url", "download-url", Kind::Str, "1.1"),
    ("author", "author", Kind::Str, "1.0"),
    ("author_email", "author-email", Kind::Str, "1.0"),
    ("maintainer", "maintainer", Kind::Str, "1.2"),
    ("maintainer_email", "maintainer-email", Kind::Str, "1.2"),
    ("license", "license", Kind::Str, "1.0"),
    ("license_expression", "license-expression", Kind::Str, "2.4"),
    ("license_file", "license-file", Kind::List, "2.4"),
    ("classifiers", "classifier", Kind::List, "1.1"),
    ("requires_dist", "requires-dist", Kind::List, "1.2"),
    ("requires_python", "requires-python", Kind::Str, "1.2"),
    ("requires_external", "requires-external", Kind::List, "1.2"),
    ("project_urls", "project-url", Kind::ProjectUrls, "1.2"),
    ("provides_extra", "provides-extra", Kind::List, "2.1"),
    ("provides_dist", "provides-dist", Kind::List, "1.2"),
    ("obsoletes_dist", "obsoletes-dist", Kind::List, "1.2"),
    ("import_name", "import-name", Kind::List, "2.5"),
    ("import_namespace", "import-namespace", Kind::List, "2.5"),
    ("requires", "requires", Kind::List, "1.1"),
    ("provides", "provides", Kind::List, "1.1"),
    ("obsoletes", "obsoletes", Kind::List, "1.1"),
];

/// A raw value read from the form.
#[derive(Debug, Clone)]
pub(super) enum Raw {
    Str(String),
    List(Vec<String>),
    /// Label → URL, in insertion order.
    Urls(Vec<(String, String)>),
}

/// The validated metadata the upload keeps using.
#[derive(Debug, Clone)]
pub struct Metadata {
    pub name: String,
    pub version: Version,
    /// `str(SpecifierSet(...))`: normalized, as PyPI serves it.
    pub requires_python: Option<String>,
    pub license_files: Vec<String>,
}

/// One `InvalidMetadata` error: the field (core-metadata name) and the message.
pub(super) type Invalid = (String, String);

/// Parses and validates; `Err` is the complete 400 message.
pub fn parse(post: &PostData) -> Result<Metadata, String> {
    let raw = read_form(post).map_err(|errors| report(&errors))?;
    let errors = packaging_rules(&raw);
    if !errors.is_empty() {
        return Err(report(&errors));
    }
    let errors = warehouse_rules(&raw);
    if !errors.is_empty() {
        return Err(report(&errors));
    }
    let text = |key: &str| match raw.get(key) {
        Some(Raw::Str(s)) => Some(s.clone()),
        _ => None,
    };
    let version = oracle::version(text("version").as_deref().unwrap_or(""))?;
    Ok(Metadata {
        name: text("name").unwrap_or_default(),
        version,
        requires_python: text("requires_python")
            .map(|v| oracle::specifier_set(&v))
            .transpose()?,
        license_files: match raw.get("license_file") {
            Some(Raw::List(files)) => files.clone(),
            _ => Vec::new(),
        },
    })
}

/// Warehouse's choice among the errors, and its "See … for more information." tail.
fn report(errors: &[Invalid]) -> String {
    let field = ["metadata-version", "name", "version"]
        .iter()
        .find(|f| errors.iter().any(|(e, _)| e == *f))
        .map(|f| (*f).to_owned())
        .unwrap_or_else(|| {
            errors
                .iter()
                .map(|(f, _)| f.clone())
                .min()
                .unwrap_or_default()
        });
    let message = &errors
        .iter()
        .find(|(f, _)| *f == field)
        .expect("chosen field has an error")
        .1;
    let see = if field == "version"
        && errors
            .iter()
            .any(|(f, m)| f == "version" && m.contains("use of local versions"))
    {
        LOCAL_VERSION_URL
    } else {
        CORE_METADATA_URL
    };
    let dot = if message.ends_with('.') { "" } else { "." };
    format!("{message}{dot} See {see} for more information.")
}

/// `parse_form_metadata`: form values into raw metadata, keyed by form key.
fn read_form(post: &PostData) -> Result<BTreeMap<String, Raw>, Vec<Invalid>> {
    let mut raw = BTreeMap::new();
    let mut unparsed = Vec::new();
    for key in post.keys() {
        let Some(&(_, _, kind, _)) = FIELDS.iter().find(|f| f.0 == key) else {
            continue;
        };
        let values: Vec<String> = post.getall(&key).into_iter().map(str::to_owned).collect();
        if values.is_empty() || values == [""] {
            continue;
        }
        match kind {
            Kind::Str if values.len() == 1 => {
                raw.insert(key, Raw::Str(values[0].clone()));
            }
            Kind::List => {
                raw.insert(key, Raw::List(values));
            }
            Kind::Keywords if values.len() == 1 => {
                raw.insert(
                    key,
                    Raw::List(values[0].split(',').map(|k| k.trim().to_owned()).collect()),
                );
            }
            Kind::ProjectUrls => {
                let mut urls: Vec<(String, String)> = Vec::new();
                let mut duplicate = false;
                for pair in &values {
                    let (label, url) = pair.split_once(',').unwrap_or((pair, ""));
                    let (label, url) = (label.trim().to_owned(), url.trim().to_owned());
                    if urls.iter().any(|(l, _)| *l == label) {
                        duplicate = true;
                    }
                    urls.push((label, url));
                }
                if duplicate {
                    unparsed.push(key);
                } else {
                    raw.insert(key, Raw::Urls(urls));
                }
            }
            _ => unparsed.push(key),
        }
    }
    if unparsed.is_empty() {
        Ok(raw)
    } else {
        Err(unparsed
            .into_iter()
            .map(|key| (key.clone(), format!("{} has invalid data", repr(&key))))
            .collect())
    }
}

pub(super) fn email_name(key: &str) -> &'static str {
    FIELDS.iter().find(|f| f.0 == key).map_or("", |f| f.1)
}
