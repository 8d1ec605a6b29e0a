//! Keeps a session's user fixed while its token is refreshed, and explains a refused token:
//! when the token source holds a token the session has not seen, the token is validated with
//! Auth2 before the next statement runs, and refused when it belongs to someone else. When
//! the server refuses a call as unauthenticated, the kernel asks what changed: a renewed
//! token is tried once (a refused call never ran), an Auth2 that cannot be reached is said
//! to be so (BERDL's server refuses every call while Auth2 is down), and a token Auth2
//! refuses asks the user to log in again. A session never changes hands under a running
//! notebook.

use std::sync::Mutex;

use super::error::SparkError;
use crate::auth::TokenInfo;
use crate::auth::{self, AuthError};
use crate::secret::Secret;
use crate::token::TokenError;
use crate::token::TokenSource;
use crate::token::session_file::{SESSION_FILE_LABEL, digest};

pub(crate) struct Identity {
    source: TokenSource,
    auth_url: String,
    user: String,
    /// The digest of the last token found to be `user`'s.
    checked: Mutex<[u8; 32]>,
}

/// What to do after the server refused a call as unauthenticated.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The token source now holds another token: send the call again, once.
    Retry,
    /// Tell the user this instead of the server's refusal.
    Explain(SparkError),
}

impl Identity {
    /// Guards `user`'s session, whose token `validated` was just checked with Auth2.
    pub(crate) fn new(source: TokenSource, auth_url: &str, user: &str, validated: &Secret) -> Identity {
        Identity {
            source,
            auth_url: auth_url.to_string(),
            user: user.to_string(),
            checked: Mutex::new(digest(validated)),
        }
    }

    /// The digest of the token as it is now, if it can be read.
    pub(crate) fn current(&self) -> Option<[u8; 32]> {
        self.source.read().ok().flatten().map(|t| digest(&t))
    }

    /// Succeeds when the token as it is now is the session user's.
    pub(crate) async fn check(&self) -> Result<(), SparkError> {
        let token = match self.source.read() {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(()),
            Err(e) => return Err(SparkError::Token(e.to_string())),
        };
        if self.checked.lock().is_ok_and(|checked| *checked == digest(&token)) {
            return Ok(());
        }
        let Some((info, token)) = validate_current(&self.source, &self.auth_url)
            .await
            .map_err(|e| self.unusable(e))?
        else {
            return Ok(());
        };
        if info.user != self.user {
            return Err(SparkError::Token(format!(
                "The KBase token now in your token file belongs to {}, but this kernel's Spark session is {}'s: \
                 a session never changes user. Put {}'s token back, or restart the kernel to work as {}.",
                info.user, self.user, self.user, info.user
            )));
        }
        if let Ok(mut checked) = self.checked.lock() {
            *checked = digest(&token);
        }
        Ok(())
    }

    /// The server refused a call made while the token's digest was `before`: retry when the
    /// source now holds another token, else say why in words the user can act on.
    pub(crate) async fn after_refusal(&self, before: Option<[u8; 32]>, refused: SparkError) -> Refusal {
        let token = match self.source.read() {
            Ok(Some(token)) => token,
            Ok(None) => return Refusal::Explain(refused),
            Err(e) => return Refusal::Explain(SparkError::Token(e.to_string())),
        };
        if before.is_some_and(|b| b != digest(&token)) {
            return Refusal::Retry;
        }
        match auth::validate(&self.auth_url, &token).await {
            // Auth2 knows the token: the refusal was the server's own (another owner, say).
            Ok(_) => Refusal::Explain(refused),
            Err(AuthError::Invalid { .. }) => {
                // A session file's stale token gives way to the variable's.
                if let TokenSource::Session(file) = &self.source
                    && file.refuse(&token)
                    && self.current().is_some_and(|now| now != digest(&token))
                {
                    return Refusal::Retry;
                }
                let detail = match &refused {
                    SparkError::Unauthenticated { detail } => detail.clone(),
                    other => other.to_string(),
                };
                Refusal::Explain(SparkError::LogInAgain {
                    detail,
                    renewable: self.source.renewable(),
                })
            }
            Err(e @ (AuthError::Unreachable { .. } | AuthError::BadAnswer { .. } | AuthError::Refused { .. })) => {
                Refusal::Explain(SparkError::AuthUnreachable(e.to_string()))
            }
            Err(e) => Refusal::Explain(SparkError::Token(e.to_string())),
        }
    }

    fn unusable(&self, e: CheckError) -> SparkError {
        match e {
            CheckError::Auth(AuthError::Invalid { message }) => SparkError::LogInAgain {
                detail: message,
                renewable: self.source.renewable(),
            },
            CheckError::Auth(e @ (AuthError::Unreachable { .. } | AuthError::BadAnswer { .. })) => {
                SparkError::AuthUnreachable(e.to_string())
            }
            e => SparkError::Token(e.to_string()),
        }
    }
}

/// Why the token as it is now cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CheckError {
    #[error("{0}")]
    Token(#[from] TokenError),
    #[error("{0}")]
    Auth(#[from] AuthError),
}

/// Reads the token from `source` and asks Auth2 whose it is. A session file's token that
/// Auth2 refuses as invalid or expired is set aside for the variable's token, which is then
/// asked about in its place.
pub(crate) async fn validate_current(
    source: &TokenSource,
    auth_url: &str,
) -> Result<Option<(TokenInfo, Secret)>, CheckError> {
    let Some(token) = source.read()? else {
        return Ok(None);
    };
    match auth::validate(auth_url, &token).await {
        Ok(info) => Ok(Some((info, token))),
        Err(AuthError::Invalid { message }) => match source {
            TokenSource::Session(file) if file.refuse(&token) => {
                tracing::info!("the token in {SESSION_FILE_LABEL} is refused by Auth2; using KBASE_AUTH_TOKEN");
                let Some(token) = source.read()? else {
                    return Err(AuthError::Invalid { message }.into());
                };
                let info = auth::validate(auth_url, &token).await?;
                Ok(Some((info, token)))
            }
            _ => Err(AuthError::Invalid { message }.into()),
        },
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::token::session_file::SessionFile;

    /// An auth URL where nothing listens: Auth2 is down.
    const DOWN: &str = "http://127.0.0.1:9/services/auth/";

    fn refused() -> SparkError {
        SparkError::Unauthenticated {
            detail: "Invalid token".into(),
        }
    }

    fn home(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("kbase-identity-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn a_renewed_token_is_tried_once_more() {
        let dir = home("renewed");
        let file = SessionFile::in_home(dir.to_str().unwrap(), Some(Secret::new("spawned")));
        let path = file.path.clone();
        let identity = Identity::new(TokenSource::Session(file), DOWN, "alice", &Secret::new("spawned"));
        let before = identity.current();
        std::fs::write(&path, "renewed").unwrap();
        assert!(matches!(
            identity.after_refusal(before, refused()).await,
            Refusal::Retry
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn with_auth2_down_the_outage_is_told_not_the_token() {
        let identity = Identity::new(
            TokenSource::Value(Secret::new("spawned")),
            DOWN,
            "alice",
            &Secret::new("spawned"),
        );
        let before = identity.current();
        let Refusal::Explain(e) = identity.after_refusal(before, refused()).await else {
            panic!("retried")
        };
        assert_eq!(e.name(), "KBaseAuthUnreachable");
        let message = e.to_string();
        assert!(message.contains("auth service"), "{message}");
        assert!(!message.contains("spawned"), "{message}");
        assert!(!e.leaves_outcome_open());
    }

    #[tokio::test]
    async fn without_a_token_the_refusal_stands() {
        let identity = Identity::new(TokenSource::None, DOWN, "alice", &Secret::new("x"));
        let Refusal::Explain(e) = identity.after_refusal(None, refused()).await else {
            panic!("retried")
        };
        assert_eq!(e.name(), "SparkConnectUnauthenticated");
    }
}
