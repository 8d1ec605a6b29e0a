//! The engine's logic on a scripted session, with tokio's clock paused: statements in
//! order, retries while the server is away, a new session after a restart, interrupts at
//! every stage of a cell, and progress giving way to results. No server, no real waiting.

mod analyze;
mod grid;
mod picture;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::data::Progress;
use crate::engine::Engine;
use crate::engine::testing::{FakeConnector, FakeSession, Step, session_lost, table_not_found, unavailable};
use crate::export::tests::{files, scratch};
use crate::interpreter::{CellError, Output};
use crate::render::ARROW_MIME;
use crate::spark::OpenError;

type Ran = (Vec<Output>, Result<(), CellError>);

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn engine(sessions: Vec<Arc<FakeSession>>) -> Arc<Engine> {
    Engine::start(Box::new(FakeConnector::new(sessions)))
}

/// Runs `code`; a statement's display, published under an id of its own (see outputs.rs),
/// is listed as the display it is.
async fn run(engine: &Engine, code: &str) -> Ran {
    let (outputs, result) = run_raw(engine, code).await;
    let outputs = outputs
        .into_iter()
        .map(|o| match o {
            Output::InPlace {
                display_id,
                data,
                update: false,
            } if display_id.starts_with("kbase-spark-sql-output-") => Output::Display(data),
            o => o,
        })
        .collect();
    (outputs, result)
}

/// Runs `code`; the outputs as published.
async fn run_raw(engine: &Engine, code: &str) -> Ran {
    let mut outputs = Vec::new();
    let result = engine.run_cell(code, false, &mut |o| outputs.push(o)).await;
    (outputs, result)
}

fn spawn_cell(engine: &Arc<Engine>, code: &'static str) -> JoinHandle<Ran> {
    let engine = engine.clone();
    tokio::spawn(async move { run(&engine, code).await })
}

fn ename(result: &Result<(), CellError>) -> &str {
    result.as_ref().err().map_or("(no error)", |e| e.ename.as_str())
}

fn text(data: &serde_json::Map<String, serde_json::Value>) -> &str {
    data.get("text/plain").and_then(|v| v.as_str()).unwrap_or("")
}

fn html(data: &serde_json::Map<String, serde_json::Value>) -> &str {
    data.get("text/html").and_then(|v| v.as_str()).unwrap_or("")
}

fn report(tasks_done: i64) -> Progress {
    Progress {
        stages: 1,
        tasks: 10,
        tasks_done,
        ..Progress::default()
    }
}

#[tokio::test(start_paused = true)]
async fn statements_run_in_order_and_the_last_is_the_cells_result() {
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 2 },
        Step::Done { after: ms(10) },
        Step::Rows { after: ms(10), rows: 1 },
    ]);
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "SELECT 1;\nCREATE VIEW v AS SELECT 1;\nSELECT 2").await;
    assert_eq!(result, Ok(()));
    assert_eq!(session.queries(), ["SELECT 1", "CREATE VIEW v AS SELECT 1", "SELECT 2"]);
    let [Output::Display(first), Output::Display(done), Output::Result(last)] = &outputs[..] else {
        panic!("{outputs:?}")
    };
    assert!(
        first.contains_key(ARROW_MIME) && html(first).contains(">2 rows<"),
        "{first:?}"
    );
    assert_eq!(text(done), "OK");
    assert!(html(last).contains(">1 row<"), "{last:?}");
}

#[tokio::test(start_paused = true)]
async fn an_empty_cell_needs_no_session() {
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "  -- nothing\n").await;
    assert_eq!(result, Ok(()));
    assert!(outputs.is_empty());
    assert!(session.queries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_server_is_retried_with_doubling_pauses() {
    let fail = || Step::Fail {
        after: Duration::ZERO,
        error: unavailable,
    };
    let session = FakeSession::new(vec![
        fail(),
        fail(),
        fail(),
        Step::Rows {
            after: Duration::ZERO,
            rows: 1,
        },
    ]);
    let engine = engine(vec![session.clone()]);
    let start = Instant::now();
    let (outputs, result) = run(&engine, "SELECT 1").await;
    assert_eq!(result, Ok(()));
    assert_eq!(start.elapsed(), ms(500 + 1000 + 2000));
    assert_eq!(session.queries().len(), 4);
    assert!(matches!(&outputs[..], [Output::Result(_)]));
}

#[tokio::test(start_paused = true)]
async fn retries_end_once_the_reconnect_wait_is_spent() {
    let steps = (0..20)
        .map(|_| Step::Fail {
            after: Duration::ZERO,
            error: unavailable,
        })
        .collect();
    let session = FakeSession::new(steps);
    let engine = engine(vec![session.clone()]);
    let start = Instant::now();
    let (_, result) = run(&engine, "SELECT 1").await;
    assert_eq!(ename(&result), "SparkConnectUnavailable");
    // Pauses of 0.5, 1, 2, then 4 s until 30 s have been waited.
    assert_eq!(start.elapsed(), ms(500 + 1000 + 2000 + 7 * 4000));
    assert_eq!(session.queries().len(), 11);
}

#[tokio::test(start_paused = true)]
async fn a_lost_session_is_renewed_once_and_the_user_told() {
    let lost = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 1 },
        Step::Fail {
            after: ms(10),
            error: session_lost,
        },
    ]);
    let fresh = FakeSession::new(vec![Step::Rows { after: ms(10), rows: 3 }]);
    let connector = FakeConnector::new(vec![lost.clone(), fresh.clone()]);
    let opened = connector.opened.clone();
    let engine = Engine::start(Box::new(connector));
    let (_, result) = run(&engine, "SELECT 1").await;
    assert_eq!(result, Ok(()));
    let (outputs, result) = run(&engine, "SELECT 3").await;
    assert_eq!(result, Ok(()));
    assert_eq!(opened.load(Ordering::SeqCst), 2);
    assert_eq!(lost.queries(), ["SELECT 1", "SELECT 3"]);
    assert_eq!(fresh.queries(), ["SELECT 3"]);
    let [Output::Notice(notice), Output::Result(data)] = &outputs[..] else {
        panic!("{outputs:?}")
    };
    assert!(notice.starts_with("The Spark Connect server restarted"), "{notice}");
    assert!(html(data).contains(">3 rows<"));
}

#[tokio::test(start_paused = true)]
async fn a_session_lost_again_in_its_new_session_fails_the_cell() {
    let lost = || Step::Fail {
        after: Duration::ZERO,
        error: session_lost,
    };
    let first = FakeSession::new(vec![lost()]);
    let second = FakeSession::new(vec![lost()]);
    let engine = engine(vec![first, second.clone()]);
    let (_, result) = run(&engine, "SELECT 1").await;
    assert_eq!(ename(&result), "INVALID_HANDLE.SESSION_NOT_FOUND");
    assert_eq!(second.queries(), ["SELECT 1"]);
}

#[tokio::test(start_paused = true)]
async fn a_session_that_cannot_open_says_why_in_every_cell() {
    let engine = Engine::start(Box::new(FakeConnector::failing(|| OpenError::NotConfigured)));
    let (_, result) = run(&engine, "SELECT 1").await;
    assert_eq!(ename(&result), "KBaseTokenMissing");
    let (_, result) = run(&engine, "SELECT 1").await;
    assert_eq!(ename(&result), "KBaseTokenMissing");
}

#[tokio::test(start_paused = true)]
async fn token_warnings_are_shown_once() {
    let connector = FakeConnector::new(vec![FakeSession::new(Vec::new())]).with_warnings(&["Your token expires soon."]);
    let engine = Engine::start(Box::new(connector));
    let (outputs, _) = run(&engine, "SET x = 1").await;
    assert!(matches!(&outputs[..], [Output::Notice(n), Output::Result(_)] if n == "Your token expires soon."));
    let (outputs, _) = run(&engine, "SET x = 2").await;
    assert!(matches!(&outputs[..], [Output::Result(_)]), "{outputs:?}");
}

#[tokio::test(start_paused = true)]
async fn token_warnings_wait_for_the_first_cell_someone_sees() {
    let connector = FakeConnector::new(vec![FakeSession::new(Vec::new())]).with_warnings(&["Your token expires soon."]);
    let engine = Engine::start(Box::new(connector));
    // A front end's silent setup cell comes first: its outputs are shown to nobody.
    let mut silent = Vec::new();
    engine
        .run_cell("SET x = 1", true, &mut |o| silent.push(o))
        .await
        .unwrap();
    assert!(!silent.iter().any(|o| matches!(o, Output::Notice(_))), "{silent:?}");
    let (outputs, _) = run(&engine, "SET x = 2").await;
    assert!(matches!(&outputs[..], [Output::Notice(n), Output::Result(_)] if n == "Your token expires soon."));
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_while_the_session_opens_ends_the_cell_after_the_grace() {
    let connector = FakeConnector::new(vec![FakeSession::new(Vec::new())]).with_delay(Duration::from_secs(60));
    let engine = Engine::start(Box::new(connector));
    let start = Instant::now();
    let cell = spawn_cell(&engine, "SELECT 1");
    tokio::time::sleep(ms(1000)).await;
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert_eq!(start.elapsed(), ms(1000 + 3000));
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_cancels_the_running_statement_by_its_cells_tag() {
    let session = FakeSession::new(vec![Step::UntilCancelled]);
    let engine = engine(vec![session.clone()]);
    let start = Instant::now();
    let cell = spawn_cell(&engine, "SELECT count(*) FROM big");
    tokio::time::sleep(ms(2000)).await;
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert_eq!(start.elapsed(), ms(2000));
    let tags = session.interrupted();
    assert!(
        tags.len() == 1 && tags[0].starts_with("kbase-spark-sql-cell-"),
        "{tags:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_server_that_ignores_the_interrupt_is_given_up_on_after_the_grace() {
    let session = FakeSession::new(vec![Step::Forever]);
    let engine = engine(vec![session]);
    let start = Instant::now();
    let cell = spawn_cell(&engine, "SELECT 1");
    tokio::time::sleep(ms(2000)).await;
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert_eq!(start.elapsed(), ms(2000 + 3000));
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_during_a_retry_pause_ends_the_cell_at_once() {
    let session = FakeSession::new(vec![Step::Fail {
        after: ms(100),
        error: unavailable,
    }]);
    let engine = engine(vec![session.clone()]);
    let start = Instant::now();
    let cell = spawn_cell(&engine, "SELECT 1");
    tokio::time::sleep(ms(300)).await;
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert_eq!(start.elapsed(), ms(300));
    assert_eq!(session.queries().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_stops_the_cell_before_its_next_statement() {
    // The first statement ends by itself within the grace; the second never starts.
    let session = FakeSession::new(vec![Step::Rows {
        after: ms(2000),
        rows: 1,
    }]);
    let engine = engine(vec![session.clone()]);
    let cell = spawn_cell(&engine, "SELECT 1; SELECT 2");
    tokio::time::sleep(ms(1000)).await;
    engine.interrupt();
    let (outputs, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert!(matches!(&outputs[..], [Output::Display(_)]), "{outputs:?}");
    assert_eq!(session.queries(), ["SELECT 1"]);
}

#[tokio::test(start_paused = true)]
async fn a_cell_after_an_interrupt_runs_normally() {
    let session = FakeSession::new(vec![Step::UntilCancelled, Step::Rows { after: ms(5), rows: 1 }]);
    let engine = engine(vec![session]);
    let cell = spawn_cell(&engine, "SELECT 1");
    tokio::time::sleep(ms(100)).await;
    engine.interrupt();
    assert_eq!(ename(&cell.await.unwrap().1), "QueryCancelled");
    let (outputs, result) = run(&engine, "SELECT 2").await;
    assert_eq!(result, Ok(()));
    assert!(matches!(&outputs[..], [Output::Result(_)]));
}

/// The outputs a notebook stores from what a cell published, as nbclient and JupyterLab
/// keep them: a `clear_output` (with `wait`) empties the list, in-place updates replace the
/// content under their display id.
fn stored(outputs: &[Output]) -> Vec<(String, String)> {
    let mut kept: Vec<(Option<String>, String, String)> = Vec::new();
    for o in outputs {
        match o {
            Output::Clear => kept.clear(),
            Output::Display(d) => kept.push((None, "display".into(), text(d).into())),
            Output::Result(d) => kept.push((None, "result".into(), text(d).into())),
            Output::Notice(n) => kept.push((None, "notice".into(), n.clone())),
            Output::InPlace {
                display_id,
                data,
                update: false,
            } => kept.push((Some(display_id.clone()), "display".into(), text(data).into())),
            Output::InPlace { display_id, data, .. } => {
                for k in kept.iter_mut().filter(|k| k.0.as_ref() == Some(display_id)) {
                    k.2 = text(data).into();
                }
            }
        }
    }
    kept.into_iter().map(|(_, kind, text)| (kind, text)).collect()
}

#[tokio::test(start_paused = true)]
async fn progress_shows_after_a_second_and_updates_in_place() {
    let session = FakeSession::new(vec![Step::Progress {
        reports: vec![(ms(500), report(1)), (ms(1500), report(4)), (ms(2500), report(9))],
        then: Box::new(Step::Rows {
            after: ms(500),
            rows: 2,
        }),
    }]);
    let engine = engine(vec![session]);
    let (outputs, result) = run(&engine, "SELECT 1").await;
    assert_eq!(result, Ok(()));
    let [
        Output::InPlace {
            display_id: shown,
            data: bar,
            update: false,
        },
        Output::InPlace {
            display_id: updated,
            data: later,
            update: true,
        },
        Output::Clear,
        Output::Result(last),
    ] = &outputs[..]
    else {
        panic!("{outputs:?}")
    };
    assert_eq!(shown, updated);
    // The first frame is HTML alone (a console would keep its text as a stale bar).
    assert!(
        !bar.contains_key("text/plain") && html(bar).contains("tasks 4/10"),
        "{bar:?}"
    );
    assert!(text(later).contains("tasks 9/10"), "{later:?}");
    assert!(last.contains_key(ARROW_MIME) && html(last).contains(">2 rows<"));
}

#[tokio::test(start_paused = true)]
async fn a_slow_cell_stores_the_same_outputs_as_a_fast_one() {
    let fast = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 2 },
        Step::Rows { after: ms(10), rows: 3 },
        Step::Rows { after: ms(10), rows: 1 },
    ]);
    let slow_step = |rows| Step::Progress {
        reports: vec![(ms(1200), report(3)), (ms(4000), report(8))],
        then: Box::new(Step::Rows { after: ms(9000), rows }),
    };
    let slow = FakeSession::new(vec![slow_step(2), slow_step(3), Step::Rows { after: ms(10), rows: 1 }]);
    let connector = FakeConnector::new(vec![fast.clone()]).with_warnings(&["Your token expires soon."]);
    let fast_engine = Engine::start(Box::new(connector));
    let connector = FakeConnector::new(vec![slow.clone()]).with_warnings(&["Your token expires soon."]);
    let slow_engine = Engine::start(Box::new(connector));
    let cell = "SELECT 1;\nSELECT 2;\nSELECT 3";
    let (fast_outputs, r1) = run_raw(&fast_engine, cell).await;
    let (slow_outputs, r2) = run_raw(&slow_engine, cell).await;
    assert_eq!((r1, r2), (Ok(()), Ok(())));
    assert!(slow_outputs.iter().any(|o| matches!(o, Output::InPlace { .. })));
    let stored_fast = stored(&fast_outputs);
    assert_eq!(stored_fast.len(), 4, "{stored_fast:?}");
    assert_eq!(stored_fast[0], ("notice".into(), "Your token expires soon.".into()));
    assert_eq!(stored_fast, stored(&slow_outputs));
    // The first statement's progress is taken away by a clear; the second's rides on the
    // first's result and is taken away in place.
    assert_eq!(slow_outputs.iter().filter(|o| matches!(o, Output::Clear)).count(), 1);
    let updates = |o: &&Output| matches!(o, Output::InPlace { display_id, update: true, .. } if display_id.starts_with("kbase-spark-sql-output-"));
    assert!(slow_outputs.iter().filter(updates).count() >= 2, "{slow_outputs:?}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_statement_takes_its_progress_away_and_keeps_earlier_results() {
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 1 },
        Step::Progress {
            reports: vec![(ms(1200), report(2))],
            then: Box::new(Step::Fail {
                after: ms(300),
                error: table_not_found,
            }),
        },
    ]);
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "SELECT 1;\nSELECT * FROM nope;\nSELECT 3").await;
    // The progress rode on the first result, which is then restored.
    let [
        Output::Display(first),
        Output::InPlace {
            data: with_progress,
            update: true,
            ..
        },
        Output::InPlace {
            data: again,
            update: true,
            ..
        },
    ] = &outputs[..]
    else {
        panic!("{outputs:?}")
    };
    assert!(html(with_progress).contains("tasks 2/10"), "{with_progress:?}");
    assert_eq!(first, again);
    let error = result.unwrap_err();
    assert_eq!(error.ename, "TABLE_OR_VIEW_NOT_FOUND");
    assert_eq!(
        error.traceback.last().map(String::as_str),
        Some("(in statement 2 of 3, starting on line 2 of the cell)")
    );
    assert_eq!(session.queries().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn shutdown_cancels_everything_and_releases_the_session() {
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    run(&engine, "SELECT 1").await.1.unwrap();
    engine.shutdown().await;
    assert_eq!(session.interrupted_all.load(Ordering::SeqCst), 1);
    assert_eq!(session.released.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn magics_are_read_above_the_sql_and_limit_the_rows_of_the_cell() {
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 2 },
        Step::Fail {
            after: ms(10),
            error: table_not_found,
        },
    ]);
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "%%sql\n%limit 2\nSELECT 1;\nSELECT * FROM nope").await;
    assert_eq!(session.queries(), ["SELECT 1", "SELECT * FROM nope"]);
    assert_eq!(*session.max_rows.lock().unwrap(), [2, 2]);
    assert!(matches!(&outputs[..], [Output::Display(_)]));
    // Lines still count from the top of the cell, magic lines included.
    assert_eq!(
        result.unwrap_err().traceback.last().map(String::as_str),
        Some("(in statement 2 of 2, starting on line 4 of the cell)")
    );
    // Without %limit, the kernel's setting applies again.
    run(&engine, "SELECT 1").await.1.unwrap();
    assert_eq!(session.max_rows.lock().unwrap().last(), Some(&1000));
}

#[tokio::test(start_paused = true)]
async fn help_alone_is_the_cells_result_and_needs_no_query() {
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "%help").await;
    assert_eq!(result, Ok(()));
    let [Output::Result(help)] = &outputs[..] else {
        panic!("{outputs:?}")
    };
    for name in [
        "%limit N",
        "%export PATH [--overwrite]",
        "%%sql",
        "KBASE_SPARK_MAX_ROWS",
        "e.g. %limit 5000",
    ] {
        assert!(text(help).contains(name), "{name}: {}", text(help));
    }
    assert!(session.queries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn an_unknown_magic_fails_the_cell_before_any_sql_runs() {
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "%lmit 5\nSELECT 1").await;
    assert!(outputs.is_empty());
    assert_eq!(ename(&result), "UnknownMagic");
    assert!(session.queries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn export_writes_the_whole_result_of_the_last_query_and_shows_its_first_rows() {
    let scratch = scratch();
    let dir = scratch.path();
    let session = FakeSession::new(vec![
        Step::Done { after: ms(10) },
        Step::Stream {
            batches: 30,
            rows: 100,
            every: ms(100),
        },
    ]);
    let engine = engine(vec![session.clone()]);
    let code = format!(
        "%export {}/out.csv\n%limit 5\nCREATE VIEW v AS SELECT 1;\nSELECT x FROM v",
        dir.display()
    );
    let (outputs, result) = run(&engine, &code).await;
    assert_eq!(result, Ok(()));
    let text_of_file = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(text_of_file.lines().count(), 1 + 3000);
    assert!(text_of_file.starts_with("x\r\n0\r\n1\r\n"));
    assert_eq!(files(dir), ["out.csv"]);
    let [Output::Display(ok), Output::Display(written), Output::Result(table)] = &outputs[..] else {
        panic!("{outputs:?}")
    };
    assert_eq!(text(ok), "OK");
    assert_eq!(
        text(written),
        format!("exported 3,000 rows (11.7 kB) to {}/out.csv", dir.display())
    );
    assert!(text(table).contains("more available"), "{}", text(table));
}

#[tokio::test(start_paused = true)]
async fn an_interrupted_export_stops_on_the_server_and_leaves_no_file() {
    let scratch = scratch();
    let dir = scratch.path();
    let session = FakeSession::new(vec![Step::Stream {
        batches: 1000,
        rows: 100,
        every: ms(100),
    }]);
    let engine = engine(vec![session.clone()]);
    let code: &'static str =
        Box::leak(format!("%export {}/big.parquet\nSELECT x FROM big", dir.display()).into_boxed_str());
    let cell = spawn_cell(&engine, code);
    tokio::time::sleep(ms(2000)).await;
    // Part of it is being written, under a temporary name.
    assert_eq!(files(dir).len(), 1);
    assert!(files(dir)[0].starts_with(".big.parquet."), "{:?}", files(dir));
    engine.interrupt();
    let (_, result) = cell.await.unwrap();
    assert_eq!(ename(&result), "QueryCancelled");
    assert_eq!(session.interrupted().len(), 1);
    assert!(files(dir).is_empty(), "{:?}", files(dir));
}

#[tokio::test(start_paused = true)]
async fn an_export_that_cannot_be_written_fails_before_any_query() {
    let scratch = scratch();
    let dir = scratch.path();
    std::fs::write(dir.join("there.csv"), "keep").unwrap();
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    for (code, ename_, message) in [
        (
            format!("%export {}/there.csv\nSELECT 1", dir.display()),
            "ExportPathError",
            "already exists; add --overwrite to replace it",
        ),
        (
            format!("%export {}/missing/x.csv\nSELECT 1", dir.display()),
            "ExportPathError",
            "does not exist; create it first",
        ),
        ("%export x.csv".to_string(), "MagicUsage", "the cell has no query"),
    ] {
        let (outputs, result) = run(&engine, &code).await;
        assert!(outputs.is_empty());
        let error = result.unwrap_err();
        assert_eq!(error.ename, ename_);
        assert!(error.evalue.contains(message), "{}", error.evalue);
    }
    assert!(session.queries().is_empty());
    assert_eq!(std::fs::read_to_string(dir.join("there.csv")).unwrap(), "keep");
    assert_eq!(files(dir), ["there.csv"]);
}

#[tokio::test(start_paused = true)]
async fn a_query_with_rows_and_no_columns_is_a_result_not_ok() {
    let session = FakeSession::new(vec![Step::NoColumns { rows: 3 }, Step::Done { after: ms(1) }]);
    let engine = engine(vec![session]);
    let (outputs, result) = run(
        &engine,
        "SELECT * EXCEPT (id) FROM range(3);\nCREATE VIEW v AS SELECT 1",
    )
    .await;
    assert_eq!(result, Ok(()));
    let [Output::Display(rows), Output::Result(done)] = &outputs[..] else {
        panic!("{outputs:?}")
    };
    assert_eq!(text(rows), "++\n||\n++\n||\n||\n||\n++");
    assert!(rows.contains_key(ARROW_MIME) && html(rows).contains(">3 rows<"));
    assert_eq!(text(done), "OK");
}

const INSERT: &str = "INSERT INTO t VALUES (1)";

fn notices(outputs: &[Output]) -> usize {
    outputs.iter().filter(|o| matches!(o, Output::Notice(_))).count()
}

fn evalue(result: &Result<(), CellError>) -> &str {
    result.as_ref().err().map_or("", |e| e.evalue.as_str())
}

#[tokio::test(start_paused = true)]
async fn a_fetch_that_fails_after_the_command_ran_is_all_that_is_repeated() {
    let session = FakeSession::new(vec![
        Step::FetchFails { error: unavailable },
        Step::Done { after: ms(10) },
    ]);
    let engine = engine(vec![session.clone()]);
    let (_, result) = run(&engine, INSERT).await;
    assert_eq!(result, Ok(()));
    assert_eq!(session.executed(), [INSERT]);
    assert_eq!(session.fetches.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_command_whose_stream_was_cut_is_followed_not_run_again() {
    let session = FakeSession::new(vec![
        Step::CutAfterSend { error: unavailable },
        Step::CutAfterSend { error: unavailable },
        Step::Done { after: ms(10) },
    ]);
    let engine = engine(vec![session.clone()]);
    let (_, result) = run(&engine, INSERT).await;
    assert_eq!(result, Ok(()));
    // Sent three times under one operation id; the server ran it once.
    assert_eq!(session.queries().len(), 3);
    assert_eq!(session.executed(), [INSERT]);
}

#[tokio::test(start_paused = true)]
async fn a_session_lost_after_the_command_ran_only_fetches_in_the_new_one() {
    let lost = FakeSession::new(vec![Step::FetchFails { error: session_lost }]);
    let fresh = FakeSession::new(vec![Step::Done { after: ms(10) }]);
    let engine = engine(vec![lost.clone(), fresh.clone()]);
    let (outputs, result) = run(&engine, INSERT).await;
    assert_eq!(result, Ok(()));
    assert_eq!(lost.executed(), [INSERT]);
    assert!(fresh.executed().is_empty());
    assert_eq!(fresh.fetches.load(Ordering::SeqCst), 1);
    assert_eq!(notices(&outputs), 1);
}

#[tokio::test(start_paused = true)]
async fn a_change_in_flight_when_the_server_restarted_is_told_unknown_not_rerun() {
    let lost = FakeSession::new(vec![
        Step::CutAfterSend { error: unavailable },
        Step::Fail {
            after: Duration::ZERO,
            error: session_lost,
        },
    ]);
    let fresh = FakeSession::new(Vec::new());
    let engine = engine(vec![lost.clone(), fresh.clone()]);
    let (outputs, result) = run(&engine, INSERT).await;
    assert_eq!(ename(&result), "SparkConnectOutcomeUnknown");
    assert!(
        evalue(&result).contains("may or may not have changed your data"),
        "{result:?}"
    );
    assert!(evalue(&result).contains("query the table"), "{result:?}");
    assert_eq!(lost.executed(), [INSERT]);
    assert!(fresh.queries().is_empty());
    // The restart is still told, and the next cell runs in the new session.
    assert_eq!(notices(&outputs), 1);
    let (_, result) = run(&engine, "INSERT INTO t VALUES (2)").await;
    assert_eq!(result, Ok(()));
    assert_eq!(fresh.executed(), ["INSERT INTO t VALUES (2)"]);
}

#[tokio::test(start_paused = true)]
async fn a_read_in_flight_when_the_server_restarted_runs_again() {
    let lost = FakeSession::new(vec![Step::CutAfterSend { error: session_lost }]);
    let fresh = FakeSession::new(vec![Step::Rows { after: ms(10), rows: 2 }]);
    let engine = engine(vec![lost.clone(), fresh.clone()]);
    let (_, result) = run(&engine, "-- count\nSELECT * FROM t").await;
    assert_eq!(result, Ok(()));
    assert_eq!(lost.executed().len(), 1);
    assert_eq!(fresh.executed().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_change_refused_before_sending_runs_in_the_new_session() {
    let lost = FakeSession::new(vec![
        Step::Fail {
            after: Duration::ZERO,
            error: unavailable,
        },
        Step::Fail {
            after: Duration::ZERO,
            error: session_lost,
        },
    ]);
    let fresh = FakeSession::new(Vec::new());
    let engine = engine(vec![lost.clone(), fresh.clone()]);
    let (_, result) = run(&engine, INSERT).await;
    assert_eq!(result, Ok(()));
    assert!(lost.executed().is_empty());
    assert_eq!(fresh.executed(), [INSERT]);
}

#[tokio::test(start_paused = true)]
async fn a_change_sent_to_a_server_that_never_came_back_is_told_unknown() {
    let mut steps = vec![Step::CutAfterSend { error: unavailable }];
    steps.extend((0..20).map(|_| Step::Fail {
        after: Duration::ZERO,
        error: unavailable,
    }));
    let session = FakeSession::new(steps);
    let engine = engine(vec![session.clone()]);
    let (_, result) = run(&engine, INSERT).await;
    assert_eq!(ename(&result), "SparkConnectOutcomeUnknown");
    assert_eq!(session.executed(), [INSERT]);
    // A read that cannot reach the server says so, as before.
    let steps = (0..20).map(|_| Step::CutAfterSend { error: unavailable }).collect();
    let reader = FakeSession::new(steps);
    let (_, result) = run(&crate::engine::tests::engine(vec![reader]), "SELECT 1").await;
    assert_eq!(ename(&result), "SparkConnectUnavailable");
}

#[tokio::test(start_paused = true)]
async fn a_change_cancelled_by_nobody_is_told_unknown() {
    let session = FakeSession::new(vec![Step::CutAfterSend {
        error: || crate::spark::SparkError::Cancelled,
    }]);
    let engine = engine(vec![session.clone()]);
    let (_, result) = run(&engine, INSERT).await;
    assert_eq!(ename(&result), "SparkConnectOutcomeUnknown");
    assert_eq!(session.executed(), [INSERT]);
}

/// Runs `code` as the kernel does, with its execution count.
async fn run_counted(engine: &Engine, code: &str, count: u64) -> Result<(), CellError> {
    crate::interpreter::Interpreter::run_cell(engine, code, false, Some(count), &mut |_| {}).await
}

#[tokio::test(start_paused = true)]
async fn a_cell_that_never_names_an_earlier_result_makes_no_extra_call() {
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(1), rows: 3 },
        Step::Rows { after: ms(1), rows: 1 },
        Step::Rows { after: ms(1), rows: 0 },
        Step::Rows { after: ms(1), rows: 2 },
    ]);
    let engine = engine(vec![session.clone()]);
    run_counted(&engine, "SELECT * FROM range(3)", 1).await.unwrap();
    run_counted(&engine, "SELECT '_' AS s -- FROM _", 2).await.unwrap();
    assert_eq!(
        session.queries(),
        vec!["SELECT * FROM range(3)", "SELECT '_' AS s -- FROM _"]
    );
    // Naming `_` checks for a view of the user's, defines the kernel's, then runs.
    run_counted(&engine, "SELECT * FROM _", 3).await.unwrap();
    assert_eq!(
        session.queries()[2..],
        ["SHOW TABLES LIKE '_'", "define view _", "SELECT * FROM _"]
    );
}
