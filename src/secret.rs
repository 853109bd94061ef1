//! Secrets (API tokens, passwords, OIDC JWTs, minted tokens) in a type that cannot leak by
//! accident: `Debug` and `Display` print `****`; the value comes out only through
//! [`Secret::reveal`], at the one place it goes on the wire.

use std::fmt;

/// A credential or token.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw value, for the request that needs it and nothing else.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `****`: for messages from
    /// servers, which may echo what they were sent.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.len() < 4 {
            return text.to_string();
        }
        scrub(text, "", self)
    }

    /// Whether it is empty (an empty input counts as "not given").
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(****)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("****")
    }
}

/// A URL string that may not parse, for display: anything between `://` and the last `@`
/// of the authority replaced by `****`.
pub fn redact_str(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let end = url[start..]
        .find(['/', '?', '#'])
        .map_or(url.len(), |i| start + i);
    match url[start..end].rfind('@') {
        Some(at) => format!("{}****{}", &url[..start], &url[start + at..]),
        None => url.to_string(),
    }
}

/// `text` with the password masked in every form a server could echo it back: as is,
/// percent-encoded, and inside the `Authorization: Basic` value (base64 of `user:password`).
pub fn scrub(text: &str, username: &str, password: &Secret) -> String {
    use base64::Engine;
    let raw = password.reveal();
    if raw.is_empty() {
        return text.to_string();
    }
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{username}:{raw}"));
    let mut out = text.replace(&basic, "****");
    for form in [basic.trim_end_matches('='), raw, &percent_encode(raw)] {
        if !form.is_empty() {
            out = out.replace(form, "****");
        }
    }
    out
}

/// Decodes `%XX` escapes (a URL's userinfo), leaving anything else as it is.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubs_every_echoed_form() {
        use base64::Engine;
        let pw = Secret::new("s3cr3t/pw");
        let basic = base64::engine::general_purpose::STANDARD.encode("__token__:s3cr3t/pw");
        let echoed = format!(
            "Authorization: Basic {basic}\ncredentials: __token__:s3cr3t/pw\nurl: https://u:s3cr3t%2Fpw@h/"
        );
        let clean = scrub(&echoed, "__token__", &pw);
        assert!(
            !clean.contains("s3cr3t") && !clean.contains(&basic),
            "{clean}"
        );
        assert_eq!(percent_decode("a%2Fb%zz"), "a/b%zz");
        assert_eq!(
            redact_str("https://u:p@w@h:99999/x@y"),
            "https://****@h:99999/x@y"
        );
        assert_eq!(redact_str("not a url"), "not a url");
    }

    /// What a server echoes of a secret it was sent (a JWT in an exchange's refusal) is
    /// masked; a secret of under four characters is not, or every `a` would become `****`.
    #[test]
    fn a_secret_masks_itself_in_a_server_message() {
        let jwt = Secret::new("eyJhbGciOi.payload.sig");
        assert_eq!(
            jwt.scrub("token eyJhbGciOi.payload.sig was refused"),
            "token **** was refused"
        );
        assert_eq!(Secret::new("abcd").scrub("x abcd y"), "x **** y");
        assert_eq!(Secret::new("abc").scrub("x abc y"), "x abc y");
        assert!(Secret::new("").is_empty() && !jwt.is_empty());
    }

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("pypi-AgEIcHlwaS5vcmc");
        assert_eq!(format!("{s} {s:?}"), "**** Secret(****)");
    }
}
