//! The `application/vnd.apache.arrow.stream` output: the rows shown, exactly, as a base64
//! Arrow IPC stream with the result's schema, for tools that read notebooks as data.

use arrow_array::RecordBatch;
use arrow_ipc::writer::StreamWriter;
use arrow_schema::{ArrowError, SchemaRef};
use base64::Engine as _;

pub fn render(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<String, ArrowError> {
    let mut writer = StreamWriter::try_new(Vec::new(), schema)?;
    for b in batches {
        writer.write(b)?;
    }
    let bytes = writer.into_inner()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}
