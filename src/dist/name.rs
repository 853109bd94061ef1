//! Project names and their normalized forms (PEP 503, PEP 625, PEP 427).

use std::fmt;

/// A project name as written in metadata, with its normalized forms on demand.
///
/// PEP 503: lowercase, runs of `-`, `_`, `.` collapsed to one `-`. Two names are the same
/// project when their normalized forms are equal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProjectName(String);

impl ProjectName {
    /// Wraps a name as written (not validated: see `check`).
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }

    /// The name as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// PEP 503 normalized form, used in simple-API URLs and for comparisons.
    pub fn normalized(&self) -> String {
        normalize(&self.0)
    }

    /// The form used in filenames: normalized with `_` instead of `-` (PEP 625, PEP 491).
    pub fn escaped(&self) -> String {
        normalize(&self.0).replace('-', "_")
    }
}

impl fmt::Display for ProjectName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// PEP 503 normalization.
pub(crate) fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_sep {
                out.push('-');
            }
            in_sep = true;
        } else {
            out.extend(c.to_lowercase());
            in_sep = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes_like_pep_503() {
        assert_eq!(normalize("Dotted.Name__Pkg"), "dotted-name-pkg");
        assert_eq!(ProjectName::new("Foo.Bar-baz").escaped(), "foo_bar_baz");
        assert_eq!(normalize("a-_.b"), "a-b");
    }
}
