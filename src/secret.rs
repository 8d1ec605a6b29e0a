//! A credential held so that no `Debug`, log line or error message can ever print it: the
//! KBase token, wherever it was read from.

use std::fmt;

/// A credential. It has no `Display`, its `Debug` prints `***`, and the only way to read it
/// is [`Secret::expose`], which the code calls exactly where the value goes on the wire.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
