//! Charts and profiles of a cell's last query: once its statement has gone to Spark (once),
//! SQL over its whole result runs here, each query under the cell's tag (so an interrupt
//! stops it on the server) with the progress display of any long statement.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::future::BoxFuture;

use super::outputs::CellOutputs;
use super::progress::ProgressDisplay;
use super::session::Session;
use super::{Engine, cancelled};
use crate::data::{Progress, QueryResult};
use crate::interpreter::CellError;
use crate::magic;
use crate::picture::over::Over;
use crate::spark::{SparkError, StatementRun};

/// Runs SQL over the result of one statement, for one cell.
pub(crate) struct SqlOver<'e, 's, 'a> {
    pub(super) engine: &'e Engine,
    pub(super) session: &'e Arc<dyn Session>,
    pub(super) run: &'e StatementRun,
    pub(super) tag: &'e str,
    pub(super) epoch: u64,
    pub(super) outputs: &'e mut CellOutputs<'s, 'a>,
    /// How many queries ran over the result (each one pass of Spark over it, or less).
    pub(crate) passes: usize,
}

impl Over for SqlOver<'_, '_, '_> {
    fn query<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<QueryResult, CellError>> {
        Box::pin(self.run_sql(sql))
    }

    fn passes(&self) -> usize {
        self.passes
    }

    fn count_from_zero(&mut self) {
        self.passes = 0;
    }
}

impl SqlOver<'_, '_, '_> {
    /// Runs `sql` over the result, named `__kbase_result`, and returns its rows.
    async fn run_sql(&mut self, sql: &str) -> Result<QueryResult, CellError> {
        if self.engine.interrupts.load(Ordering::SeqCst) != self.epoch {
            return Err(cancelled());
        }
        self.passes += 1;
        tracing::debug!(sql, "SQL over a result");
        let mut progress = ProgressDisplay::start();
        let outputs = &mut *self.outputs;
        let result = {
            let mut on_progress = |p: &Progress| {
                if let Some(output) = progress.report(p) {
                    outputs.emit(output);
                }
            };
            let call = self.session.sql_over(self.run, sql, self.tag, &mut on_progress);
            self.engine
                .until_interrupted(self.epoch, call)
                .await
                .unwrap_or(Err(SparkError::Cancelled))
        };
        self.outputs.statement_ended();
        result.map_err(|e| match e {
            SparkError::Cancelled => cancelled(),
            e => CellError::new(
                e.name(),
                format!("Spark could not compute this: {}", e.to_string().trim()),
                Vec::new(),
            ),
        })
    }
}

/// The error of a chart or profile of a statement that is not a query.
pub(crate) fn not_a_query(magics: &magic::Magics) -> CellError {
    let magic = if magics.chart.is_some() { "%chart" } else { "%profile" };
    CellError::new(
        "NotAQuery".into(),
        format!(
            "{magic} needs a query (SELECT, WITH, VALUES, TABLE…), and the cell's last statement is a command: \
             it ran once, as usual, and has no result to draw"
        ),
        Vec::new(),
    )
}
