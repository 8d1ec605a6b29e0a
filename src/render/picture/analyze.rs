//! The look of `%analyze`: a headline (time, stages, tasks, the whole result's rows), the
//! flags, the costliest operators, and the plan as an indented tree with each operator's
//! rows, time, peak memory, spill and partitions; as text and as an HTML table in
//! JupyterLab's theme colours (light and dark), every metric of an operator on hover and in
//! a details cell. This output holds timings: the one output that may differ run to run.

use std::fmt::Write;

use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};
use serde_json::{Map, Value};
use unicode_width::UnicodeWidthStr;

use crate::data::plan::{Metric, MetricKind};
use crate::picture::analyze::{Analysis, Node, bytes, count, duration};

/// The tree's guides before a node's name.
fn guides(node: &Node) -> String {
    let mut out = String::new();
    let Some((own, above)) = node.last.split_last() else {
        return out;
    };
    for last in above {
        out.push_str(if *last { "   " } else { "│  " });
    }
    out.push_str(if *own { "└─ " } else { "├─ " });
    out
}

/// A metric's value in its unit.
fn value(m: &Metric) -> String {
    match &m.kind {
        MetricKind::Sum => count(m.value),
        MetricKind::Size => bytes(m.value),
        MetricKind::Millis => duration(std::time::Duration::from_millis(
            u64::try_from(m.value.max(0)).unwrap_or(0),
        )),
        MetricKind::Nanos => duration(std::time::Duration::from_nanos(
            u64::try_from(m.value.max(0)).unwrap_or(0),
        )),
        MetricKind::Average => format!("{:.1}", m.value as f64 / 10.0),
        MetricKind::Other(_) => m.value.to_string(),
    }
}

fn metric_list(node: &Node) -> String {
    if node.metrics.is_empty() {
        return "Spark reported no metrics for this operator".into();
    }
    node.metrics
        .iter()
        .map(|m| format!("{}: {}", m.label, value(m)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The figures of one node, in the order of the table's columns after the operator.
fn figures(node: &Node) -> [String; 5] {
    [
        node.rows.map(count).unwrap_or_default(),
        node.time.filter(|t| !t.is_zero()).map(duration).unwrap_or_default(),
        node.peak_memory.filter(|m| *m > 0).map(bytes).unwrap_or_default(),
        node.spill.filter(|s| *s > 0).map(bytes).unwrap_or_default(),
        node.partitions.map(count).unwrap_or_default(),
    ]
}

const HEADINGS: [&str; 6] = ["operator", "rows", "time", "peak memory", "spill", "partitions"];

fn headline(a: &Analysis) -> String {
    let mut s = format!("How Spark ran it: {} in all", duration(a.elapsed));
    match &a.stages {
        Some(st) if st.ran > 0 => {
            let _ = write!(
                s,
                ", {} {}, {} {}",
                count(st.ran as i64),
                if st.ran == 1 { "stage" } else { "stages" },
                count(st.tasks),
                if st.tasks == 1 { "task" } else { "tasks" }
            );
            if st.skipped > 0 {
                let _ = write!(
                    s,
                    " ({} more skipped: {} output was at hand)",
                    st.skipped,
                    if st.skipped == 1 { "its" } else { "their" }
                );
            }
        }
        // Spark reports progress now and then: a quick run may end before any report.
        _ => s.push_str(", stages and tasks unknown (no progress report came before it ended)"),
    }
    if let Some(rows) = a.result_rows {
        let _ = write!(
            s,
            "; the whole result has {} {}",
            count(rows),
            if rows == 1 { "row" } else { "rows" }
        );
    }
    s
}

fn ranking(a: &Analysis) -> Option<String> {
    if a.costliest.is_empty() {
        return None;
    }
    let items: Vec<String> = a
        .costliest
        .iter()
        .enumerate()
        .map(|(rank, &i)| {
            let n = &a.nodes[i];
            format!("{}. {} {}", rank + 1, n.name, n.time.map(duration).unwrap_or_default())
        })
        .collect();
    Some(format!("Costliest (time summed over tasks): {}", items.join(" · ")))
}

const NOTE: &str = "times are summed over tasks; hover an operator (or open its metrics) for all Spark reported";

/// The plan as text: the tree on the left, the figures aligned in columns.
fn plain(a: &Analysis) -> String {
    let mut out = headline(a);
    out.push('\n');
    for f in &a.flags {
        let _ = writeln!(out, "⚠ {}: {}", f.kind.name(), f.line);
    }
    if let Some(r) = ranking(a) {
        let _ = writeln!(out, "{r}");
    }
    out.push('\n');
    let rows: Vec<(String, [String; 5])> = a
        .nodes
        .iter()
        .map(|n| (format!("{}{}", guides(n), n.name), figures(n)))
        .collect();
    let mut widths = [0usize; 6];
    for (i, h) in HEADINGS.iter().enumerate() {
        widths[i] = h.width();
    }
    for (name, f) in &rows {
        widths[0] = widths[0].max(name.width());
        for (i, v) in f.iter().enumerate() {
            widths[i + 1] = widths[i + 1].max(v.width());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut s = format!("{}{}", cells[0], " ".repeat(widths[0] - cells[0].width()));
        for i in 1..6 {
            let _ = write!(s, "  {}{}", " ".repeat(widths[i] - cells[i].width()), cells[i]);
        }
        s.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", line(HEADINGS));
    for (name, f) in &rows {
        let _ = writeln!(out, "{}", line([name, &f[0], &f[1], &f[2], &f[3], &f[4]]));
    }
    out
}

const STYLE: &str = ".kbase-analyze{border-collapse:collapse;font-family:var(--jp-code-font-family);\
font-size:var(--jp-code-font-size)}\
table.kbase-analyze th{color:var(--jp-ui-font-color0);border-bottom:1px solid var(--jp-border-color1);\
text-align:right;white-space:nowrap;padding:2px 8px}\
table.kbase-analyze td{color:var(--jp-content-font-color0);border-bottom:1px solid var(--jp-border-color2);\
padding:1px 8px;white-space:nowrap;text-align:right;vertical-align:top}\
table.kbase-analyze tr:hover td{background:var(--jp-layout-color2)}\
table.kbase-analyze details summary{cursor:pointer;color:var(--jp-ui-font-color2)}";

const TREE: &str = "text-align:left;white-space:pre";
const GUIDE: &str = "color:var(--jp-ui-font-color3)";
const NUMBER: &str = "text-align:right;white-space:nowrap";
const FLAG: &str = "color:var(--jp-warn-color0,#e65100);padding:1px 0";
const MUTED: &str = "color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1);padding:2px 0";

fn html(a: &Analysis) -> String {
    let mut h = format!(
        "<div style=\"max-width:100%;overflow:auto\"><style>{STYLE}</style>\
         <div style=\"color:var(--jp-ui-font-color1);padding:4px 0;font-weight:600\">{}</div>",
        text(&headline(a))
    );
    for f in &a.flags {
        let _ = write!(
            h,
            "<div class=\"kbase-analyze-flag\" style=\"{FLAG}\">⚠ <b>{}</b>: {}</div>",
            text(f.kind.name()),
            text(&f.line)
        );
    }
    if let Some(r) = ranking(a) {
        let _ = write!(
            h,
            "<div style=\"color:var(--jp-ui-font-color1);padding:2px 0\">{}</div>",
            text(&r)
        );
    }
    h.push_str("<table class=\"kbase-analyze\"><thead><tr>");
    for (i, head) in HEADINGS.iter().enumerate() {
        let align = if i == 0 { "left" } else { "right" };
        let _ = write!(h, "<th style=\"text-align:{align}\">{}</th>", text(head));
    }
    h.push_str("<th style=\"text-align:left\">metrics</th></tr></thead><tbody>");
    for (i, n) in a.nodes.iter().enumerate() {
        let list = metric_list(n);
        let flagged = a.flags.iter().any(|f| f.node == i);
        let rank = a.costliest.iter().position(|&c| c == i);
        let _ = write!(h, "<tr title=\"{}\">", attr(&list));
        let name_style = if flagged {
            "color:var(--jp-warn-color0,#e65100);font-weight:600"
        } else {
            ""
        };
        let _ = write!(
            h,
            "<td style=\"{TREE}\"><span style=\"{GUIDE}\">{}</span><span style=\"{name_style}\">{}{}</span>",
            text(&guides(n)),
            if flagged { "⚠ " } else { "" },
            text(&n.name)
        );
        if let Some(r) = rank {
            let _ = write!(
                h,
                " <span style=\"color:var(--jp-brand-color1,#1976d2);font-size:var(--jp-ui-font-size0)\">#{} cost</span>",
                r + 1
            );
        }
        h.push_str("</td>");
        for v in figures(n) {
            let _ = write!(h, "<td style=\"{NUMBER}\">{}</td>", text(&v));
        }
        let _ = write!(
            h,
            "<td style=\"text-align:left\"><details><summary>{} {}</summary><pre style=\"margin:0;text-align:left\">{}</pre></details></td></tr>",
            n.metrics.len(),
            if n.metrics.len() == 1 { "metric" } else { "metrics" },
            text(&list)
        );
    }
    let _ = write!(h, "</tbody></table><div style=\"{MUTED}\">{}</div></div>", text(NOTE));
    h
}

/// The MIME bundle of an analysis.
pub(crate) fn bundle(a: &Analysis) -> Map<String, Value> {
    crate::render::text_and_html(plain(a), html(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::picture::analyze::{Flag, FlagKind};
    use std::time::Duration;

    fn node(name: &str, last: Vec<bool>, rows: Option<i64>) -> Node {
        Node {
            name: name.into(),
            last,
            rows,
            time: None,
            peak_memory: None,
            spill: None,
            partitions: None,
            pipeline: None,
            metrics: vec![Metric {
                name: "numOutputRows".into(),
                label: "number of output rows".into(),
                value: rows.unwrap_or(0),
                kind: MetricKind::Sum,
            }],
        }
    }

    fn analysis() -> Analysis {
        let mut join = node("BroadcastHashJoin", vec![true], Some(50_000_000));
        join.time = Some(Duration::from_millis(1500));
        let mut agg = node("<HashAggregate>", vec![], Some(1000));
        agg.peak_memory = Some(8 * 1024 * 1024);
        agg.spill = Some(0);
        Analysis {
            nodes: vec![
                agg,
                join,
                node("Range", vec![true, false], Some(10_000)),
                node("Range", vec![true, true], Some(5_000)),
            ],
            costliest: vec![1],
            flags: vec![Flag {
                kind: FlagKind::ExplodingJoin,
                node: 1,
                line: "BroadcastHashJoin made <many> rows".into(),
            }],
            elapsed: Duration::from_millis(2300),
            stages: Some(crate::data::plan::Stages {
                ran: 2,
                tasks: 6,
                skipped: 1,
            }),
            result_rows: Some(1000),
        }
    }

    #[test]
    fn text_shows_the_tree_with_aligned_figures() {
        let t = plain(&analysis());
        assert!(
            t.starts_with(
                "How Spark ran it: 2.3 s in all, 2 stages, 6 tasks (1 more skipped: its output was at hand); the whole result has 1,000 rows\n"
            ),
            "{t}"
        );
        assert!(
            t.contains("⚠ exploding join: BroadcastHashJoin made <many> rows\n"),
            "{t}"
        );
        assert!(
            t.contains("Costliest (time summed over tasks): 1. BroadcastHashJoin 1.5 s\n"),
            "{t}"
        );
        let lines: Vec<&str> = t.lines().skip_while(|l| !l.starts_with("operator")).collect();
        assert_eq!(lines[1], "<HashAggregate>            1,000             8.0 MiB");
        assert_eq!(lines[2], "└─ BroadcastHashJoin  50,000,000  1.5 s");
        assert_eq!(lines[3], "   ├─ Range               10,000");
        assert_eq!(lines[4], "   └─ Range                5,000");
    }

    #[test]
    fn html_is_escaped_with_every_metric_on_hover_and_in_details() {
        let h = html(&analysis());
        assert!(h.contains("&lt;HashAggregate&gt;") && !h.contains("<HashAggregate>"));
        assert!(h.contains("BroadcastHashJoin made &lt;many&gt; rows"));
        assert!(h.contains("<tr title=\"number of output rows: 50,000,000\">"));
        assert!(h.contains("<summary>1 metric</summary>"));
        assert!(h.contains("#1 cost"));
        assert_eq!(h.matches("<tr title=").count(), 4);
    }
}
