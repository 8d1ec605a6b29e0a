//! `%help`: the table of the magics and the settings, each with an example. Its arguments
//! are not read; it goes with every other magic.

use super::{Line, Magic, MagicError, Magics, no_completion, no_conflicts};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%help",
    help: Entry {
        usage: "%help",
        what: "lists the magics and the settings, with an example each",
        example: "%help",
    },
    parse,
    conflicts: no_conflicts,
    complete: no_completion,
};

fn parse(_: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    magics.help = true;
    Ok(())
}
