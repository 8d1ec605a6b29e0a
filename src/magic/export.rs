//! `%export PATH [--overwrite]`: the whole result of the cell's last query written to a file
//! (the engine streams it through `export/`). It cannot share a cell with a picture.

use super::{Choices, Line, Magic, MagicError, Magics, words};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%export",
    help: Entry {
        usage: "%export PATH [--overwrite]",
        what: "writes the whole result of the cell's last query to PATH (relative to the kernel's \
               working directory); the format follows the extension: .parquet, .csv, .arrow, .jsonl",
        example: "%export results/genomes.parquet",
    },
    parse,
    conflicts,
    complete,
};

const OPTIONS: [&str; 1] = ["--overwrite"];

/// What `%export` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExportRequest {
    pub(crate) path: String,
    pub(crate) overwrite: bool,
}

fn parse(line: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    let args = words(line.args).map_err(|p| MAGIC.usage(p))?;
    let mut path = None;
    let mut overwrite = false;
    for a in args.into_iter().map(|w| w.text) {
        if a == OPTIONS[0] {
            overwrite = true;
        } else if a.starts_with("--") {
            return Err(MAGIC.usage(format!("unknown option {a}")));
        } else if path.replace(a).is_some() {
            return Err(MAGIC.usage("give one path (quote a path with spaces)"));
        }
    }
    let path = path.ok_or_else(|| MAGIC.usage("give the path of the file to write"))?;
    if magics.export.replace(ExportRequest { path, overwrite }).is_some() {
        return Err(MAGIC.usage("it is given twice; export to one file per cell"));
    }
    Ok(())
}

fn conflicts(magics: &Magics) -> Result<(), MagicError> {
    if magics.picture() && magics.export.is_some() {
        return Err(MAGIC.usage("it cannot share a cell with %chart or %profile; use one cell for each"));
    }
    Ok(())
}

fn complete(_first: bool, word: &str) -> Option<Choices> {
    word.starts_with('-').then(|| (OPTIONS.to_vec(), "option"))
}
