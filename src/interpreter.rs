//! The seam between the kernel and the engine: what the kernel asks of a language
//! interpreter (run a cell into an output sink, complete, inspect, tell whether code is
//! complete, interrupt, shut down), as xeus asks it of its interpreters. The kernel drives
//! any [`Interpreter`]; the SQL engine is the kernel's, and tests can bring their own.

use futures::future::BoxFuture;
use serde_json::{Map, Value};

use crate::render::error::traceback;
pub(crate) use crate::sql::scan::Completeness;

/// A MIME bundle: what one output shows, keyed by MIME type (`text/plain`, `text/html`,
/// the Arrow data, a Vega-Lite chart), as Jupyter's `display_data` carries it.
pub(crate) type Bundle = Map<String, Value>;

/// One output of a cell.
#[derive(Debug, Clone)]
pub(crate) enum Output {
    /// The result of a statement before the last.
    Display(Bundle),
    /// The result of the cell's last statement.
    Result(Bundle),
    /// Something the user should know that is not a result (a warning about their token).
    Notice(String),
    /// Content kept under a display id: shown once, then updated in place (a long
    /// statement's progress bar).
    InPlace {
        display_id: String,
        data: Bundle,
        update: bool,
    },
    /// Clears the cell's outputs when the next one arrives (Jupyter's `clear_output` with
    /// `wait`), so that a transient display leaves nothing behind.
    Clear,
}

/// One match: the text that replaces the typed name, and what it is (`table`, `view`,
/// `column: bigint`, `function: substr(str, pos[, len])`, `keyword`…), as JupyterLab shows
/// it; the spaces of a kind are no-break spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Match {
    pub(crate) text: String,
    pub(crate) kind: String,
}

/// Completions for the name at the cursor, replacing the code points `start..end`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    pub(crate) matches: Vec<Match>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The key of a [`Bundle`] under which an output carries what goes in its message's
/// `transient` (never stored with the notebook) rather than in its `data`: a key no MIME
/// type can be. The kernel moves it there.
pub(crate) const TRANSIENT: &str = "#transient";

/// What arrives on a comm (Jupyter's `comm_open`, `comm_msg`, `comm_close`).
#[derive(Debug, Clone)]
pub(crate) enum CommEvent {
    Open { target: String, data: Value },
    Msg { data: Value },
    Close,
}

/// Sends one `comm_msg` with this data on the comm an event came on; callable from any task,
/// at any time after.
pub(crate) type CommSend = std::sync::Arc<dyn Fn(Value) + Send + Sync>;

/// Receives a cell's outputs as they come.
pub(crate) type OutputSink<'a> = &'a mut (dyn FnMut(Output) + Send);

/// A failed cell, in the shape of Jupyter's `error` output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CellError {
    pub(crate) ename: String,
    pub(crate) evalue: String,
    pub(crate) traceback: Vec<String>,
}

impl CellError {
    /// An error whose traceback is its name, its message, then `context` lines.
    pub(crate) fn new(ename: String, evalue: String, context: Vec<String>) -> CellError {
        let traceback = traceback(&ename, &evalue, context);
        CellError {
            ename,
            evalue,
            traceback,
        }
    }
}

pub(crate) trait Interpreter: Send + Sync {
    /// Runs a cell, handing each output to `sink` as it comes. A `silent` run's outputs are
    /// shown to nobody, so what the user must be told once (token warnings, a new session)
    /// waits for the next run that is not silent. `count` is the cell's execution count when
    /// it has one of its own (it is stored in history), by which later cells may name it.
    fn run_cell<'a>(
        &'a self,
        code: &'a str,
        silent: bool,
        count: Option<u64>,
        sink: OutputSink<'a>,
    ) -> BoxFuture<'a, Result<(), CellError>>;

    /// Completions for the code at `cursor` (code points).
    fn complete<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Completion>;

    /// What to show of the name at `cursor` (code points), as a MIME bundle.
    fn inspect<'a>(&'a self, code: &'a str, cursor: usize) -> BoxFuture<'a, Option<Bundle>>;

    /// Whether `code` is ready to run, for consoles.
    fn is_complete(&self, code: &str) -> Completeness;

    /// Whether `code` asks to leave (a console's `exit`); the kernel then asks the front end
    /// to close instead of running it.
    fn is_exit(&self, code: &str) -> bool;

    /// Stops the running cell.
    fn interrupt(&self);

    /// Handles a comm event without waiting for a running cell; answers go to `send`.
    /// `false` when the interpreter serves no comm of that target (the kernel closes it).
    fn comm(&self, _comm_id: &str, _event: CommEvent, _send: CommSend) -> bool {
        false
    }

    /// The comms open, by id, with their target.
    fn comms(&self) -> Vec<(String, String)> {
        Vec::new()
    }

    /// Stops running work and lets go of what the interpreter holds outside the process.
    fn shutdown(&self) -> BoxFuture<'_, ()>;
}
