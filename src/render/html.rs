//! The `text/html` table. Every value is escaped; styling is inline and uses JupyterLab's
//! theme variables only, so it reads in light and dark themes and survives the sanitiser
//! of an untrusted notebook (which strips `<style>` and `<script>`).

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::Table;
use super::value::Cell;

/// Cells longer than this many characters are shortened in view; the full value is the title.
const MAX_CELL_CHARS: usize = 200;

const WRAP: &str = "max-height:32em;overflow:auto;max-width:100%";
const TABLE: &str =
    "border-collapse:collapse;font-family:var(--jp-code-font-family);font-size:var(--jp-code-font-size)";
const TH: &str = "position:sticky;top:0;background:var(--jp-layout-color1);color:var(--jp-ui-font-color0);\
border-bottom:1px solid var(--jp-border-color1);padding:2px 8px;vertical-align:bottom";
const TD: &str = "padding:2px 8px;border-bottom:1px solid var(--jp-border-color2);white-space:pre;\
color:var(--jp-content-font-color0)";
const TYPE: &str = "font-weight:normal;color:var(--jp-ui-font-color2);font-size:85%";
const NULL: &str = "color:var(--jp-ui-font-color3);font-style:italic";
const FOOT: &str = "color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1);padding:4px 0";

pub fn render(table: &Table) -> String {
    let mut out = String::with_capacity(256 + table.rows.len() * table.columns.len() * 24);
    let _ = write!(out, "<div style=\"{WRAP}\"><table style=\"{TABLE}\"><thead><tr>");
    for c in &table.columns {
        let align = if c.numeric { "right" } else { "left" };
        let _ = write!(
            out,
            "<th style=\"{TH};text-align:{align}\">{}<br><span style=\"{TYPE}\">{}</span></th>",
            text(&c.name),
            text(&c.type_name)
        );
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for (cell, c) in row.iter().zip(&table.columns) {
            let align = if c.numeric { "right" } else { "left" };
            match cell {
                Cell::Null => {
                    let _ = write!(
                        out,
                        "<td style=\"{TD};text-align:{align}\"><span style=\"{NULL}\">NULL</span></td>"
                    );
                }
                Cell::Text(s) if s.chars().count() > MAX_CELL_CHARS => {
                    let short: String = s.chars().take(MAX_CELL_CHARS).collect();
                    let _ = write!(
                        out,
                        "<td style=\"{TD};text-align:{align}\" title=\"{}\">{}…</td>",
                        attr(s),
                        text(&short)
                    );
                }
                Cell::Text(s) => {
                    let _ = write!(out, "<td style=\"{TD};text-align:{align}\">{}</td>", text(s));
                }
            }
        }
        out.push_str("</tr>");
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
    use super::super::Column;
    use super::*;

    #[test]
    fn values_and_names_are_escaped() {
        let t = Table {
            columns: vec![Column {
                name: "<b>".into(),
                type_name: "string".into(),
                numeric: false,
            }],
            rows: vec![vec![Cell::Text("<script>alert(1)</script>".into())], vec![Cell::Null]],
            more: false,
            size_cut: false,
        };
        let html = render(&t);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>") && !html.contains("<b>"));
        assert!(html.contains(">2 rows</div>"));
        assert!(!html.contains("<style"));
    }

    #[test]
    fn long_values_keep_the_full_text_in_the_title() {
        let long = "y".repeat(300);
        let t = Table {
            columns: vec![Column {
                name: "s".into(),
                type_name: "string".into(),
                numeric: false,
            }],
            rows: vec![vec![Cell::Text(long.clone())]],
            more: true,
            size_cut: false,
        };
        let html = render(&t);
        assert!(html.contains(&format!("title=\"{long}\"")));
        assert!(html.contains("first 1 row shown — more available"));
    }
}
