//! The legacy upload, in the order of Warehouse's `forklift.legacy.file_upload`:
//! sanitize → identity → protocol → form → metadata → file present → project (create
//! or look up) → permission → release → filename → content type → size → digests →
//! duplicate → one sdist per release → archive → sdist/wheel filename rules → wheel
//! contents → attestations → store. The first failing step answers, with
//! Warehouse's status and message.

use std::sync::LazyLock;

use axum::http::{HeaderMap, StatusCode};

use crate::app::AppState;
use crate::auth::{HELP_URL, Identity, no_identity};
use crate::form::{PostData, Value};
use crate::httpexc::HttpException;
use crate::names::canonicalize_name;
use crate::oracle::{parse_sdist_filename, parse_wheel_filename};
use crate::pyfmt::repr;
use crate::store::{FileRecord, Project, Release, now_us};
use crate::validate::archive::{
    Opened, check_sdist_license_files, check_wheel_contents, open_dist,
};
use crate::validate::filename::{is_allowed_platform, validate_filename};
use crate::validate::{form, metadata};

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

static STDLIB_PROHIBITED: LazyLock<std::collections::HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../data/stdlib-prohibited.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect()
});

/// How an accepted upload went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new file was stored.
    Stored,
    /// The same filename with the same bytes was already there (PyPI: 200, no-op).
    AlreadyPresent,
}

/// 14 days, in microseconds.
const MAX_RELEASE_AGE_US: u64 = 14 * 24 * 3600 * 1_000_000;

fn bad_request(message: impl Into<String>) -> HttpException {
    HttpException::bad_request(message)
}

/// Runs one upload against the store.
/// `received` is the form as it arrived (before `sanitize`), kept for `/_/forms`.
pub async fn upload(
    state: &AppState,
    headers: &HeaderMap,
    mut post: PostData,
    received: Vec<(String, serde_json::Value)>,
) -> Result<Outcome, HttpException> {
    // `sanitize` decorator.
    post.sanitize();
    if let Some(field) = post.tuple_field() {
        return Err(bad_request(format!("{field}: Should not be a tuple.")));
    }
    // `ensure_uploads_allowed`: an identity is required.
    let identity = state
        .tokens
        .lock()
        .expect("tokens lock")
        .identify(headers)?
        .ok_or_else(no_identity)?;

    match post.get("protocol_version") {
        None => {}
        Some(Value::Text(v)) if v == "1" => {}
        Some(_) => return Err(bad_request("Unknown protocol version.")),
    }
    let form = form::validate(&post).map_err(bad_request)?;
    let meta = metadata::parse(&post).map_err(bad_request)?;
    if !post.contains("content") {
        return Err(bad_request("Upload payload does not have a file."));
    }
    // `request.POST["content"].filename` on a text field: an AttributeError in Warehouse.
    let Some(Value::File { .. }) = post.get("content") else {
        return Err(HttpException::plain(StatusCode::INTERNAL_SERVER_ERROR));
    };
    let content = post.content.take().expect("content file part");

    let mut store = state.store.lock().await;
    let normalized = canonicalize_name(&form.name);
    let existing = store.catalogue.projects.get(&normalized).cloned();

    // Project lookup or creation.
    let project_name = match &existing {
        Some(project) => project.name.clone(),
        None => {
            if !identity.is_user() {
                return Err(bad_request(
                    "Non-user identities cannot create new projects. This was probably caused by successfully using a pending publisher but specifying the project name incorrectly (either in the publisher or in your project's metadata). Please ensure that both match. See: https://docs.pypi.org/trusted-publishers/troubleshooting/",
                ));
            }
            let name = &form.name;
            let stdlib_key = canonicalize_name(name.trim_matches(['-', '_', '.']));
            if STDLIB_PROHIBITED.contains(stdlib_key.as_str()) {
                return Err(bad_request(format!(
                    "The name {} isn't allowed (conflict with Python Standard Library module name). See {HELP_URL}#project-name for more information.",
                    repr(name)
                )));
            }
            if store.catalogue.similar_project(name).is_some() {
                return Err(bad_request(format!(
                    "The name {} is too similar to an existing project. See {HELP_URL}#project-name for more information.",
                    repr(name)
                )));
            }
            name.clone()
        }
    };
    identity.permits(&normalized, &project_name, now_us() / 1_000_000)?;
    // Warehouse renames the project to the uploaded display name here.
    let project_name = meta.name.clone();

    // Description rendering is not reproduced (reStructuredText failures pass).
    let canonical_version = meta.version.canonical.clone();
    let release = existing
        .as_ref()
        .and_then(|p| {
            p.releases
                .iter()
                .find(|r| r.canonical_version == canonical_version)
        })
        .cloned();

    let filename = content.filename.clone();
    validate_filename(&filename, &form.filetype).map_err(bad_request)?;
    // WebOb gives a part without a Content-Type header the type `text/plain` (cgi's rule
    // for inner parts), so only an empty or image type is refused: uv sends no header.
    if content
        .content_type
        .as_deref()
        .is_some_and(|t| t.is_empty() || t.starts_with("image/"))
    {
        return Err(bad_request("Invalid distribution file."));
    }

    // Size limits, in the order the streaming loop would trip them.
    let project_total = existing
        .as_ref()
        .map_or(0, |p| p.total_size(&store.catalogue.files));
    let file_limit = state.config.max_file_size;
    let project_room = state.config.max_project_size.saturating_sub(project_total);
    if content.size > file_limit || content.size > project_room {
        return Err(if content.size > file_limit && file_limit <= project_room {
            bad_request(format!(
                "File too large. Limit for project {} is {} MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information.",
                repr(&project_name),
                file_limit / MIB
            ))
        } else {
            bad_request(format!(
                "Project size too large. Limit for project {} total size is {} GB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-project-size-limit-increase",
                repr(&project_name),
                state.config.max_project_size / GIB
            ))
        });
    }

    for (given, computed) in [
        (&form.md5_digest, &content.md5),
        (&form.sha256_digest, &content.sha256),
        (&form.blake2_256_digest, &content.blake2_256),
    ] {
        if let Some(given) = given
            && given.to_lowercase() != *computed
        {
            return Err(bad_request(
                "The digest supplied does not match a digest calculated from the uploaded file.",
            ));
        }
    }

    // `_is_duplicate_file`: same filename or same blake2 digest.
    if let Some(existing_file) = store.catalogue.find_file(&filename, &content.blake2_256) {
        if existing_file.filename == filename
            && existing_file.sha256 == content.sha256
            && existing_file.blake2_256 == content.blake2_256
        {
            // Nothing changes on PyPI; only the fixture's record of the last form does.
            if let Some(record) = store.catalogue.files.get_mut(&filename) {
                record.form = received;
            }
            let _ = store.save();
            return Ok(Outcome::AlreadyPresent);
        }
        return Err(bad_request(format!(
            "File already exists ({}, with blake2_256 hash {}). See {HELP_URL}#file-name-reuse for more information.",
            repr(&filename),
            repr(&content.blake2_256)
        )));
    }

    // Warehouse `MAXIMUM_AGE_FOR_NEW_UPLOADS_DAYS`: a release older than 14 days takes no new
    // files (checked after the duplicate lookup, so an identical re-upload still gets 200).
    if let Some(release) = &release
        && release.created_us + MAX_RELEASE_AGE_US < now_us()
    {
        return Err(bad_request(
            "Uploading new files to releases older than 14 days is not allowed.",
        ));
    }

    if form.filetype == "sdist"
        && let Some(release) = &release
        && release
            .files
            .iter()
            .filter_map(|f| store.catalogue.files.get(f))
            .any(|f| f.packagetype == "sdist")
    {
        return Err(bad_request("Only one sdist may be uploaded per release."));
    }

    // The archive checks read the whole file: off the async threads.
    let path = content.file.path().to_path_buf();
    let (name_for_check, license_files) = (filename.clone(), meta.license_files.clone());
    let checked = tokio::task::spawn_blocking(move || {
        let mut opened = match open_dist(&path, &name_for_check) {
            Ok(opened) => opened,
            Err(reason) => {
                let reason = reason.unwrap_or_else(|| "None".to_owned());
                return Err(ArchiveStep::Invalid(format!(
                    "Invalid distribution file. {reason}"
                )));
            }
        };
        let metadata_bytes = if name_for_check.ends_with(".whl") {
            Some(ArchiveStep::wheel(
                &mut opened,
                &name_for_check,
                &license_files,
            ))
        } else {
            None
        };
        Ok((opened, metadata_bytes))
    })
    .await
    .map_err(|_| HttpException::plain(StatusCode::INTERNAL_SERVER_ERROR))?;
    let (opened, wheel_contents) = checked.map_err(|ArchiveStep::Invalid(m)| bad_request(m))?;

    let normalized_underscored = normalized.replace('-', "_");
    if form.filetype == "sdist" {
        let Ok((name_from_filename, _)) = parse_sdist_filename(&filename) else {
            return Err(bad_request(format!(
                "Invalid source distribution filename: {filename}"
            )));
        };
        let mut name_from_filename = name_from_filename;
        // Warehouse's handling of post-releases spelled with a dash (`foo-1.0-1`).
        if meta.version.is_postrelease
            && name_from_filename != canonicalize_name(&meta.name)
            && filename.matches('-').count() >= 2
        {
            let before_last = filename.rsplit_once('-').map_or("", |(a, _)| a);
            name_from_filename = before_last
                .rsplit_once('-')
                .map_or("", |(a, _)| a)
                .to_owned();
        }
        if canonicalize_name(&name_from_filename) != normalized {
            return Err(bad_request(format!(
                "Start filename for {} with {}.",
                repr(&project_name),
                repr(&normalized_underscored)
            )));
        }
        let expected = format!("{normalized_underscored}-{}.tar.gz", meta.version);
        if filename != expected {
            return Err(bad_request(format!(
                "Filename {} is invalid, should be {}.",
                repr(&filename),
                repr(&expected)
            )));
        }
        if !meta.license_files.is_empty() {
            check_sdist_license_files(&opened, &filename, &meta.license_files)
                .map_err(bad_request)?;
        }
    }
    let mut metadata_bytes = None;
    if filename.ends_with(".whl") {
        let wheel = parse_wheel_filename(&filename).map_err(bad_request)?;
        if let Some(platform) = wheel.platforms.iter().find(|p| !is_allowed_platform(p)) {
            return Err(bad_request(format!(
                "Binary wheel '{filename}' has an unsupported platform tag '{platform}'."
            )));
        }
        let canonical_name = canonicalize_name(&meta.name);
        if canonical_name != wheel.name {
            return Err(bad_request(format!(
                "Start filename for {} with {}.",
                repr(&project_name),
                repr(&canonical_name.replace('-', "_"))
            )));
        }
        let name_from_filename = filename.split('-').next().unwrap_or("");
        if name_from_filename != normalized_underscored {
            return Err(bad_request(format!(
                "Filename {} should contain the normalized project name {}, not {}.",
                repr(&filename),
                repr(&normalized_underscored),
                repr(name_from_filename)
            )));
        }
        if meta.version != wheel.version {
            return Err(bad_request(format!(
                "Version in filename should be {} not {}.",
                repr(&meta.version.to_string()),
                repr(&wheel.version.to_string())
            )));
        }
        metadata_bytes = Some(
            wheel_contents
                .expect("wheel checked")
                .map_err(bad_request)?,
        );
    }
    drop(opened);

    let attestations = match post.get_text("attestations") {
        None => None,
        Some(raw) => {
            crate::attestations::check(&identity, raw, &filename, &content.sha256).map_err(
                |reason| {
                    bad_request(format!(
                        "Invalid attestations supplied during upload: {reason}"
                    ))
                },
            )?;
            Some(raw.to_owned())
        }
    };

    // Store: the file, its METADATA, the catalogue.
    let file_path = store.file_path(&filename);
    content
        .file
        .persist(&file_path)
        .map_err(|_| HttpException::plain(StatusCode::INTERNAL_SERVER_ERROR))?;
    let metadata_sha256 = match &metadata_bytes {
        Some(bytes) => {
            use sha2::Digest;
            let _ = std::fs::write(store.file_path(&format!("{filename}.metadata")), bytes);
            Some(hex::encode(sha2::Sha256::digest(bytes)))
        }
        None => None,
    };
    let now = now_us();
    let catalogue = &mut store.catalogue;
    let journal = |catalogue: &mut crate::store::Catalogue| {
        catalogue.serial += 1;
        catalogue.serial
    };
    if existing.is_none() {
        journal(catalogue); // "create"
        journal(catalogue); // "add Owner"
        catalogue.projects.insert(
            normalized.clone(),
            Project {
                name: project_name.clone(),
                releases: Vec::new(),
                last_serial: 0,
            },
        );
    }
    let requires_python = meta.requires_python.clone().filter(|s| !s.is_empty());
    if release.is_none() {
        journal(catalogue); // "new release"
    }
    let serial = journal(catalogue); // "add <pyversion> file <filename>"
    let project = catalogue
        .projects
        .get_mut(&normalized)
        .expect("project exists");
    project.name = project_name.clone();
    project.last_serial = serial;
    let release_version = match project
        .releases
        .iter_mut()
        .find(|r| r.canonical_version == canonical_version)
    {
        Some(release) => {
            release.files.push(filename.clone());
            release.version.clone()
        }
        None => {
            project.releases.push(Release {
                version: meta.version.to_string(),
                canonical_version: canonical_version.clone(),
                created_us: now,
                requires_python: requires_python.clone(),
                files: vec![filename.clone()],
            });
            meta.version.to_string()
        }
    };
    let release_requires_python = project
        .releases
        .iter()
        .find(|r| r.canonical_version == canonical_version)
        .and_then(|r| r.requires_python.clone());
    catalogue.files.insert(
        filename.clone(),
        FileRecord {
            filename: filename.clone(),
            project: normalized.clone(),
            version: release_version,
            packagetype: form.filetype.clone(),
            python_version: form.pyversion.clone(),
            sha256: content.sha256.clone(),
            blake2_256: content.blake2_256.clone(),
            md5: content.md5.clone(),
            size: content.size,
            upload_time_us: now,
            requires_python: release_requires_python,
            metadata_sha256,
            via_trusted_publishing: matches!(identity, Identity::Publisher(_)),
            provenance: attestations
                .as_deref()
                .and_then(|raw| crate::attestations::provenance(&identity, raw)),
            attestations,
            form: received,
        },
    );
    store
        .save()
        .map_err(|_| HttpException::plain(StatusCode::INTERNAL_SERVER_ERROR))?;
    Ok(Outcome::Stored)
}

/// A failure inside the blocking archive step.
enum ArchiveStep {
    Invalid(String),
}

impl ArchiveStep {
    fn wheel(
        opened: &mut Opened,
        filename: &str,
        license_files: &[String],
    ) -> Result<Vec<u8>, String> {
        check_wheel_contents(opened, filename, license_files)
    }
}
