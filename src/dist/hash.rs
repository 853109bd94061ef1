//! File digests: sha256 (what indexes publish and compare, all the plan needs) and
//! blake2b-256 (what PyPI stores files under, needed only for a file that is sent).

use std::fmt;
use std::io::{self, Read};
use std::path::Path;

use sha2::{Digest, Sha256};

/// A lowercase hex sha256 digest.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Sha256Hex(String);

impl Sha256Hex {
    /// Wraps a digest read from an index, normalizing to lowercase.
    pub fn new(hex: &str) -> Self {
        Self(hex.to_ascii_lowercase())
    }

    /// The hex string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Sha256Hex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Digests and size of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// sha256, lowercase hex.
    pub sha256: Sha256Hex,
    /// blake2b with a 256-bit digest, lowercase hex (`None` until the file is to be sent).
    pub blake2_256: Option<String>,
    /// Bytes hashed.
    pub size: u64,
}

/// Hashes a reader to the end: sha256, and blake2b-256 too when `blake2`.
pub fn digest_reader(mut reader: impl Read, blake2: bool) -> io::Result<Digests> {
    let mut sha = Sha256::new();
    let mut blake = blake2.then(|| blake2b_simd::Params::new().hash_length(32).to_state());
    let mut buf = vec![0u8; 256 * 1024];
    let mut size = 0u64;
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        sha.update(&buf[..n]);
        if let Some(blake) = &mut blake {
            blake.update(&buf[..n]);
        }
        size += n as u64;
    }
    Ok(Digests {
        sha256: Sha256Hex(hex::encode(sha.finalize())),
        blake2_256: blake.map(|b| b.finalize().to_hex().to_string()),
        size,
    })
}

/// Hashes a file: sha256 and blake2b-256.
pub fn digest_file(path: &Path) -> io::Result<Digests> {
    digest_reader(std::fs::File::open(path)?, true)
}

/// A file's blake2b-256, lowercase hex: the form's `blake2_256_digest`.
pub fn blake2_file(path: &Path) -> io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut blake = blake2b_simd::Params::new().hash_length(32).to_state();
    io::copy(&mut file, &mut blake)?;
    Ok(blake.finalize().to_hex().to_string())
}

/// Hashes a file's sha256 only: what comparing with an index needs.
pub fn sha256_file(path: &Path) -> io::Result<Digests> {
    digest_reader(std::fs::File::open(path)?, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let d = digest_reader(&b"abc"[..], true).unwrap();
        assert_eq!(
            d.sha256.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            d.blake2_256.as_deref(),
            Some("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319")
        );
        assert_eq!(digest_reader(&b"abc"[..], false).unwrap().blake2_256, None);
        assert_eq!(d.size, 3);
    }
}
