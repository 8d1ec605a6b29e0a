//! The `text/html` table, light enough for a thousand rows: no style on each cell, but one
//! small `<style>` block scoped to the table's classes (JupyterLab's theme variables, so it
//! reads in light and dark themes) over JupyterLab's own table look. An untrusted notebook's
//! sanitiser drops the block and the table falls back to that look, still readable: NULL
//! stays italic, multi-line text stays in its `<pre>`. Every value is escaped.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::Table;

/// Cells longer than this many characters are shortened in view (the full value is the
/// title), unless the value is the whole result.
const MAX_CELL_CHARS: usize = 200;

/// The class every table carries; the style block applies to nothing else on the page.
const CLASS: &str = "kbase-sql";

/// The look of every table, once per output.
/// Its alignment rules name the table's class twice (and `table`), to outweigh JupyterLab's
/// `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td {text-align: right}`.
const STYLE: &str = ".kbase-sql{border-collapse:collapse;font-family:var(--jp-code-font-family);\
font-size:var(--jp-code-font-size)}\
.kbase-sql th{position:sticky;top:0;background:var(--jp-layout-color1);color:var(--jp-ui-font-color0);\
border-bottom:1px solid var(--jp-border-color1);vertical-align:bottom}\
.kbase-sql th,.kbase-sql td{padding:2px 8px}\
table.kbase-sql.kbase-sql th,table.kbase-sql.kbase-sql td{text-align:left}\
.kbase-sql td{white-space:pre;color:var(--jp-content-font-color0);\
border-bottom:1px solid var(--jp-border-color2)}\
.kbase-sql small{font-weight:normal;color:var(--jp-ui-font-color2)}\
.kbase-sql i{color:var(--jp-ui-font-color3)}";

/// Inline styles for the few elements that have one each (the scroller, the footer, each
/// multi-line value), so that the sanitiser keeps them.
const WRAP: &str = "max-height:32em;overflow:auto;max-width:100%";
const PRE: &str = "white-space:pre-wrap;margin:0;max-height:24em;overflow:auto;text-align:left";
const FOOT: &str = "color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1);padding:4px 0";

/// The class that right-aligns a table's numeric columns and its rule, named after which
/// columns they are, so that tables of one layout share it and outputs stay the same from
/// run to run.
fn alignment(table: &Table) -> (String, String) {
    let numeric: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.numeric)
        .map(|(i, _)| i + 1)
        .collect();
    if numeric.is_empty() {
        return (String::new(), String::new());
    }
    let name = format!(
        "kbase-sql-r{}",
        numeric.iter().map(usize::to_string).collect::<Vec<_>>().join("-")
    );
    let selectors = numeric
        .iter()
        .map(|i| format!(".{name}.{name} td:nth-child({i}),.{name}.{name} th:nth-child({i})"))
        .collect::<Vec<_>>()
        .join(",");
    (format!(" {name}"), format!("{selectors}{{text-align:right}}"))
}

pub fn render(table: &Table) -> String {
    let mut out = String::with_capacity(1024 + table.len() * table.columns.len() * 12);
    let (align_class, align_rule) = alignment(table);
    let whole = table.len() == 1 && table.columns.len() == 1;
    let _ = write!(
        out,
        "<style>{STYLE}{align_rule}</style><div style=\"{WRAP}\"><table class=\"{CLASS}{align_class}\"><thead><tr>"
    );
    for c in &table.columns {
        let _ = write!(
            out,
            "<th>{}<br><small>{}</small></th>",
            text(&c.name),
            text(&c.type_name)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for row in table.rows() {
        // The end tags of rows and cells are optional in HTML; leaving them out saves a third.
        out.push_str("<tr>");
        for cell in row {
            match cell {
                None => out.push_str("<td><i>NULL</i>"),
                Some(s) if s.contains('\n') => {
                    let _ = write!(out, "<td><pre style=\"{PRE}\">{}</pre>", text(s));
                }
                Some(s) if !whole && s.chars().count() > MAX_CELL_CHARS => {
                    let short: String = s.chars().take(MAX_CELL_CHARS).collect();
                    let _ = write!(out, "<td title=\"{}\">{}…", attr(s), text(&short));
                }
                Some(s) => {
                    out.push_str("<td>");
                    out.push_str(&text(s));
                }
            }
        }
    }
    let _ = write!(
        out,
        "</tbody></table></div><div style=\"{FOOT}\">{}</div>",
        text(&table.notice().unwrap_or_else(|| table.row_count()))
    );
    out
}

#[cfg(test)]
mod tests {
    use super::super::table::Column;
    use super::*;

    fn column(name: &str, numeric: bool) -> Column {
        Column {
            name: name.into(),
            type_name: if numeric { "int" } else { "string" }.into(),
            numeric,
        }
    }

    #[test]
    fn values_and_names_are_escaped() {
        let t = Table::of(
            vec![column("<b>", false)],
            &[vec![Some("<script>alert(1)</script>")], vec![None]],
            false,
        );
        let html = render(&t);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>") && !html.contains("<b>"));
        assert!(html.contains("<td><i>NULL</i>"));
        assert!(html.contains(">2 rows</div>"));
    }

    #[test]
    fn long_values_keep_the_full_text_in_the_title_unless_they_are_the_whole_result() {
        let long = "y".repeat(300);
        let mut t = Table::of(vec![column("s", false)], &[vec![Some(long.as_str())], vec![None]], true);
        let html = render(&t);
        assert!(html.contains(&format!("title=\"{long}\"")));
        assert!(html.contains("first 2 rows shown — more available"));
        t.truncate(1);
        let html = render(&t);
        assert!(html.contains(&format!("<td>{long}<")) && !html.contains("title="));
    }

    #[test]
    fn multi_line_text_keeps_its_lines_within_a_bounded_height() {
        let t = Table::of(
            vec![column("plan", false)],
            &[vec![Some("== Physical Plan ==\n* Range (1)")]],
            false,
        );
        assert!(render(&t).contains(&format!(
            "<td><pre style=\"{PRE}\">== Physical Plan ==\n* Range (1)</pre>"
        )));
    }

    #[test]
    fn numeric_columns_line_up_right_by_a_class_named_after_them() {
        let t = Table::of(
            vec![column("a", true), column("b", false), column("c", true)],
            &[vec![Some("1"), Some("x"), None]],
            false,
        );
        let html = render(&t);
        assert!(html.contains("<table class=\"kbase-sql kbase-sql-r1-3\">"), "{html}");
        assert!(html.contains(
            ".kbase-sql-r1-3.kbase-sql-r1-3 td:nth-child(1),.kbase-sql-r1-3.kbase-sql-r1-3 th:nth-child(1),\
             .kbase-sql-r1-3.kbase-sql-r1-3 td:nth-child(3),.kbase-sql-r1-3.kbase-sql-r1-3 th:nth-child(3)\
             {text-align:right}"
        ));
        assert!(html.contains("<tr><td>1<td>x<td><i>NULL</i></tbody>"));
    }
}
