//! `%analyze`: run the cell's last query to its end and show how Spark executed it. It takes
//! no arguments, and shares a cell with `%limit` (the first rows shown) and `%help` only:
//! `%chart` and `%profile` show a picture instead of the rows, and `%export` streams every
//! row to the kernel, while `%analyze` keeps the rows on the server; one cell for each.

use super::{Line, Magic, MagicError, Magics, no_completion};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%analyze",
    help: Entry {
        usage: "%analyze",
        what: "runs the cell's last query to its end on the server and shows, after its first rows, how \
               Spark ran it: the plan's operators with their rows, time, memory and spill, the costliest \
               ones, and what to try about an exploding join, a filter not pushed down, skew or spill",
        example: "%analyze",
    },
    parse,
    conflicts,
    complete: no_completion,
};

/// Reads `%analyze`'s (absent) arguments.
fn parse(line: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    let rest = line.args.trim();
    if !rest.is_empty() {
        return Err(MAGIC.usage(format!("it takes no arguments, not {rest}")));
    }
    if std::mem::replace(&mut magics.analyze, true) {
        return Err(MAGIC.usage("it is given twice"));
    }
    Ok(())
}

/// The magics `%analyze` cannot share a cell with.
fn conflicts(magics: &Magics) -> Result<(), MagicError> {
    if !magics.analyze {
        return Ok(());
    }
    let other = if magics.chart.is_some() {
        "%chart"
    } else if magics.profile {
        "%profile"
    } else if magics.export.is_some() {
        "%export"
    } else {
        return Ok(());
    };
    Err(MAGIC.usage(format!("it cannot share a cell with {other}; use one cell for each")))
}

/// The one-line answer of `%analyze` in a cell without a query.
pub(crate) const NO_QUERY: &str =
    "%analyze: the cell has no query; it runs the cell's last query to its end and shows how Spark ran it";

/// What `%analyze` says of a command, after it ran (once).
pub(crate) const A_COMMAND: &str = "%analyze: the cell's last statement is a command; it ran once, and Spark reports how it ran for queries only, so there is nothing to analyse (analyse its SELECT in a cell of its own)";

#[cfg(test)]
mod tests {
    use super::super::parse as cell;

    #[test]
    fn analyze_takes_no_arguments_and_refuses_pictures_and_exports() {
        let c = cell("%analyze\n%limit 5\nSELECT 1").unwrap();
        assert!(c.magics.analyze);
        assert_eq!(c.magics.limit, Some(5));
        let error = |code: &str| cell(code).unwrap_err().to_string();
        assert_eq!(
            error("%analyze now\nSELECT 1"),
            "%analyze: it takes no arguments, not now. Usage: %analyze"
        );
        assert_eq!(
            error("%analyze\n%analyze\nSELECT 1"),
            "%analyze: it is given twice. Usage: %analyze"
        );
        for (other, name) in [
            ("%chart bar x=a", "%chart"),
            ("%profile", "%profile"),
            ("%export a.csv", "%export"),
        ] {
            assert_eq!(
                error(&format!("{other}\n%analyze\nSELECT 1")),
                format!("%analyze: it cannot share a cell with {name}; use one cell for each. Usage: %analyze")
            );
        }
    }
}
