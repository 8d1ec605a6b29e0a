//! A query run to its end for `%analyze`, with the execution metrics Spark Connect sends at
//! the end of a query's stream (every physical operator, its parent and its metrics).
//!
//! Spark 4.0.1 sends those metrics only for a query's plan (`Plan.root`): a command, a
//! `noop` write among them, comes back with a lone `CommandResult` and nothing below it. So
//! the statement's relation runs as a query, under a filter that keeps, of each partition of
//! the result, only the rows that could be among the first shown: every operator below runs
//! over every row, on the server, and at most `(max_rows + 1) × partitions` rows come back.
//! The filter is on `monotonically_increasing_id()`, whose low 33 bits count a row's place in
//! its partition; it is not deterministic, so Spark neither pushes it down nor folds it, and
//! the plan below it is the query's own. Batches arrive in partition order, so the first rows
//! kept are exactly the result's first rows.

use std::collections::BTreeMap;
use std::time::Instant;

use super::error::SparkError;
use super::execute::Observer;
use super::execute::decode::Decoder;
use super::execute::run::StatementRun;
use super::proto::{self, execute_plan_response::ResponseType, plan::OpType, relation::RelType};
use super::session::SparkSession;
use crate::data::QueryResult;
use crate::data::plan::{Analyzed, Metric, MetricKind, Operator, Stages};

/// What a run reports beside its rows: each stage's tasks (all, done) from the latest
/// progress report, and the operators of the executed plan.
#[derive(Default)]
struct Seen {
    stages: Option<BTreeMap<i64, (i64, i64)>>,
    operators: Vec<Operator>,
}

impl Observer for Seen {
    fn progress(&mut self, report: &proto::execute_plan_response::ExecutionProgress) {
        let stages = self.stages.get_or_insert_with(BTreeMap::new);
        for s in &report.stages {
            stages.insert(s.stage_id, (s.num_tasks, s.num_completed_tasks));
        }
    }

    fn metrics(&mut self, metrics: proto::execute_plan_response::Metrics) {
        self.operators = operators_of(metrics);
    }
}

/// `monotonically_increasing_id()` keeps a row's place in its partition in its low 33 bits.
const PLACE_MASK: i64 = (1 << 33) - 1;

impl SparkSession {
    /// Runs the query `run` holds (sent once as a command by [`SparkSession::sql_base`]) to
    /// its end and keeps its first `max_rows` rows, with the metrics Spark reports.
    pub(crate) async fn sql_analyzed(
        &self,
        run: &StatementRun,
        max_rows: usize,
        tag: &str,
        on_progress: super::OnProgress<'_>,
    ) -> Result<Analyzed, SparkError> {
        let base = run
            .relation()
            .cloned()
            .ok_or_else(|| SparkError::Protocol("the statement has no result to analyse".into()))?;
        let root = first_rows_of_each_partition(base, max_rows);
        let mut decoder = Decoder::default();
        let mut first = Vec::new();
        let mut kept = 0usize;
        let mut more = false;
        let mut seen = Seen::default();
        // Only reads: a run cut short is made again under a new id.
        let mut fetch = StatementRun::new();
        let started = Instant::now();
        self.execute_observed(
            OpType::Root(root),
            tag,
            &mut fetch,
            on_progress,
            &mut seen,
            |_, response, spark| {
                decoder.saw_schema(spark);
                if let Some(ResponseType::ArrowBatch(batch)) = response {
                    for b in decoder.batches(batch.data)?.0 {
                        if kept + b.num_rows() <= max_rows {
                            kept += b.num_rows();
                            first.push(b);
                        } else {
                            more = true;
                            if kept < max_rows {
                                first.push(b.slice(0, max_rows - kept));
                                kept = max_rows;
                            }
                        }
                    }
                }
                Ok(())
            },
        )
        .await?;
        let elapsed = started.elapsed();
        let (schema, types) = decoder.finish();
        Ok(Analyzed {
            result: QueryResult {
                schema,
                types,
                batches: first,
                more,
                command: false,
            },
            operators: seen.operators,
            elapsed,
            stages: seen.stages.map(|stages| Stages {
                ran: stages.values().filter(|(_, done)| *done > 0).count(),
                tasks: stages.values().map(|(_, done)| done).sum(),
                skipped: stages.values().filter(|(_, done)| *done == 0).count(),
            }),
        })
    }
}

/// `base` under the filter that keeps the first `max_rows + 1` rows of each partition.
fn first_rows_of_each_partition(base: proto::Relation, max_rows: usize) -> proto::Relation {
    let keep = max_rows.saturating_add(1).min(PLACE_MASK as usize);
    let condition = proto::Expression {
        common: None,
        expr_type: Some(proto::expression::ExprType::ExpressionString(
            proto::expression::ExpressionString {
                expression: format!("(monotonically_increasing_id() & {PLACE_MASK}) < {keep}"),
            },
        )),
    };
    proto::Relation {
        common: None,
        rel_type: Some(RelType::Filter(Box::new(proto::Filter {
            input: Some(Box::new(base)),
            condition: Some(condition),
        }))),
    }
}

/// The operators of Spark's metrics message, each with its metrics in name order.
fn operators_of(m: proto::execute_plan_response::Metrics) -> Vec<Operator> {
    m.metrics
        .into_iter()
        .map(|o| {
            let mut metrics: Vec<Metric> = o
                .execution_metrics
                .into_iter()
                .map(|(key, v)| Metric {
                    label: if v.name.is_empty() { key.clone() } else { v.name },
                    name: key,
                    value: v.value,
                    kind: MetricKind::from_spark(&v.metric_type),
                })
                .collect();
            metrics.sort_by(|a, b| a.name.cmp(&b.name));
            Operator {
                id: o.plan_id,
                parent: o.parent,
                name: o.name,
                metrics,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_runs_whole_under_a_filter_of_each_partitions_first_rows() {
        let base = super::super::execute::sql_relation("SELECT 1; -- mine");
        let plan = first_rows_of_each_partition(base.clone(), 1000);
        let Some(RelType::Filter(f)) = plan.rel_type else {
            panic!("not a filter")
        };
        assert_eq!(f.input.as_deref(), Some(&base));
        let Some(proto::expression::ExprType::ExpressionString(e)) = f.condition.and_then(|c| c.expr_type) else {
            panic!("not an expression string")
        };
        assert_eq!(e.expression, "(monotonically_increasing_id() & 8589934591) < 1001");
    }

    #[test]
    fn metrics_are_read_in_name_order_with_their_kinds() {
        use proto::execute_plan_response::metrics::{MetricObject, MetricValue};
        let value = |name: &str, value, kind: &str| {
            (
                name.to_string(),
                MetricValue {
                    name: name.to_string(),
                    value,
                    metric_type: kind.to_string(),
                },
            )
        };
        let m = proto::execute_plan_response::Metrics {
            metrics: vec![MetricObject {
                name: "Sort".into(),
                plan_id: 7,
                parent: 3,
                execution_metrics: [
                    value("sortTime", 12, "timing"),
                    value("peakMemory", 1024, "size"),
                    value("spillSize", 0, "size"),
                ]
                .into_iter()
                .collect(),
            }],
        };
        let [op] = &operators_of(m)[..] else {
            panic!("one operator")
        };
        assert_eq!((op.id, op.parent, op.name.as_str()), (7, 3, "Sort"));
        let names: Vec<&str> = op.metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["peakMemory", "sortTime", "spillSize"]);
        assert_eq!(op.metrics[1].kind, MetricKind::Millis);
        assert_eq!(op.metric("peakMemory"), Some(1024));
    }
}
