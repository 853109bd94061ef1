//! HTTP Basic credentials for the legacy upload API.

use crate::secret::Secret;

/// The username PyPI requires with API tokens.
pub const TOKEN_USERNAME: &str = "__token__";

/// Where the credentials came from (shown to the user; never the values).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource {
    /// `--username/--password` or `--token`.
    Flags,
    /// `PYPI_PUBLISH_*` variables.
    PublishEnv,
    /// `TWINE_USERNAME`/`TWINE_PASSWORD`.
    TwineEnv,
    /// The action's `user`/`password` inputs.
    ActionInputs,
    /// The repository's `username`/`password` in `.pypirc` (`-r NAME`).
    ConfigFile,
    /// A token minted by trusted publishing.
    TrustedPublishing,
}

impl CredentialSource {
    /// For messages.
    pub fn describe(self) -> &'static str {
        match self {
            CredentialSource::Flags => "command-line options",
            CredentialSource::PublishEnv => "PYPI_PUBLISH_* environment variables",
            CredentialSource::TwineEnv => "TWINE_USERNAME/TWINE_PASSWORD",
            CredentialSource::ActionInputs => "the action's user/password inputs",
            CredentialSource::ConfigFile => "the repository's username/password in .pypirc",
            CredentialSource::TrustedPublishing => "trusted publishing",
        }
    }
}

/// A username and a secret password or token.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// `__token__` for API tokens.
    pub username: String,
    /// The password or token.
    pub password: Secret,
    /// Where they came from.
    pub source: CredentialSource,
}

impl Credentials {
    /// API-token credentials.
    pub fn token(token: Secret, source: CredentialSource) -> Self {
        Self {
            username: TOKEN_USERNAME.to_string(),
            password: token,
            source,
        }
    }
}

/// What was given, from any source, before resolution.
#[derive(Debug, Default, Clone)]
pub struct GivenCredentials {
    /// `--username`.
    pub username: Option<String>,
    /// `--password`.
    pub password: Option<Secret>,
    /// `--token`.
    pub token: Option<Secret>,
}

impl GivenCredentials {
    /// Resolves flags, then `PYPI_PUBLISH_*`, then `TWINE_*`, reading variables through `env`.
    pub fn resolve(&self, env: impl Fn(&str) -> Option<String>) -> Option<Credentials> {
        let non_empty = |k: &str| env(k).filter(|v| !v.is_empty());
        let from =
            |username: Option<String>, password: Option<Secret>, token: Option<Secret>, source| {
                if let Some(token) = token.filter(|t| !t.is_empty()) {
                    return Some(Credentials::token(token, source));
                }
                password
                    .filter(|p| !p.is_empty())
                    .map(|password| Credentials {
                        username: username
                            .filter(|u| !u.is_empty())
                            .unwrap_or_else(|| TOKEN_USERNAME.to_string()),
                        password,
                        source,
                    })
            };
        from(
            self.username.clone(),
            self.password.clone(),
            self.token.clone(),
            CredentialSource::Flags,
        )
        .or_else(|| {
            from(
                non_empty("PYPI_PUBLISH_USERNAME"),
                non_empty("PYPI_PUBLISH_PASSWORD").map(Secret::new),
                non_empty("PYPI_PUBLISH_TOKEN").map(Secret::new),
                CredentialSource::PublishEnv,
            )
        })
        .or_else(|| {
            from(
                non_empty("TWINE_USERNAME"),
                non_empty("TWINE_PASSWORD").map(Secret::new),
                None,
                CredentialSource::TwineEnv,
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_then_publish_env_then_twine_env() {
        let env = |k: &str| match k {
            "TWINE_USERNAME" => Some("alice".to_string()),
            "TWINE_PASSWORD" => Some("pw".to_string()),
            _ => None,
        };
        let c = GivenCredentials::default().resolve(env).unwrap();
        assert_eq!(
            (c.username.as_str(), c.password.reveal(), c.source),
            ("alice", "pw", CredentialSource::TwineEnv)
        );
        let flags = GivenCredentials {
            token: Some(Secret::new("t")),
            ..Default::default()
        };
        let c = flags.resolve(env).unwrap();
        assert_eq!(
            (c.username.as_str(), c.source),
            ("__token__", CredentialSource::Flags)
        );
        assert!(GivenCredentials::default().resolve(|_| None).is_none());
    }
}
