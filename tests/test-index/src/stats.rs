//! Observability and control for tests: request counters, the stored files, the exact form
//! of the last accepted upload of each file (`/_/stats`, `/_/reset-stats`,
//! `/_/forms/<filename>`), and aging a release (`/_/age`). None of this exists on PyPI.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::form::{self, PostData};

/// Counters since start or the last reset.
#[derive(Debug, Default)]
pub struct Stats {
    /// POSTs to the upload endpoint, whatever their outcome.
    pub upload_requests: AtomicU64,
    /// Upload POSTs that carried a file (`content`), stored or not.
    pub files_received: AtomicU64,
    /// Uploads that stored a new file.
    pub uploads_stored: AtomicU64,
    /// Requests under `/simple/`.
    pub simple_requests: AtomicU64,
    /// Requests to the Integrity API (`/integrity/…/provenance`).
    pub provenance_requests: AtomicU64,
    /// Upload tokens minted by trusted publishing.
    pub tokens_minted: AtomicU64,
    /// POSTs to `/_/oidc/burn-token`, whatever their body and answer.
    pub burn_requests: AtomicU64,
    /// Minted tokens those revoked.
    pub tokens_burned: AtomicU64,
}

impl Stats {
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn reset(&self) {
        for counter in [
            &self.upload_requests,
            &self.files_received,
            &self.uploads_stored,
            &self.simple_requests,
            &self.provenance_requests,
            &self.tokens_minted,
            &self.burn_requests,
            &self.tokens_burned,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
    }
}

/// The received form as `[key, value]` pairs: text values as strings, file parts as
/// `{"filename", "content_type"}`; the file bytes are never included.
pub fn describe_form(post: &PostData) -> Vec<(String, Value)> {
    post.items
        .iter()
        .map(|(key, value)| {
            let value = match value {
                form::Value::Text(text) => Value::String(text.clone()),
                form::Value::File {
                    filename,
                    content_type,
                } => {
                    json!({"filename": filename, "content_type": content_type})
                }
            };
            (key.clone(), value)
        })
        .collect()
}

/// `GET /_/stats`
pub async fn get_stats(State(state): State<Arc<AppState>>) -> Json<Value> {
    let store = state.store.lock().await;
    let files: Vec<Value> = store
        .catalogue
        .files
        .values()
        .map(|f| {
            json!({
                "filename": f.filename,
                "sha256": f.sha256,
                "size": f.size,
                "project": f.project,
                "version": f.version,
                "upload_time_us": f.upload_time_us,
                "via_trusted_publishing": f.via_trusted_publishing,
                "has_attestations": f.attestations.is_some(),
                "provenance": f.provenance,
            })
        })
        .collect();
    let stats = &state.stats;
    Json(json!({
        "upload_requests": stats.upload_requests.load(Ordering::Relaxed),
        "files_received": stats.files_received.load(Ordering::Relaxed),
        "uploads_stored": stats.uploads_stored.load(Ordering::Relaxed),
        "simple_requests": stats.simple_requests.load(Ordering::Relaxed),
        "provenance_requests": stats.provenance_requests.load(Ordering::Relaxed),
        "tokens_minted": stats.tokens_minted.load(Ordering::Relaxed),
        "burn_requests": stats.burn_requests.load(Ordering::Relaxed),
        "tokens_burned": stats.tokens_burned.load(Ordering::Relaxed),
        "files": files,
    }))
}

/// `POST /_/reset-stats`: zero the counters (files stay).
pub async fn reset_stats(State(state): State<Arc<AppState>>) -> StatusCode {
    state.stats.reset();
    StatusCode::NO_CONTENT
}

/// `GET /_/forms/<filename>`
pub async fn get_form(
    State(state): State<Arc<AppState>>,
    Path(filename): Path<String>,
) -> Response {
    let store = state.store.lock().await;
    match store.catalogue.files.get(&filename) {
        Some(file) => {
            let pairs: Vec<Value> = file.form.iter().map(|(k, v)| json!([k, v])).collect();
            Json(Value::Array(pairs)).into_response()
        }
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// `POST /_/age/<project>/<version>?days=N`: moves a release's creation and its files'
/// upload times N days into the past (to test the 14-day rule without waiting for it).
pub async fn age_release(
    State(state): State<Arc<AppState>>,
    Path((project, version)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, u64>>,
) -> StatusCode {
    let shift = query.get("days").copied().unwrap_or(0) * 24 * 3600 * 1_000_000;
    let mut store = state.store.lock().await;
    let catalogue = &mut store.catalogue;
    let Some(release) = catalogue
        .projects
        .get_mut(&crate::names::canonicalize_name(&project))
        .and_then(|p| p.releases.iter_mut().find(|r| r.version == version))
    else {
        return StatusCode::NOT_FOUND;
    };
    release.created_us = release.created_us.saturating_sub(shift);
    for file in &release.files {
        if let Some(record) = catalogue.files.get_mut(file) {
            record.upload_time_us = record.upload_time_us.saturating_sub(shift);
        }
    }
    let _ = store.save();
    StatusCode::NO_CONTENT
}
