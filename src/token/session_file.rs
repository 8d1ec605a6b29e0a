//! BERDL's token renewals: when a user logs in again, BERDL's Jupyter server writes the new
//! token to `~/.berdl_kbase_session`, while the kernel's `KBASE_AUTH_TOKEN` keeps the token
//! of the spawn. When `KBASE_AUTH_TOKEN_FILE` is not set, that file is the token file as
//! long as it holds a token Auth2 has not refused; absent, empty, or holding a token Auth2
//! refuses as invalid or expired (a file left from an earlier login), the variable's token
//! is used. Nothing here ever shows what the file holds.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

use super::error::TokenError;
use crate::secret::Secret;

/// The file's name in the user's home directory.
pub(crate) const SESSION_FILE_NAME: &str = ".berdl_kbase_session";
/// How the file is named in messages (it has no variable of its own).
pub(crate) const SESSION_FILE_LABEL: &str = "BERDL's session file";

/// The session file, with the variable's token to fall back on.
#[derive(Clone, Debug)]
pub(crate) struct SessionFile {
    pub(crate) path: PathBuf,
    pub(crate) fallback: Option<Secret>,
    /// The digest of the file's token that Auth2 refused as invalid or expired: while the
    /// file still holds it, the variable's token is used.
    refused: Arc<Mutex<Option<[u8; 32]>>>,
}

impl PartialEq for SessionFile {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.fallback == other.fallback
    }
}

impl Eq for SessionFile {}

pub(crate) fn digest(token: &Secret) -> [u8; 32] {
    Sha256::digest(token.expose().as_bytes()).into()
}

impl SessionFile {
    /// The session file in `home`, falling back on `fallback`.
    pub(crate) fn in_home(home: &str, fallback: Option<Secret>) -> SessionFile {
        SessionFile {
            path: PathBuf::from(home).join(SESSION_FILE_NAME),
            fallback,
            refused: Arc::new(Mutex::new(None)),
        }
    }

    /// The token as it is now: the file's, unless the file is absent or empty or holds the
    /// token Auth2 refused; then the variable's.
    pub(crate) fn read(&self) -> Result<Option<Secret>, TokenError> {
        let text = match std::fs::read(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(self.fallback.clone()),
            other => other,
        };
        let text = text.map_err(|e| TokenError::unreadable(&self.path, SESSION_FILE_LABEL, &e))?;
        let text = String::from_utf8(text).map_err(|_| TokenError::NotAToken {
            path: self.path.display().to_string(),
            what: SESSION_FILE_LABEL,
        })?;
        let token = text.trim();
        if token.is_empty() {
            return Ok(self.fallback.clone());
        }
        if !token.chars().all(|c| c.is_ascii_graphic()) {
            return Err(TokenError::NotAToken {
                path: self.path.display().to_string(),
                what: SESSION_FILE_LABEL,
            });
        }
        let token = Secret::new(token);
        if self.refused.lock().is_ok_and(|r| *r == Some(digest(&token))) {
            return Ok(self.fallback.clone());
        }
        Ok(Some(token))
    }

    /// Remembers that Auth2 refused `token` as invalid or expired. True when it was the
    /// file's token (not the fallback), so that reading again gives another token.
    pub(crate) fn refuse(&self, token: &Secret) -> bool {
        if self.fallback.as_ref() == Some(token) {
            return false;
        }
        match self.refused.lock() {
            Ok(mut refused) => {
                *refused = Some(digest(token));
                true
            }
            Err(_) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kbase-session-file-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn absent_or_empty_falls_back_on_the_variable() {
        let dir = home("absent");
        let file = SessionFile::in_home(dir.to_str().unwrap(), Some(Secret::new("spawned")));
        assert_eq!(file.read().unwrap().unwrap().expose(), "spawned");
        std::fs::write(&file.path, " \n").unwrap();
        assert_eq!(file.read().unwrap().unwrap().expose(), "spawned");
        std::fs::write(&file.path, "renewed\n").unwrap();
        assert_eq!(file.read().unwrap().unwrap().expose(), "renewed");
        let none = SessionFile::in_home(dir.join("nowhere").to_str().unwrap(), None);
        assert_eq!(none.read().unwrap(), None);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_refused_token_is_set_aside_until_the_file_changes() {
        let dir = home("refused");
        let file = SessionFile::in_home(dir.to_str().unwrap(), Some(Secret::new("spawned")));
        std::fs::write(&file.path, "stale").unwrap();
        assert!(file.refuse(&Secret::new("stale")));
        assert_eq!(file.read().unwrap().unwrap().expose(), "spawned");
        // The variable's own token is never set aside: there is nothing behind it.
        assert!(!file.refuse(&Secret::new("spawned")));
        std::fs::write(&file.path, "fresh").unwrap();
        assert_eq!(file.read().unwrap().unwrap().expose(), "fresh");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn garbage_gets_the_token_files_message_without_being_shown() {
        let dir = home("garbage");
        let file = SessionFile::in_home(dir.to_str().unwrap(), Some(Secret::new("spawned")));
        for content in [&b"hush-one hush-two"[..], b"\xff\xfehush"] {
            std::fs::write(&file.path, content).unwrap();
            let message = file.read().unwrap_err().to_string();
            assert!(!message.contains("hush"), "{message}");
            assert!(message.contains(SESSION_FILE_LABEL), "{message}");
        }
        std::fs::remove_dir_all(dir).unwrap();
    }
}
