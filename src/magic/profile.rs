//! `%profile`: a per-column summary of the cell's last result, computed by Spark. It takes
//! no arguments.

use super::{Line, Magic, MagicError, Magics, no_completion, no_conflicts};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%profile",
    help: Entry {
        usage: "%profile",
        what: "a per-column summary of the whole result of the cell's last query, computed by Spark: \
               type, count, nulls, distinct (approximate), min, max, mean, stddev, quartiles, \
               most frequent values, small histograms",
        example: "%profile",
    },
    parse,
    // `%chart` and `%export` say that they do not go with it.
    conflicts: no_conflicts,
    complete: no_completion,
};

fn parse(line: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    let rest = line.args.trim();
    if !rest.is_empty() {
        return Err(MAGIC.usage(format!("it takes no arguments, not {rest}")));
    }
    magics.profile = true;
    Ok(())
}
