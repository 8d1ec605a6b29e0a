//! `%analyze`: what Spark's execution metrics say about one query run to its end. The
//! operators Spark reported become a tree of what the user wrote in effect (the stage and
//! code-generation wrappers folded away, the kernel's own filter taken off the top), each
//! with its rows, time, peak memory, spill and partitions; the costliest ranked; and the
//! patterns that usually mean a fix is at hand flagged, each with one line saying what to try.
//! `render::analyze` then writes it for the notebook.

use std::collections::HashMap;
use std::time::Duration;

use crate::data::plan::{Analyzed, Metric, MetricKind, Operator, Stages};

/// A join flagged as exploding makes at least this many rows…
const EXPLODING_ROWS: i64 = 100_000;
/// …and this many times as many as its larger input.
const EXPLODING_FACTOR: i64 = 10;
/// A scan flagged for a filter that did not narrow it reads at least this many rows…
const WASTED_SCAN_ROWS: i64 = 100_000;
/// …and keeps less than one in this many.
const WASTED_SCAN_FACTOR: i64 = 10;
/// How many operators the ranking names.
const RANKED: usize = 3;

/// Nodes Spark adds around stages and fused code that hold no work of their own.
fn wrapper(name: &str) -> bool {
    matches!(
        name,
        "AdaptiveSparkPlan"
            | "ResultQueryStage"
            | "ShuffleQueryStage"
            | "BroadcastQueryStage"
            | "TableCacheQueryStage"
            | "InputAdapter"
            | "ColumnarToRow"
    ) || codegen(name)
}

fn codegen(name: &str) -> bool {
    name.starts_with("WholeStageCodegen")
}

/// Operators whose output has as many rows as their one input.
fn same_rows(name: &str) -> bool {
    wrapper(name) || matches!(name, "Project" | "Sort" | "Exchange" | "AQEShuffleRead" | "Window")
}

fn scan(name: &str) -> bool {
    (name.starts_with("Scan ") || name.starts_with("BatchScan") || name.starts_with("FileScan"))
        && !name.starts_with("Scan OneRowRelation")
}

fn join(name: &str) -> bool {
    name.contains("Join") || name == "CartesianProduct"
}

/// One operator as shown.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    pub(crate) name: String,
    /// For each level above this node (outermost first), whether that ancestor was its
    /// parent's last child; the node's own place is the last entry. Empty for the root.
    pub(crate) last: Vec<bool>,
    pub(crate) rows: Option<i64>,
    /// Its own time metrics, summed over tasks.
    pub(crate) time: Option<Duration>,
    pub(crate) peak_memory: Option<i64>,
    pub(crate) spill: Option<i64>,
    pub(crate) partitions: Option<i64>,
    /// The code-generated stage this operator tops, with the time of all it fused.
    pub(crate) pipeline: Option<(String, Duration)>,
    /// Every metric Spark reported for it.
    pub(crate) metrics: Vec<Metric>,
}

/// What a flag is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FlagKind {
    ExplodingJoin,
    UnnarrowedScan,
    Skew,
    Spill,
}

impl FlagKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FlagKind::ExplodingJoin => "exploding join",
            FlagKind::UnnarrowedScan => "filter not pushed down",
            FlagKind::Skew => "skew",
            FlagKind::Spill => "spill",
        }
    }
}

/// One finding, in one line of plain language that says what to try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Flag {
    pub(crate) kind: FlagKind,
    /// The node it is about.
    pub(crate) node: usize,
    pub(crate) line: String,
}

/// A query's execution as `%analyze` shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Analysis {
    /// Pre-order, root first.
    pub(crate) nodes: Vec<Node>,
    /// Indexes into `nodes`, costliest first.
    pub(crate) costliest: Vec<usize>,
    pub(crate) flags: Vec<Flag>,
    pub(crate) elapsed: Duration,
    pub(crate) stages: Option<Stages>,
    /// Rows of the whole result, when Spark counted them.
    pub(crate) result_rows: Option<i64>,
}

struct Tree<'a> {
    ops: &'a [Operator],
    /// The kernel's own filter over the query, once found.
    ours: Option<usize>,
    children: HashMap<i64, Vec<usize>>,
    by_id: HashMap<i64, usize>,
}

impl Tree<'_> {
    fn kids(&self, i: usize) -> &[usize] {
        self.children.get(&self.ops[i].id).map_or(&[], Vec::as_slice)
    }

    fn parent(&self, i: usize) -> Option<usize> {
        let op = &self.ops[i];
        (op.parent != op.id)
            .then(|| self.by_id.get(&op.parent).copied())
            .flatten()
    }

    /// Rows out of operator `i`: as reported, else read through operators that keep rows.
    fn rows(&self, i: usize) -> Option<i64> {
        let op = &self.ops[i];
        if let Some(n) = reported_rows(op) {
            return Some(n);
        }
        match self.kids(i) {
            [one] if same_rows(&op.name) => self.rows(*one),
            _ => None,
        }
    }
}

fn reported_rows(op: &Operator) -> Option<i64> {
    op.metric("numOutputRows").or_else(|| {
        (op.name == "Exchange")
            .then(|| op.metric("shuffleRecordsWritten"))
            .flatten()
    })
}

/// Time metrics of an operator itself (a code-generated stage's pipeline time is its stage's).
fn own_time(op: &Operator) -> Option<Duration> {
    if codegen(&op.name) {
        return None;
    }
    let mut any = false;
    let mut nanos: u128 = 0;
    for m in &op.metrics {
        let n = u128::try_from(m.value.max(0)).unwrap_or(0);
        match m.kind {
            MetricKind::Millis => {
                any = true;
                nanos += n * 1_000_000;
            }
            MetricKind::Nanos => {
                any = true;
                nanos += n;
            }
            _ => {}
        }
    }
    any.then(|| Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX)))
}

fn millis(op: &Operator, name: &str) -> Option<Duration> {
    op.metric(name)
        .map(|ms| Duration::from_millis(u64::try_from(ms.max(0)).unwrap_or(0)))
}

/// Reads Spark's report of one run. `None` when Spark reported no operators.
pub(crate) fn analyze(run: &Analyzed) -> Option<Analysis> {
    let ops = &run.operators;
    if ops.is_empty() {
        return None;
    }
    let by_id: HashMap<i64, usize> = ops.iter().enumerate().map(|(i, o)| (o.id, i)).collect();
    let mut children: HashMap<i64, Vec<usize>> = HashMap::new();
    for (i, o) in ops.iter().enumerate() {
        if o.parent != o.id && by_id.contains_key(&o.parent) {
            children.entry(o.parent).or_default().push(i);
        }
    }
    let mut tree = Tree {
        ops,
        ours: None,
        children,
        by_id,
    };
    let root = (0..ops.len()).find(|&i| tree.parent(i).is_none())?;

    // The kernel's filter that keeps each partition's first rows sits at the top, under
    // wrappers only; what is under it is the user's query.
    let mut top = root;
    let mut pipeline = None;
    while wrapper(&ops[top].name) {
        if codegen(&ops[top].name) {
            pipeline = Some(top);
        }
        match tree.kids(top) {
            [one] => top = *one,
            _ => break,
        }
    }
    let start = match tree.kids(top) {
        [one] if ops[top].name == "Filter" => {
            let one = *one;
            tree.ours = Some(top);
            one
        }
        // Not the shape expected: show the whole plan as Spark sent it.
        _ => {
            pipeline = None;
            root
        }
    };
    let result_rows = tree.rows(start);

    let mut nodes = Vec::new();
    let mut index_of = HashMap::new();
    walk(&tree, start, pipeline, &mut Vec::new(), &mut nodes, &mut index_of);

    let mut costliest: Vec<usize> = (0..nodes.len())
        .filter(|&i| nodes[i].time.is_some_and(|t| !t.is_zero()))
        .collect();
    costliest.sort_by(|&a, &b| nodes[b].time.cmp(&nodes[a].time));
    costliest.truncate(RANKED);

    let flags = flags(&tree, &index_of);

    Some(Analysis {
        nodes,
        costliest,
        flags,
        elapsed: run.elapsed,
        stages: run.stages,
        result_rows,
    })
}

/// What the run's operators show went wrong (a join that multiplies rows, a scan that
/// reads everything, a spill, skew), in the order of the nodes they are on.
fn flags(tree: &Tree, index_of: &HashMap<usize, usize>) -> Vec<Flag> {
    let ops = tree.ops;
    let mut flags = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let Some(&node) = index_of.get(&i) else { continue };
        flags.extend(exploding_join(tree, i, node));
        flags.extend(unnarrowed_scan(tree, i, node));
        if let Some(spill) = op.metric("spillSize").filter(|s| *s > 0) {
            flags.push(Flag {
                kind: FlagKind::Spill,
                node,
                line: format!(
                    "{} spilled {} to disk: its data did not fit in memory; give each task less data \
                     (SET spark.sql.shuffle.partitions to a higher number) or the executors more memory.",
                    op.name,
                    bytes(spill)
                ),
            });
        }
    }
    // Spark splits the skewed partitions it finds before a join; the reader of that shuffle
    // says how many. (Spark Connect reports no task times, so other skew cannot be seen.)
    for (i, op) in ops.iter().enumerate() {
        if op.name == "AQEShuffleRead"
            && let Some(n) = op.metric("numSkewedPartitions").filter(|n| *n > 0)
        {
            let node = nearest_shown(tree, i, index_of).unwrap_or(0);
            flags.push(Flag {
                kind: FlagKind::Skew,
                node,
                line: format!(
                    "Spark found {} skewed {} in a join's input and split {}: a few key values hold most \
                     rows; check for a dominant key (NULL, a default value) and filter it out or join it apart.",
                    count(n),
                    if n == 1 { "partition" } else { "partitions" },
                    if n == 1 { "it" } else { "them" }
                ),
            });
        }
    }
    flags.sort_by_key(|f| f.node);
    flags
}

/// The shown node of operator `i`, or of the nearest operator above it that is shown.
fn nearest_shown(tree: &Tree, mut i: usize, index_of: &HashMap<usize, usize>) -> Option<usize> {
    loop {
        if let Some(n) = index_of.get(&i) {
            return Some(*n);
        }
        i = tree.parent(i)?;
    }
}

/// Adds operator `i` (unless it is a wrapper, whose children take its place) and its subtree.
fn walk(
    tree: &Tree,
    i: usize,
    pipeline: Option<usize>,
    last: &mut Vec<bool>,
    nodes: &mut Vec<Node>,
    index_of: &mut HashMap<usize, usize>,
) {
    let op = &tree.ops[i];
    if wrapper(&op.name)
        && let [one] = tree.kids(i)
    {
        let pipeline = if codegen(&op.name) { Some(i) } else { pipeline };
        walk(tree, *one, pipeline, last, nodes, index_of);
        return;
    }
    let rows = reported_rows(op).or_else(|| if same_rows(&op.name) { tree.rows(i) } else { None });
    let mut metrics = op.metrics.clone();
    let stage = pipeline.map(|p| {
        let stage = &tree.ops[p];
        let time = millis(stage, "pipelineTime").unwrap_or_default();
        metrics.extend(stage.metrics.iter().map(|m| Metric {
            name: format!("{} {}", stage.name, m.name),
            label: format!("{}: {}", stage.name, m.label),
            ..m.clone()
        }));
        (stage.name.clone(), time)
    });
    index_of.insert(i, nodes.len());
    nodes.push(Node {
        name: op.name.clone(),
        last: last.clone(),
        rows,
        time: own_time(op),
        peak_memory: op.metric("peakMemory"),
        spill: op.metric("spillSize"),
        partitions: op.metric("numPartitions"),
        pipeline: stage,
        metrics,
    });
    let kids = tree.kids(i).to_vec();
    for (k, kid) in kids.iter().enumerate() {
        last.push(k + 1 == kids.len());
        walk(tree, *kid, None, last, nodes, index_of);
        last.pop();
    }
}

fn exploding_join(tree: &Tree, i: usize, node: usize) -> Option<Flag> {
    let op = &tree.ops[i];
    if !join(&op.name) {
        return None;
    }
    let out = reported_rows(op)?;
    let inputs: Vec<i64> = tree.kids(i).iter().filter_map(|&k| tree.rows(k)).collect();
    let larger = inputs.iter().copied().max()?;
    if out < EXPLODING_ROWS || out <= larger.saturating_mul(EXPLODING_FACTOR) {
        return None;
    }
    let from = inputs.iter().map(|n| count(*n)).collect::<Vec<_>>().join(" and ");
    Some(Flag {
        kind: FlagKind::ExplodingJoin,
        node,
        line: format!(
            "{} made {} rows from {} ({}× its larger input): a join key is likely missing or matches \
             many rows on both sides; check that ON joins on a key that is unique on one side.",
            op.name,
            count(out),
            from,
            count(out / larger.max(1))
        ),
    })
}

fn unnarrowed_scan(tree: &Tree, i: usize, node: usize) -> Option<Flag> {
    let op = &tree.ops[i];
    if !scan(&op.name) {
        return None;
    }
    let read = reported_rows(op)?;
    if read < WASTED_SCAN_ROWS {
        return None;
    }
    // The first operator above that counts its rows, through those that keep them.
    let mut up = tree.parent(i)?;
    while reported_rows(&tree.ops[up]).is_none() || tree.ops[up].name == "ColumnarToRow" {
        if !same_rows(&tree.ops[up].name) {
            return None;
        }
        up = tree.parent(up)?;
    }
    if tree.ours == Some(up) {
        return None;
    }
    let filter = &tree.ops[up];
    let kept = reported_rows(filter)?;
    if filter.name != "Filter" || kept.saturating_mul(WASTED_SCAN_FACTOR) >= read {
        return None;
    }
    Some(Flag {
        kind: FlagKind::UnnarrowedScan,
        node,
        line: format!(
            "{} read {} rows and the filter above it kept {} ({}): the filter could not narrow what \
             is read; compare columns directly with constants (no function or cast on the column), \
             or filter on the table's partition columns.",
            op.name,
            count(read),
            count(kept),
            share(kept, read)
        ),
    })
}

/// `part` of `whole` as a short percentage.
fn share(part: i64, whole: i64) -> String {
    let p = part as f64 * 100.0 / whole.max(1) as f64;
    if p == 0.0 {
        "0%".into()
    } else if p < 0.01 {
        "under 0.01%".into()
    } else if p < 1.0 {
        format!("{p:.2}%")
    } else {
        format!("{p:.0}%")
    }
}

pub(crate) fn count(n: i64) -> String {
    if n < 0 {
        format!("-{}", super::columns::thousands(n.unsigned_abs()))
    } else {
        super::columns::thousands(n.unsigned_abs())
    }
}

/// Bytes in the largest unit that keeps a number of at least 1.
pub(crate) fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if v.abs() >= 100.0 {
        format!("{v:.0} {}", UNITS[unit])
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// A duration as people read it: 850 µs, 12 ms, 3.4 s, 2 min 5 s.
pub(crate) fn duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 0.001 {
        format!("{} µs", d.as_micros())
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 60.0 {
        format!("{s:.1} s")
    } else {
        let whole = d.as_secs();
        format!("{} min {} s", whole / 60, whole % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::QueryResult;
    use arrow_schema::Schema;
    use std::sync::Arc;

    fn op(id: i64, parent: i64, name: &str, metrics: &[(&str, i64, &str)]) -> Operator {
        Operator {
            id,
            parent,
            name: name.into(),
            metrics: metrics
                .iter()
                .map(|(n, v, k)| Metric {
                    name: (*n).into(),
                    label: (*n).into(),
                    value: *v,
                    kind: MetricKind::from_spark(k),
                })
                .collect(),
        }
    }

    fn run(operators: Vec<Operator>) -> Analyzed {
        Analyzed {
            result: QueryResult::new(Arc::new(Schema::empty()), Vec::new(), false),
            operators,
            elapsed: Duration::from_secs(2),
            stages: None,
        }
    }

    /// What Spark 4.0.1 reported for a join of a million rows with a thousand, grouped, under
    /// the kernel's filter.
    fn grouped_join(join_rows: i64) -> Vec<Operator> {
        vec![
            op(29, 29, "AdaptiveSparkPlan", &[]),
            op(2, 29, "ResultQueryStage", &[]),
            op(117, 2, "WholeStageCodegen (3)", &[("pipelineTime", 166, "timing")]),
            op(118, 117, "Filter", &[("numOutputRows", 1000, "sum")]),
            op(
                116,
                118,
                "HashAggregate",
                &[
                    ("numOutputRows", 1000, "sum"),
                    ("aggTime", 19, "timing"),
                    ("peakMemory", 8_650_736, "size"),
                ],
            ),
            op(115, 116, "InputAdapter", &[]),
            op(112, 115, "AQEShuffleRead", &[("numPartitions", 1, "sum")]),
            op(1, 112, "ShuffleQueryStage", &[]),
            op(
                95,
                1,
                "Exchange",
                &[
                    ("shuffleRecordsWritten", 2000, "sum"),
                    ("shuffleWriteTime", 2_792_921, "nsTiming"),
                ],
            ),
            op(94, 95, "WholeStageCodegen (2)", &[("pipelineTime", 1218, "timing")]),
            op(
                93,
                94,
                "HashAggregate",
                &[("numOutputRows", 2000, "sum"), ("aggTime", 912, "timing")],
            ),
            op(92, 93, "Project", &[]),
            op(91, 92, "BroadcastHashJoin", &[("numOutputRows", join_rows, "sum")]),
            op(21, 91, "Range", &[("numOutputRows", 1_000_000, "sum")]),
            op(90, 91, "InputAdapter", &[]),
            op(0, 90, "BroadcastQueryStage", &[]),
            op(
                52,
                0,
                "BroadcastExchange",
                &[("numOutputRows", 1000, "sum"), ("buildTime", 521, "timing")],
            ),
            op(51, 52, "WholeStageCodegen (1)", &[("pipelineTime", 39, "timing")]),
            op(23, 51, "Project", &[]),
            op(22, 23, "Range", &[("numOutputRows", 1000, "sum")]),
        ]
    }

    #[test]
    fn the_tree_folds_wrappers_and_drops_the_kernels_filter() {
        let a = analyze(&run(grouped_join(1_000_000))).unwrap();
        let names: Vec<(&str, usize, Option<i64>)> = a
            .nodes
            .iter()
            .map(|n| (n.name.as_str(), n.last.len(), n.rows))
            .collect();
        assert_eq!(
            names,
            [
                ("HashAggregate", 0, Some(1000)),
                ("AQEShuffleRead", 1, Some(2000)),
                ("Exchange", 2, Some(2000)),
                ("HashAggregate", 3, Some(2000)),
                ("Project", 4, Some(1_000_000)),
                ("BroadcastHashJoin", 5, Some(1_000_000)),
                ("Range", 6, Some(1_000_000)),
                ("BroadcastExchange", 6, Some(1000)),
                ("Project", 7, Some(1000)),
                ("Range", 8, Some(1000)),
            ]
        );
        assert_eq!(a.result_rows, Some(1000));
        assert_eq!(
            a.nodes[0].pipeline,
            Some(("WholeStageCodegen (3)".into(), Duration::from_millis(166)))
        );
        assert_eq!(a.nodes[5].last, [true, true, true, true, true]);
        assert_eq!(a.nodes[6].last.last(), Some(&false));
        // Ranked by their own time: 912 ms, 521 ms, 19 ms (the exchange's 2.8 ms is fourth).
        let ranked: Vec<&str> = a.costliest.iter().map(|&i| a.nodes[i].name.as_str()).collect();
        assert_eq!(ranked, ["HashAggregate", "BroadcastExchange", "HashAggregate"]);
        assert!(a.flags.is_empty(), "{:?}", a.flags);
    }

    #[test]
    fn a_join_far_larger_than_its_inputs_is_flagged() {
        let a = analyze(&run(grouped_join(50_000_000))).unwrap();
        let [flag] = &a.flags[..] else { panic!("{:?}", a.flags) };
        assert_eq!(flag.kind, FlagKind::ExplodingJoin);
        assert_eq!(a.nodes[flag.node].name, "BroadcastHashJoin");
        assert!(
            flag.line
                .starts_with("BroadcastHashJoin made 50,000,000 rows from 1,000,000 and 1,000 (50× its larger input)")
        );
    }

    #[test]
    fn a_filter_that_kept_little_of_a_large_scan_spill_and_skew_are_flagged() {
        let ops = vec![
            op(1, 1, "WholeStageCodegen (1)", &[]),
            op(2, 1, "Filter", &[("numOutputRows", 1001, "sum")]),
            op(
                3,
                2,
                "Sort",
                &[("spillSize", 3 << 20, "size"), ("sortTime", 5, "timing")],
            ),
            op(4, 3, "AQEShuffleRead", &[("numSkewedPartitions", 2, "sum")]),
            op(5, 4, "Exchange", &[("shuffleRecordsWritten", 12, "sum")]),
            op(6, 5, "Filter", &[("numOutputRows", 12, "sum")]),
            op(7, 6, "ColumnarToRow", &[("numOutputRows", 2_000_000, "sum")]),
            op(
                8,
                7,
                "Scan parquet spark_catalog.default.t",
                &[("numOutputRows", 2_000_000, "sum")],
            ),
        ];
        let a = analyze(&run(ops)).unwrap();
        let kinds: Vec<FlagKind> = a.flags.iter().map(|f| f.kind).collect();
        assert_eq!(kinds, [FlagKind::Spill, FlagKind::Skew, FlagKind::UnnarrowedScan]);
        assert!(a.flags[0].line.starts_with("Sort spilled 3.0 MiB to disk"));
        assert!(a.flags[1].line.starts_with("Spark found 2 skewed partitions"));
        assert!(a.flags[2].line.starts_with(
            "Scan parquet spark_catalog.default.t read 2,000,000 rows and the filter above it kept 12 (under 0.01%)"
        ));
        // A filter that kept most of what was read is no finding.
        let ops = vec![
            op(2, 2, "Filter", &[("numOutputRows", 1001, "sum")]),
            op(6, 2, "Filter", &[("numOutputRows", 1_500_000, "sum")]),
            op(8, 6, "Scan parquet t", &[("numOutputRows", 2_000_000, "sum")]),
        ];
        assert!(analyze(&run(ops)).unwrap().flags.is_empty());
    }

    #[test]
    fn no_operators_is_nothing_to_analyse() {
        assert!(analyze(&run(Vec::new())).is_none());
    }

    #[test]
    fn figures_read_as_people_write_them() {
        assert_eq!(bytes(8_650_736), "8.2 MiB");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(duration(Duration::from_millis(2_400)), "2.4 s");
        assert_eq!(duration(Duration::from_secs(125)), "2 min 5 s");
        assert_eq!(share(12, 2_000_000), "under 0.01%");
        assert_eq!(share(50, 1000), "5%");
    }
}
