//! The events of a publish, as they happen: a preflight problem, a skipped path, an upload
//! starting and ending. The library reports them to a [`Reporter`] and never owns the
//! terminal; `report/` (terminal) and `github/` (annotations) implement it. It sits below
//! `publish/` so that the engine and the reporters do not import each other.

use std::path::Path;
use std::sync::Arc;

use crate::dist::Problem;
use crate::index::form::Progress;

/// Receives the events of a publish.
pub trait Reporter: Send + Sync {
    /// A path that is not a distribution was passed over.
    fn skipped(&self, _path: &Path, _reason: &str) {}
    /// A preflight problem (error or warning).
    fn problem(&self, _problem: &Problem) {}
    /// A line of information.
    fn note(&self, _message: &str) {}
    /// A warning not tied to one file's rules.
    fn warning(&self, _message: &str) {}
    /// An upload starts; `progress` counts the bytes sent.
    fn upload_started(&self, _file: &str, _size: u64, _progress: Arc<Progress>) {}
    /// An upload ended (`ok` false: it failed; the report holds why).
    fn upload_finished(&self, _file: &str, _status: &str, _ok: bool) {}
}

/// A reporter that says nothing (for library users and tests).
pub struct Silent;

impl Reporter for Silent {}
