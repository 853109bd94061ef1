//! Trove classifiers PyPI accepts, shipped as data (refresh with `scripts/refresh-classifiers`,
//! which reads the `trove-classifiers` package PyPI itself validates against).

const KNOWN: &str = include_str!("classifiers.txt");
const DEPRECATED: &str = include_str!("classifiers-deprecated.txt");

fn lines(data: &'static str) -> impl Iterator<Item = &'static str> {
    data.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
}

/// What PyPI says about a classifier.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Accepted.
    Known,
    /// Deprecated, with its replacements (possibly none).
    Deprecated(Vec<&'static str>),
    /// Not a classifier at all.
    Unknown,
}

/// Looks a classifier up.
pub(crate) fn verdict(classifier: &str) -> Verdict {
    if let Some(line) = lines(DEPRECATED).find(|l| l.split('\t').next() == Some(classifier)) {
        let replacements = line.split('\t').nth(1).unwrap_or("");
        return Verdict::Deprecated(replacements.split('|').filter(|s| !s.is_empty()).collect());
    }
    // The list is sorted, but a linear scan of ~900 short lines is cheap next to archive I/O.
    if lines(KNOWN).any(|l| l == classifier) {
        Verdict::Known
    } else {
        Verdict::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_real_classifiers() {
        assert_eq!(
            verdict("Programming Language :: Python :: 3"),
            Verdict::Known
        );
        assert_eq!(
            verdict("Programming Language :: Cobol :: 9"),
            Verdict::Unknown
        );
        assert!(matches!(
            verdict("Framework :: Django CMS :: 4.2"),
            Verdict::Deprecated(r) if r == ["Framework :: Django CMS :: 5.0"]
        ));
    }
}
