//! What every file format's writer does, so the export drives any of them alike.

use arrow_array::RecordBatch;

/// Writes batches in one format; errors are said in words for the user.
pub(crate) trait FormatWriter: Send {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String>;
    fn finish(self: Box<Self>) -> Result<(), String>;
}
