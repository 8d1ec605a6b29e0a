//! A scripted Spark session for tests: each statement takes the next step of a script
//! (answer after a delay, report progress, fail as Spark would, or run until cancelled),
//! and everything asked of the session is recorded. Like a server, it runs a command once
//! per operation id: a try that resends one it has seen follows that execution instead. With tokio's paused clock the delays
//! cost no real time, so the engine's and the kernel's timing logic is tested exactly.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow_array::{Int32Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::Notify;

use super::session::{Answer, Connector, Opened, Request, Session};
use crate::data::grid::GridQuery;
use crate::data::{BatchSink, Progress, QueryResult};
use crate::spark::{OnProgress, OpenError, SparkError, StatementRun};

/// What one statement does.
pub(crate) enum Step {
    /// Answers after `after` with one int column `x` holding 0..rows.
    Rows { after: Duration, rows: i32 },
    /// Answers after `after` with no columns, as DDL does.
    Done { after: Duration },
    /// Answers at once with `rows` rows of no columns, as `SELECT * EXCEPT (id)` of a
    /// one-column table does: a query, not a command.
    NoColumns { rows: usize },
    /// Fails after `after`, the command not having reached the server (refused, rejected).
    Fail { after: Duration, error: fn() -> SparkError },
    /// The command reaches the server and runs, then the try fails with `error` before its
    /// stream completes (cut, server gone, session lost).
    CutAfterSend { error: fn() -> SparkError },
    /// The command runs to completion; then fetching its result fails with `error`.
    FetchFails { error: fn() -> SparkError },
    /// Reports progress at the given times (from the start), then takes the next step.
    Progress {
        reports: Vec<(Duration, Progress)>,
        then: Box<Step>,
    },
    /// Streams `batches` batches of `rows` rows each (column `x`), one every `every`: a
    /// long result for a whole-result receiver.
    Stream { batches: usize, rows: i32, every: Duration },
    /// Runs until the cell's tag is interrupted, then ends as cancelled.
    UntilCancelled,
    /// Never ends, whatever is asked of the server.
    Forever,
    /// Answers at once with this result.
    Answer(QueryResult),
}

pub(crate) fn unavailable() -> SparkError {
    SparkError::Unavailable {
        target: "sc://fake:15002".into(),
        detail: "connection refused".into(),
    }
}

pub(crate) fn session_lost() -> SparkError {
    server_error(
        "INVALID_HANDLE.SESSION_NOT_FOUND",
        "[INVALID_HANDLE.SESSION_NOT_FOUND] The handle is invalid.",
    )
}

pub(crate) fn table_not_found() -> SparkError {
    server_error(
        "TABLE_OR_VIEW_NOT_FOUND",
        "[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found.",
    )
}

fn server_error(class: &str, message: &str) -> SparkError {
    SparkError::Server {
        class: Some(class.into()),
        sql_state: None,
        message: message.into(),
        error_id: None,
        span: None,
    }
}

pub(crate) fn rows(n: i32) -> QueryResult {
    let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int32, false)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int32Array::from_iter_values(0..n))]);
    QueryResult::new(schema, batch.into_iter().collect(), false)
}

fn table(columns: &[&str], rows: &[Vec<&str>]) -> QueryResult {
    let schema = Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| Field::new(*c, DataType::Utf8, true))
            .collect::<Vec<_>>(),
    ));
    let arrays: Vec<arrow_array::ArrayRef> = (0..columns.len())
        .map(|i| {
            Arc::new(StringArray::from(
                rows.iter().map(|r| r.get(i).copied()).collect::<Vec<Option<&str>>>(),
            )) as arrow_array::ArrayRef
        })
        .collect();
    let batch = RecordBatch::try_new(schema.clone(), arrays);
    QueryResult::new(schema, batch.into_iter().collect(), false)
}

#[derive(Default)]
pub(crate) struct FakeSession {
    script: Mutex<VecDeque<Step>>,
    /// The statements tried, in order (each try, whatever it did).
    pub(crate) queries: Mutex<Vec<String>>,
    /// The rows each statement was asked to keep.
    pub(crate) max_rows: Mutex<Vec<usize>>,
    /// The commands this server ran: once per operation id, however often it was sent.
    pub(crate) executed: Mutex<Vec<String>>,
    /// The operation ids this server has seen.
    seen: Mutex<Vec<String>>,
    /// Tries that only fetched the result of a command already done.
    pub(crate) fetches: AtomicUsize,
    /// The tags interrupted.
    pub(crate) interrupted: Mutex<Vec<String>>,
    pub(crate) interrupted_all: AtomicUsize,
    pub(crate) released: AtomicUsize,
    cancel: Notify,
    /// What SQL over a statement's result answers, in order (then no rows).
    over_script: Mutex<VecDeque<Step>>,
    /// The SQL run over statements' results, in order.
    pub(crate) over_queries: Mutex<Vec<String>>,
    /// Metadata statements answered by their text (not from the script), after a delay.
    catalog: Mutex<Vec<(String, Duration, Table)>>,
    /// The operators an analysed query reports (its rows follow the `over` script).
    pub(crate) analyzed_operators: Mutex<Vec<crate::data::plan::Operator>>,
    /// How many queries were run to their end for `%analyze`.
    pub(crate) analyzed_runs: AtomicUsize,
    /// The live grid's calls, in order: `pin`, `unpin`, `page OFFSET+LIMIT`, `count`
    /// (pages and counts answer from the `over` script).
    pub(crate) grid_calls: Mutex<Vec<String>>,
    /// Whether a pin runs until it is interrupted (else it is made at once).
    pub(crate) pins_hang: AtomicBool,
}

/// A result of string columns, as metadata statements answer.
pub(crate) type Table = (Vec<&'static str>, Vec<Vec<&'static str>>);

impl FakeSession {
    /// A session whose statements follow `steps`, then answer at once with no columns.
    pub(crate) fn new(steps: Vec<Step>) -> Arc<FakeSession> {
        Arc::new(FakeSession {
            script: Mutex::new(steps.into()),
            ..FakeSession::default()
        })
    }

    /// SQL over a statement's result takes these steps, in order.
    pub(crate) fn over(&self, steps: Vec<Step>) {
        if let Ok(mut s) = self.over_script.lock() {
            s.extend(steps);
        }
    }

    pub(crate) fn over_queries(&self) -> Vec<String> {
        self.over_queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// Answers `statement` with `table` after `after`, every time it is asked, in place of
    /// the script (a catalog that stays put while cells run).
    pub(crate) fn answer(&self, statement: &str, after: Duration, table: Table) {
        if let Ok(mut c) = self.catalog.lock() {
            c.retain(|(s, _, _)| s != statement);
            c.push((statement.to_string(), after, table));
        }
    }

    pub(crate) fn queries(&self) -> Vec<String> {
        self.queries.lock().map(|q| q.clone()).unwrap_or_default()
    }

    pub(crate) fn executed(&self) -> Vec<String> {
        self.executed.lock().map(|q| q.clone()).unwrap_or_default()
    }

    /// The command of `run` reaches this server: it runs unless its id was seen before.
    fn receive(&self, query: &str, run: &mut StatementRun) {
        run.mark_sent(true);
        let Ok(mut seen) = self.seen.lock() else { return };
        if seen.iter().any(|id| id == run.command_id()) {
            return;
        }
        seen.push(run.command_id().to_string());
        if let Ok(mut executed) = self.executed.lock() {
            executed.push(query.to_string());
        }
    }

    pub(crate) fn interrupted(&self) -> Vec<String> {
        self.interrupted.lock().map(|q| q.clone()).unwrap_or_default()
    }

    fn next_step(&self) -> Step {
        self.script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(Step::Done { after: Duration::ZERO })
    }

    fn play<'a>(&'a self, step: Step, on_progress: OnProgress<'a>) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        async move {
            match step {
                Step::Rows { after, rows: n } => {
                    tokio::time::sleep(after).await;
                    Ok(rows(n))
                }
                Step::Stream {
                    batches,
                    rows: n,
                    every,
                } => {
                    let one = rows(n);
                    let mut all = Vec::new();
                    for _ in 0..batches {
                        tokio::time::sleep(every).await;
                        all.extend(one.batches.iter().cloned());
                    }
                    Ok(QueryResult::new(one.schema, all, false))
                }
                Step::Done { after } => {
                    tokio::time::sleep(after).await;
                    Ok(QueryResult {
                        command: true,
                        ..QueryResult::new(Arc::new(Schema::empty()), Vec::new(), false)
                    })
                }
                Step::NoColumns { rows } => {
                    let schema = Arc::new(Schema::empty());
                    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
                    let batch = RecordBatch::try_new_with_options(schema.clone(), Vec::new(), &options);
                    Ok(QueryResult::new(schema, batch.into_iter().collect(), false))
                }
                Step::Fail { after, error } => {
                    tokio::time::sleep(after).await;
                    Err(error())
                }
                Step::Progress { reports, then } => {
                    let start = tokio::time::Instant::now();
                    for (at, report) in reports {
                        tokio::time::sleep_until(start + at).await;
                        on_progress(&report);
                    }
                    self.play(*then, on_progress).await
                }
                Step::UntilCancelled => {
                    self.cancel.notified().await;
                    Err(SparkError::Cancelled)
                }
                Step::Forever => std::future::pending().await,
                Step::Answer(result) => Ok(result),
                Step::CutAfterSend { error } | Step::FetchFails { error } => Err(error()),
            }
        }
        .boxed()
    }
}

impl FakeSession {
    fn resuming<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        _tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        if let Ok(mut q) = self.queries.lock() {
            q.push(query.to_string());
        }
        if let Ok(mut m) = self.max_rows.lock() {
            m.push(max_rows);
        }
        let answer = self.catalog.lock().ok().and_then(|c| {
            c.iter()
                .find(|(s, _, _)| s == query)
                .map(|(_, after, (columns, rows))| (*after, table(columns, rows)))
        });
        if let Some((after, result)) = answer {
            return async move {
                tokio::time::sleep(after).await;
                Ok(result)
            }
            .boxed();
        }
        let step = self.next_step();
        async move {
            if run.command_done() {
                self.fetches.fetch_add(1, Ordering::SeqCst);
            }
            match step {
                Step::Fail { .. } => {}
                Step::CutAfterSend { error } => {
                    if !run.command_done() {
                        self.receive(query, run);
                    }
                    return Err(error());
                }
                Step::FetchFails { error } => {
                    if !run.command_done() {
                        self.receive(query, run);
                        run.mark_done();
                    }
                    return Err(error());
                }
                _ if !run.command_done() => self.receive(query, run),
                _ => {}
            }
            let result = self.play(step, on_progress).await;
            if result.is_ok() {
                run.mark_done();
            }
            result
        }
        .boxed()
    }

    fn whole<'a>(
        &'a self,
        query: &'a str,
        max_rows: usize,
        tag: &'a str,
        on_progress: OnProgress<'a>,
        whole: &'a mut dyn BatchSink,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        if let Ok(mut q) = self.queries.lock() {
            q.push(query.to_string());
        }
        let _ = tag;
        let step = self.next_step();
        async move {
            // A stream hands its batches over as they come; other steps all at the end.
            if let Step::Stream {
                batches,
                rows: n,
                every,
            } = step
            {
                let one = rows(n);
                for _ in 0..batches {
                    tokio::time::sleep(every).await;
                    for b in &one.batches {
                        if whole.batch(&one.types, b).is_break() {
                            return Err(SparkError::Stopped);
                        }
                    }
                }
                let kept = one.batches.into_iter().take(1).collect();
                return Ok(QueryResult::new(one.schema, kept, batches > 1 || max_rows < n as usize));
            }
            let result = self.play(step, on_progress).await?;
            for b in &result.batches {
                if whole.batch(&result.types, b).is_break() {
                    return Err(SparkError::Stopped);
                }
            }
            Ok(result)
        }
        .boxed()
    }

    fn send<'a>(
        &'a self,
        query: &'a str,
        _tag: &'a str,
        run: &'a mut StatementRun,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        if let Ok(mut q) = self.queries.lock() {
            q.push(query.to_string());
        }
        let step = self.next_step();
        async move {
            if !run.command_done() {
                self.receive(query, run);
            }
            let result = self.play(step, on_progress).await?;
            run.mark_done();
            Ok(QueryResult {
                batches: Vec::new(),
                ..result
            })
        }
        .boxed()
    }

    fn over_result<'a>(
        &'a self,
        _run: &'a StatementRun,
        sql: &'a str,
        _tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<QueryResult, SparkError>> {
        if let Ok(mut q) = self.over_queries.lock() {
            q.push(sql.to_string());
        }
        let step = self
            .over_script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(Step::NoColumns { rows: 0 });
        self.play(step, on_progress)
    }

    /// The live grid's calls so far.
    pub(crate) fn grid_calls(&self) -> Vec<String> {
        self.grid_calls.lock().map(|q| q.clone()).unwrap_or_default()
    }

    fn grid_call(&self, call: String) {
        if let Ok(mut q) = self.grid_calls.lock() {
            q.push(call);
        }
    }

    fn grid<'a>(
        &'a self,
        query: &'a GridQuery,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Answer, SparkError>> {
        self.grid_call(match query {
            GridQuery::Page { offset, limit, .. } => format!("page {offset}+{limit}"),
            GridQuery::Count { .. } => "count".to_string(),
        });
        let step = self
            .over_script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(Step::NoColumns { rows: 0 });
        self.play(step, on_progress).map(|r| r.map(Answer::Rows)).boxed()
    }

    fn define_view<'a>(
        &'a self,
        name: &'a str,
        _source: &'a crate::spark::ViewSource,
        _tag: &'a str,
    ) -> BoxFuture<'a, Result<(), SparkError>> {
        if let Ok(mut q) = self.queries.lock() {
            q.push(format!("define view {name}"));
        }
        async { Ok(()) }.boxed()
    }

    fn analyzed<'a>(
        &'a self,
        _run: &'a StatementRun,
        max_rows: usize,
        _tag: &'a str,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<crate::data::plan::Analyzed, SparkError>> {
        self.analyzed_runs.fetch_add(1, Ordering::SeqCst);
        let step = self
            .over_script
            .lock()
            .ok()
            .and_then(|mut s| s.pop_front())
            .unwrap_or(Step::NoColumns { rows: 0 });
        let operators = self.analyzed_operators.lock().map(|o| o.clone()).unwrap_or_default();
        async move {
            let mut result = self.play(step, on_progress).await?;
            result.more = result.num_rows() > max_rows;
            Ok(crate::data::plan::Analyzed {
                result,
                operators,
                elapsed: Duration::from_millis(5),
                stages: None,
            })
        }
        .boxed()
    }
}

impl Session for FakeSession {
    fn run<'a>(
        &'a self,
        request: Request<'a>,
        on_progress: OnProgress<'a>,
    ) -> BoxFuture<'a, Result<Answer, SparkError>> {
        match request {
            Request::Rows { query, max_rows, tag } => async move {
                let mut run = StatementRun::new();
                self.resuming(query, max_rows, tag, &mut run, on_progress).await
            }
            .map(|r| r.map(Answer::Rows))
            .boxed(),
            Request::Resume {
                query,
                max_rows,
                tag,
                run,
                ..
            } => self
                .resuming(query, max_rows, tag, run, on_progress)
                .map(|r| r.map(Answer::Rows))
                .boxed(),
            Request::Whole {
                query,
                max_rows,
                tag,
                whole,
            } => self
                .whole(query, max_rows, tag, on_progress, whole)
                .map(|r| r.map(Answer::Rows))
                .boxed(),
            Request::Send { query, tag, run } => self
                .send(query, tag, run, on_progress)
                .map(|r| r.map(Answer::Rows))
                .boxed(),
            Request::Over { run, sql, tag } => self
                .over_result(run, sql, tag, on_progress)
                .map(|r| r.map(Answer::Rows))
                .boxed(),
            Request::View { name, source, tag } => self
                .define_view(name, source, tag)
                .map(|r| r.map(|()| Answer::Viewed))
                .boxed(),
            Request::Analyze { run, max_rows, tag } => self
                .analyzed(run, max_rows, tag, on_progress)
                .map(|r| r.map(Answer::Analyzed))
                .boxed(),
            Request::Pin { source, .. } => {
                self.grid_call("pin".into());
                let pinned = source.clone();
                let hang = self.pins_hang.load(Ordering::SeqCst);
                async move {
                    if hang {
                        self.cancel.notified().await;
                        return Err(SparkError::Cancelled);
                    }
                    Ok(Answer::Pinned(Box::new(pinned)))
                }
                .boxed()
            }
            Request::Unpin { .. } => {
                self.grid_call("unpin".into());
                async { Ok(Answer::Viewed) }.boxed()
            }
            Request::Grid { query, .. } => self.grid(query, on_progress),
        }
    }

    fn interrupt_tag<'a>(&'a self, tag: &'a str) -> BoxFuture<'a, Result<(), SparkError>> {
        if let Ok(mut t) = self.interrupted.lock() {
            t.push(tag.to_string());
        }
        self.cancel.notify_waiters();
        async { Ok(()) }.boxed()
    }

    fn interrupt_all(&self) -> BoxFuture<'_, Result<(), SparkError>> {
        self.interrupted_all.fetch_add(1, Ordering::SeqCst);
        self.cancel.notify_waiters();
        async { Ok(()) }.boxed()
    }

    fn release(&self) -> BoxFuture<'_, Result<(), SparkError>> {
        self.released.fetch_add(1, Ordering::SeqCst);
        async { Ok(()) }.boxed()
    }
}

/// A session to hand out, or the error opening it fails with.
type Opening = Result<Arc<FakeSession>, fn() -> OpenError>;

/// Opens the sessions it was given, in order, each after `delay`; then fails as an
/// unconfigured kernel does.
pub(crate) struct FakeConnector {
    sessions: Mutex<VecDeque<Opening>>,
    delay: Duration,
    warnings: Vec<String>,
    pub(crate) opened: Arc<AtomicUsize>,
    /// Whether the catalog's usual look-ups start on their own (off, so that scripts
    /// meet only the statements the tests send).
    prefetch: bool,
}

impl FakeConnector {
    pub(crate) fn new(sessions: Vec<Arc<FakeSession>>) -> FakeConnector {
        FakeConnector {
            sessions: Mutex::new(sessions.into_iter().map(Ok).collect()),
            delay: Duration::ZERO,
            warnings: Vec::new(),
            opened: Arc::default(),
            prefetch: false,
        }
    }

    pub(crate) fn with_prefetch(self) -> FakeConnector {
        FakeConnector { prefetch: true, ..self }
    }

    pub(crate) fn failing(error: fn() -> OpenError) -> FakeConnector {
        FakeConnector {
            sessions: Mutex::new(VecDeque::from([Err(error)])),
            ..FakeConnector::new(Vec::new())
        }
    }

    pub(crate) fn with_delay(self, delay: Duration) -> FakeConnector {
        FakeConnector { delay, ..self }
    }

    pub(crate) fn with_warnings(self, warnings: &[&str]) -> FakeConnector {
        FakeConnector {
            warnings: warnings.iter().map(|w| w.to_string()).collect(),
            ..self
        }
    }
}

impl Connector for FakeConnector {
    fn open(&self) -> BoxFuture<'_, Result<Opened, OpenError>> {
        async move {
            tokio::time::sleep(self.delay).await;
            let next = self.sessions.lock().ok().and_then(|mut s| s.pop_front());
            let session = match next {
                Some(Ok(s)) => s,
                Some(Err(error)) => return Err(error()),
                None => return Err(OpenError::NotConfigured),
            };
            self.opened.fetch_add(1, Ordering::SeqCst);
            Ok(Opened {
                session,
                warnings: self.warnings.clone(),
            })
        }
        .boxed()
    }

    fn max_rows(&self) -> usize {
        1000
    }

    fn prefetch(&self) -> bool {
        self.prefetch
    }
}
