//! The SQL side of the kernel, the [`Interpreter`] the kernel drives: splits a cell into
//! statements, runs them in order on a [`session::Session`] (retrying while the server is
//! away, renewing a session the server lost, stopping on interrupt), and hands back MIME
//! bundles and errors. It knows nothing of ZeroMQ.

mod analyze;
pub(crate) mod earlier;
pub(crate) mod error;
pub(crate) mod interrupt;
pub(crate) mod outputs;
pub(crate) mod picture;
pub(crate) mod progress;
pub(crate) mod retry;
pub(crate) mod session;
pub(crate) mod slot;
#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt;
use futures::future::BoxFuture;

use crate::assist::catalog;
use crate::data::{Progress, QueryResult};
use crate::export::{Export, ExportError, Target};
use crate::interpreter::{
    Bundle, CellError, CommEvent, CommSend, Completeness, Completion, Interpreter, Output, OutputSink, TRANSIENT,
};
use crate::magic;
use crate::render;
use crate::spark::{SparkError, StatementRun, ViewSource};
use crate::sql::scan::{Statement, completeness, split_statements};
use crate::sql::{caret, kind, scan};
use error::EngineError;
use interrupt::{Epoch, Interrupts};
use outputs::CellOutputs;
use progress::ProgressDisplay;
use retry::{Next, Tries};
use session::{Answer, Connector, Request, Session};
use slot::SessionSlot;

pub(crate) struct Engine {
    slot: SessionSlot,
    /// What completion and inspection know of the session's catalog.
    catalog: catalog::Catalog,
    /// A statement started before the latest interrupt is cancelled.
    interrupts: Interrupts,
    /// The tag of the cell running (or last run): what an interrupt cancels on the server.
    cell_tag: Mutex<Option<String>>,
    /// Cells running now: the catalog's first look-ups wait for them, so they do not slow
    /// the first cell of a session down.
    cells_running: AtomicUsize,
    /// The first look-ups are due once the running cells end.
    lookups_waiting: AtomicBool,
    /// Results of earlier cells, for `_` and `_N`.
    pub(crate) earlier: earlier::Earlier,
    /// The results shown, open to the live grid.
    pub(crate) grid: Arc<crate::grid::Grid>,
}

/// What every statement of one cell shares.
struct Cell<'c> {
    /// The cell's SQL, magic lines blanked (same offsets and lines as the cell).
    code: &'c str,
    magics: &'c magic::Magics,
    /// How many statements the cell has.
    count: usize,
    /// Where `%export` writes, checked before any work starts.
    target: Option<Target>,
    /// Marks the cell's operations on the server, so that an interrupt cancels them.
    tag: String,
    epoch: Epoch,
    max_rows: usize,
    silent: bool,
}

/// How one try of a statement runs.
enum Mode<'m> {
    /// The whole result streams into an export.
    Whole(&'m mut Export),
    /// Sent once without fetching rows: a chart or profile follows over its result.
    Base(&'m mut StatementRun),
    /// Run (or resumed) and its first rows fetched.
    Resuming(&'m mut StatementRun),
}

/// One statement's last try: its result, what the tries got done, and its export if any.
type Tried = (Result<QueryResult, SparkError>, StatementRun, Option<Export>);

impl Engine {
    /// Creates the engine and starts opening its session in the background.
    pub(crate) fn start(connector: Box<dyn Connector>) -> Arc<Engine> {
        let engine = Arc::new(Engine {
            slot: SessionSlot::new(connector),
            catalog: catalog::Catalog::default(),
            interrupts: Interrupts::default(),
            cell_tag: Mutex::new(None),
            cells_running: AtomicUsize::new(0),
            lookups_waiting: AtomicBool::new(false),
            earlier: earlier::Earlier::default(),
            grid: Arc::new(crate::grid::Grid::default()),
        });
        let opener = engine.clone();
        tokio::spawn(async move {
            match opener.slot.get().await {
                Err(e) => tracing::warn!("the Spark session could not be opened yet: {e}"),
                // The first Tab finds the catalog's usual answers ready; a cell sent as the
                // kernel started (a notebook run from the top) runs first.
                Ok(_) if opener.slot.prefetch() => {
                    tokio::time::sleep(catalog::FIRST_LOOKUPS_AFTER).await;
                    opener.lookups_waiting.store(true, Ordering::SeqCst);
                    if opener.cells_running.load(Ordering::SeqCst) == 0 {
                        opener.first_lookups(false);
                    }
                }
                Ok(_) => {}
            }
        });
        engine
    }

    /// Starts the catalog's first look-ups in the background, what the next Tab will want,
    /// when they are due: the session opened (and no cell runs), or a cell changed the
    /// catalog (`changed`).
    fn first_lookups(&self, changed: bool) {
        let due = self.lookups_waiting.swap(false, Ordering::SeqCst) || changed;
        if let Some(session) = self.slot.current().filter(|_| due && self.slot.prefetch()) {
            self.catalog.refresh(&session, &catalog::FIRST_LOOKUPS);
        }
    }

    /// Runs every statement of `code` in order and stops at the first error.
    pub(crate) async fn run_cell(&self, code: &str, silent: bool, mut sink: OutputSink<'_>) -> Result<(), CellError> {
        let mut outputs = CellOutputs::new(&mut sink);
        self.run_statements(code, silent, &mut outputs)
            .await
            .map_err(CellError::from)
    }

    async fn run_statements(
        &self,
        code: &str,
        silent: bool,
        outputs: &mut CellOutputs<'_, '_>,
    ) -> Result<(), EngineError> {
        let parsed = magic::parse(code)?;
        let code = parsed.sql.as_str();
        let statements = split_statements(code);
        show_help(&parsed.magics, statements.is_empty(), outputs);
        if statements.is_empty() {
            return nothing_to_run(&parsed.magics);
        }
        let target = parsed.magics.export.as_ref().map(export_target).transpose()?;
        let epoch = self.interrupts.epoch();
        let mut session = match self.interrupts.until(epoch, self.slot.get()).await {
            None => return Err(EngineError::Cancelled),
            Some(opened) => opened?,
        };
        self.tell_notices(silent, outputs);
        let cell = Cell {
            code,
            magics: &parsed.magics,
            count: statements.len(),
            target,
            max_rows: parsed.magics.limit.unwrap_or_else(|| self.slot.max_rows()),
            tag: self.tag_cell(),
            epoch,
            silent,
        };
        // `_` and `_N`, when the cell names them (no call otherwise).
        match self
            .interrupts
            .until(epoch, self.earlier.bind(&session, &statements, &cell.tag))
            .await
        {
            None => return Err(EngineError::Cancelled),
            Some(bound) => bound.map_err(|e| EngineError::Earlier(Box::new(e)))?,
        }
        for (i, statement) in statements.iter().enumerate() {
            if self.interrupts.came_after(epoch) {
                return Err(EngineError::Cancelled);
            }
            self.run_statement(&cell, &mut session, statement, i, outputs).await?;
        }
        Ok(())
    }

    /// Runs statement `i` of the cell, retrying as [`retry::next`] decides, and shows what
    /// it gave: its result, the file it wrote, or the chart or profile of its result.
    async fn run_statement(
        &self,
        cell: &Cell<'_>,
        session: &mut Arc<dyn Session>,
        statement: &Statement<'_>,
        i: usize,
        outputs: &mut CellOutputs<'_, '_>,
    ) -> Result<(), EngineError> {
        let last = i + 1 == cell.count;
        // A chart's or profile's statement is sent once and its rows are not fetched: SQL
        // over its whole result follows.
        let picture = last && cell.magics.picture();
        let (result, run, mut export) = self.try_statement(cell, session, statement.text, last, outputs).await?;
        outputs.statement_ended();
        let result = match (result, export.as_mut().and_then(Export::take_error)) {
            // The file could not be written: say so, and stop the query on the server.
            (_, Some(e)) => {
                self.cancel_on_server(&cell.tag);
                return Err(e.into());
            }
            (r, None) => r.map_err(|e| statement_error(e, cell.code, statement, i, cell.count))?,
        };
        self.catalog.learn(session, statement.text);
        if last && cell.magics.analyze {
            if result.command {
                outputs.emit(Output::Result(render::text_and_html(
                    magic::analyze::A_COMMAND.into(),
                    format!("<pre>{}</pre>", magic::analyze::A_COMMAND),
                )));
            } else {
                analyze::show(
                    &self.interrupts,
                    session,
                    &run,
                    cell.max_rows,
                    &cell.tag,
                    cell.epoch,
                    outputs,
                )
                .await?;
                self.earlier
                    .showed(statement.text, &run, result.schema.clone(), result.command);
            }
            return Ok(());
        }
        if picture {
            self.draw(cell, session, &run, result.command, outputs).await?;
            self.earlier
                .showed(statement.text, &run, result.schema.clone(), result.command);
            return Ok(());
        }
        if let Some(export) = export {
            let written = export.finish(result.schema.clone(), &result.types)?;
            outputs.emit(Output::Display(render::written::bundle(
                &written.path,
                written.rows,
                written.bytes,
            )));
        }
        let mut live = None;
        if !(result.command && result.schema.fields().is_empty()) {
            self.earlier
                .showed(statement.text, &run, result.schema.clone(), result.command);
            // Open to the live grid: only kept here, no call to Spark.
            if let Some(source) = ViewSource::of(statement.text, &run).filter(|_| !cell.silent) {
                live = Some((source, &self.grid));
            }
        }
        show_result(&result, last, live, outputs);
        Ok(())
    }

    /// Tries a statement until it gives an answer or an error that ends it.
    async fn try_statement(
        &self,
        cell: &Cell<'_>,
        session: &mut Arc<dyn Session>,
        text: &str,
        last: bool,
        outputs: &mut CellOutputs<'_, '_>,
    ) -> Result<Tried, EngineError> {
        // `%analyze`'s statement is sent once the same way; its query then runs to its end.
        let picture = last && (cell.magics.picture() || cell.magics.analyze);
        let mut progress = ProgressDisplay::start();
        let mut tries = Tries::default();
        // Kept across tries: a retry resumes the statement where the last try stopped.
        let plain_query = kind::plain_query(text);
        let mut run = StatementRun::of(plain_query);
        let repeatable = kind::repeatable(text);
        loop {
            // Each attempt writes a fresh file; one that failed is dropped, and with it its file.
            let mut export = match (&cell.target, last) {
                (Some(t), true) => Some(Export::start(t.clone())?),
                _ => None,
            };
            let mode = match export.as_mut() {
                Some(whole) => Mode::Whole(whole),
                None if picture => Mode::Base(&mut run),
                None => Mode::Resuming(&mut run),
            };
            let error = match self.attempt(cell, session, text, mode, &mut progress, outputs).await {
                Ok(answer) => return Ok((Ok(answer), run, export)),
                Err(e) => e,
            };
            // A change that reached the server, whose outcome was then lost with it.
            let in_doubt = run.may_have_run() && !run.command_done() && !repeatable;
            match retry::next(&error, &tries, in_doubt, self.interrupts.came_after(cell.epoch)) {
                Next::Wait(pause) => {
                    if self.interrupts.pause(cell.epoch, pause).await {
                        return Ok((Err(SparkError::Cancelled), run, export));
                    }
                    tries.waited(pause);
                }
                // Going on in a new session: a command that completed only has its result
                // fetched again; one that never reached the old server, or only reads,
                // runs again.
                Next::Renew { then_unknown } => {
                    tries.renewed();
                    *session = self.slot.renew(session).await?;
                    self.tell_notices(cell.silent, outputs);
                    if then_unknown {
                        return Ok((Err(error.outcome_unknown()), run, export));
                    }
                    if !run.command_done() {
                        run = StatementRun::of(plain_query);
                    }
                }
                Next::Unknown => return Ok((Err(error.outcome_unknown()), run, export)),
                Next::Fail => return Ok((Err(error), run, export)),
            }
        }
    }

    /// One try of a statement, its progress shown, ended by an interrupt.
    async fn attempt(
        &self,
        cell: &Cell<'_>,
        session: &Arc<dyn Session>,
        text: &str,
        mode: Mode<'_>,
        progress: &mut ProgressDisplay,
        outputs: &mut CellOutputs<'_, '_>,
    ) -> Result<QueryResult, SparkError> {
        let counters = match &mode {
            Mode::Whole(export) => Some(export.counters()),
            _ => None,
        };
        let mut on_progress = |p: &Progress| {
            let mut p = p.clone();
            if let Some(c) = &counters {
                p.written = Some((c.rows.load(Ordering::Relaxed), c.bytes.load(Ordering::Relaxed)));
            }
            if let Some(output) = progress.report(&p) {
                outputs.emit(output);
            }
        };
        let (query, max_rows, tag) = (text, cell.max_rows, cell.tag.as_str());
        let request = match mode {
            Mode::Whole(whole) => Request::Whole {
                query,
                max_rows,
                tag,
                whole,
            },
            Mode::Base(run) => Request::Send { query, tag, run },
            Mode::Resuming(run) => Request::Resume {
                query,
                max_rows,
                budget: Some(render::RESULT_BUDGET),
                tag,
                run,
            },
        };
        self.interrupts
            .until(cell.epoch, session.run(request, &mut on_progress))
            .await
            // The server did not end the statement in time after the interrupt.
            .unwrap_or(Err(SparkError::Cancelled))
            .map(Answer::into_result)
    }

    /// The chart or profile of the cell's last statement, by SQL over its result.
    async fn draw(
        &self,
        cell: &Cell<'_>,
        session: &Arc<dyn Session>,
        run: &StatementRun,
        command: bool,
        outputs: &mut CellOutputs<'_, '_>,
    ) -> Result<(), EngineError> {
        if command {
            return Err(EngineError::NotAQuery {
                magic: if cell.magics.chart.is_some() {
                    "%chart"
                } else {
                    "%profile"
                },
            });
        }
        let mut over = picture::SqlOver {
            interrupts: &self.interrupts,
            session,
            run,
            tag: &cell.tag,
            epoch: cell.epoch,
            outputs,
            passes: 0,
            planned: None,
        };
        let bundle = crate::picture::draw(&mut over, cell.magics)
            .await
            .map_err(EngineError::Picture)?;
        outputs.emit(Output::Result(bundle));
        Ok(())
    }

    /// Shows the user what the session has to tell (token warnings, a new session), unless
    /// nobody sees this cell.
    fn tell_notices(&self, silent: bool, outputs: &mut CellOutputs<'_, '_>) {
        if !silent {
            for notice in self.slot.take_notices() {
                outputs.notice_later(notice);
            }
        }
    }

    /// A new tag for the cell, kept as what an interrupt cancels.
    fn tag_cell(&self) -> String {
        let tag = format!("kbase-spark-sql-cell-{}", uuid::Uuid::new_v4());
        if let Ok(mut current) = self.cell_tag.lock() {
            *current = Some(tag.clone());
        }
        tag
    }

    /// Cancels what is running: the cell's operations on the server (by its tag), the
    /// kernel's wait for them, and the live grids' requests.
    pub(crate) fn interrupt(&self) {
        self.interrupts.interrupt();
        if let Some(tag) = self.cell_tag.lock().ok().and_then(|t| t.clone()) {
            self.cancel_on_server(&tag);
        }
        self.grid.interrupt(self.slot.current());
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
        self.interrupts.interrupt();
        let pins = self.grid.shutdown(self.slot.current());
        if tokio::time::timeout(Duration::from_secs(2), pins).await.is_err() {
            tracing::warn!("releasing the grid's pinned results timed out");
        }
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
        count: Option<u64>,
        sink: OutputSink<'a>,
    ) -> BoxFuture<'a, Result<(), CellError>> {
        async move {
            self.earlier.start_cell(count, !silent);
            self.cells_running.fetch_add(1, Ordering::SeqCst);
            let outcome = Engine::run_cell(self, code, silent, sink).await;
            self.cells_running.fetch_sub(1, Ordering::SeqCst);
            self.earlier.end_cell(&magic::blanked(code), outcome.is_ok());
            // Whether it ran to the end or not, the cell may have changed the catalog.
            let statements = split_statements(code);
            let changed = statements.iter().any(|s| catalog::changes_catalog(s.text));
            if changed {
                self.catalog
                    .invalidate(statements.iter().any(|s| catalog::moves_current(s.text)));
            }
            self.first_lookups(changed);
            outcome
        }
        .boxed()
    }

    fn complete<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Completion> {
        crate::assist::completion::complete(
            code,
            cursor,
            self.slot.current(),
            &self.catalog,
            &self.earlier,
            self.slot.catalog_wait(),
        )
        .boxed()
    }

    fn inspect<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Option<Bundle>> {
        crate::assist::inspect::inspect(
            code,
            cursor,
            self.slot.current(),
            &self.catalog,
            self.slot.catalog_wait(),
        )
        .boxed()
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

    fn comm(&self, comm_id: &str, event: CommEvent, send: CommSend) -> bool {
        self.grid.comm(comm_id, event, send, self.slot.current())
    }

    fn comms(&self) -> Vec<(String, String)> {
        let target = crate::grid::TARGET.to_string();
        self.grid
            .open_comms()
            .into_iter()
            .map(|id| (id, target.clone()))
            .collect()
    }

    fn shutdown(&self) -> BoxFuture<'_, ()> {
        Engine::shutdown(self).boxed()
    }
}

/// `%help`'s table, the cell's result when the cell has no statement.
fn show_help(magics: &magic::Magics, no_statements: bool, outputs: &mut CellOutputs<'_, '_>) {
    if magics.help {
        let prefixes = crate::governance::help_entries();
        let entries = magic::help_entries();
        let mut sections = vec![
            ("Magics", &entries[..]),
            ("Settings", &magic::SETTINGS[..]),
            ("Earlier results and scripts", &earlier::HELP[..]),
        ];
        if !prefixes.is_empty() {
            sections.push(("Your database prefixes on BERDL", &prefixes));
        }
        let help = render::help::bundle(&sections);
        outputs.emit(if no_statements {
            Output::Result(help)
        } else {
            Output::Display(help)
        });
    }
}

/// A cell of magics alone: fine, unless a magic needs a query.
fn nothing_to_run(magics: &magic::Magics) -> Result<(), EngineError> {
    match (&magics.export, &magics.chart, magics.profile) {
        (Some(_), _, _) => Err(EngineError::NothingToExport),
        (_, Some(_), _) | (_, _, true) => Err(EngineError::NothingToDraw),
        _ if magics.analyze => Err(EngineError::NothingToAnalyze),
        _ => Ok(()),
    }
}

/// A statement's result as the notebook shows it.
/// With `live`, the output carries (in its `transient`) the id a live grid opens it by.
fn show_result(
    result: &QueryResult,
    last: bool,
    live: Option<(ViewSource, &Arc<crate::grid::Grid>)>,
    outputs: &mut CellOutputs<'_, '_>,
) {
    let rendering = Instant::now();
    let mut bundle = if result.command && result.schema.fields().is_empty() {
        render::done_bundle()
    } else {
        render::result_bundle(result)
    };
    if let Some((source, grid)) = live {
        let transient = grid.register(source, result, result.num_rows());
        bundle.insert(TRANSIENT.into(), serde_json::json!({"kbase_spark_grid": transient}));
    }
    tracing::debug!(
        target: "kbase_spark_sql_kernel::timing",
        rows = result.num_rows(),
        render_ms = rendering.elapsed().as_secs_f64() * 1000.0,
        "rendered"
    );
    outputs.emit(if last {
        Output::Result(bundle)
    } else {
        Output::Display(bundle)
    });
}

/// Where `%export` writes, relative to the kernel's working directory.
fn export_target(request: &magic::export::ExportRequest) -> Result<Target, EngineError> {
    let base = std::env::current_dir()
        .map_err(|e| ExportError::Path(format!("the kernel's working directory is unknown: {e}")))?;
    Ok(Target::check(&request.path, request.overwrite, &base)?)
}

/// The error of one statement: Spark's message, a caret under the failing text of the cell
/// when Spark names it, and which statement it was when the cell has several.
fn statement_error(e: SparkError, code: &str, statement: &Statement, index: usize, count: usize) -> EngineError {
    let mut message = e.to_string().trim().to_string();
    let mut context = Vec::new();
    if let SparkError::Server { span: Some(span), .. } = &e
        && let Some(lines) = caret::caret_lines(code, statement.text, statement.offset, *span)
    {
        // Spark's own "line 1 pos 14" counts within the statement; the caret says it better.
        if let Some(i) = message.rfind("; line ") {
            message.truncate(i);
        }
        context.extend(lines);
    }
    context.extend(earlier::hint(&message));
    context.extend(crate::sql::block::hint(&message));
    if count > 1 {
        let line = code[..statement.offset].matches('\n').count() + 1;
        context.push(format!(
            "(in statement {} of {count}, starting on line {line} of the cell)",
            index + 1
        ));
    }
    EngineError::Statement {
        error: Box::new(e),
        message,
        context,
    }
}
