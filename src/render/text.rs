//! The `text/plain` table: bordered and aligned like Spark's `show()`, measured in display
//! columns so that wide (CJK, emoji) characters still line up.

use unicode_width::UnicodeWidthStr;

use super::Table;

/// Cells longer than this many columns are shortened in the text view; the HTML title and
/// the Arrow data keep the full value.
const MAX_CELL_WIDTH: usize = 80;

pub fn render(table: &Table) -> String {
    let headers: Vec<String> = table.columns.iter().map(|c| c.name.clone()).collect();
    let rows: Vec<Vec<String>> = table
        .rows
        .iter()
        .map(|r| r.iter().map(|c| shorten(c.text())).collect())
        .collect();
    // Spark pads every column to at least three characters.
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width().max(3)).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.width());
        }
    }
    let border: String = widths.iter().fold(String::from("+"), |mut s, w| {
        s.push_str(&"-".repeat(*w));
        s.push('+');
        s
    });
    let line = |cells: &[String]| {
        let mut s = String::from("|");
        for (cell, w) in cells.iter().zip(&widths) {
            s.push_str(&" ".repeat(w - cell.width()));
            s.push_str(cell);
            s.push('|');
        }
        s
    };
    let mut out = Vec::with_capacity(rows.len() + 5);
    out.push(border.clone());
    out.push(line(&headers));
    out.push(border.clone());
    out.extend(rows.iter().map(|r| line(r)));
    out.push(border);
    if let Some(notice) = table.notice() {
        out.push(notice);
    }
    out.join("\n")
}

fn shorten(s: &str) -> String {
    if s.width() <= MAX_CELL_WIDTH {
        return s.to_string();
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
    out
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
    fn long_values_are_shortened() {
        let long = "x".repeat(500);
        assert_eq!(shorten(&long).width(), MAX_CELL_WIDTH);
        assert!(shorten(&long).ends_with("..."));
    }
}
