//! The terminal reporter: progress bars (bytes per file) on a TTY, plain lines otherwise.
//! Everything goes to stderr; stdout carries only results (tables, JSON).

// The terminal reporter is where the library may print.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Reporter;
use super::table::human_size;
use crate::dist::{Problem, Severity};
use crate::index::form::Progress;

/// Writes events to stderr.
pub struct Terminal {
    bars: Option<Bars>,
    verbose: bool,
}

/// Bars of the uploads in flight, with the byte counters they show.
type ActiveBars = Arc<Mutex<HashMap<String, (ProgressBar, Arc<Progress>)>>>;

struct Bars {
    multi: MultiProgress,
    active: ActiveBars,
}

impl Terminal {
    /// Progress bars when stderr is a terminal and `progress` is wanted.
    pub fn new(progress: bool, verbose: bool) -> Self {
        let bars = (progress && std::io::stderr().is_terminal()).then(|| {
            let active: ActiveBars = Arc::default();
            let ticking = Arc::downgrade(&active);
            // Bars read the byte counters the uploads update; a thread keeps them current.
            std::thread::spawn(move || {
                while let Some(active) = ticking.upgrade() {
                    for (bar, progress) in active.lock().expect("not poisoned").values() {
                        bar.set_position(progress.sent());
                    }
                    drop(active);
                    std::thread::sleep(Duration::from_millis(100));
                }
            });
            Bars {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                active,
            }
        });
        Self { bars, verbose }
    }

    fn line(&self, text: &str) {
        match &self.bars {
            Some(b) => b.multi.suspend(|| eprintln!("{text}")),
            None => eprintln!("{text}"),
        }
    }
}

impl Reporter for Terminal {
    fn skipped(&self, path: &Path, reason: &str) {
        if self.verbose {
            self.line(&format!("skipped {} ({reason})", path.display()));
        }
    }

    fn problem(&self, problem: &Problem) {
        let level = match problem.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        self.line(&format!("{level}: {problem}"));
    }

    fn note(&self, message: &str) {
        self.line(message);
    }

    fn warning(&self, message: &str) {
        self.line(&format!("warning: {message}"));
    }

    fn upload_started(&self, file: &str, size: u64, progress: Arc<Progress>) {
        match &self.bars {
            Some(b) => {
                let bar = b.multi.add(ProgressBar::new(size));
                bar.set_style(
                    ProgressStyle::with_template(
                        "{msg:40!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                    )
                    .expect("valid template")
                    .progress_chars("=> "),
                );
                bar.set_message(file.to_string());
                b.active
                    .lock()
                    .expect("not poisoned")
                    .insert(file.to_string(), (bar, progress));
            }
            None => eprintln!("Uploading {file} ({})", human_size(size)),
        }
    }

    fn upload_finished(&self, file: &str, status: &str, ok: bool) {
        if let Some(b) = &self.bars
            && let Some((bar, _)) = b.active.lock().expect("not poisoned").remove(file)
        {
            bar.finish_and_clear();
            b.multi.remove(&bar);
        }
        self.line(&format!(
            "{} {file}: {status}",
            if ok { "ok" } else { "FAILED" }
        ));
    }
}
/// Prints the final table on stdout.
pub fn print_report(report: &crate::publish::PublishReport) {
    if !report.files.is_empty() {
        print!("{}", super::table::render(report));
    }
}

/// Prints every problem, conflict and failure, then the error chain and its hint.
pub fn print_failure(error: &crate::publish::PublishError, report: &crate::publish::PublishReport) {
    use crate::publish::PublishError;
    match error {
        PublishError::Preflight(problems) => {
            for p in problems {
                println!("{p}");
            }
        }
        PublishError::Conflicts(conflicts) => {
            for c in conflicts {
                println!("{c}");
            }
        }
        _ => {}
    }
    // A stopped run has one cause, said once below (not again per file).
    let per_file = !matches!(error, PublishError::Stopped { .. });
    for f in report
        .files
        .iter()
        .filter(|f| per_file && f.error.is_some())
    {
        eprintln!("error: {}", f.error.as_deref().unwrap_or_default());
        if let Some(hint) = &f.hint {
            eprintln!("{}", super::errors::render_hint(hint));
        }
    }
    eprintln!("{}", super::errors::render(error));
}
