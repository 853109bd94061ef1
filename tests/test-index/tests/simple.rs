//! The simple API after uploads: PEP 691 JSON vs PEP 503 HTML by `Accept`, the
//! normalizing redirect, 404 for unknown projects, `--html-only`, file downloads,
//! and the stats counters.

mod common;

use common::{Form, Server, sdist, sha256_hex, wheel};

const JSON: &str = "application/vnd.pypi.simple.v1+json";

fn publish(server: &Server) -> (String, String) {
    let w = wheel("demo_pkg-1.0-py3-none-any.whl");
    let s = sdist("demo_pkg-1.0.tar.gz", b"");
    let form = Form::new(&w, "Demo.Pkg", "1.0").add("requires_python", ">= 3.9, <4");
    assert_eq!(server.upload(Some("SECRET"), &form).status, 200);
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&s, "Demo.Pkg", "1.0"))
            .status,
        200
    );
    (sha256_hex(&w.bytes), sha256_hex(&s.bytes))
}

#[test]
fn json_detail_follows_pep_691_and_700() {
    let server = Server::start(&[]);
    let (wheel_sha, sdist_sha) = publish(&server);
    let reply = server.get(
        "/simple/demo-pkg/",
        &[("Accept", &format!("{JSON}, text/html;q=0.1"))],
    );
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some(JSON));
    let body = reply.json();
    assert_eq!(body["meta"]["api-version"], "1.4");
    assert_eq!(body["name"], "demo-pkg");
    assert_eq!(body["versions"], serde_json::json!(["1.0"]));
    let files = body["files"].as_array().unwrap();
    // Sorted by version, then filename.
    assert_eq!(files[0]["filename"], "demo_pkg-1.0-py3-none-any.whl");
    assert_eq!(files[0]["hashes"]["sha256"], wheel_sha);
    assert_eq!(files[0]["requires-python"], "<4,>=3.9");
    assert!(files[0]["core-metadata"]["sha256"].is_string());
    assert_eq!(files[1]["filename"], "demo_pkg-1.0.tar.gz");
    assert_eq!(files[1]["hashes"]["sha256"], sdist_sha);
    assert_eq!(files[1]["core-metadata"], false);
    assert!(files[1]["size"].as_u64().unwrap() > 0);
    assert!(files[1]["upload-time"].as_str().unwrap().ends_with('Z'));
    let url = files[1]["url"].as_str().unwrap();
    let path = url.strip_prefix(&server.url("")).unwrap();
    assert_eq!(sha256_hex(&server.get(path, &[]).body), sdist_sha);

    let index = server.get("/simple/", &[("Accept", JSON)]).json();
    assert_eq!(index["projects"][0]["name"], "Demo.Pkg");
}

#[test]
fn html_by_default_and_with_html_only() {
    for args in [&[][..], &["--html-only"][..]] {
        let server = Server::start(args);
        let (wheel_sha, _) = publish(&server);
        for accept in [None, Some(JSON)] {
            let headers: Vec<(&str, &str)> = accept.map(|a| ("Accept", a)).into_iter().collect();
            let reply = server.get("/simple/demo-pkg/", &headers);
            let expect_json = accept.is_some() && args.is_empty();
            assert_eq!(
                reply.header("content-type") == Some(JSON),
                expect_json,
                "{args:?} {accept:?}"
            );
            if !expect_json {
                let html = reply.text();
                assert!(
                    html.contains(&format!("demo_pkg-1.0-py3-none-any.whl#sha256={wheel_sha}"))
                );
                assert!(html.contains("data-requires-python=\"&lt;4,&gt;=3.9\""));
            }
        }
        let index = server.get("/simple/", &[]).text();
        assert!(index.contains("<a href=\"/simple/demo-pkg/\">Demo.Pkg</a>"));
    }
}

#[test]
fn redirects_and_not_found() {
    let server = Server::start(&[]);
    publish(&server);
    let reply = server.get("/simple/Demo_Pkg/", &[]);
    assert_eq!(reply.status, 301);
    assert_eq!(
        reply.header("location"),
        Some(server.url("/simple/demo-pkg/").as_str())
    );
    let reply = server.get("/simple/demo-pkg", &[]);
    assert_eq!(reply.status, 301);
    assert_eq!(
        reply.header("location"),
        Some(server.url("/simple/demo-pkg/").as_str())
    );
    let reply = server.get("/simple/unknown/", &[("Accept", JSON)]);
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (404, "404 Not Found")
    );
    let stats = server.stats();
    assert_eq!(stats["simple_requests"], 3);
    assert_eq!(
        server.request("POST", "/_/reset-stats", &[], b"").status,
        204
    );
    assert_eq!(server.stats()["upload_requests"], 0);
    assert_eq!(server.stats()["files"].as_array().unwrap().len(), 2);
}

#[test]
fn state_survives_a_restart_with_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_str().unwrap();
    let (wheel_sha, _) = {
        let server = Server::start(&["--data-dir", path]);
        publish(&server)
    };
    let server = Server::start(&["--data-dir", path]);
    let body = server.get("/simple/demo-pkg/", &[("Accept", JSON)]).json();
    assert_eq!(body["files"][0]["hashes"]["sha256"], wheel_sha);
}

#[test]
fn stops_cleanly_on_sigterm() {
    let mut server = Server::start(&[]);
    assert_eq!(server.get("/simple/", &[]).status, 200);
    assert!(server.terminate().success());
}
