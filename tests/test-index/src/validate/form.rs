//! `warehouse.forklift.forms.UploadForm`: the few fields checked before the
//! metadata (name, filetype, pyversion, digests), with WTForms' error order and
//! Warehouse's way of turning the first error into a message.

use crate::form::PostData;
use crate::names::is_valid_project_name;
use crate::pyfmt::repr;

const CORE_METADATA_URL: &str = "https://packaging.python.org/specifications/core-metadata";

/// The form values Warehouse keeps using after validation.
#[derive(Debug, Clone)]
pub struct UploadForm {
    pub name: String,
    pub filetype: String,
    /// `source` for an sdist when left empty.
    pub pyversion: String,
    pub md5_digest: Option<String>,
    pub sha256_digest: Option<String>,
    pub blake2_256_digest: Option<String>,
}

/// A WTForms field: `raw_data` is every submitted value, `data` the first one.
struct Field<'a> {
    raw: Vec<&'a str>,
}

impl<'a> Field<'a> {
    fn data(&self) -> Option<&'a str> {
        self.raw.first().copied()
    }

    /// `InputRequired`: a first value that is not empty.
    fn has_input(&self) -> bool {
        self.data().is_some_and(|d| !d.is_empty())
    }

    /// `Optional()`: no value, or whitespace only, stops the chain with no error.
    fn is_blank(&self) -> bool {
        self.data().is_none_or(|d| d.trim().is_empty())
    }
}

/// Python's `re.match(r"^[A-F0-9]{64}$", s, re.I)`: `$` also matches before a
/// final newline.
fn is_hex64(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Validates the form; `Err` is the complete 400 message.
pub fn validate(post: &PostData) -> Result<UploadForm, String> {
    let field = |name: &str| Field {
        raw: post.getall(name),
    };
    let (name, pyversion, filetype) = (field("name"), field("pyversion"), field("filetype"));
    let (md5, sha256, blake2) = (
        field("md5_digest"),
        field("sha256_digest"),
        field("blake2_256_digest"),
    );

    // Field validators, in declaration order; at most one error each.
    let mut errors: Vec<(&str, &str)> = Vec::new();
    if !name.has_input() {
        errors.push(("name", "This field is required."));
    } else if !is_valid_project_name(name.data().unwrap_or("")) {
        errors.push((
            "name",
            "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
        ));
    }
    if !filetype.has_input() {
        errors.push(("filetype", "This field is required."));
    } else if !matches!(filetype.data(), Some("sdist" | "bdist_wheel")) {
        errors.push(("filetype", "Use a known file type."));
    }
    if !sha256.is_blank() && !is_hex64(sha256.data().unwrap_or("")) {
        errors.push((
            "sha256_digest",
            "Use a valid, hex-encoded, SHA256 message digest.",
        ));
    }
    if !blake2.is_blank() && !is_hex64(blake2.data().unwrap_or("")) {
        errors.push((
            "blake2_256_digest",
            "Use a valid, hex-encoded, BLAKE2 message digest.",
        ));
    }
    if !errors.is_empty() {
        // `_error_message_order` only names `name` among the form's fields; otherwise
        // the alphabetically first field with an error.
        let (field_name, message) = errors
            .iter()
            .find(|(f, _)| *f == "name")
            .copied()
            .unwrap_or_else(|| *errors.iter().min_by_key(|(f, _)| *f).expect("non-empty"));
        return Err(if field_name == "name" {
            // Only `name` has a description, so only it gets the long form.
            let data = name.data().unwrap_or("");
            let shown = if data.chars().count() > 60 {
                let chars: Vec<char> = data.chars().collect();
                format!(
                    "{}...{}",
                    chars[..30].iter().collect::<String>(),
                    chars[chars.len() - 30..].iter().collect::<String>()
                )
            } else {
                data.to_owned()
            };
            format!(
                "{} is an invalid value for Name. Error: {message} See {CORE_METADATA_URL} for more information.",
                repr(&shown)
            )
        } else {
            format!("Invalid value for {field_name}. Error: {message}")
        });
    }

    // `UploadForm.validate`: combinations of fields.
    let filetype = filetype.data().unwrap_or("").to_owned();
    let mut pyversion_value = pyversion.data().unwrap_or("").to_owned();
    if filetype != "sdist" && pyversion_value.is_empty() {
        return Err(
            "Invalid value for pyversion. Error: Python version is required for binary distribution uploads."
                .to_owned(),
        );
    }
    if filetype == "sdist" {
        if pyversion_value.is_empty() {
            pyversion_value = "source".to_owned();
        } else if pyversion_value != "source" {
            return Err(
                "Invalid value for pyversion. Error: Use 'source' as Python version for an sdist."
                    .to_owned(),
            );
        }
    }
    let present = |f: &Field| f.data().filter(|d| !d.is_empty()).map(str::to_owned);
    let (md5, sha256, blake2) = (present(&md5), present(&sha256), present(&blake2));
    if md5.is_none() && sha256.is_none() && blake2.is_none() {
        return Err("Error: Include at least one message digest.".to_owned());
    }
    Ok(UploadForm {
        name: name.data().unwrap_or("").to_owned(),
        filetype,
        pyversion: pyversion_value,
        md5_digest: md5,
        sha256_digest: sha256,
        blake2_256_digest: blake2,
    })
}
