//! A GitHub-Actions-like OIDC issuer for tests: discovery document, JWKS, and a
//! token endpoint shaped like `$ACTIONS_ID_TOKEN_REQUEST_URL` (bearer request token,
//! `audience` query parameter, `{"value": <jwt>}`). Tokens carry GitHub's claim set
//! and, by default, GitHub's issuer URL, so the index treats them as GitHub's.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::app::AppState;

/// GitHub Actions' issuer, the one PyPI's GitHub publishers accept.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn base_url(headers: &HeaderMap) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    format!("http://{host}")
}

/// `GET /.well-known/openid-configuration`
pub async fn discovery(headers: HeaderMap) -> Json<Value> {
    let base = base_url(&headers);
    Json(json!({
        "issuer": GITHUB_ISSUER,
        "jwks_uri": format!("{base}/.well-known/jwks"),
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
            "repository_id", "repository_owner", "repository_owner_id", "run_id", "run_number", "run_attempt",
            "actor", "actor_id", "workflow", "workflow_ref", "workflow_sha", "head_ref", "base_ref",
            "event_name", "ref_type", "environment", "job_workflow_ref", "job_workflow_sha",
            "repository_visibility", "runner_environment"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "scopes_supported": ["openid"],
    }))
}

/// `GET /.well-known/jwks`
pub async fn jwks(State(state): State<Arc<AppState>>) -> Json<Value> {
    let oidc = state.oidc.as_ref().expect("oidc enabled");
    Json(json!({"keys": [oidc.key.jwk()]}))
}

/// The claims GitHub would put in a token for a run of the first configured
/// publisher's workflow, before overrides.
fn default_claims(state: &AppState, audience: &str) -> Map<String, Value> {
    let publisher = state.config.publishers.first();
    let owner = publisher.map_or("octo-org", |p| p.repository_owner.as_str());
    let owner_id = publisher.map_or("10000001", |p| p.repository_owner_id.as_str());
    let repository = publisher.map_or_else(
        || format!("{owner}/octo-repo"),
        |p| format!("{}/{}", p.repository_owner, p.repository),
    );
    let workflow = publisher.map_or("release.yml", |p| p.workflow_filename.as_str());
    let git_ref = "refs/heads/main";
    let sha = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
    let workflow_ref = format!("{repository}/.github/workflows/{workflow}@{git_ref}");
    let iat = now();
    let oidc = state.oidc.as_ref().expect("oidc enabled");
    let mut claims = json!({
        "jti": oidc.next_jti(),
        "sub": format!("repo:{repository}:ref:{git_ref}"),
        "aud": audience,
        "ref": git_ref,
        "sha": sha,
        "repository": repository,
        "repository_owner": owner,
        "repository_owner_id": owner_id,
        "repository_visibility": "public",
        "repository_id": "20000002",
        "run_id": "4200000042",
        "run_number": "7",
        "run_attempt": "1",
        "runner_environment": "github-hosted",
        "actor_id": "30000003",
        "actor": "octocat",
        "workflow": "Release",
        "head_ref": "",
        "base_ref": "",
        "event_name": "push",
        "ref_protected": "false",
        "ref_type": "branch",
        "workflow_ref": workflow_ref,
        "workflow_sha": sha,
        "job_workflow_ref": workflow_ref,
        "job_workflow_sha": sha,
        "iss": GITHUB_ISSUER,
        "nbf": iat.saturating_sub(5),
        "exp": iat + 300,
        "iat": iat,
    });
    let map = claims.as_object_mut().expect("object");
    if let Some(environment) = publisher.and_then(|p| p.environment.as_deref()) {
        map.insert("environment".into(), json!(environment));
        map.insert(
            "sub".into(),
            json!(format!("repo:{repository}:environment:{environment}")),
        );
    }
    map.clone()
}

/// `GET /_/test-issuer/token?audience=X[&shape=gitlab][&claim=value…][&omit=a,b][&lifetime=S]`
///
/// `shape=gitlab`: GitLab CI's claim set (`iss` `https://gitlab.com`, `project_path`,
/// `ci_config_ref_uri`, …) for the first `--gitlab-publisher`, instead of GitHub's.
/// Any other query parameter overrides that claim (`exp`, `iat`, `nbf` as numbers);
/// `omit` removes claims; `lifetime` sets `exp` relative to now (negative: expired).
pub async fn token(
    State(state): State<Arc<AppState>>,
    Query(query): Query<Vec<(String, String)>>,
    headers: HeaderMap,
) -> Response {
    let oidc = state.oidc.as_ref().expect("oidc enabled");
    let authorized = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, token)| {
            scheme.eq_ignore_ascii_case("bearer") && token == oidc.request_token
        });
    if !authorized {
        return (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "Bad credentials"})),
        )
            .into_response();
    }
    let audience = query.iter().find(|(k, _)| k == "audience").map_or_else(
        || "https://github.com/octo-org".to_owned(),
        |(_, v)| v.clone(),
    );
    let gitlab = query.iter().any(|(k, v)| k == "shape" && v == "gitlab");
    let mut claims = if gitlab {
        super::gitlab::default_claims(
            oidc.gitlab_publishers.first(),
            &audience,
            oidc.next_jti(),
            now(),
        )
    } else {
        default_claims(&state, &audience)
    };
    for (key, value) in &state.config.default_claims {
        claims.insert(key.clone(), value.clone());
    }
    for (key, value) in &query {
        match key.as_str() {
            "audience" | "api-version" | "shape" => {}
            "omit" => {
                for claim in value.split(',') {
                    claims.remove(claim.trim());
                }
            }
            "lifetime" => {
                if let Ok(seconds) = value.parse::<i64>() {
                    claims.insert("exp".into(), json!((now() as i64 + seconds).max(0)));
                }
            }
            "exp" | "iat" | "nbf" => {
                if let Ok(number) = value.parse::<i64>() {
                    claims.insert(key.clone(), json!(number));
                }
            }
            _ => {
                claims.insert(key.clone(), json!(value));
            }
        }
    }
    Json(json!({"value": oidc.key.sign(&claims)})).into_response()
}
