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

/// The lines of one value as shown: each line shortened, and not too many of them, unless
/// the value is the whole result (an EXPLAIN, a SHOW CREATE TABLE), which shows in full.
fn cell_lines(s: &str, whole: bool) -> Vec<Cow<'_, str>> {
    if whole {
        return s.split('\n').map(Cow::Borrowed).collect();
    }
    let mut lines: Vec<Cow<'_, str>> = s.split('\n').take(MAX_CELL_LINES + 1).map(shorten).collect();
    if lines.len() > MAX_CELL_LINES {
        lines.truncate(MAX_CELL_LINES);
        lines.push(Cow::Borrowed("..."));
    }
    lines
}

/// The table as text. Cells are read twice (for the column widths, then to write them)
/// rather than copied: a large result is not held a second time.
pub fn render(table: &Table) -> String {
    let whole = table.rows.len() == 1 && table.columns.len() == 1;
    let headers: Vec<Vec<Cow<'_, str>>> = table
        .columns
        .iter()
        .map(|c| vec![Cow::Borrowed(c.name.as_str())])
        .collect();
    // Spark pads every column to at least three characters.
    let mut widths: Vec<usize> = headers.iter().map(|h| h[0].width().max(3)).collect();
    for row in &table.rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            for line in cell_lines(cell.text(), whole) {
                *w = (*w).max(line.width());
            }
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
    let mut out = String::with_capacity(line_width * (table.rows.len() + 5));
    // One row of cells, over as many lines as its tallest value. Single lines line up on the
    // right, as in Spark's `show()`; the lines of a multi-line value on the left.
    let push_row = |cells: &[Vec<Cow<'_, str>>], out: &mut String| {
        let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for i in 0..height {
            out.push('|');
            if widths.is_empty() {
                out.push('|');
            }
            for (cell, w) in cells.iter().zip(&widths) {
                let line = cell.get(i).map_or("", |l| l.as_ref());
                let pad = w.saturating_sub(line.width());
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
    for row in &table.rows {
        let cells: Vec<Vec<Cow<'_, str>>> = row.iter().map(|c| cell_lines(c.text(), whole)).collect();
        push_row(&cells, &mut out);
    }
    out.push_str(&border);
    if let Some(notice) = table.notice() {
        out.push('\n');
        out.push_str(&notice);
    }
    out
}

fn shorten(s: &str) -> Cow<'_, str> {
    if s.width() <= MAX_CELL_WIDTH {
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
    use super::super::{Column, Table, value::Cell};
    use super::*;

    fn table(rows: Vec<Vec<Cell>>, more: bool) -> Table {
        Table {
            columns: vec![
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
            size_cut: false,
        }
    }

    #[test]
    fn aligned_like_spark_show() {
        let t = table(
            vec![
                vec![Cell::Text("1".into()), Cell::Text("alice".into())],
                vec![Cell::Text("22".into()), Cell::Null],
            ],
            false,
        );
        assert_eq!(
            render(&t),
            "+---+-----+\n| id| name|\n+---+-----+\n|  1|alice|\n| 22| NULL|\n+---+-----+"
        );
    }

    #[test]
    fn wide_characters_line_up_and_cut_results_say_so() {
        let t = table(vec![vec![Cell::Text("1".into()), Cell::Text("世界".into())]], true);
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
        let t = Table {
            columns: vec![Column {
                name: "plan".into(),
                type_name: "string".into(),
                numeric: false,
            }],
            rows: vec![vec![Cell::Text(plan.clone())]],
            more: false,
            size_cut: false,
        };
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
            vec![
                vec![Cell::Text("1".into()), Cell::Text(many)],
                vec![Cell::Text("2".into()), Cell::Text("b".into())],
            ],
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
