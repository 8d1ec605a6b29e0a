//! Where an export goes, checked before any query runs: a known extension, an existing
//! directory, no file in the way unless `--overwrite`; and the temporary file beside it
//! that the export is written under until it is complete.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};

use tempfile::TempPath;

use super::error::ExportError;
use super::format::Format;

#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// The file to make, absolute.
    pub(crate) path: PathBuf,
    /// The path as shown to the user.
    pub(crate) shown: String,
    /// The file's name, for the hidden one it is written under until complete.
    name: String,
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
        Ok(Target {
            shown: full.display().to_string(),
            path: full,
            name,
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

    /// Creates the file the export is written under until it is complete: in the same
    /// directory (so that moving it into place is a rename), under a new hidden name. It is
    /// removed when dropped, unless [`Target::commit`] moved it into place.
    pub(crate) fn temporary(&self) -> io::Result<(File, TempPath)> {
        let directory = self.path.parent().unwrap_or(Path::new("."));
        let file = tempfile::Builder::new()
            .prefix(&format!(".{}.", self.name))
            .suffix(".part")
            // As any new file (less the umask), not only for its owner as temporary files are.
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .tempfile_in(directory)?;
        Ok(file.into_parts())
    }

    /// Moves the complete file into place; without `--overwrite`, never over a file that
    /// appeared while the export ran (checked and moved in one step).
    pub(crate) fn commit(&self, temporary: TempPath) -> Result<(), ExportError> {
        let moved = if self.overwrite {
            temporary.persist(&self.path)
        } else {
            temporary.persist_noclobber(&self.path)
        };
        moved.map_err(|e| match e.error.kind() {
            io::ErrorKind::AlreadyExists => ExportError::Path(format!(
                "{} appeared while the export ran; it is kept (add --overwrite to replace it)",
                self.shown
            )),
            _ => self.write_error(e.error.to_string()),
        })
    }
}
