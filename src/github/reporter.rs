//! The GitHub reporter: plain log lines plus `::error`/`::warning` annotations tied to the
//! distribution file, so problems show on the run page and in the PR's files view.

// The GitHub reporter prints workflow commands on stdout: that is its job.
#![allow(clippy::print_stdout)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use super::workflow::annotation;
use crate::dist::{Problem, Severity};
use crate::events::Reporter;
use crate::index::form::Progress;
use crate::report::table::human_size;

/// Prints to stdout, where the runner reads workflow commands.
pub struct GitHub {
    /// The `packages-dir` lines (folders or globs), to give annotations a workspace-relative
    /// path.
    packages: Vec<PathBuf>,
    /// Print skipped entries and notes too.
    verbose: bool,
    /// File name → the path it was found at, discovered on the first annotation.
    found: OnceLock<HashMap<String, PathBuf>>,
}

impl GitHub {
    /// A reporter for files found under `packages`.
    pub fn new(packages: Vec<PathBuf>, verbose: bool) -> Self {
        Self {
            packages,
            verbose,
            found: OnceLock::new(),
        }
    }

    fn path_of(&self, file: &str) -> String {
        let found = self.found.get_or_init(|| {
            crate::dist::discover::discover(&self.packages)
                .map(|d| d.dists)
                .unwrap_or_default()
                .into_iter()
                .filter_map(|p| Some((p.file_name()?.to_string_lossy().into_owned(), p)))
                .collect()
        });
        match found.get(file) {
            // Annotations name files with `/`, as the repository does, on Windows too.
            Some(path) if cfg!(windows) => path.display().to_string().replace('\\', "/"),
            Some(path) => path.display().to_string(),
            None => file.to_string(),
        }
    }
}

impl Reporter for GitHub {
    fn skipped(&self, path: &Path, reason: &str) {
        if self.verbose {
            println!("skipped {} ({reason})", path.display());
        }
    }

    fn problem(&self, problem: &Problem) {
        let level = match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let message = if problem.found.is_empty() {
            problem.rule.clone()
        } else {
            format!("{} ({})", problem.rule, problem.found)
        };
        println!(
            "{}",
            annotation(
                level,
                Some(&self.path_of(&problem.file)),
                &format!("{}: {}", problem.file, problem.code),
                &message
            )
        );
    }

    fn note(&self, message: &str) {
        println!("{message}");
    }

    fn warning(&self, message: &str) {
        println!("{}", annotation("warning", None, "pypi-publish", message));
    }

    fn upload_started(&self, file: &str, size: u64, _progress: Arc<Progress>) {
        println!("Uploading {file} ({})", human_size(size));
    }

    fn upload_finished(&self, file: &str, status: &str, ok: bool) {
        if ok {
            println!("{file}: {status}");
        } else {
            println!(
                "{}",
                annotation(
                    "error",
                    Some(&self.path_of(file)),
                    &format!("{file}: upload failed"),
                    status
                )
            );
        }
    }
}
