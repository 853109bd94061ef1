//! The command line: `pypi-publish check|upload|attest|action`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use clap::ValueEnum;

use crate::index::url::PYPI_UPLOAD;

/// `--trusted-publishing` (the library's [`crate::auth::TrustedPublishingMode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrustedPublishingArg {
    /// Use it when no password or token is given (the reference action's rule).
    Auto,
    /// Use it, and refuse other credentials.
    Always,
    /// Never use it.
    Never,
}

impl From<TrustedPublishingArg> for crate::auth::TrustedPublishingMode {
    fn from(arg: TrustedPublishingArg) -> Self {
        match arg {
            TrustedPublishingArg::Auto => Self::Auto,
            TrustedPublishingArg::Always => Self::Always,
            TrustedPublishingArg::Never => Self::Never,
        }
    }
}

/// `--attestations` (the library's [`crate::attest::Mode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AttestationsArg {
    /// Sign and send attestations (trusted publishing required).
    On,
    /// Never send attestations.
    Off,
    /// On when trusted publishing is used against PyPI or TestPyPI.
    Auto,
}

impl From<AttestationsArg> for crate::attest::Mode {
    fn from(arg: AttestationsArg) -> Self {
        match arg {
            AttestationsArg::On => Self::On,
            AttestationsArg::Off => Self::Off,
            AttestationsArg::Auto => Self::Auto,
        }
    }
}

/// `--provenance-check` (the library's [`crate::provenance::Check`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProvenanceCheckArg {
    /// Do not look.
    Off,
    /// Say the grade PyPI will give; a loss or change is a warning.
    Warn,
    /// Stop before any signature or upload when it would be lost, changed or inconsistent.
    Fail,
}

impl From<ProvenanceCheckArg> for crate::provenance::Check {
    fn from(arg: ProvenanceCheckArg) -> Self {
        match arg {
            ProvenanceCheckArg::Off => Self::Off,
            ProvenanceCheckArg::Warn => Self::Warn,
            ProvenanceCheckArg::Fail => Self::Fail,
        }
    }
}

/// Publish Python distributions to PyPI, TestPyPI or any index with the legacy upload API.
#[derive(Debug, Parser)]
#[command(name = "pypi-publish", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
// Parsed once per process: the size of the upload variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read and check distributions as PyPI would, without sending anything.
    Check(CheckArgs),
    /// Check, then upload what the index does not have yet.
    #[command(visible_alias = "publish")]
    Upload(UploadArgs),
    /// Run as the GitHub Action (reads INPUT_* variables).
    Action,
    /// Sign PEP 740 publish attestations for distributions, without uploading them.
    Attest(AttestArgs),
}

/// Where to sign PEP 740 attestations (Sigstore Fulcio and Rekor v1).
#[derive(Debug, Clone, Args)]
pub struct SigstoreArgs {
    /// Fulcio URL (default: public-good Sigstore, or staging with --sigstore-staging).
    #[arg(long, value_name = "URL", env = "PYPI_PUBLISH_FULCIO_URL")]
    pub fulcio_url: Option<String>,
    /// Rekor v1 URL (default: public-good Sigstore, or staging with --sigstore-staging).
    #[arg(long, value_name = "URL", env = "PYPI_PUBLISH_REKOR_URL")]
    pub rekor_url: Option<String>,
    /// Use Sigstore's staging instance.
    #[arg(long)]
    pub sigstore_staging: bool,
}

/// `attest` options. The identity token (audience `sigstore`) comes from SIGSTORE_ID_TOKEN.
#[derive(Debug, Args)]
pub struct AttestArgs {
    /// Distribution files, folders (their top-level distributions) or quoted globs
    /// (`'dist/*.whl'`, `'**/dist/*'`).
    #[arg(default_value = "dist")]
    pub paths: Vec<PathBuf>,
    /// Write `<dist>.publish.attestation` files here instead of beside each distribution.
    #[arg(long, value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Sigstore services.
    #[command(flatten)]
    pub sigstore: SigstoreArgs,
    /// Extra CA certificates (PEM) to trust. Also SSL_CERT_FILE or REQUESTS_CA_BUNDLE.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
}

/// `check` options.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Distribution files, folders (their top-level distributions) or quoted globs
    /// (`'dist/*.whl'`, `'**/dist/*'`).
    #[arg(default_value = "dist")]
    pub paths: Vec<PathBuf>,
    /// The index the files are meant for: PyPI's and TestPyPI's rules apply to them, the
    /// general rules to any other index.
    #[arg(long, value_name = "URL", default_value = PYPI_UPLOAD, env = "PYPI_PUBLISH_REPOSITORY_URL")]
    pub repository_url: String,
    /// Print a JSON report (every file's parsed metadata and problems) on stdout.
    #[arg(long)]
    pub json: bool,
    /// List skipped entries too.
    #[arg(long, short)]
    pub verbose: bool,
}

/// `upload` options.
#[derive(Debug, Args)]
pub struct UploadArgs {
    /// Distribution files, folders (their top-level distributions) or quoted globs
    /// (`'dist/*.whl'`, `'**/dist/*'`).
    #[arg(default_value = "dist")]
    pub paths: Vec<PathBuf>,
    /// The legacy upload API URL [default: the URL of --repository/--index, else
    /// https://upload.pypi.org/legacy/]. Give it several times to publish to each index in
    /// turn (e.g. TestPyPI, then PyPI); a failure stops the later ones.
    #[arg(
        long,
        visible_alias = "publish-url",
        value_name = "URL",
        env = "PYPI_PUBLISH_REPOSITORY_URL"
    )]
    pub repository_url: Vec<String>,
    /// The simple-index URL used to see what the index already has (derived for PyPI,
    /// TestPyPI, devpi and pypiserver; the `url` of --index); one per --repository-url, in
    /// the same order.
    #[arg(long, value_name = "URL", env = "PYPI_PUBLISH_CHECK_URL")]
    pub check_url: Vec<String>,
    /// A repository of ~/.pypirc, as twine reads it: its `repository` URL, `username` and
    /// `password` (`pypi` and `testpypi` are known without a file). Flags and environment
    /// variables win over the file.
    #[arg(long, short = 'r', value_name = "NAME", conflicts_with = "index")]
    pub repository: Option<String>,
    /// The .pypirc file for --repository [default: ~/.pypirc].
    #[arg(long, value_name = "PATH", requires = "repository")]
    pub config_file: Option<PathBuf>,
    /// An index of this project's pyproject.toml (`[[tool.uv.index]]`, as `uv publish
    /// --index`): uploads go to its `publish-url`, its `url` is the check URL.
    #[arg(long, value_name = "NAME")]
    pub index: Option<String>,
    /// Username (default `__token__`). Also PYPI_PUBLISH_USERNAME or TWINE_USERNAME. With
    /// several --repository-url, one for all or one per URL in the same order.
    #[arg(long, short = 'u')]
    pub username: Vec<String>,
    /// Password or API token. Also PYPI_PUBLISH_PASSWORD or TWINE_PASSWORD. With several
    /// --repository-url, one per URL in the same order.
    #[arg(long, short = 'p', hide_env_values = true)]
    pub password: Vec<String>,
    /// API token (sets the username to `__token__`). Also PYPI_PUBLISH_TOKEN. With several
    /// --repository-url, one per URL in the same order.
    #[arg(long, short = 't')]
    pub token: Vec<String>,
    /// Trusted publishing: `auto` uses it when no password or token is given inside GitHub
    /// Actions or GitLab CI, `always` requires it, `never` turns it off.
    #[arg(long, value_enum, value_name = "MODE", default_value_t = TrustedPublishingArg::Auto, env = "PYPI_PUBLISH_TRUSTED_PUBLISHING")]
    pub trusted_publishing: TrustedPublishingArg,
    /// Take the OIDC token for trusted publishing from this environment variable (GitLab
    /// CI: the `id_tokens:` entry, PYPI_ID_TOKEN by default).
    #[arg(long, value_name = "VAR", env = "PYPI_PUBLISH_ID_TOKEN_ENV")]
    pub id_token_env: Option<String>,
    /// Uploads in flight at once.
    // 8, not 4: over a 50 ms round trip 40 small files go in 0.6 s instead of 0.8 s
    // (docs/benchmarks.md); PyPI multiplexes them on one HTTP/2 connection.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Do everything except the uploads: preflight, hashing, index lookup, classification.
    #[arg(long)]
    pub dry_run: bool,
    /// Accepted for compatibility with twine: files already on the index with the same
    /// sha256 are always skipped, and a same-name different-bytes file is always an error.
    #[arg(long)]
    pub skip_existing: bool,
    /// Write a machine-readable report to FILE.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Extra CA certificates (PEM) to trust. Also SSL_CERT_FILE or REQUESTS_CA_BUNDLE.
    #[arg(long, value_name = "FILE")]
    pub ca_bundle: Option<PathBuf>,
    /// Allow plain http to hosts other than this machine.
    #[arg(long)]
    pub allow_http: bool,
    /// Skip the metadata rules (unreadable files still stop the run).
    #[arg(long)]
    pub no_verify_metadata: bool,
    /// Abandon an upload that makes no progress for this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub stall_timeout: u64,
    /// At most this many attempts per file (and per lookup), the first included. Without
    /// it, transient failures are retried until a time budget is spent: 5 minutes per file,
    /// 3 minutes per lookup or token request.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=20))]
    pub attempts: Option<u32>,
    /// PEP 740 attestations: `auto` signs them when trusted publishing is used against PyPI
    /// or TestPyPI; `on` requires a trusted-publishing token.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        env = "PYPI_PUBLISH_ATTESTATIONS"
    )]
    pub attestations: AttestationsArg,
    /// The provenance PyPI will show for each release (full, partial, inconsistent, lost,
    /// changed or none), told before anything is sent: `warn` says it, `fail` also stops
    /// the run when it would be lost, changed or inconsistent, `off` does not look.
    #[arg(
        long,
        value_enum,
        value_name = "MODE",
        default_value = "warn",
        env = "PYPI_PUBLISH_PROVENANCE_CHECK"
    )]
    pub provenance_check: ProvenanceCheckArg,
    /// Sigstore services for attestations.
    #[command(flatten)]
    pub sigstore: SigstoreArgs,
    /// Also store each uploaded file's attestation in the GitHub repository's attestation
    /// store (GITHUB_REPOSITORY; token from GITHUB_TOKEN; needs `attestations: write`).
    #[arg(long, env = crate::attest::github_store::ENABLE_ENV)]
    pub github_attestations: bool,
    /// No progress bars.
    #[arg(long)]
    pub no_progress: bool,
    /// Say more.
    #[arg(long, short)]
    pub verbose: bool,
}
