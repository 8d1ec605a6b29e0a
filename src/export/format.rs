//! The file formats, chosen by extension, and the two that keep Spark's types as Arrow
//! holds them: Parquet (Snappy-compressed) and the Arrow IPC file format.

use arrow_array::RecordBatch;
use arrow_ipc::writer::FileWriter;
use arrow_schema::{DataType, IntervalUnit, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::counting::CountingFile;
use super::delimited::CsvWriter;
use super::error::ExportError;
use super::jsonl::JsonLinesWriter;
use super::writer::FormatWriter;
use crate::data::SqlType;

/// A Parquet row group ends at this many rows (what pyarrow and pandas write) or when its
/// encoded size reaches [`ROW_GROUP_BYTES`], whichever comes first. The group being built is
/// held in memory, so the byte bound keeps memory flat for wide rows too. Groups much smaller
/// than this compress worse: each starts its dictionaries afresh, and a column of distinct
/// values is then stored as a dictionary plus indices (a third larger for the benchmark's
/// result at 128 Ki rows a group).
const ROW_GROUP_ROWS: usize = 1024 * 1024;
const ROW_GROUP_BYTES: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Parquet,
    Csv,
    Arrow,
    JsonLines,
}

impl Format {
    /// The format a file name asks for, by its extension.
    pub(crate) fn of(path: &str) -> Option<Format> {
        let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "parquet" => Some(Format::Parquet),
            "csv" => Some(Format::Csv),
            "arrow" => Some(Format::Arrow),
            "jsonl" => Some(Format::JsonLines),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Format::Parquet => "Parquet",
            Format::Csv => "CSV",
            Format::Arrow => "Arrow",
            Format::JsonLines => "JSON lines",
        }
    }
}

pub(crate) fn writer(
    format: Format,
    file: CountingFile,
    schema: SchemaRef,
    types: &[SqlType],
) -> Result<Box<dyn FormatWriter>, ExportError> {
    let unsupported = |detail: String| {
        let column = schema
            .fields()
            .iter()
            .zip(types)
            .find(|(f, _)| matches!(f.data_type(), DataType::Interval(IntervalUnit::MonthDayNano)));
        ExportError::Unsupported {
            format: format.name(),
            column: column.map_or_else(|| "?".into(), |(f, _)| f.name().clone()),
            sql_type: column.map_or_else(|| "?".into(), |(_, t)| t.to_string()),
            detail,
        }
    };
    Ok(match format {
        Format::Parquet => {
            if schema
                .fields()
                .iter()
                .any(|f| matches!(f.data_type(), DataType::Interval(IntervalUnit::MonthDayNano)))
            {
                return Err(unsupported("Parquet has no such interval".into()));
            }
            let properties = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                .set_max_row_group_bytes(Some(ROW_GROUP_BYTES))
                .build();
            let w =
                ArrowWriter::try_new(file, schema.clone(), Some(properties)).map_err(|e| unsupported(e.to_string()))?;
            Box::new(ParquetWriter(w))
        }
        Format::Arrow => {
            let w = FileWriter::try_new(file, &schema).map_err(|e| unsupported(e.to_string()))?;
            Box::new(ArrowFileWriter(w))
        }
        Format::Csv => Box::new(CsvWriter::new(file, &schema, types)),
        Format::JsonLines => Box::new(JsonLinesWriter::new(file, &schema, types)),
    })
}

struct ParquetWriter(ArrowWriter<CountingFile>);

impl FormatWriter for ParquetWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        let file = self.0.into_inner().map_err(|e| e.to_string())?;
        file.close().map_err(|e| e.to_string())
    }
}

struct ArrowFileWriter(FileWriter<CountingFile>);

impl FormatWriter for ArrowFileWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        self.0.write(batch).map_err(|e| e.to_string())
    }

    fn finish(mut self: Box<Self>) -> Result<(), String> {
        self.0.finish().map_err(|e| e.to_string())?;
        let file = self.0.into_inner().map_err(|e| e.to_string())?;
        file.close().map_err(|e| e.to_string())
    }
}
