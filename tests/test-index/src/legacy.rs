//! The `/legacy/` route as Pyramid dispatches it: `:action=file_upload` reaches the
//! upload view (POST only); the retired actions answer 410; anything else falls to
//! the "API endpoint" page, which only answers GET. `POST /legacy` (no slash) gets
//! Warehouse's 308 with its explanation in the status line.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::app::AppState;
use crate::form;
use crate::httpexc::HttpException;
use crate::stats::{Stats, describe_form};
use crate::upload::{Outcome, upload};

const API_PAGE: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head><title>API endpoint</title></head>\n<body>\n<h2>API endpoint</h2>\n<p>This URL is an API endpoint for uploading files to PyPI.</p>\n</body>\n</html>\n";

/// `:action` from the query string (Pyramid's `request.params` reads both).
fn query_action(request: &Request) -> Option<String> {
    let query = request.uri().query()?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    pairs
        .into_iter()
        .find(|(k, _)| k == ":action")
        .map(|(_, v)| v)
}

/// Any request to the upload path.
pub async fn endpoint(State(state): State<Arc<AppState>>, request: Request) -> Response {
    let headers = request.headers().clone();
    let method = request.method().clone();
    if method != Method::POST {
        return match query_action(&request).as_deref() {
            Some("file_upload" | "submit" | "submit_pkg_info" | "doc_upload") => {
                HttpException::method_not_allowed(method.as_str(), "POST").render(&headers)
            }
            _ if matches!(method, Method::GET | Method::HEAD | Method::OPTIONS) => {
                Html(API_PAGE).into_response()
            }
            _ => HttpException::method_not_allowed(method.as_str(), "GET, HEAD, OPTIONS")
                .render(&headers),
        };
    }
    Stats::bump(&state.stats.upload_requests);
    let query = query_action(&request);
    let post = match form::read(request, &state.tmp_dir, state.config.max_file_size).await {
        Ok(post) => post,
        Err(form::BodyError(reason)) => {
            eprintln!("test-index: unreadable upload body: {reason}");
            return HttpException::plain(StatusCode::BAD_REQUEST).render(&headers);
        }
    };
    if let Some(form::Value::File { .. }) = post.get("content") {
        Stats::bump(&state.stats.files_received);
    }
    if !state.config.upload_delay.is_zero() {
        tokio::time::sleep(state.config.upload_delay).await;
    }
    let action = match post.get(":action") {
        Some(form::Value::Text(action)) => Some(action.clone()),
        _ => query,
    };
    match action.as_deref() {
        Some("file_upload") => run_upload(&state, &headers, post).await,
        Some("submit" | "submit_pkg_info") => HttpException::with_message(
            StatusCode::GONE,
            "Project pre-registration is no longer required or supported, upload your files instead.",
        )
        .render(&headers),
        Some("doc_upload") => HttpException::with_message(
            StatusCode::GONE,
            "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/.",
        )
        .render(&headers),
        _ => HttpException::method_not_allowed("POST", "GET, HEAD, OPTIONS").render(&headers),
    }
}

async fn run_upload(state: &AppState, headers: &HeaderMap, post: form::PostData) -> Response {
    let received = describe_form(&post);
    match upload(state, headers, post, received).await {
        Ok(outcome) => {
            if outcome == Outcome::Stored {
                Stats::bump(&state.stats.uploads_stored);
            }
            HttpException::ok().render(headers)
        }
        Err(exc) => exc.render(headers),
    }
}

/// `/legacy` without the slash.
pub async fn missing_slash(
    State(state): State<Arc<AppState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let with_slash = state.config.upload_path.clone();
    if method != Method::POST {
        return HttpException::method_not_allowed(method.as_str(), "POST").render(&headers);
    }
    Stats::bump(&state.stats.upload_requests);
    let without = with_slash.trim_end_matches('/');
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    HttpException::redirect(
        StatusCode::PERMANENT_REDIRECT,
        &with_slash,
        &format!("http://{host}{with_slash}"),
        Some(&format!(
            "An upload was attempted to {without} but the expected upload URL is {with_slash} (with a trailing slash)"
        )),
    )
    .render(&headers)
}
