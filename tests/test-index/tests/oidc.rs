//! Trusted publishing against the built-in issuer: the token exchange, each 422
//! code with Warehouse's description, and what a minted token may and may not do
//! on the upload API.

mod common;

use common::{Form, Server, wheel};
use serde_json::{Value, json};

const PUBLISHER: &str = r#"{"project": "demo-pkg", "repository": "demo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "release.yml"}"#;
const WHEEL: &str = "demo_pkg-1.0-py3-none-any.whl";

fn start(extra: &[&str]) -> Server {
    let mut args = vec!["--oidc", "--publisher", PUBLISHER];
    args.extend_from_slice(extra);
    Server::start(&args)
}

/// A JWT from the issuer, with query overrides such as `environment=x`.
fn jwt(server: &Server, query: &str) -> String {
    let reply = server.get(
        &format!("/_/test-issuer/token?api-version=2.0&audience=pypi{query}"),
        &[("Authorization", "bearer test-request-token")],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["value"].as_str().unwrap().to_owned()
}

fn mint(server: &Server, body: &str) -> (u16, Value) {
    let reply = server.request(
        "POST",
        "/_/oidc/mint-token",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    (reply.status, reply.json())
}

fn mint_jwt(server: &Server, token: &str) -> (u16, Value) {
    mint(server, &json!({"token": token}).to_string())
}

fn refused(code: &str, description: &str) -> (u16, Value) {
    (
        422,
        json!({"message": "Token request failed", "errors": [{"code": code, "description": description}]}),
    )
}

/// Creates the project with the user token, as its maintainer would have.
fn create_project(server: &Server) {
    let w = wheel("demo_pkg-0.1-py3-none-any.whl");
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&w, "demo-pkg", "0.1"))
            .status,
        200
    );
}

#[test]
fn exchange_and_upload() {
    let server = start(&[]);
    assert_eq!(
        server.get("/_/oidc/audience", &[]).json(),
        json!({"audience": "pypi"})
    );
    assert!(server.get("/.well-known/jwks", &[]).json()["keys"][0]["n"].is_string());
    create_project(&server);

    let token = jwt(&server, "");
    let (status, body) = mint_jwt(&server, &token);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["success"], true);
    let api_token = body["token"].as_str().unwrap();
    assert!(api_token.starts_with("pypi-"));
    let lifetime = body["expires"].as_u64().unwrap() - common_now();
    assert!((890..=900).contains(&lifetime), "{lifetime}");

    let reply = server.upload(
        Some(api_token),
        &Form::new(&wheel(WHEEL), "demo-pkg", "1.0"),
    );
    assert_eq!(reply.status_line(), "200 OK");
    let files = server.stats()["files"].clone();
    let file = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == WHEEL)
        .unwrap()
        .clone();
    assert_eq!(file["via_trusted_publishing"], true);

    // Each exchange needs a fresh JWT.
    assert_eq!(
        mint_jwt(&server, &token),
        refused("invalid-reuse-token", "invalid token: already used")
    );
}

fn common_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn payload_and_token_errors() {
    let server = start(&[]);
    assert_eq!(
        mint(&server, r#"{"token": "not-a-jwt"}"#),
        refused("invalid-payload", "malformed JWT")
    );
    let (status, body) = mint(&server, "{}");
    assert_eq!(
        (status, body["errors"][0]["code"].clone()),
        (422, json!("invalid-payload"))
    );
    assert!(
        body["errors"][0]["description"]
            .as_str()
            .unwrap()
            .contains("Field required")
    );
    assert_eq!(
        mint_jwt(
            &server,
            &jwt(&server, "&iss=https://ghe.example.com/_services/token")
        ),
        refused("invalid-payload", "unknown trusted publishing issuer")
    );
    let invalid_token = refused("invalid-token", "malformed or invalid token");
    let wrong_audience = server
        .get(
            "/_/test-issuer/token?audience=testpypi",
            &[("Authorization", "bearer test-request-token")],
        )
        .json()["value"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(mint_jwt(&server, &wrong_audience), invalid_token);
    // Expired beyond the 30 s leeway.
    assert_eq!(
        mint_jwt(&server, &jwt(&server, "&lifetime=-60")),
        invalid_token
    );
    // Within the leeway it is still good.
    create_project(&server);
    assert_eq!(mint_jwt(&server, &jwt(&server, "&lifetime=-10")).0, 200);
    // Flip one signature character well before the end (the last one may only
    // carry padding bits).
    let mut tampered = jwt(&server, "").into_bytes();
    let at = tampered.len() - 10;
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(mint_jwt(&server, &tampered), invalid_token);
    // The issuer wants its request token.
    assert_eq!(
        server.get("/_/test-issuer/token?audience=pypi", &[]).status,
        401
    );
}

#[test]
fn publisher_mismatches() {
    let server = start(&[
        "--publisher",
        r#"{"project": "env-pkg", "repository": "envrepo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "release.yml", "environment": "PyPI"}"#,
    ]);
    create_project(&server);
    let no_publisher = |reason: &str| {
        refused(
            "invalid-publisher",
            &format!("valid token, but no corresponding publisher ({reason})"),
        )
    };
    assert_eq!(
        mint_jwt(
            &server,
            &jwt(
                &server,
                "&job_workflow_ref=octo-org/demo/.github/workflows/other.yml@refs/heads/main"
            )
        ),
        no_publisher("Publisher with matching claims was not found")
    );
    assert_eq!(
        mint_jwt(&server, &jwt(&server, "&omit=sha")),
        no_publisher("Missing claim 'sha'")
    );
    assert_eq!(
        mint_jwt(&server, &jwt(&server, "&event_name=pull_request_target")),
        no_publisher(
            "Publishing from a workflow invoked via 'pull_request_target' is not supported."
        )
    );
    // A reusable workflow: workflow_ref is not checked, job_workflow_ref must name
    // the publisher's workflow at the run's ref or sha.
    assert_eq!(
        mint_jwt(
            &server,
            &jwt(
                &server,
                "&job_workflow_ref=octo-org/demo/.github/workflows/release.yml@refs/heads/other"
            )
        ),
        no_publisher(
            "The job_workflow_ref claim does not match, expecting one of ['octo-org/demo/.github/workflows/release.yml@da39a3ee5e6b4b0d3255bfef95601890afd80709', 'octo-org/demo/.github/workflows/release.yml@refs/heads/main'], got 'octo-org/demo/.github/workflows/release.yml@refs/heads/other'"
        )
    );
    assert_eq!(
        mint_jwt(&server, &jwt(&server, "&repository_owner=someone-else")),
        no_publisher("Check failed for required claim 'repository_owner'")
    );
    // The environment publisher: matched case-insensitively, required when set.
    let env_repo = "&repository=octo-org/envrepo&job_workflow_ref=octo-org/envrepo/.github/workflows/release.yml@refs/heads/main";
    assert_eq!(
        mint_jwt(
            &server,
            &jwt(&server, &format!("{env_repo}&environment=staging"))
        ),
        no_publisher("Publisher with matching claims was not found")
    );
    let (status, body) = mint_jwt(
        &server,
        &jwt(&server, &format!("{env_repo}&environment=pypi")),
    );
    assert_eq!(status, 200, "{body}");
}

#[test]
fn minted_tokens_on_the_upload_api() {
    let server = start(&["--minted-token-lifetime", "1"]);
    // The publisher's project does not exist yet: the token is minted, the upload refused.
    let (_, body) = mint_jwt(&server, &jwt(&server, ""));
    let api_token = body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        server
            .upload(
                Some(&api_token),
                &Form::new(&wheel(WHEEL), "demo-pkg", "1.0")
            )
            .status_line(),
        "400 Non-user identities cannot create new projects. This was probably caused by successfully using a pending publisher but specifying the project name incorrectly (either in the publisher or in your project's metadata). Please ensure that both match. See: https://docs.pypi.org/trusted-publishers/troubleshooting/"
    );
    create_project(&server);
    let other = wheel("other_pkg-1.0-py3-none-any.whl");
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&other, "other-pkg", "1.0"))
            .status,
        200
    );
    let other2 = wheel("other_pkg-2.0-py3-none-any.whl");
    assert_eq!(
        server
            .upload(Some(&api_token), &Form::new(&other2, "other-pkg", "2.0"))
            .status_line(),
        "403 Invalid API Token: OIDC scoped token is not valid for project 'other-pkg'"
    );
    std::thread::sleep(std::time::Duration::from_millis(2100));
    assert_eq!(
        server
            .upload(
                Some(&api_token),
                &Form::new(&wheel(WHEEL), "demo-pkg", "1.0")
            )
            .status_line(),
        "403 Invalid API Token: token is expired"
    );
    // Attestations need a trusted-publishing token.
    let attested = Form::new(&wheel("demo_pkg-3.0-py3-none-any.whl"), "demo-pkg", "3.0")
        .add("attestations", "[{}]");
    assert_eq!(
        server.upload(Some("SECRET"), &attested).status_line(),
        "400 Invalid attestations supplied during upload: Attestations are only supported when using Trusted Publishing"
    );
}

#[test]
fn pending_publisher_creates_the_project() {
    let server = Server::start(&[
        "--oidc",
        "--publisher",
        r#"{"project": "Demo-Pkg", "repository": "demo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "release.yml", "pending": true}"#,
    ]);
    let (status, body) = mint_jwt(&server, &jwt(&server, ""));
    assert_eq!(status, 200, "{body}");
    let api_token = body["token"].as_str().unwrap();
    let reply = server.upload(
        Some(api_token),
        &Form::new(&wheel(WHEEL), "demo-pkg", "1.0"),
    );
    assert_eq!(reply.status_line(), "200 OK");
}

/// One attestation object whose statement names `name` with `sha256` and `predicate`.
fn attestation(name: &str, sha256: &str, predicate: &str) -> Value {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": predicate,
        "predicate": null,
    });
    json!({
        "version": 1,
        "verification_material": {"certificate": "ZGVy", "transparency_entries": [{}]},
        "envelope": {"statement": common::base64(&statement.to_string()), "signature": "c2ln"},
    })
}

#[test]
fn attestation_rules() {
    const PUBLISH: &str = "https://docs.pypi.org/attestations/publish/v1";
    let server = start(&[]);
    create_project(&server);
    let dist = wheel("demo_pkg-4.0-py3-none-any.whl");
    let sha = common::sha256_hex(&dist.bytes);
    let upload = |attestations: Value| {
        let (_, body) = mint_jwt(&server, &jwt(&server, ""));
        let form =
            Form::new(&dist, "demo-pkg", "4.0").add("attestations", &attestations.to_string());
        server
            .upload(Some(body["token"].as_str().unwrap()), &form)
            .status_line()
    };
    let refused =
        |reason: &str| format!("400 Invalid attestations supplied during upload: {reason}");
    let good = attestation(&dist.filename, &sha, PUBLISH);

    assert_eq!(
        upload(json!([])),
        refused("Malformed attestations: an empty attestation set is not permitted")
    );
    assert_eq!(
        upload(json!([good, good, good])),
        refused("A maximum of 2 attestations per file are supported")
    );
    assert_eq!(
        upload(json!([good, good])),
        refused(&format!(
            "Multiple attestations for the same file with the same predicate type ({PUBLISH}) are not supported"
        ))
    );
    let verify = |reason: &str| {
        refused(&format!(
            "Could not verify the uploaded artifact using the included attestation: {reason}"
        ))
    };
    assert_eq!(
        upload(json!([attestation(
            "demo_pkg-9.0-py3-none-any.whl",
            &sha,
            PUBLISH
        )])),
        verify(&format!(
            "subject does not match distribution name: demo_pkg-9.0-py3-none-any.whl != {}",
            dist.filename
        ))
    );
    assert_eq!(
        upload(json!([attestation(
            &dist.filename,
            &"0".repeat(64),
            PUBLISH
        )])),
        verify("subject does not match distribution digest")
    );
    assert_eq!(
        upload(json!([attestation(
            &dist.filename,
            &sha,
            "https://example.com/other"
        )])),
        verify("unknown attestation type: https://example.com/other")
    );
    assert!(upload(json!([{"version": 1}])).starts_with(&refused("Malformed attestations: ")));

    assert_eq!(upload(json!([good])), "200 OK");
    let files = server.stats()["files"].clone();
    let stored = files
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == dist.filename.as_str())
        .unwrap()
        .clone();
    assert_eq!(stored["has_attestations"], true);
}

const GITLAB: &str = r#"{"project": "demo-pkg", "namespace": "octo-group", "repository": "demo", "workflow_filepath": "ci/release.yml"}"#;

/// GitLab publishers: the issuer's `shape=gitlab` tokens are matched on `project_path`,
/// the CI file in `ci_config_ref_uri` and `sub`, as Warehouse's `GitLabPublisher` does.
#[test]
fn gitlab_tokens_mint_for_their_publisher_only() {
    let server = Server::start(&["--token", "SECRET", "--gitlab-publisher", GITLAB]);
    create_project(&server);
    let token = jwt(&server, "&shape=gitlab");
    let claims = common::jwt_claims(&token);
    assert_eq!(claims["iss"], "https://gitlab.com");
    assert_eq!(
        claims["ci_config_ref_uri"],
        "gitlab.com/octo-group/demo//ci/release.yml@refs/heads/main"
    );
    let (status, body) = mint_jwt(&server, &token);
    assert_eq!(status, 200, "{body}");
    let minted = body["token"].as_str().unwrap();
    let w = wheel(WHEEL);
    assert_eq!(
        server
            .upload(Some(minted), &Form::new(&w, "demo-pkg", "1.0"))
            .status,
        200
    );
    assert_eq!(
        mint_jwt(&server, &token),
        refused("invalid-reuse-token", "invalid token: already used")
    );
    let other_file = jwt(
        &server,
        "&shape=gitlab&ci_config_ref_uri=gitlab.com/octo-group/demo//.gitlab-ci.yml@refs/heads/main",
    );
    assert_eq!(
        mint_jwt(&server, &other_file),
        refused(
            "invalid-publisher",
            "valid token, but no corresponding publisher (Publisher with matching claims was not found)"
        )
    );
    let other_sub = jwt(
        &server,
        "&shape=gitlab&sub=project_path:octo-group/fork:ref_type:branch:ref:main",
    );
    assert_eq!(
        mint_jwt(&server, &other_sub),
        refused(
            "invalid-publisher",
            "valid token, but no corresponding publisher (Check failed for required claim 'sub')"
        )
    );
}

fn burn(server: &Server, body: &str) -> (u16, Value) {
    let reply = server.request(
        "POST",
        "/_/oidc/burn-token",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    );
    (reply.status, reply.json())
}

/// Warehouse's burn (warehouse#20197): a minted token is revoked and then refused like an
/// unknown one; every burn is answered 202, whatever it holds, and only a minted token is
/// ever revoked.
#[test]
fn a_burned_token_is_refused_like_an_unknown_one() {
    let server = start(&[]);
    create_project(&server);
    let (_, body) = mint_jwt(&server, &jwt(&server, ""));
    let api_token = body["token"].as_str().unwrap().to_owned();
    let accepted = (202, json!({"message": "Accepted", "errors": []}));
    for junk in [
        "",
        "not json",
        r#"{"token": 1}"#,
        r#"{"token": "pypi-unknown"}"#,
    ] {
        assert_eq!(burn(&server, junk), accepted, "{junk:?}");
    }
    // A user's API token is not the burn's to revoke.
    assert_eq!(burn(&server, r#"{"token": "SECRET"}"#), accepted);
    assert_eq!(server.stats()["tokens_burned"], 0);
    assert_eq!(
        burn(&server, &json!({"token": api_token}).to_string()),
        accepted
    );
    assert_eq!(server.stats()["tokens_burned"], 1);
    assert_eq!(server.stats()["burn_requests"], 6);
    let form = Form::new(&wheel(WHEEL), "demo-pkg", "1.0");
    assert_eq!(
        server.upload(Some(&api_token), &form).status_line(),
        "403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information."
    );
    assert_eq!(server.upload(Some("SECRET"), &form).status, 200);
    // Burning it again changes nothing.
    assert_eq!(
        burn(&server, &json!({"token": api_token}).to_string()),
        accepted
    );
    assert_eq!(server.stats()["tokens_burned"], 1);
}

/// For the client's tests: a burn endpoint that fails (and then revokes nothing).
#[test]
fn a_failing_burn_endpoint_revokes_nothing() {
    let server = start(&["--burn-token-status", "404"]);
    create_project(&server);
    let (_, body) = mint_jwt(&server, &jwt(&server, ""));
    let api_token = body["token"].as_str().unwrap().to_owned();
    let reply = server.request(
        "POST",
        "/_/oidc/burn-token",
        &[],
        json!({"token": api_token}).to_string().as_bytes(),
    );
    assert_eq!(reply.status_line(), "404 Not Found");
    let form = Form::new(&wheel(WHEEL), "demo-pkg", "1.0");
    assert_eq!(server.upload(Some(&api_token), &form).status, 200);
    assert_eq!(server.stats()["burn_requests"], 1);
    assert_eq!(server.stats()["tokens_burned"], 0);
}
