//! PEP 740 provenance as Warehouse serves it: the JSON simple API's `provenance` key (the
//! Integrity API URL of a file uploaded with attestations, else null) and
//! `GET /integrity/<project>/<version>/<filename>/provenance` (`warehouse/api/integrity.py`):
//! one bundle naming the trusted publisher that uploaded the file, 404 without, 406 for an
//! `Accept` without JSON.

mod common;

use common::{Form, Server, wheel};
use serde_json::{Value, json};

const PUBLISHER: &str = r#"{"project": "demo-pkg", "repository": "demo", "repository_owner": "octo-org", "repository_owner_id": "4242", "workflow_filename": "release.yml", "environment": "PyPI"}"#;
const GITLAB: &str = r#"{"project": "demo-pkg", "namespace": "octo-group", "repository": "demo", "workflow_filepath": "ci/release.yml"}"#;

/// A minted upload token from the issuer's token with `query` overrides.
fn minted(server: &Server, query: &str) -> String {
    let reply = server.get(
        &format!("/_/test-issuer/token?api-version=2.0&audience=pypi{query}"),
        &[("Authorization", "bearer test-request-token")],
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    let jwt = reply.json()["value"].as_str().unwrap().to_owned();
    let reply = server.request(
        "POST",
        "/_/oidc/mint-token",
        &[("Content-Type", "application/json")],
        json!({ "token": jwt }).to_string().as_bytes(),
    );
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["token"].as_str().unwrap().to_owned()
}

/// An attestation the index accepts for `name` with `sha256`.
fn attestation(name: &str, sha256: &str) -> Value {
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": sha256}}],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": null,
    });
    json!({
        "version": 1,
        "verification_material": {"certificate": "ZGVy", "transparency_entries": [{}]},
        "envelope": {"statement": common::base64(&statement.to_string()), "signature": "c2ln"},
    })
}

fn provenance_key(server: &Server, filename: &str) -> Value {
    let page = server.get(
        "/simple/demo-pkg/",
        &[("Accept", "application/vnd.pypi.simple.v1+json")],
    );
    page.json()["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["filename"] == filename)
        .unwrap()["provenance"]
        .clone()
}

#[test]
fn provenance_names_the_publisher_that_uploaded_the_file() {
    let server = Server::start(&["--publisher", PUBLISHER, "--gitlab-publisher", GITLAB]);
    let plain = wheel("demo_pkg-0.1-py3-none-any.whl");
    let form = Form::new(&plain, "demo-pkg", "0.1");
    assert_eq!(server.upload(Some("SECRET"), &form).status, 200);

    let github = wheel("demo_pkg-1.0-py3-none-any.whl");
    let sent = json!([attestation(
        &github.filename,
        &common::sha256_hex(&github.bytes)
    )]);
    let token = minted(&server, "&environment=pypi");
    let form = Form::new(&github, "demo-pkg", "1.0").add("attestations", &sent.to_string());
    assert_eq!(server.upload(Some(&token), &form).status, 200);

    let gitlab = wheel("demo_pkg-2.0-py3-none-any.whl");
    let gitlab_sent = json!([attestation(
        &gitlab.filename,
        &common::sha256_hex(&gitlab.bytes)
    )]);
    let token = minted(&server, "&shape=gitlab");
    let form = Form::new(&gitlab, "demo-pkg", "2.0").add("attestations", &gitlab_sent.to_string());
    assert_eq!(server.upload(Some(&token), &form).status, 200);

    // The simple API links the object of a file uploaded with attestations; null otherwise.
    let path = "/integrity/demo-pkg/1.0/demo_pkg-1.0-py3-none-any.whl/provenance";
    assert_eq!(provenance_key(&server, &github.filename), server.url(path));
    assert_eq!(provenance_key(&server, &plain.filename), Value::Null);

    let reply = server.get(path, &[]);
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(
        reply.header("content-type"),
        Some("application/vnd.pypi.integrity.v1+json")
    );
    assert_eq!(
        reply.json(),
        json!({"version": 1, "attestation_bundles": [{
            "publisher": {"kind": "GitHub", "repository": "octo-org/demo", "workflow": "release.yml", "environment": "pypi"},
            "attestations": sent,
        }]})
    );
    let json = server.get(path, &[("Accept", "application/json")]);
    assert_eq!(json.header("content-type"), Some("application/json"));
    let html = server.get(path, &[("Accept", "text/html")]);
    assert_eq!(
        (html.status, html.json()),
        (406, json!({"message": "Request not acceptable"}))
    );
    // The release is found by its canonical version, as Warehouse traverses to it.
    let canonical = "/integrity/Demo_Pkg/1.0.0/demo_pkg-1.0-py3-none-any.whl/provenance";
    assert_eq!(server.get(canonical, &[]).status, 200);

    let gitlab_path = "/integrity/demo-pkg/2.0/demo_pkg-2.0-py3-none-any.whl/provenance";
    assert_eq!(
        server.get(gitlab_path, &[]).json()["attestation_bundles"][0]["publisher"],
        json!({"kind": "GitLab", "repository": "octo-group/demo", "workflow_filepath": "ci/release.yml", "environment": null})
    );

    let none = server.get(
        "/integrity/demo-pkg/0.1/demo_pkg-0.1-py3-none-any.whl/provenance",
        &[],
    );
    assert_eq!(
        (none.status, none.json()),
        (
            404,
            json!({"message": "No provenance available for demo_pkg-0.1-py3-none-any.whl"})
        )
    );
    // A file of another release is not found through this one.
    let elsewhere = server.get(
        "/integrity/demo-pkg/2.0/demo_pkg-1.0-py3-none-any.whl/provenance",
        &[],
    );
    assert_eq!(elsewhere.status, 404);
}
