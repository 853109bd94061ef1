//! Compact JWS with RS256, just what the issuer and the verifier need: sign a
//! claim set, split and decode without verifying (Warehouse peeks at `iss` first),
//! verify the signature against the issuer's key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self, KeyPair, RsaKeyPair, UnparsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};

/// The issuer's RSA key with its JWKS `kid`.
pub struct SigningKey {
    pair: RsaKeyPair,
    pub kid: String,
}

impl SigningKey {
    /// A fresh 2048-bit key.
    pub fn generate() -> Result<SigningKey, String> {
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .map_err(|_| "RSA key generation failed".to_owned())?;
        let kid = hex::encode(
            &aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pair.public_key().as_ref())
                .as_ref()[..8],
        );
        Ok(SigningKey { pair, kid })
    }

    /// `header.payload.signature` for these claims.
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let header = json!({"typ": "JWT", "alg": "RS256", "kid": self.kid, "x5t": self.kid});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(Value::Object(claims.clone()).to_string())
        );
        let mut sig = vec![0u8; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                signing_input.as_bytes(),
                &mut sig,
            )
            .expect("RSA signing");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    /// The JWKS entry (`n`, `e` from the DER `RSAPublicKey`).
    pub fn jwk(&self) -> Value {
        let (n, e) = rsa_public_components(self.pair.public_key().as_ref()).unwrap_or_default();
        json!({
            "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid, "x5t": self.kid,
            "n": URL_SAFE_NO_PAD.encode(n), "e": URL_SAFE_NO_PAD.encode(e),
        })
    }

    /// True when `token`'s signature is ours (RS256 over `header.payload`).
    pub fn verify(&self, token: &Unverified) -> bool {
        if token.header.get("alg").and_then(Value::as_str) != Some("RS256")
            || token.header.get("kid").and_then(Value::as_str) != Some(self.kid.as_str())
        {
            return false;
        }
        let key = UnparsedPublicKey::new(
            &signature::RSA_PKCS1_2048_8192_SHA256,
            self.pair.public_key().as_ref(),
        );
        key.verify(token.signing_input.as_bytes(), &token.signature)
            .is_ok()
    }
}

/// A JWT split and decoded, not yet trusted.
pub struct Unverified {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

/// Python's `urlsafe_b64decode` (as PyJWT uses it) ignores padding and stray
/// trailing bits.
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Splits and decodes a compact JWT (what `jwt.decode(verify_signature=False)` does).
pub fn decode_unverified(token: &str) -> Option<Unverified> {
    let mut parts = token.split('.');
    let (header, payload, sig) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let object = |part: &str| -> Option<Map<String, Value>> {
        match serde_json::from_slice(&LENIENT.decode(part).ok()?).ok()? {
            Value::Object(map) => Some(map),
            _ => None,
        }
    };
    Some(Unverified {
        header: object(header)?,
        claims: object(payload)?,
        signing_input: format!("{header}.{payload}"),
        signature: LENIENT.decode(sig).ok()?,
    })
}

/// `(n, e)` from a DER `RSAPublicKey ::= SEQUENCE { INTEGER n, INTEGER e }`.
fn rsa_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    fn read(der: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        if *der.first()? != tag {
            return None;
        }
        let (len, header) = match *der.get(1)? {
            l if l < 0x80 => (l as usize, 2),
            l => {
                let count = (l & 0x7f) as usize;
                let len = der
                    .get(2..2 + count)?
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | *b as usize);
                (len, 2 + count)
            }
        };
        let body = der.get(header..header + len)?;
        Some((body, &der[header + len..]))
    }
    let (sequence, _) = read(der, 0x30)?;
    let (n, rest) = read(sequence, 0x02)?;
    let (e, _) = read(rest, 0x02)?;
    let strip = |v: &[u8]| {
        v.iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    Some((strip(n), strip(e)))
}
