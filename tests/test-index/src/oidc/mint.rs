//! `/_/oidc/audience`, `/_/oidc/mint-token` and `/_/oidc/burn-token` as in Warehouse's
//! `oidc/views.py`: peek at `iss`, verify RS256 / `iss` / `aud` / `exp` / `iat` / `nbf`
//! with 30 s leeway, try pending publishers, find the publisher, refuse a reused `jti`, and
//! mint a short-lived API token scoped to the publisher's projects. Every refusal is
//! a 422 `{"message": "Token request failed", "errors": [{code, description}]}`. A burn
//! revokes a minted token and always answers 202.

use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::gitlab::{self, GITLAB_ISSUER};
use super::issuer::{GITHUB_ISSUER, now};
use super::jwt::decode_unverified;
use super::publisher::{LookupError, find};
use crate::app::AppState;
use crate::auth::{MintedToken, Secret};
use crate::httpexc::HttpException;
use crate::names::canonicalize_name;
use crate::stats::Stats;
use crate::store::Project;

/// PyJWT leeway Warehouse passes (`_JWT_LEEWAY`).
const LEEWAY: i64 = 30;

/// Issuers PyPI knows (`OIDC_ISSUER_SERVICE_NAMES`); only GitHub's and GitLab's are backed
/// by a key here (the test issuer's), so tokens from the others fail verification like
/// forged ones would.
const KNOWN_ISSUERS: [&str; 4] = [
    GITHUB_ISSUER,
    GITLAB_ISSUER,
    "https://accounts.google.com",
    "https://platform.activestate.com/api/v1/oauth/oidc",
];

/// Warehouse's message when the `disallow-oidc` flag is set.
const NOT_ENABLED: &str = "Trusted publishing functionality not enabled";

/// `GET /_/oidc/audience`
pub async fn audience(State(state): State<Arc<AppState>>) -> Response {
    if state.config.oidc_disabled {
        return (StatusCode::FORBIDDEN, Json(json!({"message": NOT_ENABLED}))).into_response();
    }
    Json(json!({"audience": state.config.audience})).into_response()
}

fn invalid(code: &str, description: impl Into<String>) -> Response {
    let body = json!({
        "message": "Token request failed",
        "errors": [{"code": code, "description": description.into()}],
    });
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// The body as pydantic's `TokenPayload` would take it; `Err` is (roughly) the
/// text of pydantic's `ValidationError`.
fn token_from_body(body: &[u8]) -> Result<String, String> {
    const HEAD: &str = "1 validation error for TokenPayload";
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        format!("{HEAD}\n  Invalid JSON: {e} [type=json_invalid, input_type=bytes]")
    })?;
    let Value::Object(map) = value else {
        return Err(format!(
            "{HEAD}\n  Input should be an object [type=model_type, input_type={}]",
            py_type(&value)
        ));
    };
    match map.get("token") {
        None => Err(format!(
            "{HEAD}\ntoken\n  Field required [type=missing, input_type=dict]"
        )),
        Some(Value::String(token)) => Ok(token.clone()),
        Some(other) => Err(format!(
            "{HEAD}\ntoken\n  Input should be a valid string [type=string_type, input_type={}]",
            py_type(other)
        )),
    }
}

fn py_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// PyJWT's `decode` with Warehouse's options, after the signature check.
fn claims_valid(claims: &Map<String, Value>, audience: &str) -> bool {
    let now = now() as i64;
    let number = |name: &str| claims.get(name).and_then(Value::as_i64);
    let (Some(exp), Some(iat)) = (number("exp"), number("iat")) else {
        return false;
    };
    if !matches!(
        claims.get("iss").and_then(Value::as_str),
        Some(GITHUB_ISSUER | GITLAB_ISSUER)
    ) {
        return false;
    }
    // `strict_aud`: a single string, equal to ours.
    if claims.get("aud").and_then(Value::as_str) != Some(audience) {
        return false;
    }
    if exp <= now - LEEWAY || iat > now + LEEWAY {
        return false;
    }
    match claims.get("nbf") {
        None => true,
        Some(nbf) => nbf.as_i64().is_some_and(|nbf| nbf <= now + LEEWAY),
    }
}

/// `POST /_/oidc/mint-token`
pub async fn mint_token(State(state): State<Arc<AppState>>, body: Bytes) -> Response {
    let oidc = state.oidc.as_ref().expect("oidc enabled");
    if state.config.oidc_disabled {
        return invalid("not-enabled", NOT_ENABLED);
    }
    let token = match token_from_body(&body) {
        Ok(token) => token,
        Err(description) => return invalid("invalid-payload", description),
    };
    let Some(unverified) = decode_unverified(&token) else {
        return invalid("invalid-payload", "malformed JWT");
    };
    let Some(issuer) = unverified.claims.get("iss") else {
        return invalid("invalid-payload", "malformed JWT");
    };
    if !issuer.as_str().is_some_and(|i| KNOWN_ISSUERS.contains(&i)) {
        return invalid("invalid-payload", "unknown trusted publishing issuer");
    }
    let from_gitlab = issuer.as_str() == Some(GITLAB_ISSUER);
    if !matches!(issuer.as_str(), Some(GITHUB_ISSUER | GITLAB_ISSUER))
        || !oidc.key.verify(&unverified)
        || !claims_valid(&unverified.claims, &state.config.audience)
    {
        return invalid("invalid-token", "malformed or invalid token");
    }
    let claims = unverified.claims;
    let jti = claims.get("jti").and_then(Value::as_str).map(str::to_owned);

    let used_jti = |jti: &str| oidc.used_jtis.lock().expect("jti lock").contains(jti);

    if from_gitlab {
        let (projects, identity) = match gitlab::find(&oidc.gitlab_publishers, &claims, &used_jti) {
            Ok(publisher) => (
                publisher.normalized_projects(),
                publisher.attestation_identity(),
            ),
            Err(e) => return refused(e),
        };
        return mint(&state, jti, projects, identity);
    }

    // A pending publisher first: it creates its project.
    let pending = {
        let publishers = oidc.publishers.lock().expect("publishers lock");
        find(&publishers, &claims, true, &used_jti).ok().cloned()
    };
    if let Some(pending) = pending {
        let mut store = state.store.lock().await;
        let project = pending.projects[0].clone();
        let normalized = canonicalize_name(&project);
        let mut publishers = oidc.publishers.lock().expect("publishers lock");
        if store.catalogue.projects.contains_key(&normalized) {
            publishers.retain(|p| !(p.pending && p.projects == pending.projects));
            return invalid(
                "invalid-pending-publisher",
                "valid token, but project already exists",
            );
        }
        store.catalogue.serial += 1;
        let serial = store.catalogue.serial;
        store.catalogue.projects.insert(
            normalized,
            Project {
                name: project,
                releases: Vec::new(),
                last_serial: serial,
            },
        );
        let _ = store.save();
        for p in publishers.iter_mut() {
            if p.pending && p.projects == pending.projects {
                p.pending = false;
            }
        }
    }

    let found = {
        let publishers = oidc.publishers.lock().expect("publishers lock");
        find(&publishers, &claims, false, &used_jti).cloned()
    };
    match found {
        Ok(publisher) => mint(
            &state,
            jti,
            publisher.normalized_projects(),
            publisher.attestation_identity(),
        ),
        Err(e) => refused(e),
    }
}

/// Warehouse's answer when no publisher fits or the token was used before.
fn refused(e: LookupError) -> Response {
    match e {
        LookupError::Reused => invalid("invalid-reuse-token", "invalid token: already used"),
        LookupError::Invalid(reason) => invalid(
            "invalid-publisher",
            format!("valid token, but no corresponding publisher ({reason})"),
        ),
    }
}

/// Records the `jti` and mints an upload token for `projects`.
fn mint(
    state: &AppState,
    jti: Option<String>,
    projects: Vec<String>,
    publisher: Value,
) -> Response {
    let oidc = state.oidc.as_ref().expect("oidc enabled");
    if let Some(jti) = jti
        && !oidc.used_jtis.lock().expect("jti lock").insert(jti)
    {
        return invalid("invalid-reuse-token", "invalid token: already used");
    }

    let not_before = now();
    let expires_at = not_before + state.config.minted_token_lifetime;
    let secret = format!("pypi-{}", oidc.random_hex(32));
    state.tokens.lock().expect("tokens lock").add_minted(
        Secret::new(secret.clone()),
        MintedToken {
            projects,
            not_before,
            expires_at,
            publisher,
        },
    );
    crate::stats::Stats::bump(&state.stats.tokens_minted);
    Json(json!({"success": true, "token": secret, "expires": expires_at})).into_response()
}

/// `POST /_/oidc/burn-token`, Warehouse's `burn_oidc_issued_token` (warehouse#20197,
/// `warehouse/oidc/views.py`): deletes the token if trusted publishing minted it. The answer
/// is always 202 `{"message": "Accepted", "errors": []}` — for a bad body, an unknown
/// token or a user's API token too (those change nothing): it says receipt, not outcome.
/// `--burn-token-status` and `--burn-token-delay-ms` make it fail for tests.
pub async fn burn_token(
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    body: Bytes,
) -> Response {
    Stats::bump(&state.stats.burn_requests);
    if !state.config.burn_token_delay.is_zero() {
        tokio::time::sleep(state.config.burn_token_delay).await;
    }
    if let Some(status) = state.config.burn_token_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return HttpException::plain(status).render(&headers);
    }
    if let Ok(token) = token_from_body(&body)
        && state
            .tokens
            .lock()
            .expect("tokens lock")
            .revoke_minted(&token)
    {
        Stats::bump(&state.stats.tokens_burned);
    }
    let accepted = json!({"message": "Accepted", "errors": []});
    (StatusCode::ACCEPTED, Json(accepted)).into_response()
}
