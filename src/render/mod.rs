//! Turns one Arrow result set into one MIME bundle: an HTML table, a text table and the
//! Arrow data itself. Both tables are built from the same [`Table`] of formatted cells.

pub mod arrow;
pub mod html;
pub mod text;
pub mod value;

use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use serde_json::{Map, Value, json};

use value::Cell;

pub const ARROW_MIME: &str = "application/vnd.apache.arrow.stream";

/// One column's heading.
#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub type_name: String,
    pub numeric: bool,
}

/// A result set as formatted cells, ready for any output format.
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Cell>>,
    /// True when the result had more rows than are shown.
    pub more: bool,
}

impl Table {
    pub fn new(schema: &SchemaRef, batches: &[RecordBatch], more: bool) -> Table {
        let columns = schema
            .fields()
            .iter()
            .map(|f| Column {
                name: f.name().clone(),
                type_name: value::spark_type_name(f.data_type()),
                numeric: value::is_numeric(f.data_type()),
            })
            .collect();
        let mut rows = Vec::new();
        for b in batches {
            for r in 0..b.num_rows() {
                rows.push(b.columns().iter().map(|a| value::cell(a, r)).collect());
            }
        }
        Table { columns, rows, more }
    }

    pub fn row_count(&self) -> String {
        match self.rows.len() {
            1 => "1 row".into(),
            n => format!("{n} rows"),
        }
    }

    /// The notice shown when rows were cut at the display limit.
    pub fn notice(&self) -> Option<String> {
        self.more
            .then(|| format!("first {} shown — more available", self.row_count()))
    }
}

/// The MIME bundle of one result set.
pub fn result_bundle(schema: &SchemaRef, batches: &[RecordBatch], more: bool, elapsed: Duration) -> Map<String, Value> {
    let table = Table::new(schema, batches, more);
    let mut bundle = Map::new();
    bundle.insert("text/plain".into(), json!(text::render(&table)));
    bundle.insert("text/html".into(), json!(html::render(&table, elapsed)));
    match arrow::render(schema, batches) {
        Ok(data) => {
            bundle.insert(ARROW_MIME.into(), json!(data));
        }
        Err(e) => tracing::warn!("could not encode the Arrow output: {e}"),
    }
    bundle
}

/// The bundle of a statement that returns no columns (DDL, most commands).
pub fn done_bundle(elapsed: Duration) -> Map<String, Value> {
    let mut bundle = Map::new();
    bundle.insert("text/plain".into(), json!("OK"));
    bundle.insert(
        "text/html".into(),
        json!(format!(
            "<div style=\"color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1)\">OK · {:.2} s</div>",
            elapsed.as_secs_f64()
        )),
    );
    bundle
}
