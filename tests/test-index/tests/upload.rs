//! The legacy upload API: acceptance, every class of rejection with Warehouse's
//! exact status line, duplicate semantics, routing quirks. Expected messages were
//! taken from Warehouse's source (forklift/legacy.py, forms.py, metadata.py) and,
//! for form and metadata errors, produced by running that code with the packaging
//! and trove-classifiers versions Warehouse pins.

mod common;

use common::{Form, Server, sdist, sha256_hex, wheel, wheel_with};

const WHEEL: &str = "demo_pkg-1.0-py3-none-any.whl";
const CORE: &str =
    "See https://packaging.python.org/specifications/core-metadata for more information.";

fn good() -> Form {
    Form::new(&wheel(WHEEL), "demo-pkg", "1.0")
}

#[test]
fn accepts_a_wheel_and_answers_like_pyramid() {
    let server = Server::start(&[]);
    let reply = server.upload(Some("SECRET"), &good());
    assert_eq!(reply.status_line(), "200 OK");
    // No Accept header: Pyramid's plain-text page for HTTPOk(body="").
    assert_eq!(reply.text(), "200 OK\n\n\n\n\n\n\n");
    let stats = server.stats();
    assert_eq!(stats["upload_requests"], 1);
    assert_eq!(stats["uploads_stored"], 1);
    assert_eq!(stats["files"][0]["filename"], WHEEL);
    assert_eq!(stats["files"][0]["project"], "demo-pkg");

    let form = server.get(&format!("/_/forms/{WHEEL}"), &[]).json();
    assert_eq!(form[0], serde_json::json!([":action", "file_upload"]));
    let content = form.as_array().unwrap().last().unwrap();
    assert_eq!(
        content,
        &serde_json::json!(["content", {"filename": WHEEL, "content_type": "application/octet-stream"}])
    );

    let download = server.get(&format!("/files/{WHEEL}"), &[]);
    assert_eq!(sha256_hex(&download.body), sha256_hex(&wheel(WHEEL).bytes));
}

#[test]
fn bearer_token_and_html_success_page() {
    let server = Server::start(&[]);
    let reply = server.request(
        "POST",
        "/legacy/",
        &[
            ("Content-Type", Form::CONTENT_TYPE),
            ("Authorization", "Bearer SECRET"),
            ("Accept", "*/*"),
        ],
        &good().body(),
    );
    assert_eq!(reply.status, 200);
    assert!(
        reply
            .text()
            .starts_with("<html>\n <head>\n  <title>200 OK</title>")
    );
}

#[test]
fn authentication_failures_are_403_never_401() {
    let server = Server::start(&["--token", "SCOPED:other-project"]);
    let invalid = "403 Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.";
    assert_eq!(server.upload(None, &good()).status_line(), invalid);
    assert_eq!(server.upload(Some("WRONG"), &good()).status_line(), invalid);
    let basic = format!("Basic {}", common::base64("alice:hunter2"));
    let reply = server.request(
        "POST",
        "/legacy/",
        &[
            ("Content-Type", Form::CONTENT_TYPE),
            ("Authorization", &basic),
        ],
        &good().body(),
    );
    assert_eq!(
        reply.status_line(),
        "403 Username/Password authentication is no longer supported. Migrate to API Tokens or Trusted Publishers instead. See https://pypi.org/help/#apitoken and https://pypi.org/help/#trusted-publishers"
    );
    // A project-scoped token fails its ProjectName caveat.
    assert_eq!(
        server.upload(Some("SCOPED"), &good()).status_line(),
        "403 Invalid API Token: project-scoped token is not valid for project: 'demo-pkg'"
    );
    // The body carries the message too (plain text without Accept).
    assert!(
        server
            .upload(None, &good())
            .text()
            .contains("\nInvalid or non-existent authentication information.")
    );
}

#[test]
fn form_errors() {
    let server = Server::start(&[]);
    let cases = [
        (
            good().set("name", None),
            format!("400 '' is an invalid value for Name. Error: This field is required. {CORE}"),
        ),
        (
            good().set("name", Some("-demo")),
            format!(
                "400 '-demo' is an invalid value for Name. Error: Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'. {CORE}"
            ),
        ),
        (
            good().set("sha256_digest", Some("abc")),
            "400 Invalid value for sha256_digest. Error: Use a valid, hex-encoded, SHA256 message digest.".to_owned(),
        ),
        (good().set("sha256_digest", None), "400 Error: Include at least one message digest.".to_owned()),
        (
            good().set("filetype", Some("bdist_egg")),
            "400 Invalid value for filetype. Error: Use a known file type.".to_owned(),
        ),
        (
            good().set("pyversion", None),
            "400 Invalid value for pyversion. Error: Python version is required for binary distribution uploads."
                .to_owned(),
        ),
        (good().set("protocol_version", Some("2")), "400 Unknown protocol version.".to_owned()),
    ];
    for (form, expected) in cases {
        assert_eq!(server.upload(Some("SECRET"), &form).status_line(), expected);
    }
}

#[test]
fn metadata_errors() {
    let server = Server::start(&[]);
    let cases = [
        (good().set("metadata_version", Some("2.0")), format!("400 '2.0' is not a valid metadata version. {CORE}")),
        (good().set("metadata_version", None), format!("400 None is not a valid metadata version. {CORE}")),
        (good().set("version", None), format!("400 'version' is a required field. {CORE}")),
        (good().set("version", Some("1.0-beta_x")), format!("400 '1.0-beta_x' is invalid for 'version'. {CORE}")),
        (
            good().set("version", Some("1.0+local")),
            "400 The use of local versions in '1.0+local' is not allowed. See https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers for more information.".to_owned(),
        ),
        (good().set("summary", Some("a\nb")), format!("400 'summary' must be a single line. {CORE}")),
        (
            good().set("summary", Some(&"x".repeat(513))),
            format!("400 'summary' field must be 512 characters or less. {CORE}"),
        ),
        (good().add("classifiers", "Foo :: Bar"), format!("400 'Foo :: Bar' is not a valid classifier. {CORE}")),
        (
            good().add("classifiers", "Natural Language :: Ukranian"),
            format!(
                "400 The classifier 'Natural Language :: Ukranian' has been deprecated, use one of ['Natural Language :: Ukrainian'] instead. {CORE}"
            ),
        ),
        (
            good().set("metadata_version", Some("2.2")).add("dynamic", "Version"),
            format!("400 'version' is not allowed as a dynamic field. {CORE}"),
        ),
        (
            good().add("project_urls", "Thisisaverylonglabelthatislongerthan32, https://x.org"),
            format!("400 'Thisisaverylonglabelthatislongerthan32' must be 32 characters or less. {CORE}"),
        ),
        (good().add("home_page", "ftp://x"), format!("400 'ftp://x' is not a valid url. {CORE}")),
        (
            good().add("description_content_type", "text/html"),
            format!(
                "400 'description-content-type' must be one of ['text/plain', 'text/markdown', 'text/x-rst'], not 'text/html'. {CORE}"
            ),
        ),
        (
            good().set("metadata_version", Some("1.0")).add("classifiers", "Programming Language :: Python"),
            format!("400 classifier introduced in metadata version 1.1, not 1.0. {CORE}"),
        ),
        (
            good().set("metadata_version", Some("2.4")).add("license_expression", "MIT OR Foo"),
            format!("400 'MIT OR Foo' is invalid for 'license-expression'. {CORE}"),
        ),
        (
            good().add("requires_dist", "foo @ https://x.org/a.whl"),
            format!("400 Can't have direct dependency: foo @ https://x.org/a.whl. {CORE}"),
        ),
        (good().add("author", "a").add("author", "b"), format!("400 'author' has invalid data. {CORE}")),
        (
            good().add("author_email", "Foo <foo@bar>"),
            format!(
                "400 'foo@bar' is not a valid email address: The part after the @-sign is not valid. It should have a period. {CORE}"
            ),
        ),
    ];
    for (form, expected) in cases {
        assert_eq!(server.upload(Some("SECRET"), &form).status_line(), expected);
    }
    // distutils' UNKNOWN is dropped, not rejected.
    let reply = server.upload(Some("SECRET"), &good().set("summary", Some("UNKNOWN")));
    assert_eq!(reply.status, 200);
}

#[test]
fn filename_and_archive_errors() {
    let server = Server::start(&[]);
    let upload = |dist: common::Dist, name: &str, version: &str| {
        server
            .upload(Some("SECRET"), &Form::new(&dist, name, version))
            .status_line()
    };
    assert_eq!(
        upload(
            wheel("demo_pkg-1.0-py3-none-linux_x86_64.whl"),
            "demo-pkg",
            "1.0"
        ),
        "400 Binary wheel 'demo_pkg-1.0-py3-none-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'."
    );
    assert_eq!(
        upload(wheel("Demo_Pkg-1.0-py3-none-any.whl"), "demo-pkg", "1.0"),
        "400 Filename 'Demo_Pkg-1.0-py3-none-any.whl' should contain the normalized project name 'demo_pkg', not 'Demo_Pkg'."
    );
    assert_eq!(
        upload(wheel("other-1.0-py3-none-any.whl"), "demo-pkg", "1.0"),
        "400 Start filename for 'demo-pkg' with 'demo_pkg'."
    );
    assert_eq!(
        upload(wheel("demo_pkg-2.0-py3-none-any.whl"), "demo-pkg", "1.0"),
        "400 Version in filename should be '1.0' not '2.0'."
    );
    assert_eq!(
        upload(wheel_with(WHEEL, &[("METADATA", b"x")]), "demo-pkg", "1.0"),
        "400 Invalid distribution file. WHEEL not found at demo_pkg-1.0.dist-info/WHEEL"
    );
    assert_eq!(
        upload(
            wheel_with(WHEEL, &[("WHEEL", b"x"), ("METADATA", b"x")]),
            "demo-pkg",
            "1.0"
        ),
        "400 Wheel 'demo_pkg-1.0-py3-none-any.whl' does not contain the required RECORD file: demo_pkg-1.0.dist-info/RECORD"
    );
    assert_eq!(
        upload(
            wheel_with(WHEEL, &[("WHEEL", b"x"), ("RECORD", b"")]),
            "demo-pkg",
            "1.0"
        ),
        "400 Wheel 'demo_pkg-1.0-py3-none-any.whl' does not contain the required METADATA file: demo_pkg-1.0.dist-info/METADATA"
    );
    // PEP 625: the sdist name is normalized, and it is a .tar.gz.
    assert_eq!(
        upload(sdist("Demo.Pkg-1.0.tar.gz", b""), "demo-pkg", "1.0"),
        "400 Filename 'Demo.Pkg-1.0.tar.gz' is invalid, should be 'demo_pkg-1.0.tar.gz'."
    );
    let mut not_gzip = sdist("demo_pkg-1.0.tar.gz", b"");
    not_gzip.bytes = b"not an archive".to_vec();
    assert_eq!(
        upload(not_gzip, "demo-pkg", "1.0"),
        "400 Invalid distribution file. File is not a tarfile"
    );
    let mut bad_name = wheel(WHEEL);
    bad_name.filename = "demo/pkg-1.0.whl".to_owned();
    assert_eq!(
        upload(bad_name, "demo-pkg", "1.0"),
        "400 Cannot upload a file with '/' or '\\' in the name."
    );
    let mut egg = wheel(WHEEL);
    egg.filename = "demo_pkg-1.0.egg".to_owned();
    assert_eq!(
        upload(egg, "demo-pkg", "1.0"),
        "400 Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information"
    );
    // Nothing was stored by any of these.
    assert_eq!(server.stats()["uploads_stored"], 0);
}

#[test]
fn file_part_without_content_type_is_accepted_like_webob() {
    // Regression (benchmarks, issue 7): uv publish sends the file part with no
    // Content-Type; WebOb types such a part `text/plain`, so PyPI takes it.
    let server = Server::start(&[]);
    let mut bare = good();
    bare.content_type = None;
    assert_eq!(server.upload(Some("SECRET"), &bare).status_line(), "200 OK");
    let mut image = Form::new(&wheel("demo_pkg-1.1-py3-none-any.whl"), "demo-pkg", "1.1");
    image.content_type = Some("image/png".to_owned());
    assert_eq!(
        server.upload(Some("SECRET"), &image).status_line(),
        "400 Invalid distribution file."
    );
}

#[test]
fn digest_and_size_limits() {
    let server = Server::start(&["--max-file-size", "1048576"]);
    let form = good().set("sha256_digest", Some(&"0".repeat(64)));
    assert_eq!(
        server.upload(Some("SECRET"), &form).status_line(),
        "400 The digest supplied does not match a digest calculated from the uploaded file."
    );
    // Incompressible, so the wheel really is over the limit.
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..2 * 1024 * 1024)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    let big = wheel_with(
        WHEEL,
        &[
            ("WHEEL", b"x"),
            ("RECORD", b""),
            ("METADATA", b"x"),
            ("data.bin", &noise),
        ],
    );
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&big, "demo-pkg", "1.0"))
            .status_line(),
        "400 File too large. Limit for project 'demo-pkg' is 1 MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information."
    );
}

#[test]
fn large_uploads_are_streamed_and_refused_with_pypis_message() {
    let server = Server::start(&[]);
    let form = good();
    let mut body = form.body();
    // Keep everything but the file bytes, then stream 150 MiB of file content.
    let dist = &form.dist.as_ref().unwrap().bytes;
    let at = body
        .windows(dist.len())
        .position(|w| w == &dist[..])
        .unwrap();
    let tail = body.split_off(at + dist.len());
    body.truncate(at);
    let chunk = vec![0x5au8; 1024 * 1024];
    let total = 150u64;
    let len = body.len() as u64 + total * chunk.len() as u64 + tail.len() as u64;
    let pieces = std::iter::once(body)
        .chain((0..total).map(|_| chunk.clone()))
        .chain(std::iter::once(tail));
    let reply = server.request_streamed(
        "/legacy/",
        &[
            ("Content-Type", Form::CONTENT_TYPE),
            (
                "Authorization",
                &format!("Basic {}", common::base64("__token__:SECRET")),
            ),
        ],
        len,
        pieces,
    );
    assert_eq!(
        reply.status_line(),
        "400 File too large. Limit for project 'demo-pkg' is 100 MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information."
    );
    let peak = server.peak_rss_kib();
    assert!(
        peak < 64 * 1024,
        "server peaked at {peak} KiB for a 150 MiB upload"
    );
}

#[test]
fn duplicates_follow_pypi() {
    let server = Server::start(&[]);
    assert_eq!(server.upload(Some("SECRET"), &good()).status, 200);
    // Same name, same bytes: 200 and nothing new.
    assert_eq!(server.upload(Some("SECRET"), &good()).status, 200);
    assert_eq!(server.stats()["uploads_stored"], 1);
    // Same name, other bytes.
    let other = wheel_with(
        WHEEL,
        &[("WHEEL", b"y"), ("RECORD", b""), ("METADATA", b"y")],
    );
    let blake2 = {
        use blake2::Digest;
        hex::encode(blake2::Blake2b::<blake2::digest::consts::U32>::digest(
            &other.bytes,
        ))
    };
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&other, "demo-pkg", "1.0"))
            .status_line(),
        format!(
            "400 File already exists ('{WHEEL}', with blake2_256 hash '{blake2}'). See https://pypi.org/help/#file-name-reuse for more information."
        )
    );
    // One sdist per release ("1.0.0" is the same release as "1.0").
    let first = sdist("demo_pkg-1.0.tar.gz", b"a");
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&first, "demo-pkg", "1.0"))
            .status,
        200
    );
    let second = sdist("demo_pkg-1.0.0.tar.gz", b"b");
    assert_eq!(
        server
            .upload(Some("SECRET"), &Form::new(&second, "demo-pkg", "1.0.0"))
            .status_line(),
        "400 Only one sdist may be uploaded per release."
    );
}

#[test]
fn project_names() {
    let server = Server::start(&[]);
    let json = Form::new(&wheel("json-1.0-py3-none-any.whl"), "json", "1.0");
    assert_eq!(
        server.upload(Some("SECRET"), &json).status_line(),
        "400 The name 'json' isn't allowed (conflict with Python Standard Library module name). See https://pypi.org/help/#project-name for more information."
    );
    assert_eq!(server.upload(Some("SECRET"), &good()).status, 200);
    let similar = Form::new(&wheel("demopkg-1.0-py3-none-any.whl"), "demopkg", "1.0");
    assert_eq!(
        server.upload(Some("SECRET"), &similar).status_line(),
        "400 The name 'demopkg' is too similar to an existing project. See https://pypi.org/help/#project-name for more information."
    );
}

#[test]
fn routing_quirks() {
    let server = Server::start(&[]);
    let reply = server.request(
        "POST",
        "/legacy",
        &[("Content-Type", Form::CONTENT_TYPE)],
        &good().body(),
    );
    assert_eq!(
        reply.status_line(),
        "308 An upload was attempted to /legacy but the expected upload URL is /legacy/ (with a trailing slash)"
    );
    assert_eq!(
        reply.header("location"),
        Some(server.url("/legacy/").as_str())
    );
    // GET shows the "API endpoint" page.
    assert_eq!(server.get("/legacy/", &[]).status, 200);
    // A POST that names no known action falls to that page, which refuses POST.
    let no_action = good().set(":action", None);
    let reply = server.upload(Some("SECRET"), &no_action);
    assert_eq!(reply.status_line(), "405 Method Not Allowed");
    assert_eq!(reply.header("allow"), Some("GET, HEAD, OPTIONS"));
    let docs = good().set(":action", Some("doc_upload"));
    assert_eq!(
        server.upload(Some("SECRET"), &docs).status_line(),
        "410 Uploading documentation is no longer supported, we recommend using https://readthedocs.org/."
    );
    assert_eq!(server.stats()["upload_requests"], 3);
}
