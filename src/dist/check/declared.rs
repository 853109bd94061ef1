//! Rules on what the metadata declares about itself and its licence: a field must exist in
//! the declared `Metadata-Version`, `Dynamic` may name only some fields, and the licence
//! fields of PEP 639 (`License-Expression`, `License-File`) as PyPI judges them.

use super::Findings;
use super::metadata::METADATA_VERSIONS;
use crate::dist::metadata::{CoreMetadata, Field};

/// `Metadata.from_raw`: a field the declared version does not have is refused ("Classifier
/// introduced in metadata version 1.1, not 1.0"). Judged on what the form sends: a field
/// whose only value is empty is skipped by Warehouse (`if value == [""]: continue`), and
/// `License-File` under < 2.4 is never sent.
pub(super) fn check_fields_in_version(meta: &CoreMetadata, f: &mut Findings<'_>) {
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

pub(super) fn check_dynamic(meta: &CoreMetadata, f: &mut Findings<'_>) {
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
pub(super) fn check_license(meta: &CoreMetadata, f: &mut Findings<'_>) {
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
