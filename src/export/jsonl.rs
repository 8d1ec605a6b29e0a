//! JSON lines: one object per row, keys in column order. Booleans, integers and finite
//! floating-point numbers are JSON values; NULL is `null`; every other value is a string as
//! the tables show it (decimals keep every digit that way, which a JSON number might not).

use std::io::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::{Int8Type, Int16Type, Int32Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, SchemaRef};
use serde_json::Value;

use super::counting::CountingFile;
use super::text::text;
use super::writer::FormatWriter;
use crate::data::SqlType;

pub(crate) struct JsonLinesWriter {
    out: CountingFile,
    /// Each column's name, already a JSON string with its colon.
    keys: Vec<String>,
    types: Vec<SqlType>,
    line: String,
}

impl JsonLinesWriter {
    pub(crate) fn new(out: CountingFile, schema: &SchemaRef, types: &[SqlType]) -> JsonLinesWriter {
        let keys = schema
            .fields()
            .iter()
            .map(|f| format!("{}:", Value::String(f.name().clone())))
            .collect();
        JsonLinesWriter {
            out,
            keys,
            types: types.to_vec(),
            line: String::new(),
        }
    }
}

/// The JSON value at `row`.
fn json(array: &ArrayRef, row: usize, sql_type: &SqlType) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    // Through the table's text, the shortest that reads back to the same float; NaN and
    // the infinities, which JSON has no number for, stay strings.
    let float = || {
        text(array, row, sql_type)
            .and_then(|t| t.parse::<serde_json::Number>().ok())
            .map(Value::Number)
    };
    let number = match array.data_type() {
        DataType::Boolean => Some(Value::Bool(array.as_boolean().value(row))),
        DataType::Int8 => Some(Value::from(array.as_primitive::<Int8Type>().value(row))),
        DataType::Int16 => Some(Value::from(array.as_primitive::<Int16Type>().value(row))),
        DataType::Int32 => Some(Value::from(array.as_primitive::<Int32Type>().value(row))),
        DataType::Int64 => Some(Value::from(array.as_primitive::<Int64Type>().value(row))),
        DataType::Float32 | DataType::Float64 => float(),
        _ => None,
    };
    number.unwrap_or_else(|| text(array, row, sql_type).map_or(Value::Null, Value::String))
}

impl FormatWriter for JsonLinesWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<(), String> {
        for row in 0..batch.num_rows() {
            self.line.clear();
            self.line.push('{');
            for (i, ((column, t), key)) in batch.columns().iter().zip(&self.types).zip(&self.keys).enumerate() {
                if i > 0 {
                    self.line.push(',');
                }
                self.line.push_str(key);
                self.line.push_str(&json(column, row, t).to_string());
            }
            self.line.push_str("}\n");
            self.out.write_all(self.line.as_bytes()).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        self.out.close().map_err(|e| e.to_string())
    }
}
