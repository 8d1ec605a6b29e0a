//! Completion and inspection on a scripted catalog, with tokio's clock paused: what each
//! place in a statement offers and in which order, the cache and what empties it, and the
//! bound on how long a completion waits for a slow catalog.

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::catalog::TTL;
use crate::config::DEFAULT_CATALOG_WAIT;
use crate::engine::Engine;
use crate::engine::testing::{FakeConnector, FakeSession, Step};
use crate::interpreter::Interpreter;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A session whose catalog answers after `delay`: databases `default` and `enigma_lab`,
/// a table `samples` with a nested struct, a temp view `recent`, functions.
fn catalog(delay: Duration) -> Arc<FakeSession> {
    let s = FakeSession::new(Vec::new());
    s.answer(
        "SHOW DATABASES",
        delay,
        (vec!["namespace"], vec![vec!["default"], vec!["enigma_lab"]]),
    );
    s.answer("SHOW CATALOGS", delay, (vec!["catalog"], vec![vec!["spark_catalog"]]));
    s.answer(
        "SHOW TABLES",
        delay,
        (
            vec!["namespace", "tableName", "isTemporary"],
            vec![vec!["default", "samples", "false"], vec!["", "recent", "true"]],
        ),
    );
    s.answer(
        "SHOW VIEWS",
        delay,
        (
            vec!["namespace", "viewName", "isTemporary"],
            vec![vec!["", "recent", "true"]],
        ),
    );
    s.answer(
        "SHOW TABLES IN `enigma_lab`",
        delay,
        (
            vec!["namespace", "tableName", "isTemporary"],
            vec![vec!["enigma_lab", "sequences", "false"], vec!["", "recent", "true"]],
        ),
    );
    s.answer(
        "SHOW VIEWS IN `enigma_lab`",
        delay,
        (
            vec!["namespace", "viewName", "isTemporary"],
            vec![vec!["", "recent", "true"]],
        ),
    );
    s.answer(
        "DESCRIBE TABLE `samples`",
        delay,
        (
            vec!["col_name", "data_type", "comment"],
            vec![
                vec!["id", "bigint", ""],
                vec!["depth", "double", "metres below the surface"],
                vec!["site", "struct<name:string,loc:struct<lat:double,lon:double>>", ""],
                vec!["# Partition Information", "", ""],
            ],
        ),
    );
    s.answer(
        "SHOW FUNCTIONS",
        delay,
        (
            vec!["function"],
            vec![vec!["!="], vec!["degrees"], vec!["sequence"], vec!["sign"], vec!["sin"]],
        ),
    );
    s.answer(
        "DESCRIBE FUNCTION EXTENDED `sign`",
        delay,
        (
            vec!["function_desc"],
            vec![
                vec!["Function: sign"],
                vec!["Class: org.apache.spark.sql.catalyst.expressions.Signum"],
                vec!["Usage: sign(expr) - Returns -1.0, 0.0 or 1.0 as expr is negative, 0 or positive, and this sentence runs well past eighty characters."],
                vec!["Extended Usage:\n    Examples:\n      > SELECT sign(40);\n       1.0"],
            ],
        ),
    );
    s.answer(
        "DESCRIBE FUNCTION EXTENDED `sin`",
        delay,
        (
            vec!["function_desc"],
            vec![vec!["Function: sin"], vec!["Usage: sin(expr) - Returns the sine."]],
        ),
    );
    s
}

async fn open(session: &Arc<FakeSession>) -> Arc<Engine> {
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session.clone()])));
    tokio::time::sleep(ms(1)).await;
    engine
}

/// The matches and their kinds for the code at the `|`.
async fn complete(engine: &Engine, code: &str) -> Vec<(String, String)> {
    let cursor = code.chars().position(|c| c == '|').unwrap();
    let found = engine.complete(&code.replace('|', ""), cursor).await;
    found
        .matches
        .into_iter()
        .map(|m| (m.text, m.kind.replace('\u{a0}', " ")))
        .collect()
}

fn first(found: &[(String, String)], n: usize) -> Vec<(&str, &str)> {
    found.iter().take(n).map(|(t, k)| (t.as_str(), k.as_str())).collect()
}

#[tokio::test(start_paused = true)]
async fn each_place_offers_what_fits_there_first_with_its_kind() {
    let session = catalog(Duration::ZERO);
    let engine = open(&session).await;
    let found = complete(&engine, "SELECT * FROM |").await;
    assert_eq!(
        first(&found, 5),
        [
            ("recent", "view"),
            ("samples", "table"),
            ("default", "database"),
            ("enigma_lab", "database"),
            ("spark_catalog", "catalog"),
        ]
    );
    assert_eq!(
        complete(&engine, "SELECT * FROM enig|").await,
        [("enigma_lab".into(), "database".into())]
    );
    assert_eq!(
        complete(&engine, "SELECT * FROM enigma_lab.seq|").await,
        [("sequences".into(), "table".into())]
    );
    assert_eq!(
        complete(&engine, "SELECT * FROM `enigma_lab`.`se|").await,
        [("`sequences`".into(), "table".into())]
    );
    assert_eq!(
        complete(&engine, "USE en|").await,
        [("enigma_lab".into(), "database".into())]
    );
    let found = complete(&engine, "SELECT de| FROM samples").await;
    assert_eq!(
        first(&found, 3),
        [
            ("depth", "column: double"),
            ("degrees", "function"),
            ("delete", "keyword")
        ]
    );
    let found = complete(&engine, "SELECT s.| FROM samples AS s").await;
    assert_eq!(
        first(&found, 9),
        [
            ("id", "column: bigint"),
            ("depth", "column: double"),
            ("site", "column: struct<name:string,loc:…"),
        ]
    );
    assert_eq!(
        complete(&engine, "SELECT s.site.| FROM samples s").await,
        [
            ("name".into(), "column: string".into()),
            ("loc".into(), "column: struct<lat:double,lon:d…".into())
        ]
    );
    assert_eq!(
        complete(&engine, "SELECT * FROM samples WHERE site.loc.l|").await,
        [
            ("lat".into(), "column: double".into()),
            ("lon".into(), "column: double".into())
        ]
    );
    let found = complete(&engine, "SELECT 1 FROM samples WHERE si|").await;
    assert_eq!(
        first(&found, 3),
        [
            ("site", "column: struct<name:string,loc:…"),
            ("sign", "function: sign(expr)"),
            ("sin", "function: sin(expr)"),
        ]
    );
    // Nothing is offered inside a string or a comment; keywords at a statement's start.
    assert_eq!(complete(&engine, "SELECT 'FROM |'").await, []);
    assert_eq!(complete(&engine, "sel|").await, [("select".into(), "keyword".into())]);
    // Magic lines above the SQL are not read as SQL (here a quote in a file name would open
    // a string), even with non-ASCII text in them.
    assert_eq!(
        complete(&engine, "%%sql\n%export größe_o'brien.csv\nSELECT * FROM enig|").await,
        complete(&engine, "SELECT * FROM enig|").await
    );
}

#[tokio::test(start_paused = true)]
async fn the_catalog_is_cached_until_a_cell_changes_it_or_time_passes() {
    let session = catalog(ms(30));
    let engine = open(&session).await;
    let asked = |s: &FakeSession| s.queries().iter().filter(|q| q.as_str() == "SHOW TABLES").count();
    complete(&engine, "SELECT * FROM s|").await;
    complete(&engine, "SELECT * FROM sa|").await;
    assert_eq!(asked(&session), 1, "{:?}", session.queries());
    // A query of data changes nothing.
    Interpreter::run_cell(&*engine, "SELECT 1", false, None, &mut |_| {})
        .await
        .unwrap();
    complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(asked(&session), 1);
    // DDL, even as the second statement of a cell, empties the cache.
    Interpreter::run_cell(&*engine, "SELECT 1; CREATE TABLE t (a INT)", false, None, &mut |_| {})
        .await
        .unwrap();
    complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(asked(&session), 2);
    // Other clients' DDL shows once the answer is older than the TTL.
    tokio::time::sleep(TTL - ms(100)).await;
    complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(asked(&session), 2);
    tokio::time::sleep(ms(200)).await;
    complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(asked(&session), 3);
}

#[tokio::test(start_paused = true)]
async fn a_slow_catalog_delays_completion_by_the_budget_at_most() {
    let session = catalog(Duration::from_secs(5));
    let engine = open(&session).await;
    let start = Instant::now();
    let found = complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(start.elapsed(), DEFAULT_CATALOG_WAIT);
    assert_eq!(found, []);
    // The look-up went on in the background: once it is in, Tab answers at once.
    tokio::time::sleep(Duration::from_secs(5)).await;
    let start = Instant::now();
    let found = complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(
        found,
        [
            ("samples".into(), "table".into()),
            ("spark_catalog".into(), "catalog".into())
        ]
    );
    assert_eq!(
        session.queries().iter().filter(|q| q.as_str() == "SHOW TABLES").count(),
        1
    );
}

/// JupyterLab drops a completion provider's answer after this long (its default
/// `providerTimeout`); the kernel's answer must come well within it.
const LAB_COMPLETER_TIMEOUT: Duration = Duration::from_millis(1000);

#[tokio::test(start_paused = true)]
async fn on_a_slow_catalog_tab_answers_in_time_with_what_is_known_and_fetches_the_rest() {
    let session = catalog(Duration::from_secs(5));
    let connector = FakeConnector::new(vec![session.clone()]).with_prefetch();
    let engine = Engine::start(Box::new(connector));
    tokio::time::sleep(super::catalog::FIRST_LOOKUPS_AFTER + ms(1)).await;
    // The usual look-ups started soon after the session opened, before any Tab.
    for q in super::catalog::FIRST_LOOKUPS {
        assert!(session.queries().iter().any(|s| s == q), "{q}: {:?}", session.queries());
    }
    // The first Tab: the catalog is not in yet; keywords come back well in time.
    let start = Instant::now();
    let found = complete(&engine, "SEL|").await;
    assert!(start.elapsed() * 2 <= LAB_COMPLETER_TIMEOUT, "{:?}", start.elapsed());
    assert_eq!(found, [("SELECT".into(), "keyword".into())]);
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        first(&complete(&engine, "SELECT * FROM s|").await, 1),
        [("samples", "table")]
    );
    // A CREATE empties the cache; the next Tab, while the catalog is slow again, still
    // offers the names it knew, the table the kernel just created, and functions.
    Interpreter::run_cell(
        &*engine,
        "CREATE TABLE sequences_2024 AS SELECT 1",
        false,
        None,
        &mut |_| {},
    )
    .await
    .unwrap();
    let start = Instant::now();
    let found = complete(&engine, "SELECT * FROM s|").await;
    assert!(start.elapsed() <= super::catalog::STALE_WAIT, "{:?}", start.elapsed());
    assert_eq!(first(&found, 2), [("samples", "table"), ("sequences_2024", "table")]);
    let found = complete(&engine, "SELECT si|").await;
    assert!(found.contains(&("sin".into(), "function".into())), "{found:?}");
    // The catalog was asked again right after the cell, not at the Tab: the fresh answer
    // is there for the next one.
    let asked = |q: &str| session.queries().iter().filter(|s| s.as_str() == q).count();
    assert_eq!(asked("SHOW TABLES"), 2);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let start = Instant::now();
    complete(&engine, "SELECT * FROM s|").await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(asked("SHOW TABLES"), 2);
}

#[tokio::test(start_paused = true)]
async fn a_table_the_kernel_dropped_is_not_offered_from_a_stale_answer() {
    let session = catalog(Duration::from_secs(5));
    let engine = open(&session).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    complete(&engine, "SELECT * FROM s|").await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        first(&complete(&engine, "SELECT * FROM s|").await, 1),
        [("samples", "table")]
    );
    Interpreter::run_cell(&*engine, "DROP TABLE samples", false, None, &mut |_| {})
        .await
        .unwrap();
    let found = complete(&engine, "SELECT * FROM s|").await;
    assert!(!found.iter().any(|(t, _)| t == "samples"), "{found:?}");
}

#[tokio::test(start_paused = true)]
async fn completion_never_waits_for_the_session_to_open() {
    let session = catalog(Duration::ZERO);
    let connector = FakeConnector::new(vec![session.clone()]).with_delay(Duration::from_secs(60));
    let engine = Engine::start(Box::new(connector));
    let start = Instant::now();
    let found = complete(&engine, "SELECT * FROM samples WHERE si|").await;
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(found, [("SIGN".into(), "keyword".into())][..0]);
    assert_eq!(complete(&engine, "SEL|").await, [("SELECT".into(), "keyword".into())]);
}

#[tokio::test(start_paused = true)]
async fn inspection_shows_whole_descriptions_with_types() {
    let session = catalog(Duration::ZERO);
    let engine = open(&session).await;
    let text = |d: Option<serde_json::Map<String, serde_json::Value>>| {
        let d = d.unwrap();
        assert!(d["text/html"].as_str().is_some());
        d["text/plain"].as_str().unwrap().to_string()
    };
    let function = text(engine.inspect("SELECT sign(x)", 9).await);
    assert!(function.starts_with("function sign\n"), "{function}");
    assert!(function.contains("well past eighty characters.") && function.contains("> SELECT sign(40);"));
    let table = text(engine.inspect("SELECT * FROM samples", 16).await);
    assert!(
        table.contains("depth  double ") && table.contains(" metres below the surface\n"),
        "{table}"
    );
    assert!(table.contains("# Partition Information"));
    let column = text(engine.inspect("SELECT s.depth FROM samples s", 10).await);
    assert!(
        column.starts_with("column s.depth\n") && column.contains("double"),
        "{column}"
    );
    let nested = text(engine.inspect("SELECT site FROM samples", 8).await);
    assert!(nested.contains("# Fields") && nested.contains("loc"), "{nested}");
    assert_eq!(engine.inspect("SELECT 1", 3).await, None);
}

#[tokio::test(start_paused = true)]
async fn the_first_look_ups_wait_for_a_cell_sent_as_the_kernel_started() {
    // The cell runs longer than the look-ups' delay after the session opens.
    let session = FakeSession::new(vec![Step::Rows {
        after: ms(600),
        rows: 1,
    }]);
    let connector = FakeConnector::new(vec![session.clone()])
        .with_prefetch()
        .with_delay(ms(100));
    let engine = Engine::start(Box::new(connector));
    Interpreter::run_cell(&*engine, "SELECT 42", false, None, &mut |_| {})
        .await
        .unwrap();
    // The cell had the session to itself: the catalog was not asked while it ran.
    assert_eq!(session.queries(), ["SELECT 42"]);
    tokio::time::sleep(ms(1)).await;
    for q in super::catalog::FIRST_LOOKUPS {
        assert!(session.queries().iter().any(|s| s == q), "{q}: {:?}", session.queries());
    }
}

#[tokio::test(start_paused = true)]
async fn after_a_use_tab_waits_for_the_new_database_rather_than_offer_the_old_one() {
    let session = catalog(ms(100));
    let engine = open(&session).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        first(&complete(&engine, "SELECT * FROM s|").await, 1),
        [("samples", "table")]
    );
    Interpreter::run_cell(&*engine, "USE enigma_lab", false, None, &mut |_| {})
        .await
        .unwrap();
    // The answers known were about `default`: the Tab waits for the fresh one (the fake
    // catalog answers the same, 100 ms later) instead of giving them back at once.
    let start = Instant::now();
    complete(&engine, "SELECT * FROM s|").await;
    assert!(start.elapsed() >= ms(100), "{:?}", start.elapsed());
}
