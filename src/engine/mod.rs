//! The SQL side of the kernel, the [`Interpreter`] the kernel drives: splits a cell into
//! statements, runs them in order on a [`session::Session`] (retrying while the server is
//! away, renewing a session the server lost, stopping on interrupt), and hands back MIME
//! bundles and errors. It knows nothing of ZeroMQ.

mod analyze;
#[cfg(test)]
mod analyze_tests;
pub(crate) mod outputs;
pub(crate) mod picture;
#[cfg(test)]
mod picture_tests;
pub(crate) mod progress;
pub(crate) mod session;
pub(crate) mod slot;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;
use serde_json::{Map, Value};
use tokio::sync::Notify;

use crate::assist::catalog;
use crate::assist::completion::Completion;
use crate::data::Progress;
use crate::export::{Export, ExportError, Target};
pub(crate) use crate::interpreter::{CellError, Interpreter, Output, OutputSink};
use crate::magic;
use crate::render;
use crate::spark::{OpenError, SparkError, StatementRun};
pub(crate) use crate::sql::scan::Completeness;
use crate::sql::scan::{Statement, completeness, split_statements};
use crate::sql::{caret, kind, scan};
use outputs::CellOutputs;
use progress::ProgressDisplay;
use session::Connector;
use slot::SessionSlot;

/// How long a cancelled statement may take to end on its own before the kernel stops waiting.
const CANCEL_GRACE: Duration = Duration::from_secs(3);
/// How long a statement waits for a server that went away (a restart takes seconds) before
/// the cell fails; the pause between tries doubles from the first to the longest.
const RECONNECT_WAIT: Duration = Duration::from_secs(30);
const FIRST_PAUSE: Duration = Duration::from_millis(500);
const MAX_PAUSE: Duration = Duration::from_secs(4);

pub(crate) struct Engine {
    pub(crate) slot: SessionSlot,
    /// What completion and inspection know of the session's catalog.
    pub(crate) catalog: catalog::Catalog,
    /// Counts interrupts; a statement started before the latest one is cancelled.
    interrupts: AtomicU64,
    /// The tag of the cell running (or last run): what an interrupt cancels on the server.
    cell_tag: Mutex<Option<String>>,
    interrupted: Notify,
}

impl Engine {
    /// Creates the engine and starts opening its session in the background.
    pub(crate) fn start(connector: Box<dyn Connector>) -> Arc<Engine> {
        let engine = Arc::new(Engine {
            slot: SessionSlot::new(connector),
            catalog: catalog::Catalog::default(),
            interrupts: AtomicU64::new(0),
            cell_tag: Mutex::new(None),
            interrupted: Notify::new(),
        });
        let opener = engine.clone();
        tokio::spawn(async move {
            if let Err(e) = opener.slot.get().await {
                tracing::warn!("the Spark session could not be opened yet: {e}");
            }
        });
        engine
    }

    /// Runs every statement of `code` in order and stops at the first error.
    pub(crate) async fn run_cell(&self, code: &str, silent: bool, mut sink: OutputSink<'_>) -> Result<(), CellError> {
        let mut outputs = CellOutputs::new(&mut sink);
        let cell = magic::parse(code).map_err(|e| CellError::new(e.name(), e.to_string(), Vec::new()))?;
        // From here on the cell is its SQL, magic lines blanked (same offsets and lines).
        let code = cell.sql.as_str();
        let statements = split_statements(code);
        if cell.magics.help {
            let help = render::help::bundle(&[("Magics", &magic::MAGICS), ("Settings", &magic::SETTINGS)]);
            outputs.emit(if statements.is_empty() {
                Output::Result(help)
            } else {
                Output::Display(help)
            });
        }
        if statements.is_empty() {
            return match (&cell.magics.export, &cell.magics.chart, cell.magics.profile) {
                (Some(_), _, _) => Err(CellError::new(
                    "MagicUsage".into(),
                    "%export: the cell has no query; it writes the whole result of the cell's last query".into(),
                    Vec::new(),
                )),
                (_, Some(_), _) | (_, _, true) => Err(CellError::new(
                    "MagicUsage".into(),
                    "the cell has no query; %chart and %profile draw the whole result of the cell's last query".into(),
                    Vec::new(),
                )),
                _ if cell.magics.analyze => Err(CellError::new(
                    "MagicUsage".into(),
                    magic::analyze::NO_QUERY.into(),
                    Vec::new(),
                )),
                _ => Ok(()),
            };
        }
        // The export's path is checked before any work starts.
        let target = match &cell.magics.export {
            Some(request) => Some(export_target(request)?),
            None => None,
        };
        let epoch = self.interrupts.load(Ordering::SeqCst);
        let mut session = match self.until_interrupted(epoch, self.slot.get()).await {
            None => return Err(cancelled()),
            Some(Err(e)) => return Err(open_error(&e)),
            Some(Ok(s)) => s,
        };
        if !silent {
            for notice in self.slot.take_notices() {
                outputs.notice_later(notice);
            }
        }
        let max_rows = cell.magics.limit.unwrap_or_else(|| self.slot.max_rows());
        let tag = format!("kbase-spark-sql-cell-{}", uuid::Uuid::new_v4());
        if let Ok(mut current) = self.cell_tag.lock() {
            *current = Some(tag.clone());
        }
        let last = statements.len() - 1;
        for (i, statement) in statements.iter().enumerate() {
            if self.interrupts.load(Ordering::SeqCst) != epoch {
                return Err(cancelled());
            }
            let mut progress = ProgressDisplay::start();
            let mut waited = Duration::ZERO;
            let mut delay = FIRST_PAUSE;
            let mut renewed = false;
            let mut export;
            // A chart's or profile's statement is sent once and its rows are not fetched: SQL
            // over its whole result follows.
            let picture = i == last && cell.magics.picture();
            // `%analyze`'s statement is sent once the same way; its query then runs to its end.
            let analyzed = i == last && cell.magics.analyze;
            // Kept across tries: a retry resumes the statement where the last try stopped.
            let plain_query = kind::plain_query(statement.text);
            let mut run = StatementRun::of(plain_query);
            let repeatable = kind::repeatable(statement.text);
            let result = loop {
                // Each attempt writes a fresh file; one that failed is dropped, and with it its file.
                export = match (&target, i == last) {
                    (Some(t), true) => Some(Export::start(t.clone()).map_err(|e| export_error(&e))?),
                    _ => None,
                };
                let counters = export.as_ref().map(Export::counters);
                let attempt = {
                    let mut on_progress = |p: &Progress| {
                        let mut p = p.clone();
                        if let Some(c) = &counters {
                            p.written = Some((c.rows.load(Ordering::Relaxed), c.bytes.load(Ordering::Relaxed)));
                        }
                        if let Some(output) = progress.report(&p) {
                            outputs.emit(output);
                        }
                    };
                    let call = match export.as_mut() {
                        Some(whole) => session.sql_whole(statement.text, max_rows, &tag, &mut on_progress, whole),
                        None if picture || analyzed => {
                            session.sql_base(statement.text, &tag, &mut run, &mut on_progress)
                        }
                        None => session.sql_resuming(statement.text, max_rows, &tag, &mut run, &mut on_progress),
                    };
                    self.until_interrupted(epoch, call)
                        .await
                        // The server did not end the statement in time after the interrupt.
                        .unwrap_or(Err(SparkError::Cancelled))
                };
                // A change that reached the server, whose outcome was then lost with it.
                let in_doubt = run.may_have_run() && !run.command_done() && !repeatable;
                match attempt {
                    // The server is down or restarting: wait a little longer each time, within a bound.
                    Err(e) if e.is_unavailable() && waited < RECONNECT_WAIT => {
                        if self.pause(epoch, delay).await {
                            break Err(SparkError::Cancelled);
                        }
                        waited += delay;
                        delay = (delay * 2).min(MAX_PAUSE);
                    }
                    // The server restarted and lost the session: go on in a new one. A command
                    // that completed only has its result fetched again; one that never reached
                    // the old server, or only reads, runs again; any other is in doubt.
                    Err(e) if e.is_session_lost() && !renewed => {
                        renewed = true;
                        session = self.slot.renew(&session).await.map_err(|e| open_error(&e))?;
                        if !silent {
                            for notice in self.slot.take_notices() {
                                outputs.notice_later(notice);
                            }
                        }
                        if in_doubt {
                            break Err(e.outcome_unknown());
                        }
                        if !run.command_done() {
                            run = StatementRun::of(plain_query);
                        }
                    }
                    // A cancellation nobody asked for (the server went down mid-statement) is no outcome either.
                    Err(e)
                        if in_doubt
                            && (e.leaves_outcome_open()
                                || (matches!(e, SparkError::Cancelled)
                                    && self.interrupts.load(Ordering::SeqCst) == epoch)) =>
                    {
                        break Err(e.outcome_unknown());
                    }
                    other => break other,
                }
            };
            outputs.statement_ended();
            let result = match (result, export.as_mut().and_then(Export::take_error)) {
                // The file could not be written: say so, and stop the query on the server.
                (_, Some(e)) => {
                    self.cancel_on_server(&tag);
                    return Err(export_error(&e));
                }
                (r, None) => r.map_err(|e| statement_error(&e, code, statement, i, statements.len()))?,
            };
            if picture {
                if result.command {
                    return Err(picture::not_a_query(&cell.magics));
                }
                let mut over = picture::Over {
                    engine: self,
                    session: &session,
                    run: &run,
                    tag: &tag,
                    epoch,
                    outputs: &mut outputs,
                    passes: 0,
                };
                let bundle = picture::draw(&mut over, &cell.magics).await?;
                outputs.emit(Output::Result(bundle));
                continue;
            }
            if analyzed {
                if result.command {
                    outputs.emit(Output::Result(render::text_and_html(
                        magic::analyze::A_COMMAND.into(),
                        format!("<pre>{}</pre>", magic::analyze::A_COMMAND),
                    )));
                } else {
                    analyze::show(self, &session, &run, max_rows, &tag, epoch, &mut outputs).await?;
                }
                continue;
            }
            if let Some(export) = export {
                let written = export
                    .finish(result.schema.clone(), &result.types)
                    .map_err(|e| export_error(&e))?;
                outputs.emit(Output::Display(render::written::bundle(
                    &written.path,
                    written.rows,
                    written.bytes,
                )));
            }
            let rendering = Instant::now();
            let bundle = if result.command && result.schema.fields().is_empty() {
                render::done_bundle()
            } else {
                render::result_bundle(&result)
            };
            tracing::debug!(
                target: "kbase_spark_sql_kernel::timing",
                rows = result.num_rows(),
                render_ms = rendering.elapsed().as_secs_f64() * 1000.0,
                "rendered"
            );
            outputs.emit(if i == last {
                Output::Result(bundle)
            } else {
                Output::Display(bundle)
            });
        }
        Ok(())
    }

    /// Runs `work` unless an interrupt comes (or came) after `epoch`. After an interrupt the
    /// work gets a short grace to end by itself (the server reports the cancellation); `None`
    /// means it was cut off.
    async fn until_interrupted<T>(&self, epoch: u64, work: impl std::future::Future<Output = T>) -> Option<T> {
        tokio::pin!(work);
        loop {
            let notified = self.interrupted.notified();
            if self.interrupts.load(Ordering::SeqCst) != epoch {
                return tokio::time::timeout(CANCEL_GRACE, &mut work).await.ok();
            }
            tokio::select! {
                r = &mut work => return Some(r),
                _ = notified => {}
            }
        }
    }

    /// Waits `pause` unless an interrupt comes (or came) after `epoch`; true when interrupted.
    async fn pause(&self, epoch: u64, pause: Duration) -> bool {
        let notified = self.interrupted.notified();
        if self.interrupts.load(Ordering::SeqCst) != epoch {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => self.interrupts.load(Ordering::SeqCst) != epoch,
            _ = notified => true,
        }
    }

    /// Makes the running cell stop waiting for its statement (after a short grace).
    fn stop_waiting(&self) {
        self.interrupts.fetch_add(1, Ordering::SeqCst);
        self.interrupted.notify_waiters();
    }

    /// Cancels what is running: the cell's operations on the server (by its tag), and the
    /// kernel's wait for them.
    pub(crate) fn interrupt(&self) {
        self.stop_waiting();
        if let Some(tag) = self.cell_tag.lock().ok().and_then(|t| t.clone()) {
            self.cancel_on_server(&tag);
        }
    }

    /// Cancels the operations tagged `tag` on the server, in the background.
    fn cancel_on_server(&self, tag: &str) {
        if let Some(session) = self.slot.current() {
            let tag = tag.to_string();
            tokio::spawn(async move {
                if let Err(e) = session.interrupt_tag(&tag).await {
                    tracing::warn!("interrupt on the server failed: {e}");
                }
            });
        }
    }

    /// Stops running work and releases the Spark session on the server.
    pub(crate) async fn shutdown(&self) {
        self.stop_waiting();
        if let Some(session) = self.slot.take() {
            let release = async {
                let _ = session.interrupt_all().await;
                session.release().await
            };
            match tokio::time::timeout(Duration::from_secs(2), release).await {
                Ok(Ok(())) => tracing::info!("Spark session released"),
                Ok(Err(e)) => tracing::warn!("releasing the Spark session failed: {e}"),
                Err(_) => tracing::warn!("releasing the Spark session timed out"),
            }
        }
    }
}

impl Interpreter for Engine {
    fn run_cell<'a>(
        &'a self,
        code: &'a str,
        silent: bool,
        sink: OutputSink<'a>,
    ) -> BoxFuture<'a, Result<(), CellError>> {
        async move {
            let outcome = Engine::run_cell(self, code, silent, sink).await;
            // Whether it ran to the end or not, the cell may have changed the catalog.
            if split_statements(code).iter().any(|s| catalog::changes_catalog(s.text)) {
                self.catalog.invalidate();
            }
            outcome
        }
        .boxed()
    }

    fn complete<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Completion> {
        Engine::complete(self, code, cursor).boxed()
    }

    fn inspect<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Option<Map<String, Value>>> {
        Engine::inspect(self, code, cursor).boxed()
    }

    fn is_complete(&self, code: &str) -> Completeness {
        // Magic lines are no SQL: a cell of magics alone (`%help`) is complete as it is.
        completeness(&magic::blanked(code))
    }

    fn is_exit(&self, code: &str) -> bool {
        scan::is_exit(code)
    }

    fn interrupt(&self) {
        Engine::interrupt(self);
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Engine::shutdown(self).boxed()
    }
}

fn cancelled() -> CellError {
    let e = SparkError::Cancelled;
    CellError::new(e.name(), e.to_string(), Vec::new())
}

fn export_error(e: &ExportError) -> CellError {
    CellError::new(e.name(), e.to_string(), Vec::new())
}

/// Where `%export` writes, relative to the kernel's working directory.
fn export_target(request: &magic::ExportRequest) -> Result<Target, CellError> {
    let base = std::env::current_dir().map_err(|e| {
        export_error(&ExportError::Path(format!(
            "the kernel's working directory is unknown: {e}"
        )))
    })?;
    Target::check(&request.path, request.overwrite, &base).map_err(|e| export_error(&e))
}

fn open_error(e: &OpenError) -> CellError {
    CellError::new(e.name(), e.to_string(), Vec::new())
}

/// The error of one statement: Spark's message, a caret under the failing text of the cell
/// when Spark names it, and which statement it was when the cell has several.
fn statement_error(e: &SparkError, code: &str, statement: &Statement, index: usize, count: usize) -> CellError {
    let mut evalue = e.to_string().trim().to_string();
    let mut context = Vec::new();
    if let SparkError::Server { span: Some(span), .. } = e
        && let Some(lines) = caret::caret_lines(code, statement.text, statement.offset, *span)
    {
        // Spark's own "line 1 pos 14" counts within the statement; the caret says it better.
        if let Some(i) = evalue.rfind("; line ") {
            evalue.truncate(i);
        }
        context.extend(lines);
    }
    if count > 1 {
        let line = code[..statement.offset].matches('\n').count() + 1;
        context.push(format!(
            "(in statement {} of {count}, starting on line {line} of the cell)",
            index + 1
        ));
    }
    CellError::new(e.name(), evalue, context)
}
