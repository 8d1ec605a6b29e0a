//! `%limit N`: how many rows of each result of the cell are shown, instead of the kernel's
//! setting.

use super::{Line, Magic, MagicError, Magics, no_completion, no_conflicts, words};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%limit",
    help: Entry {
        usage: "%limit N",
        what: "shows up to N rows of each result of this cell (instead of KBASE_SPARK_MAX_ROWS)",
        example: "%limit 5000",
    },
    parse,
    conflicts: no_conflicts,
    complete: no_completion,
};

/// The most rows `%limit` may ask to show; a notebook holds no more than a few MB per cell
/// anyway (larger results are cut by size).
pub(crate) const MAX_LIMIT: usize = 1_000_000;

fn parse(line: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    let args = words(line.args).map_err(|p| MAGIC.usage(p))?;
    let [n] = &args[..] else {
        return Err(MAGIC.usage("give one number of rows"));
    };
    let n = &n.text;
    let n = n
        .replace('_', "")
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or_else(|| MAGIC.usage(format!("N must be a whole number from 1 to {MAX_LIMIT}, not {n}")))?;
    if magics.limit.replace(n).is_some() {
        return Err(MAGIC.usage("it is given twice"));
    }
    Ok(())
}
