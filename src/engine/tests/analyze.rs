//! `%analyze` on a scripted session: the statement is sent once; a query then runs to its
//! end once and shows its rows, then its analysis; a command runs once and is said to have
//! nothing to analyse; a server that sends no metrics is one line, after the rows.

use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::data::plan::{Metric, MetricKind, Operator};
use crate::engine::Engine;
use crate::engine::testing::{FakeConnector, FakeSession, Step};
use crate::interpreter::{CellError, Output};

async fn run(engine: &Engine, code: &str) -> (Vec<Output>, Result<(), CellError>) {
    let mut outputs = Vec::new();
    let result = engine.run_cell(code, false, &mut |o| outputs.push(o)).await;
    (outputs, result)
}

fn text(o: &Output) -> String {
    match o {
        Output::Display(b) | Output::Result(b) | Output::InPlace { data: b, .. } => {
            b["text/plain"].as_str().unwrap_or("").to_string()
        }
        _ => String::new(),
    }
}

fn op(id: i64, parent: i64, name: &str, rows: i64) -> Operator {
    Operator {
        id,
        parent,
        name: name.into(),
        metrics: vec![Metric {
            name: "numOutputRows".into(),
            label: "number of output rows".into(),
            value: rows,
            kind: MetricKind::Sum,
        }],
    }
}

#[tokio::test(start_paused = true)]
async fn a_query_is_sent_once_then_run_to_its_end_and_shown_with_its_analysis() {
    let session = FakeSession::new(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 3,
    }]);
    session.over(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 3,
    }]);
    if let Ok(mut o) = session.analyzed_operators.lock() {
        *o = vec![op(1, 1, "Filter", 3), op(2, 1, "Range", 3)];
    }
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (outputs, result) = run(&engine, "%analyze\nSELECT * FROM range(3)").await;
    result.unwrap();
    let shown: Vec<&Output> = outputs
        .iter()
        .filter(|o| matches!(o, Output::Display(_) | Output::Result(_) | Output::InPlace { .. }))
        .collect();
    let [rows, analysis] = &shown[..] else {
        panic!("{outputs:?}")
    };
    // The rows first (kept in place, as every earlier output of a cell), then the analysis.
    assert!(text(rows).contains("|  0|") && matches!(analysis, Output::Result(_)));
    let analysis = text(analysis);
    assert!(analysis.starts_with("How Spark ran it: 5 ms in all"), "{analysis}");
    assert!(analysis.contains("\nRange        3\n"), "{analysis}");
    assert_eq!(session.executed(), ["SELECT * FROM range(3)"]);
    assert_eq!(session.analyzed_runs.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_command_runs_once_and_has_nothing_to_analyse() {
    let session = FakeSession::new(vec![Step::Done { after: Duration::ZERO }]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (outputs, result) = run(&engine, "%analyze\nINSERT INTO t VALUES (1)").await;
    result.unwrap();
    assert!(
        outputs
            .iter()
            .any(|o| text(o).starts_with("%analyze: the cell's last statement is a command; it ran once"))
    );
    assert_eq!(session.executed(), ["INSERT INTO t VALUES (1)"]);
    assert_eq!(session.analyzed_runs.load(Ordering::SeqCst), 0);
}

#[tokio::test(start_paused = true)]
async fn a_server_that_sends_no_metrics_is_one_line_after_the_rows() {
    let session = FakeSession::new(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 2,
    }]);
    session.over(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 2,
    }]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (outputs, result) = run(&engine, "%analyze\nSELECT 1").await;
    let e = result.unwrap_err();
    assert_eq!(e.ename, "NoMetrics");
    assert!(!e.evalue.contains('\n'));
    assert!(outputs.iter().any(|o| text(o).contains("|  0|")));
    assert_eq!(session.analyzed_runs.load(Ordering::SeqCst), 1);
    assert_eq!(session.executed().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_cell_without_a_query_says_so() {
    let session = FakeSession::new(Vec::new());
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (_, result) = run(&engine, "%analyze\n-- nothing").await;
    assert_eq!(result.unwrap_err().ename, "MagicUsage");
    assert!(session.executed().is_empty());
}
