//! The metadata rules, each alone and together, as PyPI judges them.

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
        let raw =
            format!("Metadata-Version: 2.1\nName: demo\nVersion: 1.0\nAuthor-email: {emails}\n");
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
        [(
            Severity::Error,
            "'nobody', read from '\"Doe, J\" <nobody>'".to_string()
        )]
    );
    assert_eq!(meta("A <a@b.org>, C <c@d.org>"), []);
    // An empty route address is one of the list: the next one is still read.
    assert_eq!(
        meta("Jane <>, nobody"),
        [(Severity::Warning, "'nobody'".to_string())]
    );
    // Comments go, as parseaddr drops them (values recorded through email-validator).
    assert_eq!(meta("a@b.org (Doe, Jane)"), []);
    assert_eq!(meta("Jane <a@b.org> (x)"), []);
    assert_eq!(meta("a(x)@b.org"), []);
    assert_eq!(
        meta("(c) nobody"),
        [(
            Severity::Error,
            "'nobody', read from '(c) nobody'".to_string()
        )]
    );
    // No address read at all (strict parseaddr gives none): PyPI checks nothing.
    assert_eq!(meta("Jane a@b.org>"), []);
    assert_eq!(meta("a@b.org (unclosed"), []);
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
        let raw = format!("Metadata-Version: 2.1\nName: d\nVersion: 1\nRequires-Python: {spec}\n");
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
            "Error f: Author-email must hold valid email addresses ('not', read from 'not an address')",
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

/// A differential run against packaging found these four refused by `check` and accepted
/// by PyPI (the pep440_rs / pep508_rs crates judged them); each must now pass.
#[test]
fn values_packaging_accepts_are_not_refused() {
    for field in [
        "Version: 1.0.99999999999999999999\n",
        "Version: 1\nRequires-Python: ===foo\n",
        "Version: 1\nRequires-Dist: foo; 'a' in extras\n",
        "Version: 1\nRequires-Dist: foo ()\n",
        "Version: 1\nRequires-Dist: foo===bar\nRequires-Python: >=3.8,\n",
        "Version: 1\nRequires-Dist: foo_\nProvides-Dist: foo===bar\nObsoletes-Dist: foo (>=1,)\n",
        "Version: 1\nRequires-Python: ,>=3.8\nRequires-External: C (x; y)\n",
        "Version: 1.0 \t\n",
    ] {
        let raw = format!("Metadata-Version: 2.1\nName: d\n{field}");
        assert_eq!(problems(&raw), Vec::<String>::new(), "{field}");
    }
}

#[test]
fn refusals_use_packagings_words() {
    let raw = "Metadata-Version: 2.1\nName: d\nVersion: 1.0-beta_x\nRequires-Python: >=1.0.*\nRequires-Dist: foo-\nProvides-Dist: foo; os_name\n";
    insta::assert_snapshot!(problems(raw).join("\n"), @r"
    f: Version must be a valid PEP 440 version (Invalid version: '1.0-beta_x')
    f: Requires-Dist must be a valid PEP 508 requirement ('foo-': Expected semicolon (after name with no version specifier) or end (at character 4))
    f: Provides-Dist must be a valid PEP 508 requirement ('foo; os_name': Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in (at character 13))
    f: Requires-Python must be a valid PEP 440 specifier ('>=1.0.*': Invalid specifier: '>=1.0.*')
    ");
}

#[test]
fn limits_are_inclusive_and_a_missing_version_is_named_so() {
    let summary = |n: usize| {
        format!(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nSummary: {}\n",
            "x".repeat(n)
        )
    };
    assert_eq!(problems(&summary(512)), Vec::<String>::new());
    let no_version = "Metadata-Version: 2.4\nName: demo\nSummary: s\n";
    assert_eq!(problems(no_version), ["f: Version is required (missing)"]);
}

#[test]
fn a_deprecated_classifier_names_its_replacement_only_when_it_has_one() {
    let with = |classifier: &str| {
        problems(&format!(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nClassifier: {classifier}\n"
        ))
    };
    assert_eq!(
        with("License :: OSI Approved :: Intel Open Source License"),
        [
            "f: Classifier has been deprecated ('License :: OSI Approved :: Intel Open Source License')"
        ]
    );
    assert_eq!(
        with("Framework :: Django CMS :: 4.2"),
        [
            "f: Classifier has been deprecated ('Framework :: Django CMS :: 4.2', use instead: Framework :: Django CMS :: 5.0)"
        ]
    );
}

#[test]
fn a_project_url_label_of_32_characters_is_accepted() {
    let raw = |n: usize| {
        format!(
            "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\nProject-URL: {}, https://e.org\n",
            "L".repeat(n)
        )
    };
    assert_eq!(problems(&raw(32)), Vec::<String>::new());
    assert_eq!(problems(&raw(33)).len(), 1);
}
