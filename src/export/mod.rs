//! Writing the whole result of a query to a file, batch by batch as it streams from the
//! server, so memory stays flat however large the result: Parquet and Arrow IPC keep
//! Spark's types, CSV and JSON lines write values as the tables show them. The file is
//! written aside and renamed into place when complete, so it is whole or absent. Knows no
//! Spark protocol: it is a [`BatchSink`] the engine hands to the session.

mod counting;
mod delimited;
mod error;
mod format;
mod jsonl;
mod target;
mod text;
mod writer;

use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use tempfile::TempPath;

use crate::data::{BatchSink, SqlType};
pub(crate) use counting::Counters;
use counting::CountingFile;
pub(crate) use error::ExportError;
pub(crate) use target::Target;
use writer::FormatWriter;

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    pub(crate) path: String,
    pub(crate) rows: u64,
    pub(crate) bytes: u64,
}

/// One export under way: a temporary file beside the target, removed unless the export
/// completes (an error, an interrupt, a dropped cell all leave no file).
pub(crate) struct Export {
    target: Target,
    file: Option<CountingFile>,
    writer: Option<Box<dyn FormatWriter>>,
    counters: Arc<Counters>,
    error: Option<ExportError>,
    /// The file being written, removed when dropped unless moved into place; declared
    /// last, so the file is closed first.
    temporary: Option<TempPath>,
}

impl Export {
    /// Starts an export to `target` (already checked): creates the temporary file, which
    /// also proves the directory writable before any query runs.
    pub(crate) fn start(target: Target) -> Result<Export, ExportError> {
        let (file, temporary) = target
            .temporary()
            .map_err(|e| ExportError::Path(format!("cannot write in {}: {e}", target.directory_shown())))?;
        Ok(Export {
            target,
            file: Some(CountingFile::new(file)),
            writer: None,
            counters: Arc::new(Counters::default()),
            error: None,
            temporary: Some(temporary),
        })
    }

    pub(crate) fn counters(&self) -> Arc<Counters> {
        self.counters.clone()
    }

    /// The error that stopped the export, if one did.
    pub(crate) fn take_error(&mut self) -> Option<ExportError> {
        self.error.take()
    }

    fn write(&mut self, types: &[SqlType], batch: &RecordBatch) -> Result<(), ExportError> {
        if self.writer.is_none() {
            self.open(batch.schema(), types)?;
        }
        if let Some(w) = self.writer.as_mut() {
            w.write(batch).map_err(|e| self.target.write_error(e))?;
        }
        self.counters.rows.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        Ok(())
    }

    fn open(&mut self, schema: SchemaRef, types: &[SqlType]) -> Result<(), ExportError> {
        // No format holds rows without columns (a CSV would be one blank line).
        if schema.fields().is_empty() {
            return Err(ExportError::NoColumns);
        }
        let file = self
            .file
            .take()
            .ok_or_else(|| self.target.write_error("the file is already closed".into()))?
            .counting(self.counters.clone());
        self.writer = Some(format::writer(self.target.format, file, schema, types)?);
        Ok(())
    }

    /// Ends the export: completes the file and renames it into place. `schema` and
    /// `types` serve a result without any batch (the file still gets its columns).
    pub(crate) fn finish(mut self, schema: SchemaRef, types: &[SqlType]) -> Result<Written, ExportError> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.writer.is_none() {
            self.open(schema, types)?;
        }
        if let Some(w) = self.writer.take() {
            w.finish().map_err(|e| self.target.write_error(e))?;
        }
        let temporary = self
            .temporary
            .take()
            .ok_or_else(|| self.target.write_error("the file is already closed".into()))?;
        self.target.commit(temporary)?;
        Ok(Written {
            path: self.target.shown.clone(),
            rows: self.counters.rows.load(Ordering::Relaxed),
            bytes: std::fs::metadata(&self.target.path).map_or(0, |m| m.len()),
        })
    }
}

impl BatchSink for Export {
    fn batch(&mut self, types: &[SqlType], batch: &RecordBatch) -> ControlFlow<()> {
        match self.write(types, batch) {
            Ok(()) => ControlFlow::Continue(()),
            Err(e) => {
                self.error = Some(e);
                ControlFlow::Break(())
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests;
