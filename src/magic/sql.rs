//! `%%sql`: accepted as a cell's first line and ignored, so cells written for other SQL
//! kernels run as they are.

use super::{Line, Magic, MagicError, Magics, no_completion, no_conflicts};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%%sql",
    help: Entry {
        usage: "%%sql",
        what: "accepted as a cell's first line and ignored, as in other SQL kernels",
        example: "%%sql",
    },
    parse,
    conflicts: no_conflicts,
    complete: no_completion,
};

fn parse(line: &Line<'_>, _: &mut Magics) -> Result<(), MagicError> {
    if line.first {
        Ok(())
    } else {
        Err(MAGIC.usage("it must be the cell's first line"))
    }
}
