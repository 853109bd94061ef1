//! Core metadata (`METADATA` in a wheel, `PKG-INFO` in an sdist), versions 1.0–2.5.
//!
//! The format is RFC 822-style headers followed by an optional body holding the description.
//! [`Field`] is the single table of every field we know: its header, its upload-form key and
//! whether it may repeat. The upload form is built from this table, so a field parsed here is
//! never silently dropped on the way to the index.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

/// Every core-metadata field PyPI's upload form knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum Field {
    MetadataVersion,
    Name,
    Version,
    Dynamic,
    Platform,
    SupportedPlatform,
    Summary,
    Description,
    DescriptionContentType,
    Keywords,
    HomePage,
    DownloadUrl,
    Author,
    AuthorEmail,
    Maintainer,
    MaintainerEmail,
    License,
    LicenseExpression,
    LicenseFile,
    Classifier,
    RequiresDist,
    RequiresPython,
    RequiresExternal,
    ProjectUrl,
    ProvidesExtra,
    ProvidesDist,
    ObsoletesDist,
    ImportName,
    ImportNamespace,
    Requires,
    Provides,
    Obsoletes,
}

/// `(field, header as the spec spells it, upload-form key, may repeat)`.
const TABLE: &[(Field, &str, &str, bool)] = &[
    (
        Field::MetadataVersion,
        "Metadata-Version",
        "metadata_version",
        false,
    ),
    (Field::Name, "Name", "name", false),
    (Field::Version, "Version", "version", false),
    (Field::Dynamic, "Dynamic", "dynamic", true),
    (Field::Platform, "Platform", "platform", true),
    (
        Field::SupportedPlatform,
        "Supported-Platform",
        "supported_platform",
        true,
    ),
    (Field::Summary, "Summary", "summary", false),
    (Field::Description, "Description", "description", false),
    (
        Field::DescriptionContentType,
        "Description-Content-Type",
        "description_content_type",
        false,
    ),
    (Field::Keywords, "Keywords", "keywords", false),
    (Field::HomePage, "Home-page", "home_page", false),
    (Field::DownloadUrl, "Download-URL", "download_url", false),
    (Field::Author, "Author", "author", false),
    (Field::AuthorEmail, "Author-email", "author_email", false),
    (Field::Maintainer, "Maintainer", "maintainer", false),
    (
        Field::MaintainerEmail,
        "Maintainer-email",
        "maintainer_email",
        false,
    ),
    (Field::License, "License", "license", false),
    (
        Field::LicenseExpression,
        "License-Expression",
        "license_expression",
        false,
    ),
    (Field::LicenseFile, "License-File", "license_file", true),
    (Field::Classifier, "Classifier", "classifiers", true),
    (Field::RequiresDist, "Requires-Dist", "requires_dist", true),
    (
        Field::RequiresPython,
        "Requires-Python",
        "requires_python",
        false,
    ),
    (
        Field::RequiresExternal,
        "Requires-External",
        "requires_external",
        true,
    ),
    (Field::ProjectUrl, "Project-URL", "project_urls", true),
    (
        Field::ProvidesExtra,
        "Provides-Extra",
        "provides_extra",
        true,
    ),
    (Field::ProvidesDist, "Provides-Dist", "provides_dist", true),
    (
        Field::ObsoletesDist,
        "Obsoletes-Dist",
        "obsoletes_dist",
        true,
    ),
    (Field::ImportName, "Import-Name", "import_name", true),
    (
        Field::ImportNamespace,
        "Import-Namespace",
        "import_namespace",
        true,
    ),
    (Field::Requires, "Requires", "requires", true),
    (Field::Provides, "Provides", "provides", true),
    (Field::Obsoletes, "Obsoletes", "obsoletes", true),
];

impl Field {
    /// All fields, in the order the upload form sends them.
    pub fn all() -> impl Iterator<Item = Field> {
        TABLE.iter().map(|row| row.0)
    }

    fn row(self) -> &'static (Field, &'static str, &'static str, bool) {
        TABLE
            .iter()
            .find(|row| row.0 == self)
            .expect("every field is in the table")
    }

    /// The header name as the core-metadata spec spells it.
    pub fn header(self) -> &'static str {
        self.row().1
    }

    /// The legacy upload API's form key.
    pub fn form_key(self) -> &'static str {
        self.row().2
    }

    /// Whether the field may appear more than once.
    pub fn multiple_use(self) -> bool {
        self.row().3
    }

    /// The metadata version that introduced the field, as `packaging.metadata` records it
    /// (`_Validator(added=…)`): PyPI refuses a field sent under an older `Metadata-Version`
    /// ("Classifier introduced in metadata version 1.1, not 1.0").
    pub fn added_in(self) -> (u32, u32) {
        use Field::*;
        match self {
            SupportedPlatform | DownloadUrl | Classifier | Requires | Provides | Obsoletes => {
                (1, 1)
            }
            Maintainer | MaintainerEmail | RequiresDist | RequiresPython | RequiresExternal
            | ProjectUrl | ProvidesDist | ObsoletesDist => (1, 2),
            DescriptionContentType | ProvidesExtra => (2, 1),
            Dynamic => (2, 2),
            LicenseExpression | LicenseFile => (2, 4),
            ImportName | ImportNamespace => (2, 5),
            MetadataVersion | Name | Version | Platform | Summary | Description | Keywords
            | HomePage | Author | AuthorEmail | License => (1, 0),
        }
    }

    /// Looks a header name up, case-insensitively (headers are case-insensitive in RFC 822).
    pub fn from_header(name: &str) -> Option<Field> {
        TABLE
            .iter()
            .find(|row| row.1.eq_ignore_ascii_case(name))
            .map(|row| row.0)
    }
}

/// Parsed core metadata: the values of every known field, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoreMetadata {
    values: BTreeMap<Field, Vec<String>>,
    /// Headers this tool does not know (sent nowhere; PyPI ignores unknown keys).
    pub unknown: Vec<(String, String)>,
    /// Single-use fields that appeared more than once.
    pub repeated: Vec<Field>,
    /// The description came from both the `Description` header and the body.
    pub description_conflict: bool,
}

/// Why metadata bytes could not be parsed at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataParseError {
    /// Core metadata must be UTF-8.
    #[error("metadata is not valid UTF-8 (invalid byte at offset {0})")]
    NotUtf8(usize),
}

impl CoreMetadata {
    /// Parses `METADATA`/`PKG-INFO` bytes the way Python's `email` parser (compat32) does,
    /// which is what `packaging.metadata` and PyPI rely on.
    pub fn parse(bytes: &[u8]) -> Result<Self, MetadataParseError> {
        let text =
            std::str::from_utf8(bytes).map_err(|e| MetadataParseError::NotUtf8(e.valid_up_to()))?;
        let mut meta = CoreMetadata::default();
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut rest = text;
        let mut body_start = None;
        while !rest.is_empty() {
            // Like Python's feed parser, a line ends at CRLF, LF or a lone CR.
            let line_end = match rest.find(['\r', '\n']) {
                Some(i) if rest[i..].starts_with("\r\n") => i + 2,
                Some(i) => i + 1,
                None => rest.len(),
            };
            let line = &rest[..line_end];
            let offset = text.len() - rest.len();
            if line.trim_end_matches(['\r', '\n']).is_empty() {
                body_start = Some(offset + line_end);
                break;
            }
            if line.starts_with([' ', '\t'])
                && let Some(last) = headers.last_mut()
            {
                last.1.push_str(line);
                rest = &rest[line_end..];
                continue;
            }
            match line.split_once(':') {
                Some((name, value)) if !name.is_empty() && !name.contains([' ', '\t']) => {
                    headers.push((
                        name.to_string(),
                        value.trim_start_matches([' ', '\t']).to_string(),
                    ));
                }
                // Like Python's feed parser: a line that is not a header ends the headers.
                _ => {
                    body_start = Some(offset);
                    break;
                }
            }
            rest = &rest[line_end..];
        }
        for (name, value) in headers {
            let value = value.trim_end_matches(['\r', '\n']).to_string();
            match Field::from_header(&name) {
                Some(field) => meta.push(field, value),
                None => meta.unknown.push((name, value)),
            }
        }
        if let Some(start) = body_start {
            let body = &text[start..];
            if !body.is_empty() {
                if meta.values.contains_key(&Field::Description) {
                    meta.description_conflict = true;
                }
                // The body wins: metadata 2.1+ puts the description there.
                meta.values
                    .insert(Field::Description, vec![body.to_string()]);
            }
        }
        Ok(meta)
    }

    fn push(&mut self, field: Field, value: String) {
        let values = self.values.entry(field).or_default();
        if !values.is_empty() && !field.multiple_use() && !self.repeated.contains(&field) {
            self.repeated.push(field);
        }
        values.push(value);
    }

    /// The (first) value of a field.
    pub fn get(&self, field: Field) -> Option<&str> {
        self.values
            .get(&field)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// Every value of a field, in file order.
    pub fn get_all(&self, field: Field) -> &[String] {
        self.values.get(&field).map_or(&[], Vec::as_slice)
    }

    /// `Metadata-Version`, or empty.
    pub fn metadata_version(&self) -> &str {
        self.get(Field::MetadataVersion).unwrap_or("")
    }

    /// `Name`, or empty.
    pub fn name(&self) -> &str {
        self.get(Field::Name).unwrap_or("")
    }

    /// `Version`, or empty.
    pub fn version(&self) -> &str {
        self.get(Field::Version).unwrap_or("")
    }

    /// `Metadata-Version` as `(major, minor)`, when it parses.
    pub fn metadata_version_tuple(&self) -> Option<(u32, u32)> {
        let (a, b) = self.metadata_version().split_once('.')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    }

    /// Every value the upload form sends, field by field in form order. PyPI validates the
    /// form, not the file (Warehouse `parse_form_metadata`), so the preflight judges this.
    ///
    /// `License-File` under metadata older than 2.4 is left out, as twine does: old setuptools
    /// wrote it loosely, and sending it would make PyPI refuse the field for that version.
    pub fn form_values(&self) -> impl Iterator<Item = (Field, &String)> {
        let keep_license_files = self.metadata_version_tuple() >= Some((2, 4));
        Field::all()
            .filter(move |f| *f != Field::LicenseFile || keep_license_files)
            .flat_map(move |f| self.get_all(f).iter().map(move |v| (f, v)))
    }

    /// `Project-URL` entries split into `(label, url)` (PyPI splits on the first `", "`).
    pub fn project_urls(&self) -> Vec<(&str, &str)> {
        self.get_all(Field::ProjectUrl)
            .iter()
            .map(|v| {
                v.split_once(',')
                    .map_or((v.as_str(), ""), |(l, u)| (l.trim(), u.trim()))
            })
            .collect()
    }

    /// The metadata in the shape of Python `packaging.metadata.RawMetadata`, so that our parse
    /// can be compared field by field with the reference implementation and shown by `check --json`.
    pub fn to_raw_json(&self) -> Value {
        let mut out = Map::new();
        for (field, values) in &self.values {
            let key = match field {
                Field::Platform => "platforms",
                Field::SupportedPlatform => "supported_platforms",
                Field::LicenseFile => "license_files",
                Field::ImportName => "import_names",
                Field::ImportNamespace => "import_namespaces",
                other => other.form_key(),
            };
            if *field == Field::Description && self.description_conflict {
                continue;
            }
            let value = match field {
                Field::Keywords => json!(values[0].split(',').map(str::trim).collect::<Vec<_>>()),
                Field::ProjectUrl => {
                    let urls: Map<String, Value> = self
                        .project_urls()
                        .into_iter()
                        .map(|(l, u)| (l.to_string(), json!(u)))
                        .collect();
                    Value::Object(urls)
                }
                f if f.multiple_use() => json!(values),
                _ if self.repeated.contains(field) => continue,
                _ => json!(values[0]),
            };
            out.insert(key.to_string(), value);
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue8_lone_cr_ends_a_line_like_packaging() {
        // packaging.metadata.parse_email on the same bytes: name 'demo', version '1.0',
        // description 'body\rmore' (found by the long property runs).
        let m =
            CoreMetadata::parse(b"Metadata-Version: 2.1\rName: demo\rVersion: 1.0\r\rbody\rmore")
                .unwrap();
        assert_eq!((m.name(), m.version()), ("demo", "1.0"));
        assert_eq!(m.get(Field::Description), Some("body\rmore"));
    }

    #[test]
    fn parses_headers_continuations_and_body() {
        let raw = b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nSummary: one\n  two\nClassifier: A :: B\nclassifier: C :: D\nX-Custom: y\n\n# Title\n\nbody\n";
        let m = CoreMetadata::parse(raw).unwrap();
        assert_eq!(m.name(), "demo");
        assert_eq!(m.get(Field::Summary), Some("one\n  two"));
        assert_eq!(m.get_all(Field::Classifier), ["A :: B", "C :: D"]);
        assert_eq!(m.get(Field::Description), Some("# Title\n\nbody\n"));
        assert_eq!(m.unknown, vec![("X-Custom".to_string(), "y".to_string())]);
        assert!(m.repeated.is_empty());
    }

    #[test]
    fn flags_repeated_single_use_fields_and_bad_utf8() {
        let m = CoreMetadata::parse(b"Name: a\nName: b\n").unwrap();
        assert_eq!(m.repeated, vec![Field::Name]);
        assert_eq!(
            CoreMetadata::parse(b"Name: \xff\n"),
            Err(MetadataParseError::NotUtf8(6))
        );
    }

    #[test]
    fn raw_json_matches_packaging_shapes() {
        let m = CoreMetadata::parse(
            b"Metadata-Version: 2.4\nName: a\nVersion: 1\nKeywords: x, y\nProject-URL: Home, https://e.org\nLicense-File: LICENSE\nRequires: foo\nProvides: a\nObsoletes: b (<1)\n",
        )
        .unwrap();
        insta::assert_json_snapshot!(m.to_raw_json(), @r#"
        {
          "keywords": [
            "x",
            "y"
          ],
          "license_files": [
            "LICENSE"
          ],
          "metadata_version": "2.4",
          "name": "a",
          "obsoletes": [
            "b (<1)"
          ],
          "project_urls": {
            "Home": "https://e.org"
          },
          "provides": [
            "a"
          ],
          "requires": [
            "foo"
          ],
          "version": "1"
        }
        "#);
    }
}
