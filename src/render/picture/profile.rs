//! The look of `%profile`: one row per column of the result with its figures, most frequent
//! values and a small histogram drawn inline in SVG, in an HTML table styled like result
//! tables (JupyterLab's theme variables, so it reads in light and dark themes); and the
//! same figures as text. Every name and value is escaped.

use std::fmt::Write;

use crate::interpreter::Bundle;
use html_escape::encode_text as text;
use serde_json::Value;

/// One column's figures.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColumnProfile {
    pub(crate) name: String,
    pub(crate) type_name: String,
    /// Values that are not null.
    pub(crate) count: u64,
    pub(crate) nulls: u64,
    /// NaN values (counted among `count`, left out of min, max, mean and quartiles).
    pub(crate) nan: u64,
    pub(crate) distinct: Option<u64>,
    pub(crate) min: Option<String>,
    pub(crate) max: Option<String>,
    pub(crate) mean: Option<f64>,
    pub(crate) stddev: Option<f64>,
    pub(crate) quartiles: Option<[Option<f64>; 3]>,
    /// The shortest and longest text.
    pub(crate) length: Option<(u64, u64)>,
    /// The most frequent values with their counts (values seen more than once).
    pub(crate) top: Vec<(String, u64)>,
    /// Every value is distinct: known exactly when the most frequent values were looked for.
    pub(crate) unique: bool,
    /// Row counts of equal bins over `range`.
    pub(crate) histogram: Vec<u64>,
    pub(crate) range: Option<(Value, Value)>,
}

/// A whole result's profile.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Profile {
    pub(crate) rows: u64,
    pub(crate) columns: Vec<ColumnProfile>,
    /// Queries Spark ran over the result.
    pub(crate) passes: usize,
}

/// A number in about six significant digits.
pub(crate) fn number(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    if v.abs() >= 1e9 || v.abs() < 1e-4 {
        return format!("{v:.4e}");
    }
    let decimals = (5 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), number)
}

fn count(n: u64) -> String {
    crate::picture::columns::thousands(n)
}

fn headline(p: &Profile) -> String {
    format!(
        "profile of {} rows × {} columns, computed by Spark over the whole result in {} {}",
        count(p.rows),
        p.columns.len(),
        p.passes,
        if p.passes == 1 { "pass" } else { "passes" }
    )
}

fn top_values(c: &ColumnProfile) -> String {
    if c.unique {
        return "every value is distinct".into();
    }
    c.top
        .iter()
        .map(|(v, n)| format!("{v} ({})", count(*n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The approximate distinct count, which can never be more than the values counted (the
/// estimate's error can take it past them), and is exact for a column of unique values.
fn distinct(c: &ColumnProfile, estimate: u64) -> String {
    if c.unique {
        return count(c.count);
    }
    count(estimate.min(c.count))
}

fn nulls(c: &ColumnProfile) -> String {
    if c.nan > 0 {
        format!("{} (+{} NaN)", count(c.nulls), count(c.nan))
    } else {
        count(c.nulls)
    }
}

/// The small histogram of a column, as inline SVG bars in the theme's accent colour.
fn sparkline(c: &ColumnProfile) -> String {
    let Some(max) = c.histogram.iter().copied().max().filter(|m| *m > 0) else {
        return String::new();
    };
    let (w, h) = (120.0, 28.0);
    let bar = w / c.histogram.len() as f64;
    let mut svg = format!(
        "<svg width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" role=\"img\" \
         style=\"fill:var(--jp-brand-color1,#4c78a8);vertical-align:middle\">"
    );
    if let Some((lo, hi)) = &c.range {
        let _ = write!(svg, "<title>{} to {}</title>", text(&plain(lo)), text(&plain(hi)));
    }
    for (i, n) in c.histogram.iter().enumerate() {
        let bh = (*n as f64 / max as f64 * (h - 2.0)).max(if *n > 0 { 1.0 } else { 0.0 });
        let _ = write!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{bh:.1}\"><title>{}</title></rect>",
            i as f64 * bar + 0.5,
            h - bh,
            bar - 1.0,
            count(*n)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.as_f64().map_or_else(|| n.to_string(), number),
        other => other.to_string(),
    }
}

const HEADINGS: [&str; 13] = [
    "column",
    "type",
    "count",
    "nulls",
    "distinct ≈",
    "min",
    "max",
    "mean",
    "stddev",
    "quartiles",
    "length",
    "most frequent",
    "histogram",
];

/// Cells of the numbers, right-aligned.
const NUMERIC: [usize; 5] = [2, 3, 4, 7, 8];
/// The column names stay in view when a wide profile scrolls sideways.
const NAME: &str = ";position:sticky;left:0;z-index:1;background:var(--jp-layout-color1)";
/// The cell of the most frequent values, which may wrap.
const FREQUENT: usize = 11;

fn cells(c: &ColumnProfile) -> [String; 12] {
    [
        c.name.clone(),
        c.type_name.clone(),
        count(c.count),
        nulls(c),
        c.distinct.map_or(String::new(), |d| distinct(c, d)),
        c.min.clone().unwrap_or_default(),
        c.max.clone().unwrap_or_default(),
        opt(c.mean),
        opt(c.stddev),
        c.quartiles.map_or(String::new(), |q| {
            q.iter().map(|v| opt(*v)).collect::<Vec<_>>().join(" · ")
        }),
        c.length.map_or(String::new(), |(l, h)| format!("{l}–{h}")),
        top_values(c),
    ]
}

const STYLE: &str = ".kbase-profile{border-collapse:collapse;font-family:var(--jp-code-font-family);\
font-size:var(--jp-code-font-size)}\
table.kbase-profile th{color:var(--jp-ui-font-color0);border-bottom:1px solid var(--jp-border-color1);\
text-align:left;vertical-align:bottom;white-space:nowrap}\
table.kbase-profile th,table.kbase-profile td{padding:2px 8px}\
table.kbase-profile td{text-align:left;color:var(--jp-content-font-color0);\
border-bottom:1px solid var(--jp-border-color2);vertical-align:middle}";

/// The MIME bundle of a profile: an HTML table and the same figures as text.
pub(crate) fn bundle(p: &Profile) -> Bundle {
    let mut html = format!(
        "<div style=\"max-width:100%;overflow:auto\"><style>{STYLE}</style>\
         <div style=\"color:var(--jp-ui-font-color1);padding:2px 0 4px\">{}</div><table class=\"kbase-profile\"><thead><tr>",
        text(&headline(p))
    );
    for (i, h) in HEADINGS.iter().enumerate() {
        let align = if NUMERIC.contains(&i) { "right" } else { "left" };
        let sticky = if i == 0 { NAME } else { "" };
        let _ = write!(html, "<th style=\"text-align:{align}{sticky}\">{}</th>", text(h));
    }
    html.push_str("</tr></thead><tbody>");
    for c in &p.columns {
        html.push_str("<tr>");
        for (i, cell) in cells(c).iter().enumerate() {
            // Inline, so that JupyterLab's own table style (and an untrusted notebook's
            // sanitiser, which drops the style block) leaves the alignment alone.
            let style = match i {
                i if NUMERIC.contains(&i) => "text-align:right;white-space:nowrap",
                FREQUENT => "text-align:left;white-space:normal;min-width:16em;max-width:30em",
                _ => "text-align:left;white-space:nowrap",
            };
            let sticky = if i == 0 { NAME } else { "" };
            let _ = write!(html, "<td style=\"{style}{sticky}\">{}</td>", text(cell));
        }
        let _ = write!(html, "<td style=\"text-align:left\">{}</td></tr>", sparkline(c));
    }
    html.push_str("</tbody></table></div>");

    let mut plain_text = format!("{}\n", headline(p));
    for c in &p.columns {
        let v = cells(c);
        let _ = write!(plain_text, "\n{} ({}): count {}, nulls {}", v[0], v[1], v[2], v[3]);
        let labels = [
            (4, "distinct ≈"),
            (5, "min"),
            (6, "max"),
            (7, "mean"),
            (8, "stddev"),
            (9, "quartiles"),
            (10, "length"),
            (11, "most frequent"),
        ];
        for (i, label) in labels {
            if i == FREQUENT && c.unique {
                let _ = write!(plain_text, ", {}", v[i]);
            } else if !v[i].is_empty() {
                let _ = write!(plain_text, ", {label} {}", v[i]);
            }
        }
        if !c.histogram.is_empty() {
            let counts = c.histogram.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ");
            let range = c.range.as_ref().map_or(String::new(), |(lo, hi)| {
                format!(" from {} to {}", plain(lo), plain(hi))
            });
            let _ = write!(plain_text, ", histogram{range}: {counts}");
        }
    }
    crate::render::text_and_html(plain_text, html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column() -> ColumnProfile {
        ColumnProfile {
            name: "<b>x</b>".into(),
            type_name: "double".into(),
            count: 1_000_000,
            nulls: 5,
            nan: 2,
            distinct: Some(990_000),
            min: Some("0.0".into()),
            max: Some("9.5".into()),
            mean: Some(4.75),
            stddev: Some(2.0),
            quartiles: Some([Some(2.5), Some(4.75), None]),
            length: None,
            top: Vec::new(),
            unique: false,
            histogram: vec![1, 0, 3],
            range: Some((json!(0.0), json!(9.5))),
        }
    }

    #[test]
    fn one_row_per_column_escaped_with_its_histogram() {
        let b = bundle(&Profile {
            rows: 1_000_005,
            columns: vec![column()],
            passes: 2,
        });
        let html = b["text/html"].as_str().unwrap();
        assert!(
            html.contains("profile of 1,000,005 rows × 1 columns, computed by Spark over the whole result in 2 passes")
        );
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;") && !html.contains("<b>x"));
        assert_eq!(html.matches("<rect").count(), 3);
        assert!(html.contains("5 (+2 NaN)"));
        let text = b["text/plain"].as_str().unwrap();
        assert!(
            text.contains(
                "<b>x</b> (double): count 1,000,000, nulls 5 (+2 NaN), distinct ≈ 990,000, min 0.0, max 9.5, mean 4.75"
            ),
            "{text}"
        );
        assert!(text.contains("histogram from 0 to 9.5: 1 0 3"), "{text}");
    }

    #[test]
    fn an_estimate_never_exceeds_the_count_and_a_unique_column_says_so() {
        let id = ColumnProfile {
            name: "genome_id".into(),
            type_name: "string".into(),
            distinct: Some(3_059_405),
            count: 3_000_000,
            nulls: 0,
            nan: 0,
            min: None,
            max: None,
            mean: None,
            stddev: None,
            quartiles: None,
            length: Some((13, 13)),
            top: Vec::new(),
            unique: true,
            histogram: Vec::new(),
            range: None,
        };
        let species = ColumnProfile {
            name: "species".into(),
            distinct: Some(3_100),
            count: 3_000,
            unique: false,
            top: vec![("E. coli".into(), 2)],
            ..id.clone()
        };
        let b = bundle(&Profile {
            rows: 3_000_000,
            columns: vec![id, species],
            passes: 3,
        });
        let text = b["text/plain"].as_str().unwrap();
        assert!(
            text.contains("genome_id (string): count 3,000,000, nulls 0, distinct ≈ 3,000,000, length 13–13, every value is distinct"),
            "{text}"
        );
        assert!(
            text.contains("distinct ≈ 3,000, length 13–13, most frequent E. coli (2)"),
            "{text}"
        );
        let html = b["text/html"].as_str().unwrap();
        assert!(html.contains("every value is distinct") && !html.contains("3,059,405"));
        // The name column stays in view when the profile scrolls sideways.
        assert!(html.contains("<td style=\"text-align:left;white-space:nowrap;position:sticky;left:0"));
        assert!(html.contains("<th style=\"text-align:left;position:sticky;left:0"));
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(number(4999999.4), "4999999");
        assert_eq!(number(5773.647028), "5773.65");
        assert_eq!(number(47.964451), "47.9645");
        assert_eq!(number(0.333333333), "0.333333");
        assert_eq!(number(1e12), "1.0000e12");
        assert_eq!(number(-2.5), "-2.5");
    }
}
