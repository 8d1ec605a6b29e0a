//! Where an export goes, checked before any query runs: a known extension, an existing
//! directory, no file in the way unless `--overwrite`; and the temporary name beside it
//! that the file is written under until it is complete.

use std::path::{Path, PathBuf};

use super::error::ExportError;
use super::format::Format;

#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The file to make, absolute.
    pub(crate) path: PathBuf,
    /// The path as shown to the user.
    pub(crate) shown: String,
    /// Where the file is written until it is complete: same directory, hidden name.
    pub(crate) temporary: PathBuf,
    pub(crate) format: Format,
    overwrite: bool,
}

impl Target {
    /// Checks `path` (relative to `base`, the kernel's working directory).
    pub(crate) fn check(path: &str, overwrite: bool, base: &Path) -> Result<Target, ExportError> {
        let format = Format::of(path).ok_or_else(|| {
            ExportError::Path(format!(
                "the file name says which format to write: end it in .parquet, .csv, .arrow or .jsonl (not {path})"
            ))
        })?;
        let full = base.join(path);
        let name = full
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .ok_or_else(|| ExportError::Path(format!("{path} does not name a file")))?;
        let directory = full.parent().map_or_else(|| base.to_path_buf(), Path::to_path_buf);
        if !directory.is_dir() {
            return Err(ExportError::Path(format!(
                "the directory {} does not exist; create it first",
                directory.display()
            )));
        }
        if full.is_dir() {
            return Err(ExportError::Path(format!("{} is a directory", full.display())));
        }
        if full.exists() && !overwrite {
            return Err(ExportError::Path(format!(
                "{} already exists; add --overwrite to replace it",
                full.display()
            )));
        }
        let temporary = directory.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
        Ok(Target {
            shown: full.display().to_string(),
            path: full,
            temporary,
            format,
            overwrite,
        })
    }

    pub(crate) fn directory_shown(&self) -> String {
        self.path
            .parent()
            .map_or_else(|| self.shown.clone(), |d| d.display().to_string())
    }

    pub(crate) fn write_error(&self, detail: String) -> ExportError {
        ExportError::Write {
            path: self.shown.clone(),
            detail,
        }
    }

    /// Moves the complete file into place.
    pub(crate) fn commit(&self) -> Result<(), ExportError> {
        if self.path.exists() && !self.overwrite {
            return Err(ExportError::Path(format!(
                "{} appeared while the export ran; it is kept (add --overwrite to replace it)",
                self.shown
            )));
        }
        std::fs::rename(&self.temporary, &self.path).map_err(|e| self.write_error(e.to_string()))
    }
}
