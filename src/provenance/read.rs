//! What a release's grade depends on, read from the index: the provenance objects of the
//! release's files already there, and of the one earlier release it will be compared with
//! (chosen from the simple API's upload times and `provenance` links, so only those few
//! objects are fetched, [`IN_FLIGHT`] at a time).

use futures_util::{StreamExt, stream};

use super::Attested;
use super::grade::{self, Dated, Earlier};
use crate::dist::DistFilename;
use crate::dist::check::pep440;
use crate::index::{Index, Listed, ProjectFiles, ProvenanceLink};

/// Provenance objects fetched at once (small GETs from a CDN on PyPI).
pub const IN_FLIGHT: usize = 8;

/// A release as the index holds it before this run.
#[derive(Debug, Clone)]
pub struct OnIndex {
    /// What each of its files attests to.
    pub existing: Vec<Attested>,
    /// The release it will be compared with.
    pub earlier: Earlier,
    /// Provenance objects fetched to learn this.
    pub fetched: usize,
}

/// One release of the project's listing.
struct Group<'a> {
    version: pep440::Pep440Version,
    dated: Dated,
    files: Vec<(&'a str, &'a Listed)>,
}

fn groups(files: &ProjectFiles) -> Vec<Group<'_>> {
    let mut out: Vec<Group<'_>> = Vec::new();
    for (name, listed) in files {
        let Ok(parsed) = DistFilename::parse(name) else {
            continue;
        };
        let Ok(version) = pep440::parse_version(&parsed.version_str) else {
            continue;
        };
        let at = match out.iter().position(|g| g.version == version) {
            Some(at) => at,
            None => {
                out.push(Group {
                    version,
                    dated: Dated {
                        version: parsed.version_str.clone(),
                        created: None,
                        attested: false,
                    },
                    files: Vec::new(),
                });
                out.len() - 1
            }
        };
        let group = &mut out[at];
        group.dated.attested |= matches!(listed.provenance, ProvenanceLink::Url(_));
        if let Some(t) = listed.uploaded {
            group.dated.created = Some(group.dated.created.map_or(t, |c| c.min(t)));
        }
        group.files.push((name, listed));
    }
    out
}

/// Reads what `version` of a project (`files`: its listing; `None`: unknown to the index)
/// depends on. `pypi`: the index is PyPI or TestPyPI, which list provenance for every file.
/// `Err`: the grade cannot be told, and why.
pub async fn read(
    index: &Index,
    files: Option<&ProjectFiles>,
    version: &str,
    pypi: bool,
    now: jiff::Timestamp,
) -> Result<OnIndex, String> {
    let empty = ProjectFiles::new();
    let files = files.unwrap_or(&empty);
    let listed = files
        .values()
        .any(|l| l.provenance != ProvenanceLink::Unlisted);
    if !listed && !pypi {
        return Err(
            "this index lists no provenance (PyPI's JSON simple API does, with a `provenance` key per file)"
                .into(),
        );
    }
    let version = pep440::parse_version(version).map_err(|e| format!("version {version}: {e}"))?;
    let groups = groups(files);
    let this = groups.iter().find(|g| g.version == version);
    let created = this.and_then(|g| g.dated.created).unwrap_or(now);
    let others: Vec<Dated> = groups
        .iter()
        .filter(|g| g.version != version)
        .map(|g| g.dated.clone())
        .collect();
    let earlier = grade::comparison(&others, created)?;
    let earlier = earlier.and_then(|v| groups.iter().find(|g| g.dated.version == v));
    let this_files = this.map_or(&[][..], |g| &g.files[..]);
    let earlier_files = earlier.map_or(&[][..], |g| &g.files[..]);
    let all: Vec<&(&str, &Listed)> = this_files.iter().chain(earlier_files).collect();
    let fetched = all
        .iter()
        .filter(|(_, l)| matches!(l.provenance, ProvenanceLink::Url(_)))
        .count();
    let attested: Vec<Attested> = stream::iter(all)
        .map(|(name, listed)| attested(index, name, listed))
        .buffered(IN_FLIGHT)
        .collect()
        .await;
    let (existing, earlier_attested) = attested.split_at(this_files.len());
    Ok(OnIndex {
        existing: existing.to_vec(),
        earlier: match earlier {
            Some(g) => Earlier::Release {
                version: g.dated.version.clone(),
                files: earlier_attested.to_vec(),
            },
            None => Earlier::Nothing,
        },
        fetched,
    })
}

/// What one listed file attests to (its provenance object fetched when it has one).
async fn attested(index: &Index, name: &str, listed: &Listed) -> Attested {
    let url = match &listed.provenance {
        ProvenanceLink::Url(url) => url,
        // PyPI lists a key for every file: a missing one is a file without provenance.
        ProvenanceLink::Absent | ProvenanceLink::Unlisted => return Attested::Nothing,
    };
    match index.provenance(url).await {
        Ok(Some(object)) => publishers(&object).map_or_else(
            || Attested::Unknown(format!("the provenance object of {name} is unreadable")),
            Attested::By,
        ),
        Ok(None) => Attested::Unknown(format!(
            "the provenance of {name} is listed but its object is missing (404)"
        )),
        Err(e) => Attested::Unknown(format!("cannot read the provenance of {name}: {e}")),
    }
}

/// `attestation_bundles[].publisher` of a PEP 740 provenance object (`version` 1).
pub fn publishers(object: &serde_json::Value) -> Option<Vec<super::Publisher>> {
    if object.get("version")?.as_u64()? != 1 {
        return None;
    }
    object
        .get("attestation_bundles")?
        .as_array()?
        .iter()
        .map(|b| super::Publisher::parse(b.get("publisher")?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_provenance_object_names_its_publishers() {
        let object = serde_json::json!({"version": 1, "attestation_bundles": [
            {"publisher": {"kind": "GitHub", "repository": "o/r", "workflow": "release.yml", "environment": null}, "attestations": []}
        ]});
        let found = publishers(&object).unwrap();
        assert_eq!(found[0].to_string(), "o/r release.yml");
        let other_version = serde_json::json!({"version": 2, "attestation_bundles": []});
        assert!(publishers(&other_version).is_none());
        let no_publisher = serde_json::json!({"version": 1, "attestation_bundles": [{}]});
        assert!(publishers(&no_publisher).is_none());
    }

    /// A lookup that fails makes the grade unknown: never a refusal.
    #[tokio::test]
    async fn an_object_that_cannot_be_read_is_unknown() {
        let upload = crate::http::SafeUrl::parse("http://127.0.0.1:1/legacy/").unwrap();
        let mut index = Index::new(reqwest::Client::new(), upload, None, None);
        index.lookup_retry.max_attempts = Some(1);
        let now: jiff::Timestamp = "2026-12-05T10:00:00Z".parse().unwrap();
        let unreachable = "http://127.0.0.1:1/integrity/demo/1.0/demo-1.0.tar.gz/provenance";
        let files: ProjectFiles = [(
            "demo-1.0.tar.gz".to_string(),
            Listed {
                sha256: None,
                uploaded: Some(now - jiff::SignedDuration::from_hours(24)),
                provenance: ProvenanceLink::Url(unreachable.into()),
            },
        )]
        .into_iter()
        .collect();
        let on = read(&index, Some(&files), "1.1", false, now).await.unwrap();
        assert_eq!(on.fetched, 1);
        let Earlier::Release { version, files } = &on.earlier else {
            panic!("{:?}", on.earlier);
        };
        assert_eq!(version, "1.0");
        assert!(
            matches!(&files[0], Attested::Unknown(why) if why.starts_with("cannot read the provenance of demo-1.0.tar.gz")),
            "{files:?}"
        );
        let graded = grade::grade(&grade::Facts {
            version: "1.1".into(),
            existing: on.existing,
            new_files: 1,
            publisher: None,
            sends_attestations: false,
            earlier: on.earlier,
        });
        assert!(!graded.grade.refused() && graded.grade == super::super::Grade::Unknown);
        // An index that lists no provenance at all: unknown before anything is fetched.
        let unlisted: ProjectFiles = [("demo-1.0.tar.gz".to_string(), Listed::default())]
            .into_iter()
            .collect();
        let why = read(&index, Some(&unlisted), "1.1", false, now)
            .await
            .unwrap_err();
        assert!(why.contains("lists no provenance"), "{why}");
    }

    #[test]
    fn the_listing_is_grouped_by_release_with_its_first_upload() {
        let at = |s: &str| Some(s.parse::<jiff::Timestamp>().unwrap());
        let listed = |uploaded, provenance| Listed {
            sha256: None,
            uploaded,
            provenance,
        };
        let files: ProjectFiles = [
            (
                "demo-1.0.tar.gz",
                listed(at("2026-12-02T00:00:00Z"), ProvenanceLink::Absent),
            ),
            (
                "demo-1.0.0-py3-none-any.whl",
                listed(at("2026-12-01T00:00:00Z"), ProvenanceLink::Url("u".into())),
            ),
            ("demo-2.0.tar.gz", listed(None, ProvenanceLink::Absent)),
            ("not a dist", listed(None, ProvenanceLink::Absent)),
        ]
        .into_iter()
        .map(|(n, l)| (n.to_string(), l))
        .collect();
        let groups = groups(&files);
        assert_eq!(groups.len(), 2);
        // `1.0` and `1.0.0` are one release.
        let one = &groups[0];
        assert_eq!(one.files.len(), 2);
        assert!(one.dated.attested);
        assert_eq!(one.dated.created, at("2026-12-01T00:00:00Z"));
        assert!(!groups[1].dated.attested && groups[1].dated.created.is_none());
    }
}
