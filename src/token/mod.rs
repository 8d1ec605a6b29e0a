//! Where the KBase token comes from, read anew whenever it is needed: the value of
//! `KBASE_AUTH_TOKEN` as the kernel started, or the file named by `KBASE_AUTH_TOKEN_FILE`,
//! which a deployment that refreshes tokens rewrites while the kernel runs, or BERDL's
//! session file (`session_file.rs`). Nothing here ever shows what a file holds.

use std::path::PathBuf;

use crate::secret::Secret;
pub(crate) mod error;
pub(crate) mod session_file;

pub(crate) use error::TokenError;
use session_file::SessionFile;

pub(crate) const TOKEN_FILE_VAR: &str = "KBASE_AUTH_TOKEN_FILE";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// No KBase authentication (local development with `SPARK_REMOTE`).
    None,
    /// The token given to the process at start.
    Value(Secret),
    /// A file holding the token, read on every use.
    File(PathBuf),
    /// BERDL's session file in the home directory, read on every use, with the variable's
    /// token behind it.
    Session(SessionFile),
}

impl TokenSource {
    /// True when the token may change while the kernel runs (it is read from a file).
    pub(crate) fn renewable(&self) -> bool {
        matches!(self, TokenSource::File(_) | TokenSource::Session(_))
    }

    /// The token as it is now.
    pub(crate) fn read(&self) -> Result<Option<Secret>, TokenError> {
        match self {
            TokenSource::None => Ok(None),
            TokenSource::Value(token) => Ok(Some(token.clone())),
            TokenSource::File(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|e| TokenError::unreadable(path, TOKEN_FILE_VAR, &e))?;
                let token = text.trim();
                if token.is_empty() || !token.chars().all(|c| c.is_ascii_graphic()) {
                    return Err(TokenError::NotAToken {
                        path: path.display().to_string(),
                        what: TOKEN_FILE_VAR,
                    });
                }
                Ok(Some(Secret::new(token)))
            }
            TokenSource::Session(file) => file.read(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token file holding `content` in a directory of its own, removed with the directory.
    fn file_with(content: &[u8]) -> (tempfile::TempDir, TokenSource) {
        let dir = tempfile::Builder::new().prefix("kbase-token-test-").tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, content).unwrap();
        (dir, TokenSource::File(path))
    }

    #[test]
    fn a_token_file_is_read_anew_and_trimmed() {
        let (_dir, source) = file_with(b"  first-token\n");
        assert_eq!(source.read().unwrap().unwrap().expose(), "first-token");
        let TokenSource::File(path) = &source else {
            unreachable!()
        };
        std::fs::write(path, "second-token").unwrap();
        assert_eq!(source.read().unwrap().unwrap().expose(), "second-token");
        std::fs::remove_file(path).unwrap();
        assert!(
            matches!(source.read(), Err(TokenError::Unreadable { reason, .. }) if reason == "there is no such file")
        );
    }

    #[test]
    fn garbage_is_refused_without_being_shown() {
        for content in [&b" \n"[..], b"hush-one hush-two", b"\xff\xfe\x00"] {
            let (_dir, source) = file_with(content);
            let message = source.read().unwrap_err().to_string();
            assert!(!message.contains("hush"), "{message}");
        }
    }
}
