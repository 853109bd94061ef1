//! PyPI's Integrity API (`warehouse/api/integrity.py`, route `integrity.provenance` in
//! `warehouse/routes.py`): `GET /integrity/<project>/<version>/<filename>/provenance` answers
//! a file's PEP 740 provenance object, found as Warehouse traverses to it (the project by
//! normalized name, the release by canonical version, the file by exact name). A file
//! uploaded without attestations answers 404 `No provenance available for <filename>`; an
//! `Accept` that allows neither JSON type answers 406.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::accept::acceptable_offers;
use crate::app::AppState;
use crate::names::canonicalize_name;
use crate::stats::Stats;

const INTEGRITY_V1: &str = "application/vnd.pypi.integrity.v1+json";

/// The simple API's `provenance` value for a file (`route_url` on the web host).
pub fn url(base: &str, project: &str, version: &str, filename: &str) -> String {
    format!("{base}/integrity/{project}/{version}/{filename}/provenance")
}

fn message(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// `GET /integrity/{project}/{version}/{filename}/provenance`
pub async fn provenance(
    State(state): State<Arc<AppState>>,
    Path((project, version, filename)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> Response {
    Stats::bump(&state.stats.provenance_requests);
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let Some(content_type) = acceptable_offers(accept, &[INTEGRITY_V1, "application/json"])
        .first()
        .copied()
    else {
        return message(StatusCode::NOT_ACCEPTABLE, "Request not acceptable".into());
    };
    let canonical = crate::oracle::version(&version).map(|v| v.canonical);
    let store = state.store.lock().await;
    let catalogue = &store.catalogue;
    let file = catalogue
        .projects
        .get(&canonicalize_name(&project))
        .and_then(|p| {
            p.releases.iter().find(|r| match &canonical {
                Ok(c) => &r.canonical_version == c,
                Err(_) => r.version == version,
            })
        })
        .filter(|r| r.files.contains(&filename))
        .and_then(|_| catalogue.files.get(&filename));
    let Some(file) = file else {
        return (StatusCode::NOT_FOUND, "404 Not Found").into_response();
    };
    let Some(provenance) = &file.provenance else {
        return message(
            StatusCode::NOT_FOUND,
            format!("No provenance available for {filename}"),
        );
    };
    let mut response = Json(provenance.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}
