//! Keeps a session's user fixed while its token is refreshed: when the token file holds a
//! token the session has not seen, the token is validated with Auth2 before the next
//! statement runs, and refused when it belongs to someone else. A session never changes
//! hands under a running notebook.

use std::sync::Mutex;

use sha2::{Digest, Sha256};

use super::error::SparkError;
use crate::auth;
use crate::secret::Secret;
use crate::token::TokenSource;

pub(crate) struct Identity {
    source: TokenSource,
    auth_url: String,
    user: String,
    /// The digest of the last token found to be `user`'s.
    checked: Mutex<[u8; 32]>,
}

fn digest(token: &Secret) -> [u8; 32] {
    Sha256::digest(token.expose().as_bytes()).into()
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

    /// Succeeds when the token as it is now is the session user's.
    pub(crate) async fn check(&self) -> Result<(), SparkError> {
        let token = match self.source.read() {
            Ok(Some(token)) => token,
            Ok(None) => return Ok(()),
            Err(e) => return Err(SparkError::Token(e.to_string())),
        };
        let now = digest(&token);
        if self.checked.lock().is_ok_and(|checked| *checked == now) {
            return Ok(());
        }
        let info = auth::validate(&self.auth_url, &token)
            .await
            .map_err(|e| SparkError::Token(e.to_string()))?;
        if info.user != self.user {
            return Err(SparkError::Token(format!(
                "The KBase token now in your token file belongs to {}, but this kernel's Spark session is {}'s: \
                 a session never changes user. Put {}'s token back, or restart the kernel to work as {}.",
                info.user, self.user, self.user, info.user
            )));
        }
        if let Ok(mut checked) = self.checked.lock() {
            *checked = now;
        }
        Ok(())
    }
}
