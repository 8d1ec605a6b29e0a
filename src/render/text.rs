//! The `text/plain` table: bordered and aligned like Spark's `show()`, measured in display
//! columns so that wide (CJK, emoji) characters still line up.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

use super::Table;

/// Cells longer than this many columns are shortened in the text view; the HTML title and
/// the Arrow data keep the full value.
const MAX_CELL_WIDTH: usize = 80;

/// Multi-line values show at most this many lines in a table of several values.
const MAX_CELL_LINES: usize = 20;

/// The lines of one value as shown; most values are one line, kept without a list.
enum Lines<'a> {
    One(Cow<'a, str>),
    Many(Vec<Cow<'a, str>>),
}

impl Lines<'_> {
    fn len(&self) -> usize {
        match self {
            Lines::One(_) => 1,
            Lines::Many(lines) => lines.len(),
        }
    }

    fn get(&self, i: usize) -> &str {
        match self {
            Lines::One(line) if i == 0 => line,
            Lines::One(_) => "",
            Lines::Many(lines) => lines.get(i).map_or("", |l| l.as_ref()),
        }
    }
}

/// The lines of one value as shown: each line shortened, and not too many of them, unless
/// the value is the whole result (an EXPLAIN, a SHOW CREATE TABLE), which shows in full.
fn cell_lines(s: &str, whole: bool) -> Lines<'_> {
    if !s.contains('\n') {
        return Lines::One(if whole { Cow::Borrowed(s) } else { shorten(s) });
    }
    if whole {
        return Lines::Many(s.split('\n').map(Cow::Borrowed).collect());
    }
    let mut lines: Vec<Cow<'_, str>> = s.split('\n').take(MAX_CELL_LINES + 1).map(shorten).collect();
    if lines.len() > MAX_CELL_LINES {
        lines.truncate(MAX_CELL_LINES);
        lines.push(Cow::Borrowed("..."));
    }
    Lines::Many(lines)
}

/// The display width of `s`: its length when it is printable ASCII (most cells), else
/// what unicode-width measures.
fn width(s: &str) -> usize {
    if s.bytes().all(|b| (b' '..=b'~').contains(&b)) {
        s.len()
    } else {
        s.width()
    }
}

/// The widest line of one value as shown.
fn cell_width(s: &str, whole: bool) -> usize {
    let lines = cell_lines(s, whole);
    (0..lines.len()).map(|i| width(lines.get(i))).max().unwrap_or(0)
}

/// The table as text, with the notice of rows not shown. Cells are read twice (for the
/// column widths, then to write them) rather than copied: a large result is not held a
/// second time.
pub fn render(table: &Table) -> String {
    let mut out = render_first(table, table.len());
    if let Some(notice) = table.notice() {
        out.push('\n');
        out.push_str(&notice);
    }
    out
}

/// The table's first `rows` rows as text, with no notice.
pub(crate) fn render_first(table: &Table, rows: usize) -> String {
    let rows = rows.min(table.len());
    let whole = table.len() == 1 && table.columns.len() == 1;
    let headers: Vec<Lines<'_>> = table
        .columns
        .iter()
        .map(|c| Lines::One(Cow::Borrowed(c.name.as_str())))
        .collect();
    // Spark pads every column to at least three characters.
    let mut widths: Vec<usize> = headers.iter().map(|h| width(h.get(0)).max(3)).collect();
    for row in table.rows().take(rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell_width(cell.unwrap_or("NULL"), whole));
        }
    }
    let mut border: String = widths.iter().fold(String::from("+"), |mut s, w| {
        s.push_str(&"-".repeat(*w));
        s.push('+');
        s
    });
    // Without columns, Spark's `show()` still draws the frame: `++` and `||`.
    if widths.is_empty() {
        border = "++".to_string();
    }
    let line_width = border.len() + 1;
    let mut out = String::with_capacity(line_width * (rows + 5));
    // One row of cells, over as many lines as its tallest value. Single lines line up on the
    // right, as in Spark's `show()`; the lines of a multi-line value on the left.
    let push_row = |cells: &[Lines<'_>], out: &mut String| {
        let height = cells.iter().map(Lines::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            out.push('|');
            if widths.is_empty() {
                out.push('|');
            }
            for (cell, w) in cells.iter().zip(&widths) {
                let line = cell.get(i);
                let pad = w.saturating_sub(width(line));
                if cell.len() > 1 {
                    out.push_str(line);
                    out.extend(std::iter::repeat_n(' ', pad));
                } else {
                    out.extend(std::iter::repeat_n(' ', pad));
                    out.push_str(line);
                }
                out.push('|');
            }
            out.push('\n');
        }
    };
    out.push_str(&border);
    out.push('\n');
    push_row(&headers, &mut out);
    out.push_str(&border);
    out.push('\n');
    for row in table.rows().take(rows) {
        let cells: Vec<Lines<'_>> = row.map(|c| cell_lines(c.unwrap_or("NULL"), whole)).collect();
        push_row(&cells, &mut out);
    }
    out.push_str(&border);
    out
}

fn shorten(s: &str) -> Cow<'_, str> {
    if width(s) <= MAX_CELL_WIDTH {
        return Cow::Borrowed(s);
    }
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if width + w > MAX_CELL_WIDTH - 3 {
            break;
        }
        width += w;
        out.push(c);
    }
    out.push_str("...");
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::super::{Table, table::Column};
    use super::*;

    fn table(rows: &[Vec<Option<&str>>], more: bool) -> Table {
        Table::of(
            vec![
                Column {
                    name: "id".into(),
                    type_name: "int".into(),
                    numeric: true,
                },
                Column {
                    name: "name".into(),
                    type_name: "string".into(),
                    numeric: false,
                },
            ],
            rows,
            more,
        )
    }

    #[test]
    fn aligned_like_spark_show() {
        let t = table(&[vec![Some("1"), Some("alice")], vec![Some("22"), None]], false);
        assert_eq!(
            render(&t),
            "+---+-----+\n| id| name|\n+---+-----+\n|  1|alice|\n| 22| NULL|\n+---+-----+"
        );
    }

    #[test]
    fn wide_characters_line_up_and_cut_results_say_so() {
        let t = table(&[vec![Some("1"), Some("世界")]], true);
        let text = render(&t);
        assert!(text.contains("|  1|世界|"), "{text}");
        assert!(
            text.ends_with("first 1 row shown — more available: %limit N shows more, %export PATH writes them all"),
            "{text}"
        );
    }

    #[test]
    fn a_plan_reads_line_by_line_and_in_full() {
        let plan = format!("== Physical Plan ==\n* Project [{}]\n+- Range (1)", "x".repeat(120));
        let t = Table::of(
            vec![Column {
                name: "plan".into(),
                type_name: "string".into(),
                numeric: false,
            }],
            &[vec![Some(plan.as_str())]],
            false,
        );
        let text = render(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], format!("|{:<132}|", "== Physical Plan =="));
        assert_eq!(lines[4], format!("|* Project [{}]|", "x".repeat(120)));
        assert_eq!(lines[5], format!("|{:<132}|", "+- Range (1)"));
        assert_eq!(lines.len(), 7);
    }

    #[test]
    fn multi_line_values_among_others_are_kept_short() {
        let many = (0..30).map(|i| i.to_string()).collect::<Vec<_>>().join("\n");
        let t = table(
            &[vec![Some("1"), Some(many.as_str())], vec![Some("2"), Some("b")]],
            false,
        );
        let text = render(&t);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[3], "|  1|0   |");
        assert_eq!(lines[4], "|   |1   |");
        assert_eq!(lines[23], "|   |... |");
        assert_eq!(lines[24], "|  2|   b|");
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).width(), MAX_CELL_WIDTH);
        assert!(shorten(&long).ends_with("..."));
    }
}
