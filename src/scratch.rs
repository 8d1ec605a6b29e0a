//! A directory of its own for one test, removed when the test ends: tests that write files
//! (exports, token files) neither meet each other's files nor leave any behind.

use std::path::{Path, PathBuf};

pub(crate) struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A new empty directory under the system's temporary one, named after `what`.
pub(crate) fn scratch(what: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("kbase-{what}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// The names of the files in `dir`, sorted.
pub(crate) fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
