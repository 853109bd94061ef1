use super::*;

fn raw() -> RawSettings {
    RawSettings {
        paths: vec!["dist".into()],
        repository_urls: vec![],
        check_urls: vec![],
        repository: None,
        config_file: None,
        index_name: None,
        project_dir: None,
        allow_http: false,
        ca_bundle: None,
        concurrency: 8,
        dry_run: false,
        verify_metadata: true,
        attempts: None,
        stall_timeout: Duration::from_secs(60),
        attestations: crate::attest::Mode::Auto,
        fulcio_url: None,
        rekor_url: None,
        sigstore_staging: false,
        provenance_check: crate::provenance::Check::Warn,
        github_store: Default::default(),
    }
}

/// Issue 14: `-r testpypi` with no `~/.pypirc` at all resolves to TestPyPI, with its
/// simple index, and nothing is contacted to know it.
#[test]
fn repository_testpypi_needs_no_file() {
    let home = tempfile::tempdir().unwrap();
    let env = |k: &str| (k == "HOME").then(|| home.path().display().to_string());
    let settings = RunSettings::resolve(
        RawSettings {
            repository: Some("testpypi".into()),
            ..raw()
        },
        &env,
    )
    .unwrap();
    assert_eq!(
        settings.destinations[0].upload_url.as_str(),
        url::TESTPYPI_UPLOAD
    );
    assert_eq!(
        settings.destinations[0]
            .check_url
            .as_ref()
            .map(|u| u.as_str()),
        Some("https://test.pypi.org/simple/")
    );
    assert_eq!(settings.destinations[0].index, KnownIndex::TestPypi);
    assert_eq!(
        settings.destinations[0].url_origin.as_deref(),
        Some("built-in repository 'testpypi'")
    );
    assert!(settings.destinations[0].file_credentials.is_none());
    // Without -r nothing is read: the default stays PyPI.
    let settings = RunSettings::resolve(raw(), &env).unwrap();
    assert_eq!(
        settings.destinations[0].upload_url.as_str(),
        url::PYPI_UPLOAD
    );
    assert_eq!(settings.destinations[0].url_origin, None);
}

/// Flags and variables (both arrive as `repository_url`/`check_url`) win over the
/// files; the file's password then stays home.
#[test]
fn flags_and_environment_win_over_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let pypirc = dir.path().join("pypirc");
    std::fs::write(
        &pypirc,
        "[distutils]\nindex-servers = corp\n[corp]\nrepository = https://corp.example/legacy/\n\
         username = alice\npassword = corp-secret\nca_cert = /corp-ca.pem\n",
    )
    .unwrap();
    let corp = || RawSettings {
        repository: Some("corp".into()),
        config_file: Some(pypirc.clone()),
        ..raw()
    };
    let no_env = |_: &str| None;
    let settings = RunSettings::resolve(corp(), &no_env).unwrap();
    assert_eq!(
        settings.destinations[0].upload_url.as_str(),
        "https://corp.example/legacy/"
    );
    let c = settings.destinations[0].file_credentials.clone().unwrap();
    assert_eq!(
        (c.username.as_str(), c.password.reveal(), c.source),
        ("alice", "corp-secret", CredentialSource::ConfigFile)
    );
    assert_eq!(settings.ca_bundle, Some(PathBuf::from("/corp-ca.pem")));
    assert!(!format!("{c:?}").contains("corp-secret"));

    let settings = RunSettings::resolve(
        RawSettings {
            repository_urls: vec!["https://other.example/legacy/".into()],
            ..corp()
        },
        &no_env,
    )
    .unwrap();
    assert_eq!(
        settings.destinations[0].upload_url.as_str(),
        "https://other.example/legacy/"
    );
    assert!(settings.destinations[0].file_credentials.is_none() && settings.ca_bundle.is_none());
    assert_eq!(settings.destinations[0].url_origin, None);
    // The environment's CA bundle beats the file's.
    let env = |k: &str| (k == "SSL_CERT_FILE").then(|| "/env-ca.pem".to_string());
    let settings = RunSettings::resolve(corp(), &env).unwrap();
    assert_eq!(settings.ca_bundle, Some(PathBuf::from("/env-ca.pem")));
}

#[test]
fn index_gives_the_publish_url_and_its_url_as_the_check_url() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[[tool.uv.index]]\nname = \"corp\"\nurl = \"https://corp.example/pypi/simple\"\n\
         publish-url = \"https://corp.example/pypi/upload/\"\n",
    )
    .unwrap();
    let corp = || RawSettings {
        index_name: Some("corp".into()),
        project_dir: Some(dir.path().to_path_buf()),
        ..raw()
    };
    let settings = RunSettings::resolve(corp(), &|_| None).unwrap();
    assert_eq!(
        settings.destinations[0].upload_url.as_str(),
        "https://corp.example/pypi/upload/"
    );
    assert_eq!(
        settings.destinations[0]
            .check_url
            .as_ref()
            .map(|u| u.as_str()),
        Some("https://corp.example/pypi/simple/")
    );
    let settings = RunSettings::resolve(
        RawSettings {
            check_urls: vec!["https://flag.example/simple/".into()],
            ..corp()
        },
        &|_| None,
    )
    .unwrap();
    assert_eq!(
        settings.destinations[0]
            .check_url
            .as_ref()
            .map(|u| u.as_str()),
        Some("https://flag.example/simple/")
    );
    let err = RunSettings::resolve(
        RawSettings {
            index_name: Some("nope".into()),
            ..corp()
        },
        &|_| None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("index 'nope' is not in"), "{err}");
}
