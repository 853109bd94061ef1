//! File digests: sha256 (what indexes publish and compare) and blake2b-256 (what PyPI
//! stores files under), computed together in one streaming pass.

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
    /// blake2b with a 256-bit digest, lowercase hex.
    pub blake2_256: String,
    /// Bytes hashed.
    pub size: u64,
}

/// Hashes a reader to the end.
pub fn digest_reader(mut reader: impl Read) -> io::Result<Digests> {
    let mut sha = Sha256::new();
    let mut blake = blake2b_simd::Params::new().hash_length(32).to_state();
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
        blake.update(&buf[..n]);
        size += n as u64;
    }
    Ok(Digests {
        sha256: Sha256Hex(hex::encode(sha.finalize())),
        blake2_256: blake.finalize().to_hex().to_string(),
        size,
    })
}

/// Hashes a file.
pub fn digest_file(path: &Path) -> io::Result<Digests> {
    digest_reader(std::fs::File::open(path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests_of_abc() {
        let d = digest_reader(&b"abc"[..]).unwrap();
        assert_eq!(
            d.sha256.as_str(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            d.blake2_256,
            "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"
        );
        assert_eq!(d.size, 3);
    }
}
