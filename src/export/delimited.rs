//! CSV as RFC 4180 has it: a header of column names, CRLF line ends, and a field quoted
//! (quotes doubled) when it holds a comma, a quote or a line break. NULL is an empty
//! field; an empty string is `""`, so the two stay apart.

use std::io::Write;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::counting::CountingFile;
use super::text::text;
use super::writer::FormatWriter;
use crate::data::SqlType;

pub(crate) struct CsvWriter {
    out: CountingFile,
    types: Vec<SqlType>,
    line: String,
    /// The header line, until it is written with the first rows (or at the end).
    header: Option<String>,
}

/// Appends `field` to `line`, quoted when it must be.
pub(crate) fn push_field(line: &mut String, field: Option<&str>) {
    match field {
        None => {}
        Some(s) if s.is_empty() || s.contains([',', '"', '\r', '\n']) => {
            line.push('"');
            line.push_str(&s.replace('"', "\"\""));
            line.push('"');
        }
        Some(s) => line.push_str(s),
    }
}

impl CsvWriter {
    pub(crate) fn new(out: CountingFile, schema: &SchemaRef, types: &[SqlType]) -> CsvWriter {
        let mut header = String::new();
        for (i, f) in schema.fields().iter().enumerate() {
            if i > 0 {
                header.push(',');
            }
            push_field(&mut header, Some(f.name()));
        }
        header.push_str("\r\n");
        CsvWriter {
            out,
            types: types.to_vec(),
            line: String::new(),
            header: Some(header),
        }
    }

    fn write_header(&mut self) -> Result<(), String> {
        match self.header.take() {
            Some(h) => self.out.write_all(h.as_bytes()).map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

impl FormatWriter for CsvWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.write_header()?;
        for row in 0..batch.num_rows() {
            self.line.clear();
            for (i, (column, t)) in batch.columns().iter().zip(&self.types).enumerate() {
                if i > 0 {
                    self.line.push(',');
                }
                push_field(&mut self.line, text(column, row, t).as_deref());
            }
            self.line.push_str("\r\n");
            self.out.write_all(self.line.as_bytes()).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.write_header()?;
        self.out.close().map_err(|e| e.to_string())
    }
}
