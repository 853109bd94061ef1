//! The action's inputs, read as the runner passes them: `INPUT_<NAME>` upper-cased with
//! hyphens kept. Like the reference action, a kebab-case input falls back to its deprecated
//! snake_case alias (which carries the default), and booleans are true unless "false".

use std::path::PathBuf;

use crate::secret::Secret;

/// Every input, resolved.
#[derive(Debug, Clone)]
pub struct ActionInputs {
    /// `user`.
    pub user: String,
    /// `password`, one per line: one per repository URL, in the same order (none: trusted
    /// publishing).
    pub passwords: Vec<Secret>,
    /// `repository-url`, one per line: the destinations, in publishing order.
    pub repository_urls: Vec<String>,
    /// `packages-dir`: one folder or glob per line.
    pub packages_dir: Vec<PathBuf>,
    /// `verify-metadata`.
    pub verify_metadata: bool,
    /// `skip-existing` (accepted; skip-identical is always on).
    pub skip_existing: bool,
    /// `verbose`.
    pub verbose: bool,
    /// `print-hash`.
    pub print_hash: bool,
    /// `attestations`.
    pub attestations: bool,
    /// `provenance-check`: off, warn or fail.
    pub provenance_check: crate::provenance::Check,
    /// `trusted-publishing`: auto, always or never.
    pub trusted_publishing: crate::auth::TrustedPublishingMode,
    /// `check-url`, one per line in the order of `repository-url` (none or empty: derived).
    pub check_urls: Vec<String>,
    /// `concurrency`.
    pub concurrency: usize,
    /// `dry-run`.
    pub dry_run: bool,
    /// `ca-bundle`.
    pub ca_bundle: Option<PathBuf>,
    /// `github-attestations`: store the attestations in GitHub's attestation store too.
    pub github_attestations: bool,
    /// `github-token` (the job's token by default; empty: none).
    pub github_token: Option<Secret>,
    /// Deprecated aliases that were used (for warnings).
    pub deprecated_used: Vec<&'static str>,
}

/// An input that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("input '{name}' has an invalid value '{value}': {expected}")]
pub struct InputError {
    /// Input name.
    pub name: &'static str,
    /// What was given.
    pub value: String,
    /// What is allowed.
    pub expected: &'static str,
}

const ALIASES: &[(&str, &str, &str)] = &[
    (
        "repository-url",
        "repository_url",
        crate::index::url::PYPI_UPLOAD,
    ),
    ("packages-dir", "packages_dir", "dist"),
    ("verify-metadata", "verify_metadata", "true"),
    ("skip-existing", "skip_existing", "false"),
    ("print-hash", "print_hash", "true"),
];

/// Defaults where the reference has them (used when the variables are absent, e.g. when the
/// binary is run by hand).
const DEFAULTS: &[(&str, &str)] = &[
    ("user", "__token__"),
    ("verbose", "true"),
    ("attestations", "true"),
    ("provenance-check", "warn"),
    ("trusted-publishing", "auto"),
    ("concurrency", "8"),
    ("dry-run", "false"),
    ("github-attestations", "false"),
];

impl ActionInputs {
    /// Reads the inputs through `env`.
    pub fn read(env: impl Fn(&str) -> Option<String>) -> Result<Self, InputError> {
        let raw = |name: &str| {
            env(&format!("INPUT_{}", name.to_ascii_uppercase())).map(|v| v.trim().to_string())
        };
        let mut deprecated_used = Vec::new();
        let mut get = |name: &'static str| -> String {
            if let Some(v) = raw(name).filter(|v| !v.is_empty()) {
                return v;
            }
            if let Some((_, alias, default)) = ALIASES.iter().find(|(k, _, _)| *k == name) {
                return match raw(alias).filter(|v| !v.is_empty()) {
                    Some(v) => {
                        if v != *default {
                            deprecated_used.push(*alias);
                        }
                        v
                    }
                    None => default.to_string(),
                };
            }
            DEFAULTS
                .iter()
                .find(|(k, _)| *k == name)
                .map_or(String::new(), |(_, d)| d.to_string())
        };
        let flag = |v: String| !v.eq_ignore_ascii_case("false");
        let optional = |v: String| (!v.is_empty()).then_some(v);
        let trusted_publishing = match get("trusted-publishing").to_ascii_lowercase().as_str() {
            "auto" => crate::auth::TrustedPublishingMode::Auto,
            "always" => crate::auth::TrustedPublishingMode::Always,
            "never" => crate::auth::TrustedPublishingMode::Never,
            other => {
                return Err(InputError {
                    name: "trusted-publishing",
                    value: other.to_string(),
                    expected: "auto, always or never",
                });
            }
        };
        let provenance_check = get("provenance-check");
        let provenance_check = provenance_check.parse().map_err(|expected| InputError {
            name: "provenance-check",
            value: provenance_check.clone(),
            expected,
        })?;
        let concurrency_raw = get("concurrency");
        let concurrency = match concurrency_raw.parse::<usize>() {
            Ok(n) if (1..=64).contains(&n) => n,
            _ => {
                return Err(InputError {
                    name: "concurrency",
                    value: concurrency_raw,
                    expected: "a whole number from 1 to 64",
                });
            }
        };
        Ok(Self {
            user: get("user"),
            passwords: lines(&get("password")).map(Secret::new).collect(),
            repository_urls: lines(&get("repository-url")).map(str::to_string).collect(),
            packages_dir: lines(&get("packages-dir")).map(PathBuf::from).collect(),
            verify_metadata: flag(get("verify-metadata")),
            skip_existing: flag(get("skip-existing")),
            verbose: flag(get("verbose")),
            print_hash: flag(get("print-hash")),
            attestations: flag(get("attestations")),
            provenance_check,
            trusted_publishing,
            check_urls: lines(&get("check-url")).map(str::to_string).collect(),
            concurrency,
            dry_run: flag(get("dry-run")),
            ca_bundle: optional(get("ca-bundle")).map(PathBuf::from),
            github_attestations: flag(get("github-attestations")),
            github_token: optional(get("github-token")).map(Secret::new),
            deprecated_used,
        })
    }
}

/// The non-blank lines of a multi-line input (YAML's `|` block), trimmed.
fn lines(value: &str) -> impl Iterator<Item = &str> {
    value.lines().map(str::trim).filter(|l| !l.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab_wins_snake_falls_back_defaults_apply() {
        let env = |k: &str| match k {
            "INPUT_PACKAGES-DIR" => Some("".to_string()),
            "INPUT_PACKAGES_DIR" => Some("wheelhouse".to_string()),
            "INPUT_REPOSITORY-URL" => Some("https://test.pypi.org/legacy/".to_string()),
            "INPUT_REPOSITORY_URL" => Some("https://upload.pypi.org/legacy/".to_string()),
            "INPUT_VERBOSE" => Some("False".to_string()),
            _ => None,
        };
        let i = ActionInputs::read(env).unwrap();
        assert_eq!(i.packages_dir, [PathBuf::from("wheelhouse")]);
        assert_eq!(i.deprecated_used, vec!["packages_dir"]);
        assert_eq!(i.repository_urls, ["https://test.pypi.org/legacy/"]);
        assert!(!i.verbose && i.verify_metadata && i.print_hash && !i.dry_run);
        assert_eq!((i.user.as_str(), i.concurrency), ("__token__", 8));
        let several = |k: &str| {
            (k == "INPUT_PACKAGES-DIR").then(|| "dist\n\n  packages/*/dist  \n".to_string())
        };
        let i = ActionInputs::read(several).unwrap();
        assert_eq!(
            i.packages_dir,
            [PathBuf::from("dist"), PathBuf::from("packages/*/dist")]
        );
        let bad = ActionInputs::read(|k| (k == "INPUT_CONCURRENCY").then(|| "0".to_string()));
        assert!(bad.is_err());
        assert_eq!(i.provenance_check, crate::provenance::Check::Warn);
        let fail = |k: &str| (k == "INPUT_PROVENANCE-CHECK").then(|| "Fail".to_string());
        let i = ActionInputs::read(fail).unwrap();
        assert_eq!(i.provenance_check, crate::provenance::Check::Fail);
        let bad = ActionInputs::read(|k| (k == "INPUT_PROVENANCE-CHECK").then(|| "strict".into()));
        assert_eq!(
            bad.unwrap_err().to_string(),
            "input 'provenance-check' has an invalid value 'strict': off, warn or fail"
        );
    }

    /// The inputs `action.yml` declares (its `inputs:` keys, aliases included).
    fn declared() -> std::collections::BTreeSet<String> {
        let yml = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml"))
            .expect("action.yml beside Cargo.toml");
        let section = yml
            .split("\ninputs:\n")
            .nth(1)
            .and_then(|rest| rest.split("\noutputs:\n").next())
            .expect("an inputs: section");
        section
            .lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && !l.trim().starts_with('#'))
            .filter_map(|l| l.trim().split(':').next())
            .map(str::to_string)
            .collect()
    }

    /// The rows of the table under `header` in `docs/action.md`: its first column's names,
    /// each with the alias in parentheses if any.
    fn docs_table(header: &str) -> std::collections::BTreeSet<String> {
        let docs = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/action.md"))
            .expect("docs/action.md beside Cargo.toml");
        let table = docs.split(header).nth(1).expect("the table's header");
        table
            .lines()
            .skip(2)
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.split('|').nth(1))
            .flat_map(|cell| {
                cell.split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Issue 13: the input and output tables of `docs/action.md` (the README's until
    /// issue 24) name exactly what action.yml declares.
    #[test]
    fn the_docs_tables_agree_with_action_yml() {
        assert_eq!(docs_table("| input | default | meaning |"), declared());
        let yml =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml")).unwrap();
        let outputs: std::collections::BTreeSet<String> = yml
            .split("\noutputs:\n")
            .nth(1)
            .unwrap()
            .lines()
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
            .filter_map(|l| l.trim().split(':').next())
            .map(str::to_string)
            .collect();
        assert_eq!(docs_table("| output | value |"), outputs);
    }

    #[test]
    fn action_yml_declares_exactly_the_inputs_read() {
        let asked = std::cell::RefCell::new(std::collections::BTreeSet::new());
        let env = |k: &str| {
            if let Some(name) = k.strip_prefix("INPUT_") {
                asked.borrow_mut().insert(name.to_ascii_lowercase());
            }
            // Every input empty: the kebab names and, for the aliased ones, the snake names.
            None
        };
        ActionInputs::read(env).unwrap();
        let declared = declared();
        assert!(
            declared.contains("repository_url") && declared.len() > 15,
            "{declared:?}"
        );
        assert_eq!(asked.into_inner(), declared);
    }
}
