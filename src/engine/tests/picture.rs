//! `%chart` and `%profile` on a scripted session: the statement is sent once and never
//! fetched, a command is an error after it ran once, the chart's SQL runs over the result
//! (not the user's text), wrong columns are named, and an interrupt stops the chart's
//! queries on the server by the cell's tag.

use std::sync::Arc;

use arrow_array::{Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use crate::data::QueryResult;
use crate::engine::Engine;
use crate::engine::testing::{FakeConnector, FakeSession, Step};
use crate::interpreter::{CellError, Output};
use crate::render::picture::chart::VEGA_LITE_MIME;

async fn run(engine: &Engine, code: &str) -> (Vec<Output>, Result<(), CellError>) {
    let mut outputs = Vec::new();
    let result = engine.run_cell(code, false, &mut |o| outputs.push(o)).await;
    (outputs, result)
}

fn schema_of(columns: &[(&str, DataType)]) -> QueryResult {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|(n, t)| Field::new(*n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    QueryResult::new(schema, Vec::new(), false)
}

/// What Spark answers to a bar chart's query: two categories, no "other".
fn bars() -> QueryResult {
    let schema = Arc::new(Schema::new(vec![
        Field::new("other", DataType::Boolean, true),
        Field::new("x", DataType::Utf8, true),
        Field::new("c", DataType::Utf8, true),
        Field::new("y0", DataType::Float64, true),
        Field::new("n", DataType::Int64, true),
        Field::new("skip0", DataType::Int64, true),
        Field::new("rank", DataType::Int64, true),
        Field::new("total", DataType::Int64, true),
        Field::new("nullx", DataType::Int64, true),
        Field::new("groups", DataType::Int64, true),
    ]));
    let i = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as arrow_array::ArrayRef;
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(arrow_array::BooleanArray::from(vec![false, false])),
            Arc::new(StringArray::from(vec!["b", "a"])),
            Arc::new(StringArray::from(vec![None::<&str>, None])),
            Arc::new(Float64Array::from(vec![20.0, 10.0])),
            i(vec![7, 3]),
            i(vec![1, 0]),
            i(vec![1, 2]),
            i(vec![12, 12]),
            i(vec![2, 2]),
            i(vec![2, 2]),
        ],
    );
    QueryResult::new(schema, batch.into_iter().collect(), false)
}

#[tokio::test(start_paused = true)]
async fn a_chart_sends_the_statement_once_and_draws_sql_over_its_result() {
    let session = FakeSession::new(vec![Step::Rows {
        after: std::time::Duration::ZERO,
        rows: 1,
    }]);
    session.over(vec![
        Step::Answer(schema_of(&[("my `k`", DataType::Utf8), ("v", DataType::Int64)])),
        Step::Answer(bars()),
    ]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (outputs, result) = run(
        &engine,
        "%chart bar x=\"my `k`\" y=v\nSELECT * FROM t ORDER BY 1 LIMIT 5;",
    )
    .await;
    assert_eq!(result, Ok(()));
    assert_eq!(session.executed(), ["SELECT * FROM t ORDER BY 1 LIMIT 5"]);
    assert_eq!(session.fetches.load(std::sync::atomic::Ordering::SeqCst), 0);
    let over = session.over_queries();
    assert_eq!(over[0], "SELECT * FROM __kbase_result LIMIT 0");
    assert!(over[1].contains("CAST(`my ``k``` AS STRING) AS k"), "{}", over[1]);
    assert!(over.iter().all(|q| !q.contains("ORDER BY 1 LIMIT 5")));
    let Some(Output::Result(bundle)) = outputs.last() else {
        panic!("{outputs:?}")
    };
    let values = &bundle[VEGA_LITE_MIME]["data"]["values"];
    assert_eq!(values[0], serde_json::json!({"x": "b", "y": 20.0}));
    assert_eq!(
        bundle["text/plain"],
        "bar chart of sum(v) by my `k`, computed by Spark over all 12 rows of the result; 2 my `k` values; \
         2 rows with no my `k` left out; 1 value of v null or NaN, not counted."
    );
}

#[tokio::test(start_paused = true)]
async fn a_chart_of_a_command_is_an_error_after_it_ran_once() {
    let session = FakeSession::new(vec![Step::Done {
        after: std::time::Duration::ZERO,
    }]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (_, result) = run(&engine, "%chart bar x=a\nINSERT INTO t VALUES (1)").await;
    let e = result.unwrap_err();
    assert_eq!(e.ename, "NotAQuery");
    assert!(e.evalue.contains("it ran once"), "{}", e.evalue);
    assert_eq!(session.executed(), ["INSERT INTO t VALUES (1)"]);
    assert!(session.over_queries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unknown_column_is_named_with_the_columns_there_are() {
    let session = FakeSession::new(vec![Step::Rows {
        after: std::time::Duration::ZERO,
        rows: 1,
    }]);
    session.over(vec![Step::Answer(schema_of(&[
        ("a", DataType::Utf8),
        ("b", DataType::Float64),
    ]))]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (_, result) = run(&engine, "%chart line x=a y=c\nSELECT 1").await;
    let e = result.unwrap_err();
    assert_eq!(
        e.evalue,
        "%chart: y: there is no column c in the result; its columns are a (string), b (double)"
    );
    assert_eq!(session.over_queries().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_stops_a_charts_query_on_the_server() {
    let session = FakeSession::new(vec![Step::Rows {
        after: std::time::Duration::ZERO,
        rows: 1,
    }]);
    session.over(vec![
        Step::Answer(schema_of(&[("a", DataType::Float64)])),
        Step::UntilCancelled,
    ]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let cell = {
        let engine = engine.clone();
        tokio::spawn(async move { run(&engine, "%chart histogram x=a\nSELECT a FROM big").await })
    };
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(result.unwrap_err().ename, "QueryCancelled");
    let tags = session.interrupted();
    assert!(
        tags.len() == 1 && tags[0].starts_with("kbase-spark-sql-cell-"),
        "{tags:?}"
    );
    assert_eq!(session.over_queries().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_profile_is_one_html_table() {
    let session = FakeSession::new(vec![Step::Rows {
        after: std::time::Duration::ZERO,
        rows: 1,
    }]);
    session.over(vec![Step::Answer(schema_of(&[("x", DataType::Utf8)]))]);
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    let (outputs, result) = run(&engine, "%profile\nSELECT x FROM t").await;
    assert_eq!(result, Ok(()));
    let Some(Output::Result(bundle)) = outputs.last() else {
        panic!("{outputs:?}")
    };
    assert!(
        bundle["text/html"]
            .as_str()
            .unwrap_or("")
            .contains("<table class=\"kbase-profile\">")
    );
    let over = session.over_queries();
    assert!(
        over[1].starts_with("SELECT COUNT(*) AS total, COUNT(`x`) AS n0"),
        "{over:?}"
    );
}
