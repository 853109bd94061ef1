//! Command line of the fixture: where to listen and store, which API tokens exist,
//! the limits, and (with `--oidc`) the trusted publishers of the built-in issuer.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use serde::Deserialize;

use crate::names::canonicalize_name;

/// A Warehouse-faithful package index for tests.
#[derive(Debug, Parser)]
#[command(name = "test-index", version)]
pub struct Cli {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub bind: SocketAddr,

    /// Where files and the index are kept (reloaded on restart). Default: a temp dir.
    #[arg(long)]
    pub data_dir: Option<PathBuf>,

    /// An API token: `SECRET` may upload to any project, `SECRET:p1,p2` only to
    /// those projects (a project-scoped token). Repeatable.
    #[arg(long = "token", value_name = "SECRET[:PROJECTS]")]
    pub tokens: Vec<String>,

    /// Per-file size limit in bytes (PyPI: 100 MiB).
    #[arg(long, default_value_t = 100 * 1024 * 1024)]
    pub max_file_size: u64,

    /// Per-project total size limit in bytes (PyPI: 10 GiB).
    #[arg(long, default_value_t = 10 * 1024 * 1024 * 1024)]
    pub max_project_size: u64,

    /// Serve the simple API as HTML only (PEP 503), ignoring `Accept`.
    #[arg(long)]
    pub html_only: bool,

    /// Path of the legacy upload endpoint.
    #[arg(long, default_value = "/legacy/")]
    pub upload_path: String,

    /// Enable trusted publishing (`/_/oidc/*`) and the built-in OIDC issuer.
    #[arg(long)]
    pub oidc: bool,

    /// A trusted publisher as JSON: {"project", "repository", "repository_owner",
    /// "repository_owner_id", "workflow_filename", "environment"?}. Repeatable.
    #[arg(long = "publisher", value_name = "JSON")]
    pub publishers: Vec<String>,

    /// A GitLab trusted publisher as JSON: {"project", "namespace", "repository",
    /// "workflow_filepath", "environment"?} (`repository`: the GitLab project's name).
    /// Repeatable. Its tokens come from the issuer with `shape=gitlab`.
    #[arg(long = "gitlab-publisher", value_name = "JSON")]
    pub gitlab_publishers: Vec<String>,

    /// A JSON file: {"publishers": [...], "audience"?, "minted_token_lifetime"?,
    /// "claims"?: {default claim values of issued OIDC tokens}}.
    #[arg(long)]
    pub config: Option<PathBuf>,

    /// Audience the index expects (PyPI: "pypi", TestPyPI: "testpypi").
    #[arg(long, default_value = "pypi")]
    pub audience: String,

    /// Lifetime of minted API tokens in seconds (PyPI: 900).
    #[arg(long, default_value_t = 900)]
    pub minted_token_lifetime: u64,

    /// A project that exists from the start, as if its owner had uploaded before (a trusted
    /// publisher that is not pending can only upload to an existing project). Repeatable.
    #[arg(long = "existing-project", value_name = "NAME")]
    pub existing_projects: Vec<String>,

    /// Keep the trusted-publishing endpoints but answer as PyPI does when the feature is
    /// switched off (403 on the audience, 422 `not-enabled` on mint-token).
    #[arg(long)]
    pub oidc_disabled: bool,

    /// The Python that judges versions, specifiers, requirements and filenames (it
    /// must import `packaging`). Default: `$PYPI_PUBLISH_TEST_VENV/bin/python`.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,

    /// Answer every upload this many milliseconds late (after reading it): makes a run
    /// last long enough to outlive short-lived tokens in tests.
    #[arg(long, default_value_t = 0)]
    pub upload_delay_ms: u64,

    /// Bearer token the built-in issuer's token endpoint requires.
    #[arg(long, default_value = crate::oidc::DEFAULT_REQUEST_TOKEN)]
    pub issuer_request_token: String,

    /// Answer `/_/oidc/burn-token` with this status and revoke nothing (404: a Warehouse
    /// from before the endpoint; 500: a failing one). Default: 202 and revoke, as PyPI.
    #[arg(long, value_name = "STATUS")]
    pub burn_token_status: Option<u16>,

    /// Answer `/_/oidc/burn-token` this many milliseconds late (a burn that times out).
    #[arg(long, default_value_t = 0)]
    pub burn_token_delay_ms: u64,
}

/// An API token the index accepts.
#[derive(Debug, Clone)]
pub struct TokenSpec {
    pub secret: String,
    /// Normalized project names of a project-scoped token; `None` for a user-wide one.
    pub projects: Option<Vec<String>>,
}

impl TokenSpec {
    /// Parses `SECRET[:p1,p2]`.
    pub fn parse(raw: &str) -> TokenSpec {
        match raw.split_once(':') {
            Some((secret, projects)) => TokenSpec {
                secret: secret.to_owned(),
                projects: Some(
                    projects
                        .split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(canonicalize_name)
                        .collect(),
                ),
            },
            None => TokenSpec {
                secret: raw.to_owned(),
                projects: None,
            },
        }
    }
}

/// A GitLab trusted publisher registered for a project (Warehouse's `GitLabPublisher`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GitLabPublisherSpec {
    /// The PyPI project.
    pub project: String,
    /// The GitLab namespace (group path, subgroups included).
    pub namespace: String,
    /// The GitLab project's name.
    pub repository: String,
    /// The CI file's path in the repository, e.g. `.gitlab-ci.yml`.
    pub workflow_filepath: String,
    #[serde(default)]
    pub environment: Option<String>,
}

/// A GitHub trusted publisher registered for a project (Warehouse's `GitHubPublisher`).
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
pub struct PublisherSpec {
    pub project: String,
    pub repository: String,
    pub repository_owner: String,
    pub repository_owner_id: String,
    pub workflow_filename: String,
    #[serde(default)]
    pub environment: Option<String>,
    /// A pending publisher: its project is created by the first token exchange.
    #[serde(default)]
    pub pending: bool,
}

/// The optional `--config` file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    #[serde(default)]
    pub publishers: Vec<PublisherSpec>,
    pub audience: Option<String>,
    pub minted_token_lifetime: Option<u64>,
    /// Default claim values for tokens from `/_/test-issuer/token`.
    #[serde(default)]
    pub claims: serde_json::Map<String, serde_json::Value>,
}

/// Everything the server needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub data_dir: Option<PathBuf>,
    pub tokens: Vec<TokenSpec>,
    pub max_file_size: u64,
    pub max_project_size: u64,
    pub html_only: bool,
    /// Always ends with `/`.
    pub upload_path: String,
    pub oidc: bool,
    pub publishers: Vec<PublisherSpec>,
    pub gitlab_publishers: Vec<GitLabPublisherSpec>,
    pub audience: String,
    pub minted_token_lifetime: u64,
    pub default_claims: serde_json::Map<String, serde_json::Value>,
    pub issuer_request_token: String,
    pub upload_delay: std::time::Duration,
    pub oidc_disabled: bool,
    pub existing_projects: Vec<String>,
    pub burn_token_status: Option<u16>,
    pub burn_token_delay: std::time::Duration,
}

impl Config {
    /// Resolves the command line (reading `--config` and `--publisher` JSON).
    pub fn from_cli(cli: Cli) -> Result<Config, String> {
        let file = match &cli.config {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
                serde_json::from_str::<ConfigFile>(&text)
                    .map_err(|e| format!("invalid config {}: {e}", path.display()))?
            }
            None => ConfigFile::default(),
        };
        let mut publishers = file.publishers;
        for raw in &cli.publishers {
            publishers.push(
                serde_json::from_str(raw)
                    .map_err(|e| format!("invalid --publisher {raw:?}: {e}"))?,
            );
        }
        let mut gitlab_publishers = Vec::new();
        for raw in &cli.gitlab_publishers {
            gitlab_publishers.push(
                serde_json::from_str(raw)
                    .map_err(|e| format!("invalid --gitlab-publisher {raw:?}: {e}"))?,
            );
        }
        let mut upload_path = cli.upload_path.clone();
        if !upload_path.starts_with('/') {
            upload_path.insert(0, '/');
        }
        if !upload_path.ends_with('/') {
            upload_path.push('/');
        }
        if upload_path == "/" {
            return Err("--upload-path cannot be /".to_owned());
        }
        Ok(Config {
            bind: cli.bind,
            data_dir: cli.data_dir,
            tokens: cli.tokens.iter().map(|t| TokenSpec::parse(t)).collect(),
            max_file_size: cli.max_file_size,
            max_project_size: cli.max_project_size,
            html_only: cli.html_only,
            upload_path,
            oidc: cli.oidc
                || cli.oidc_disabled
                || !publishers.is_empty()
                || !gitlab_publishers.is_empty(),
            publishers,
            gitlab_publishers,
            audience: file.audience.unwrap_or(cli.audience),
            minted_token_lifetime: file
                .minted_token_lifetime
                .unwrap_or(cli.minted_token_lifetime),
            default_claims: file.claims,
            issuer_request_token: cli.issuer_request_token,
            upload_delay: std::time::Duration::from_millis(cli.upload_delay_ms),
            oidc_disabled: cli.oidc_disabled,
            existing_projects: cli.existing_projects,
            burn_token_status: cli.burn_token_status,
            burn_token_delay: std::time::Duration::from_millis(cli.burn_token_delay_ms),
        })
    }
}
