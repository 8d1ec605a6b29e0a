//! What can be wrong with the token a source holds, said without ever showing the token.

/// A token file that cannot serve.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum TokenError {
    #[error(
        "Cannot read the KBase token file {path} ({what}): {reason}. \
         Check that the deployment still writes it, then run the cell again."
    )]
    Unreadable {
        path: String,
        what: &'static str,
        reason: String,
    },
    #[error(
        "The KBase token file {path} ({what}) does not hold a token (it is empty, or holds \
         more than one word). Check what writes it, then run the cell again."
    )]
    NotAToken { path: String, what: &'static str },
}

impl TokenError {
    /// A file that could not be read, in words (never with what it holds).
    pub(crate) fn unreadable(path: &std::path::Path, what: &'static str, e: &std::io::Error) -> TokenError {
        TokenError::Unreadable {
            path: path.display().to_string(),
            what,
            reason: match e.kind() {
                std::io::ErrorKind::NotFound => "there is no such file".into(),
                std::io::ErrorKind::PermissionDenied => "permission denied".into(),
                std::io::ErrorKind::InvalidData => "it is not text".into(),
                _ => e.kind().to_string(),
            },
        }
    }
}
