//! `%analyze` of a cell's last query: once its statement has gone to Spark (once, as for a
//! chart), the query runs to its end on the server under the cell's tag (so the stop button
//! stops it) with the progress display of any long statement; its first rows are shown as
//! usual, then how Spark ran it.

use std::sync::Arc;

use super::error::EngineError;
use super::interrupt::{Epoch, Interrupts};
use super::outputs::CellOutputs;
use super::progress::ProgressDisplay;
use super::session::{Request, Session};
use crate::data::Progress;
use crate::interpreter::Output;
use crate::picture::analyze::analyze;
use crate::render;
use crate::spark::{SparkError, StatementRun};

/// Runs `run`'s query to its end and shows its first `max_rows` rows, then its analysis.
pub(crate) async fn show(
    interrupts: &Interrupts,
    session: &Arc<dyn Session>,
    run: &StatementRun,
    max_rows: usize,
    tag: &str,
    epoch: Epoch,
    outputs: &mut CellOutputs<'_, '_>,
) -> Result<(), EngineError> {
    if interrupts.came_after(epoch) {
        return Err(EngineError::Cancelled);
    }
    let mut progress = ProgressDisplay::start();
    let analyzed = {
        let mut on_progress = |p: &Progress| {
            if let Some(output) = progress.report(p) {
                outputs.emit(output);
            }
        };
        let request = Request::Analyze { run, max_rows, tag };
        interrupts
            .until(epoch, session.run(request, &mut on_progress))
            .await
            .unwrap_or(Err(SparkError::Cancelled))
    };
    outputs.statement_ended();
    let analyzed = analyzed.map_err(|e| match e {
        SparkError::Cancelled => EngineError::Cancelled,
        e => EngineError::AnalyzeSql(Box::new(e)),
    })?;
    let analyzed = analyzed.into_analyzed().ok_or(EngineError::NoMetrics)?;
    outputs.emit(Output::Display(render::result_bundle(&analyzed.result)));
    let analysis = analyze(&analyzed).ok_or(EngineError::NoMetrics)?;
    outputs.emit(Output::Result(render::picture::analyze::bundle(&analysis)));
    Ok(())
}
