//! How Spark executed a query, as it reports it at the end of an execution: every physical
//! operator of the executed plan with its parent and its metrics (rows out, time, memory,
//! spill…), plus what the kernel saw of the run (its time, stages and tasks). Neutral ground
//! between the Spark client, which reads it off the wire, and `%analyze`, which reads it.

use std::time::Duration;

use super::QueryResult;

/// What a metric's value counts, as Spark names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum MetricKind {
    /// A count (rows, partitions, files…).
    Sum,
    /// Bytes.
    Size,
    /// Milliseconds, summed over tasks.
    Millis,
    /// Nanoseconds, summed over tasks.
    Nanos,
    /// An average kept by Spark in tenths.
    Average,
    /// Any other kind, as Spark named it.
    Other(String),
}

impl MetricKind {
    pub(crate) fn from_spark(name: &str) -> MetricKind {
        match name {
            "sum" => MetricKind::Sum,
            "size" => MetricKind::Size,
            "timing" => MetricKind::Millis,
            "nsTiming" => MetricKind::Nanos,
            "average" => MetricKind::Average,
            other => MetricKind::Other(other.to_string()),
        }
    }
}

/// One metric of one operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Metric {
    /// Spark's key for it (`numOutputRows`).
    pub(crate) name: String,
    /// What Spark's UI calls it (`number of output rows`).
    pub(crate) label: String,
    pub(crate) value: i64,
    pub(crate) kind: MetricKind,
}

/// One physical operator as Spark reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Operator {
    pub(crate) id: i64,
    /// The parent's id; the root names itself.
    pub(crate) parent: i64,
    pub(crate) name: String,
    /// In name order, so that what is shown does not follow the wire's map order.
    pub(crate) metrics: Vec<Metric>,
}

impl Operator {
    pub(crate) fn metric(&self, name: &str) -> Option<i64> {
        self.metrics.iter().find(|m| m.name == name).map(|m| m.value)
    }
}

/// A query run to its end for `%analyze`: its first rows, the operators Spark reported (in
/// the order Spark sent them, root first), and what the kernel saw of the run.
#[derive(Debug, Clone)]
pub(crate) struct Analyzed {
    pub(crate) result: QueryResult,
    pub(crate) operators: Vec<Operator>,
    /// Wall time from sending the plan to its last response.
    pub(crate) elapsed: Duration,
    /// The stages and tasks Spark reported, when it sent any progress report.
    pub(crate) stages: Option<Stages>,
}

/// The stages of one run, from Spark's progress reports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Stages {
    /// Stages that ran at least one task.
    pub(crate) ran: usize,
    /// Tasks completed, over all stages.
    pub(crate) tasks: i64,
    /// Stages reported that ran no task (their output was at hand from an earlier stage).
    pub(crate) skipped: usize,
}
