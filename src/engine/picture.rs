//! Charts and profiles of a cell's last query: once its statement has gone to Spark (once),
//! SQL over its whole result runs here, each query under the cell's tag (so an interrupt
//! stops it on the server) with the progress display of any long statement.

use std::sync::Arc;

use futures::future::BoxFuture;

use super::error::EngineError;
use super::interrupt::{Epoch, Interrupts};
use super::outputs::CellOutputs;
use super::progress::ProgressDisplay;
use super::session::{Answer, Request, Session};
use crate::data::{Progress, QueryResult};
use crate::interpreter::CellError;
use crate::picture::over::Over;
use crate::spark::{SparkError, StatementRun};

/// Runs SQL over the result of one statement, for one cell.
pub(crate) struct SqlOver<'e, 's, 'a> {
    pub(super) interrupts: &'e Interrupts,
    pub(super) session: &'e Arc<dyn Session>,
    pub(super) run: &'e StatementRun,
    pub(super) tag: &'e str,
    pub(super) epoch: Epoch,
    pub(super) outputs: &'e mut CellOutputs<'s, 'a>,
    /// How many queries ran over the result (each one pass of Spark over it, or less).
    pub(crate) passes: usize,
    /// The magic and how many passes it plans, which its progress displays name.
    pub(crate) planned: Option<(&'static str, usize)>,
}

impl Over for SqlOver<'_, '_, '_> {
    fn query<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<QueryResult, CellError>> {
        Box::pin(self.run_sql(sql))
    }

    fn passes(&self) -> usize {
        self.passes
    }

    fn plan(&mut self, magic: &'static str, passes: usize) {
        self.planned = Some((magic, passes));
    }

    fn count_from_zero(&mut self) {
        self.passes = 0;
    }
}

impl SqlOver<'_, '_, '_> {
    /// Runs `sql` over the result, named `__kbase_result`, and returns its rows.
    async fn run_sql(&mut self, sql: &str) -> Result<QueryResult, CellError> {
        if self.interrupts.came_after(self.epoch) {
            return Err(EngineError::Cancelled.into());
        }
        self.passes += 1;
        tracing::debug!(sql, "SQL over a result");
        let label = self
            .planned
            .map(|(magic, of)| format!("{magic} pass {} of {}", self.passes, of.max(self.passes)));
        let mut progress = ProgressDisplay::labelled(label);
        let outputs = &mut *self.outputs;
        let result = {
            let mut on_progress = |p: &Progress| {
                if let Some(output) = progress.report(p) {
                    outputs.emit(output);
                }
            };
            let request = Request::Over {
                run: self.run,
                sql,
                tag: self.tag,
            };
            self.interrupts
                .until(self.epoch, self.session.run(request, &mut on_progress))
                .await
                .unwrap_or(Err(SparkError::Cancelled))
                .map(Answer::into_result)
        };
        self.outputs.statement_ended();
        result.map_err(|e| match e {
            SparkError::Cancelled => EngineError::Cancelled.into(),
            e => EngineError::PictureSql(Box::new(e)).into(),
        })
    }
}
