//! Where the whole result of a statement can flow, batch by batch, as it streams from the
//! server: the seam between the Spark client, which reads the stream, and whoever keeps it
//! (an export to a file), so that neither holds the whole result in memory.

use std::ops::ControlFlow;

use arrow_array::RecordBatch;

use super::sql_type::SqlType;

pub(crate) trait BatchSink: Send {
    /// Receives the next batch (its schema carries each column's Spark type in the field
    /// metadata; `types` are the same as data). `Break` stops the stream.
    fn batch(&mut self, types: &[SqlType], batch: &RecordBatch) -> ControlFlow<()>;
}
