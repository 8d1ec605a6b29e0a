//! `%analyze` of a cell's last query: once its statement has gone to Spark (once, as for a
//! chart), the query runs to its end on the server under the cell's tag (so the stop button
//! stops it) with the progress display of any long statement; its first rows are shown as
//! usual, then how Spark ran it.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::outputs::CellOutputs;
use super::progress::ProgressDisplay;
use super::session::Session;
use super::{CellError, Engine, Output, cancelled};
use crate::data::Progress;
use crate::picture::analyze::analyze;
use crate::render;
use crate::spark::{SparkError, StatementRun};

/// Runs `run`'s query to its end and shows its first `max_rows` rows, then its analysis.
pub(crate) async fn show(
    engine: &Engine,
    session: &Arc<dyn Session>,
    run: &StatementRun,
    max_rows: usize,
    tag: &str,
    epoch: u64,
    outputs: &mut CellOutputs<'_, '_>,
) -> Result<(), CellError> {
    if engine.interrupts.load(Ordering::SeqCst) != epoch {
        return Err(cancelled());
    }
    let mut progress = ProgressDisplay::start();
    let analyzed = {
        let mut on_progress = |p: &Progress| {
            if let Some(output) = progress.report(p) {
                outputs.emit(output);
            }
        };
        let call = session.sql_analyzed(run, max_rows, tag, &mut on_progress);
        engine
            .until_interrupted(epoch, call)
            .await
            .unwrap_or(Err(SparkError::Cancelled))
    };
    outputs.statement_ended();
    let analyzed = analyzed.map_err(|e| match e {
        SparkError::Cancelled => cancelled(),
        e => CellError::new(
            e.name(),
            format!("Spark could not run the query to its end: {}", e.to_string().trim()),
            Vec::new(),
        ),
    })?;
    outputs.emit(Output::Display(render::result_bundle(&analyzed.result)));
    let analysis = analyze(&analyzed).ok_or_else(|| {
        CellError::new(
            "NoMetrics".into(),
            "%analyze: the Spark server sent no execution metrics for this query, so there is nothing to show \
             of how it ran (its rows are above)"
                .into(),
            Vec::new(),
        )
    })?;
    outputs.emit(Output::Result(render::analyze::bundle(&analysis)));
    Ok(())
}
