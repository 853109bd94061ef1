//! The simple repository API as PyPI serves it (API version 1.4): PEP 503 HTML or
//! PEP 691 JSON by `Accept` (no header or no match → HTML), 301 to the normalized
//! project URL, a plain "404 Not Found" for unknown projects, PEP 700 `size` /
//! `upload-time` / `versions`, PEP 658 `core-metadata` for wheels, PEP 740 `provenance` (the
//! Integrity API URL of a file uploaded with attestations, else null). Files are served
//! from `/files/<filename>`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::accept::acceptable_offers;
use crate::app::AppState;
use crate::httpexc::HttpException;
use crate::names::canonicalize_name;
use crate::pyfmt::html_escape;
use crate::stats::Stats;
use crate::store::{Catalogue, FileRecord, iso8601};

/// Warehouse's `API_VERSION`.
pub const API_VERSION: &str = "1.4";
const JSON_TYPE: &str = "application/vnd.pypi.simple.v1+json";

/// The representation `_select_content_type` picks.
fn select(state: &AppState, headers: &HeaderMap) -> &'static str {
    if state.config.html_only {
        return "text/html";
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    acceptable_offers(
        accept,
        &[
            "text/html",
            "application/vnd.pypi.simple.v1+html",
            JSON_TYPE,
        ],
    )
    .first()
    .copied()
    .unwrap_or("text/html")
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

fn respond(content_type: &'static str, serial: u64, body: String) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    let value = if content_type == JSON_TYPE {
        HeaderValue::from_static(JSON_TYPE)
    } else {
        HeaderValue::from_str(&format!("{content_type}; charset=utf-8")).expect("valid header")
    };
    headers.insert(header::CONTENT_TYPE, value);
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    headers.insert("X-PyPI-Last-Serial", HeaderValue::from(serial));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// `GET /simple/`
pub async fn index(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    Stats::bump(&state.stats.simple_requests);
    let content_type = select(&state, &headers);
    let store = state.store.lock().await;
    let catalogue = &store.catalogue;
    if content_type == JSON_TYPE {
        let projects: Vec<Value> = catalogue
            .projects
            .values()
            .map(|p| json!({"name": p.name, "_last-serial": p.last_serial}))
            .collect();
        let body = json!({"meta": {"api-version": API_VERSION, "_last-serial": catalogue.serial}, "projects": projects});
        return respond(content_type, catalogue.serial, format!("{body}\n"));
    }
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    <title>Simple index</title>\n  </head>\n  <body>\n"
    );
    for project in catalogue.projects.values() {
        html.push_str(&format!(
            "    <a href=\"/simple/{}/\">{}</a>\n",
            html_escape(&canonicalize_name(&project.name)),
            html_escape(&project.name)
        ));
    }
    html.push_str("  </body>\n</html>\n");
    respond(content_type, catalogue.serial, html)
}

/// `GET /simple/<name>` (no slash): Pyramid's append-slash redirect.
pub async fn detail_no_slash(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    Stats::bump(&state.stats.simple_requests);
    redirect(&headers, &format!("/simple/{name}/"))
}

fn redirect(headers: &HeaderMap, path: &str) -> Response {
    let absolute = format!("{}{path}", base_url(headers));
    let mut response =
        HttpException::redirect(StatusCode::MOVED_PERMANENTLY, path, &absolute, None)
            .render(headers);
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn not_found() -> Response {
    let mut response = (StatusCode::NOT_FOUND, "404 Not Found").into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=UTF-8"),
    );
    response
}

/// Files of a project sorted like Warehouse: by version, then filename.
fn project_files<'a>(catalogue: &'a Catalogue, normalized: &str) -> Vec<&'a FileRecord> {
    let mut files: Vec<&FileRecord> = catalogue
        .files
        .values()
        .filter(|f| f.project == normalized)
        .collect();
    let mut versions: Vec<&str> = files.iter().map(|f| f.version.as_str()).collect();
    versions.sort_unstable();
    versions.dedup();
    let order = crate::oracle::sort_versions(&versions);
    let rank = |v: &str| order.iter().position(|o| o == v);
    files.sort_by(|a, b| {
        rank(&a.version)
            .cmp(&rank(&b.version))
            .then_with(|| a.filename.cmp(&b.filename))
    });
    files
}

/// `GET /simple/<name>/`
pub async fn detail(
    State(state): State<Arc<AppState>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    Stats::bump(&state.stats.simple_requests);
    let normalized = canonicalize_name(&name);
    let store = state.store.lock().await;
    let Some(project) = store.catalogue.projects.get(&normalized) else {
        return not_found();
    };
    if name != normalized {
        return redirect(&headers, &format!("/simple/{normalized}/"));
    }
    let content_type = select(&state, &headers);
    let base = base_url(&headers);
    let files = project_files(&store.catalogue, &normalized);
    let releases: Vec<&str> = project
        .releases
        .iter()
        .map(|r| r.version.as_str())
        .collect();
    let versions = crate::oracle::sort_versions(&releases);
    let url = |f: &FileRecord| format!("{base}/files/{}", f.filename);
    if content_type == JSON_TYPE {
        let files: Vec<Value> = files
            .iter()
            .map(|f| {
                let metadata = f
                    .metadata_sha256
                    .as_ref()
                    .map_or(json!(false), |h| json!({"sha256": h}));
                json!({
                    "filename": f.filename,
                    "url": url(f),
                    "hashes": {"sha256": f.sha256},
                    "requires-python": f.requires_python,
                    "size": f.size,
                    "upload-time": iso8601(f.upload_time_us),
                    "yanked": false,
                    "data-dist-info-metadata": metadata,
                    "core-metadata": metadata,
                    "provenance": f.provenance.as_ref().map(|_| {
                        crate::integrity::url(&base, &normalized, &f.version, &f.filename)
                    }),
                })
            })
            .collect();
        let body = json!({
            "meta": {"api-version": API_VERSION, "_last-serial": project.last_serial},
            "name": normalized,
            "project-status": {"status": "active"},
            "versions": versions,
            "files": files,
        });
        return respond(content_type, project.last_serial, format!("{body}\n"));
    }
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n  <head>\n    <meta name=\"pypi:repository-version\" content=\"{API_VERSION}\">\n    <meta name=\"pypi:project-status\" content=\"active\">\n    <title>Links for {normalized}</title>\n  </head>\n  <body>\n    <h1>Links for {normalized}</h1>\n"
    );
    for f in files {
        let mut attrs = String::new();
        if let Some(rp) = &f.requires_python {
            attrs.push_str(&format!("data-requires-python=\"{}\" ", html_escape(rp)));
        }
        if let Some(h) = &f.metadata_sha256 {
            attrs.push_str(&format!(
                "data-dist-info-metadata=\"sha256={h}\" data-core-metadata=\"sha256={h}\""
            ));
        }
        html.push_str(&format!(
            "    <a href=\"{}#sha256={}\" {attrs}>{}</a><br />\n",
            html_escape(&url(f)),
            f.sha256,
            html_escape(&f.filename)
        ));
    }
    html.push_str(&format!(
        "  </body>\n</html>\n<!--SERIAL {}-->",
        project.last_serial
    ));
    respond(content_type, project.last_serial, html)
}

/// `GET /files/<filename>` (and `<filename>.metadata`), streamed from disk.
pub async fn file(State(state): State<Arc<AppState>>, Path(filename): Path<String>) -> Response {
    let known = {
        let store = state.store.lock().await;
        let base = filename.strip_suffix(".metadata").unwrap_or(&filename);
        let record = store.catalogue.files.get(&filename).or_else(|| {
            store
                .catalogue
                .files
                .get(base)
                .filter(|f| f.metadata_sha256.is_some())
        });
        record.map(|_| store.file_path(&filename))
    };
    let Some(path) = known else {
        return not_found();
    };
    match tokio::fs::File::open(&path).await {
        Ok(file) => {
            let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
            let mut response = body.into_response();
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            response
        }
        Err(_) => not_found(),
    }
}
