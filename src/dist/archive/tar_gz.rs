//! `.tar.gz` sdists, read in one pass as PyPI reads them.
//!
//! Warehouse opens the sdist with CPython's `tarfile.open(…, "r:gz")` and lists every member
//! (`getnames()`, `getmembers()`), which inflates the stream up to the tar's end, then judges
//! (`warehouse/forklift/legacy.py`, `_is_valid_dist_file`). Here [`gzip`] inflates as CPython's
//! `gzip` does, [`header`] reads members as `tarfile` does, and this module walks them once:
//! names, the `PKG-INFO` candidate, the `.py`/`.pye` members the PyArmor scan reads, and
//! where (and why) the stream stopped; the rules then look at what was read.

mod fields;
mod gzip;
mod header;

use std::fs::File;
use std::io::BufReader;

use super::{
    ArchiveContents, ArchiveError, MAX_ENTRIES, MAX_METADATA_SIZE, Refusal, malware, split_top,
};
use gzip::{GzipError, GzipStream};
use header::{HeaderError, Member, TarReader};

/// How many inflated bytes we read at least; see [`budget`].
const EXPANSION_BUDGET: u64 = 512 * 1024 * 1024;
/// …and per compressed byte, for larger files.
const BUDGET_PER_BYTE: u64 = 16;

/// How many inflated bytes we read at most. Not PyPI's rule: Warehouse has no compression
/// ratio rule for `.tar.gz` (a TODO in `_is_valid_dist_file`) and inflates everything, so a
/// ratio would refuse sdists PyPI takes. But a gzip bomb must not cost unbounded time. 512
/// MiB (a quarter second on a gzip bomb's zeros) or 16 bytes per compressed byte, whichever
/// is more, is more than real sdists hold (source compresses 3–6×; a 100 MiB sdist may
/// inflate to 1.6 GiB), so that a backend writing `PKG-INFO` last is still read to it. Past
/// the budget, an sdist whose `PKG-INFO` was read gets a warning that the rest was not
/// checked; one whose `PKG-INFO` was not reached is an error naming this limit.
fn budget(compressed: u64) -> u64 {
    EXPANSION_BUDGET.max(compressed.saturating_mul(BUDGET_PER_BYTE))
}

/// What Warehouse answers for an archive Python cannot read, by where and how it failed.
#[derive(Clone, Copy)]
enum Says {
    /// `_is_valid_dist_file`: `except tarfile.ReadError, EOFError, zlib.error: return
    /// False, None` (warehouse#20415): "Invalid distribution file. None".
    Caught,
    /// The first member cannot be read: `tarfile.is_tarfile` is false ("File is not a
    /// tarfile").
    NotATarfile,
    /// Python raises something Warehouse does not catch (`gzip.BadGzipFile`, an `EOFError`
    /// inside `is_tarfile`, a `ValueError`): the upload fails with a server error.
    Uncaught,
}

impl Says {
    fn words(self) -> &'static str {
        match self {
            Self::Caught => "Invalid distribution file. None",
            Self::NotATarfile => "Invalid distribution file. File is not a tarfile",
            Self::Uncaught => {
                "PyPI cannot read this archive: Python's gzip/tarfile raises an error Warehouse \
                 does not handle, and the upload fails"
            }
        }
    }

    /// How a gzip failure surfaces: `first` while `tarfile.open` reads the first member
    /// (where `gzopen` turns `OSError` and `tarfile` turns `zlib.error` into `ReadError`,
    /// which `is_tarfile` answers with false, but lets `EOFError` through).
    fn of_gzip(e: &GzipError, first: bool) -> Self {
        match (e, first) {
            (GzipError::Truncated { .. }, true) => Self::Uncaught,
            (GzipError::Truncated { .. } | GzipError::Corrupt { .. }, false) => Self::Caught,
            (GzipError::Corrupt { .. } | GzipError::BadGzip { .. }, true) => Self::NotATarfile,
            _ => Self::Uncaught,
        }
    }
}

/// Where the walk stopped before the tar's end.
enum Stop {
    /// The stream or a header is broken: Python's `tarfile` (PyPI's, and pip's) cannot read
    /// the archive, so it is an error for every index.
    Broken { says: Says, what: String },
    /// The [`budget`] reached.
    Budget(u64),
    /// [`MAX_ENTRIES`] reached.
    Entries,
    /// A GNU long name or pax header larger than we read.
    Header(&'static str),
}

impl Stop {
    fn from_gzip(e: GzipError, first: bool) -> Result<Self, ArchiveError> {
        Ok(match e {
            GzipError::Budget(n) => Self::Budget(n),
            GzipError::Io(e) => return Err(ArchiveError::Io(e)),
            e => Self::Broken {
                says: Says::of_gzip(&e, first),
                what: e.to_string(),
            },
        })
    }

    /// The error when `PKG-INFO` was not reached, or the stream is broken.
    fn into_error(self) -> ArchiveError {
        match self {
            Self::Broken { says, what } => ArchiveError::Refused(Refusal {
                code: "sdist-stream",
                message: says.words().into(),
                member: Some(what),
            }),
            Self::Budget(expanded) => ArchiveError::ExpansionBudget { expanded },
            Self::Entries => ArchiveError::TooManyEntries,
            Self::Header(what) => ArchiveError::HeaderTooLarge(what),
        }
    }

    /// The warning (for every index) when `PKG-INFO` was read before our limit stopped the
    /// walk.
    fn into_warning(self) -> Refusal {
        let stopped = match self {
            Self::Budget(expanded) => format!(
                "the archive was read only up to {expanded} inflated bytes (this tool's limit \
                 against gzip bombs, not PyPI's)"
            ),
            Self::Header(what) => {
                format!("the archive was read only up to a {what} (this tool's limit, not PyPI's)")
            }
            _ => format!(
                "the archive was read only up to {MAX_ENTRIES} members (this tool's limit, not \
                 PyPI's)"
            ),
        };
        Refusal {
            code: "sdist-unchecked",
            message: format!("{stopped}: the rest was not checked"),
            member: None,
        }
    }
}

/// What one pass over the archive found.
#[derive(Default)]
struct Walk {
    names: Vec<String>,
    /// The shallowest `…/PKG-INFO` file: its name as stored, and its bytes.
    pkg_info: Option<(String, Vec<u8>)>,
    refusals: Vec<Refusal>,
    stop: Option<Stop>,
}

fn depth(path: &str) -> usize {
    path.trim_start_matches("./").split('/').count()
}

/// A member's data (at most `limit` bytes, and never past where the next header starts).
fn data(
    tar: &mut TarReader<impl std::io::Read>,
    member: &Member,
    limit: u64,
) -> Result<Vec<u8>, GzipError> {
    let size = u64::try_from(member.size.max(0)).unwrap_or(u64::MAX);
    let extent = tar.next_header.saturating_sub(tar.pos);
    let mut buf = Vec::new();
    tar.read_up_to(size.min(extent).min(limit), &mut buf)?;
    Ok(buf)
}

fn walk(file: File, compressed: u64) -> Result<Walk, ArchiveError> {
    let stream = GzipStream::new(BufReader::new(file), budget(compressed));
    let mut tar = TarReader::new(BufReader::with_capacity(64 * 1024, stream));
    let mut found = Walk::default();
    let mut first = true;
    let stop = loop {
        // `TarFile.next`: go to the next header; data that ends short is a `ReadError`.
        if !first && tar.pos < tar.next_header {
            let want = tar.next_header - tar.pos;
            match tar.skip(want) {
                Ok(got) if got < want => {
                    break Some(Stop::Broken {
                        says: Says::Caught,
                        what: format!(
                            "unexpected end of data: the tar stream ends at byte {} inside a \
                             member's data",
                            tar.pos
                        ),
                    });
                }
                Ok(_) => {}
                Err(e) => break Some(Stop::from_gzip(e, false)?),
            }
        }
        let member = match tar.member() {
            Ok(member) => member,
            // `TarFile.next`: a zero block ends the archive; so do an empty, short or invalid
            // header after the first member (nothing after it is read).
            Err(HeaderError::EndBlock) => break None,
            Err(HeaderError::Empty | HeaderError::Truncated | HeaderError::Invalid(_))
                if !first =>
            {
                break None;
            }
            Err(HeaderError::TooLarge(what)) => break Some(Stop::Header(what)),
            Err(HeaderError::Stream(e)) => break Some(Stop::from_gzip(e, first)?),
            Err(HeaderError::Unhandled(what)) => {
                break Some(Stop::Broken {
                    says: Says::Uncaught,
                    what: format!("{what} (byte {} of the tar stream)", tar.pos),
                });
            }
            Err(
                e @ (HeaderError::Subsequent(_)
                | HeaderError::Empty
                | HeaderError::Truncated
                | HeaderError::Invalid(_)),
            ) => {
                let what = match e {
                    HeaderError::Subsequent(w) => {
                        format!("bad header after an extended header: {w}")
                    }
                    HeaderError::Invalid(w) => format!("first header: {w}"),
                    _ => "no complete first header".into(),
                };
                // At the first member `TarFile.__init__` raises `ReadError` and `is_tarfile`
                // is false; later `getnames()` raises it.
                break Some(Stop::Broken {
                    says: if first {
                        Says::NotATarfile
                    } else {
                        Says::Caught
                    },
                    what: format!("{what} (byte {} of the tar stream)", tar.pos),
                });
            }
        };
        first = false;
        if found.names.len() >= MAX_ENTRIES {
            break Some(Stop::Entries);
        }
        if let Err(e) = look_at(&mut tar, &member, &mut found) {
            match e {
                Looked::Archive(e) => return Err(e),
                Looked::Stream(e) => break Some(Stop::from_gzip(e, false)?),
            }
        }
        found.names.push(member.name);
    };
    found.stop = stop;
    Ok(found)
}

enum Looked {
    Archive(ArchiveError),
    Stream(GzipError),
}

/// One member: sparse or not, and the data of the `PKG-INFO` candidate and scanned members.
fn look_at(
    tar: &mut TarReader<impl std::io::Read>,
    member: &Member,
    found: &mut Walk,
) -> Result<(), Looked> {
    let name = &member.name;
    // Warehouse `_is_valid_dist_file`: `any(member.issparse() for member in
    // tar.getmembers())` → "tar archive not accepted: Sparse members are not allowed"
    // (warehouse#20404); `issparse()` holds for GNU 'S' members and pax GNU sparse 0.0, 0.1
    // and 1.0 headers alike.
    // Warehouse stops at the first sparse member and the first scan match: so do we.
    let first_of = |code: &str| found.refusals.iter().all(|r| r.code != code);
    if member.sparse {
        if !first_of("sdist-sparse") {
            return Ok(());
        }
        found.refusals.push(Refusal {
            code: "sdist-sparse",
            message: "Invalid distribution file. tar archive not accepted: Sparse members are \
                      not allowed. See https://docs.pypi.org/archives for more information"
                .into(),
            member: Some(name.clone()),
        });
        return Ok(());
    }
    // Where PKG-INFO must be is known only at the end (see `split_top`): keep the
    // shallowest candidate, which is the one under the common path if any is. A member of a
    // type Python does not know is read as a file (`TarFile.extractfile`), and Warehouse's
    // `getmember` finds it all the same; links are never followed.
    let candidate = member.has_data()
        && name.trim_start_matches("./").contains('/')
        && name.ends_with("/PKG-INFO")
        && found
            .pkg_info
            .as_ref()
            .is_none_or(|(kept, _)| depth(name) < depth(kept));
    let size = u64::try_from(member.size.max(0)).unwrap_or(u64::MAX);
    if candidate {
        if size > MAX_METADATA_SIZE {
            return Err(Looked::Archive(ArchiveError::MetadataTooLarge {
                path: name.clone(),
                limit: MAX_METADATA_SIZE,
            }));
        }
        let bytes = data(tar, member, MAX_METADATA_SIZE).map_err(Looked::Stream)?;
        found.pkg_info = Some((name.clone(), bytes));
    } else if member.is_file() && malware::is_scanned(name, size) && first_of("pyarmor") {
        // Warehouse `scanner.iter_tar_members`: every `isfile()` member, after the checks
        // above (warehouse#19584).
        let bytes = data(tar, member, malware::SCAN_MAX_MEMBER_SIZE).map_err(Looked::Stream)?;
        found.refusals.extend(malware::scan(name, &bytes));
    }
    Ok(())
}

pub(super) fn read_sdist_tar(file: File, compressed: u64) -> Result<ArchiveContents, ArchiveError> {
    let Walk {
        names,
        pkg_info,
        mut refusals,
        stop,
    } = walk(file, compressed)?;
    if let Some(broken @ Stop::Broken { .. }) = stop {
        return Err(broken.into_error());
    }
    let Some((path, metadata)) = pkg_info else {
        return Err(match stop {
            Some(stop) => stop.into_error(),
            None => {
                let (top, _) = split_top(&names)?;
                ArchiveError::NoMetadata {
                    expected: format!("{top}/PKG-INFO"),
                }
            }
        });
    };
    // Warehouse `_is_valid_dist_file`: `_commonpath(tar.getnames())` in (".", "/", "") →
    // "Incorrect number of top-level directories in sdist".
    let (top, members) = split_top(&names)?;
    let expected = format!("{top}/PKG-INFO");
    if path.trim_start_matches("./") != expected {
        return Err(match stop {
            Some(stop) => stop.into_error(),
            None => ArchiveError::NoMetadata { expected },
        });
    }
    // Warehouse `_is_valid_dist_file`: `tar.getmember(os.path.join(top_level, "PKG-INFO"))`
    // compares names as stored, so `./demo-1.0/PKG-INFO` is not found (pip takes it).
    if !names.contains(&expected) {
        refusals.push(Refusal {
            code: "sdist-pkg-info",
            message: format!("Invalid distribution file. PKG-INFO not found at {expected}"),
            member: Some(path),
        });
    }
    Ok(ArchiveContents {
        metadata_path: expected,
        metadata,
        members,
        dist_info: None,
        refusals,
        notes: stop.map(Stop::into_warning).into_iter().collect(),
    })
}
