//! The server: shared state, the route table, and serving until SIGINT/SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{any, get, post};

use crate::auth::TokenTable;
use crate::config::Config;
use crate::stats::Stats;
use crate::store::Store;
use crate::{integrity, legacy, oidc, simple, stats};

/// Everything the handlers share.
pub struct AppState {
    pub config: Config,
    pub store: tokio::sync::Mutex<Store>,
    /// Configured API tokens plus those minted by trusted publishing.
    pub tokens: Mutex<TokenTable>,
    pub stats: Stats,
    /// Where upload bodies are spooled.
    pub tmp_dir: PathBuf,
    /// The trusted-publishing side, with `--oidc`.
    pub oidc: Option<oidc::Oidc>,
}

/// Builds the state and the router.
pub fn build(config: Config) -> Result<Router, String> {
    let mut store = Store::open(config.data_dir.as_deref())
        .map_err(|e| format!("cannot open data dir: {e}"))?;
    for name in &config.existing_projects {
        store.ensure_project(name);
    }
    let oidc = if config.oidc {
        Some(oidc::Oidc::new(&config)?)
    } else {
        None
    };
    let state = Arc::new(AppState {
        tokens: Mutex::new(TokenTable::new(&config.tokens)),
        tmp_dir: store.tmp_dir(),
        store: tokio::sync::Mutex::new(store),
        stats: Stats::default(),
        oidc,
        config,
    });
    let upload_path = state.config.upload_path.clone();
    let mut router = Router::new()
        .route(&upload_path, any(legacy::endpoint))
        .route(
            upload_path.trim_end_matches('/'),
            any(legacy::missing_slash),
        )
        .route("/simple/", get(simple::index))
        .route("/simple/{name}/", get(simple::detail))
        .route("/simple/{name}", get(simple::detail_no_slash))
        .route("/files/{filename}", get(simple::file))
        .route(
            "/integrity/{project}/{version}/{filename}/provenance",
            get(integrity::provenance),
        )
        .route("/_/stats", get(stats::get_stats))
        .route("/_/reset-stats", post(stats::reset_stats))
        .route("/_/forms/{filename}", get(stats::get_form))
        .route("/_/age/{project}/{version}", post(stats::age_release));
    if state.oidc.is_some() {
        router = oidc::routes(router);
    }
    // The upload size limit is Warehouse's own check, not the framework's.
    Ok(router.layer(DefaultBodyLimit::disable()).with_state(state))
}

/// Binds, announces the URL on stdout, and serves until SIGINT or SIGTERM.
pub async fn run(config: Config) -> Result<(), String> {
    let bind = config.bind;
    let router = build(config)?;
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("cannot bind {bind}: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    // Not listening until packaging answers: no silent fallback to another parser.
    crate::oracle::ready()?;
    let mut stdout = std::io::stdout();
    let _ = writeln!(stdout, "test-index listening on http://{address}");
    let _ = stdout.flush();
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown())
        .await
        .map_err(|e| e.to_string())
}

async fn shutdown() {
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminated() => {}
    }
}

/// SIGTERM; never on Windows, which has none (Ctrl-C and Ctrl-Break reach `ctrl_c`).
#[cfg(unix)]
async fn terminated() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut term) => {
            term.recv().await;
        }
        Err(_) => std::future::pending::<()>().await,
    }
}

#[cfg(not(unix))]
async fn terminated() {
    std::future::pending::<()>().await
}
