//! Choosing between the credentials given and trusted publishing (`--trusted-publishing`).

use super::ambient::{AmbientError, IdentitySource};
use super::credentials::Credentials;
use super::trusted::Mode;

/// What a run authenticates with.
#[derive(Debug, Clone)]
pub enum Auth {
    /// Fixed credentials (or none: an index that takes anonymous uploads, or a dry run).
    Fixed(Option<Credentials>),
    /// Trusted publishing with this identity.
    Trusted(IdentitySource),
}

/// Why no usable choice exists.
#[derive(Debug, thiserror::Error)]
pub enum ChooseError {
    /// `always` with a password or token given as well.
    #[error(
        "--trusted-publishing always, but credentials were also given ({0}): remove them, or use --trusted-publishing auto"
    )]
    Conflicting(&'static str),
    /// Trusted publishing is required (or the only option) but there is no identity.
    #[error("trusted publishing has no OIDC token to trade")]
    Identity(#[from] AmbientError),
}

/// Picks the credentials: `auto` uses trusted publishing when nothing else is given and the
/// job has (or should have) an OIDC identity; outside CI it falls back to no credentials.
pub fn choose(
    mode: Mode,
    given: Option<Credentials>,
    env: &dyn Fn(&str) -> Option<String>,
    id_token_env: Option<&str>,
) -> Result<Auth, ChooseError> {
    match (mode, given) {
        (Mode::Never, given) => Ok(Auth::Fixed(given)),
        (Mode::Always, Some(given)) => Err(ChooseError::Conflicting(given.source.describe())),
        (Mode::Auto, Some(given)) => Ok(Auth::Fixed(Some(given))),
        (Mode::Always, None) => Ok(Auth::Trusted(IdentitySource::detect(env, id_token_env)?)),
        (Mode::Auto, None) => match IdentitySource::detect(env, id_token_env) {
            Ok(identity) => Ok(Auth::Trusted(identity)),
            Err(AmbientError::NotInCi) => Ok(Auth::Fixed(None)),
            Err(e) => Err(e.into()),
        },
    }
}

/// The one line that says what the run authenticates with (`None`: nothing).
pub fn describe(auth: &Auth, mode: Mode) -> Option<String> {
    match auth {
        Auth::Fixed(Some(c)) => Some(format!(
            "Using credentials from {} (user {})",
            c.source.describe(),
            c.username
        )),
        Auth::Fixed(None) => None,
        Auth::Trusted(identity) if mode == Mode::Auto => Some(format!(
            "No password or token given: using trusted publishing ({})",
            identity.describe()
        )),
        Auth::Trusted(identity) => Some(format!(
            "Using trusted publishing ({})",
            identity.describe()
        )),
    }
}

/// The fix for a failed choice of credentials.
pub fn hint(e: &ChooseError, index: crate::known_index::KnownIndex) -> Option<String> {
    match e {
        ChooseError::Identity(e) => {
            // The audience is only known after asking the index; these are PyPI's.
            e.hint(index.audience())
        }
        ChooseError::Conflicting(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::CredentialSource;
    use crate::secret::Secret;

    #[test]
    fn follows_the_mode() {
        let token = || {
            Some(Credentials::token(
                Secret::new("t"),
                CredentialSource::Flags,
            ))
        };
        let github = |k: &str| match k {
            "ACTIONS_ID_TOKEN_REQUEST_URL" => Some("https://x/?api-version=2.0".to_string()),
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN" => Some("r".to_string()),
            "GITHUB_ACTIONS" => Some("true".to_string()),
            _ => None,
        };
        let nowhere = |_: &str| None;
        assert!(matches!(
            choose(Mode::Auto, token(), &github, None),
            Ok(Auth::Fixed(Some(_)))
        ));
        assert!(matches!(
            choose(Mode::Auto, None, &github, None),
            Ok(Auth::Trusted(IdentitySource::GitHub { .. }))
        ));
        assert!(matches!(
            choose(Mode::Auto, None, &nowhere, None),
            Ok(Auth::Fixed(None))
        ));
        assert!(matches!(
            choose(Mode::Always, token(), &github, None),
            Err(ChooseError::Conflicting(_))
        ));
        assert!(matches!(
            choose(Mode::Always, None, &nowhere, None),
            Err(ChooseError::Identity(AmbientError::NotInCi))
        ));
        assert!(matches!(
            choose(Mode::Never, None, &github, None),
            Ok(Auth::Fixed(None))
        ));
        let no_permission = |k: &str| (k == "GITHUB_ACTIONS").then(|| "true".to_string());
        assert!(matches!(
            choose(Mode::Auto, None, &no_permission, None),
            Err(ChooseError::Identity(AmbientError::MissingPermission))
        ));
    }

    #[test]
    fn the_line_says_why_trusted_publishing_is_used() {
        let github = || {
            Auth::Trusted(IdentitySource::GitHub {
                request_url: "https://x/".into(),
                request_token: Secret::new("r"),
            })
        };
        let auto = describe(&github(), Mode::Auto).unwrap();
        assert!(auto.starts_with("No password or token given: "), "{auto}");
        let always = describe(&github(), Mode::Always).unwrap();
        assert!(always.starts_with("Using trusted publishing ("), "{always}");
        assert_eq!(describe(&Auth::Fixed(None), Mode::Auto), None);
    }
}
