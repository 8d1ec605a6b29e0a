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
    /// True when rows were dropped to keep the output a reasonable size.
    pub size_cut: bool,
}

impl Table {
    pub fn new(schema: &SchemaRef, batches: &[RecordBatch], more: bool) -> Table {
        let columns = schema
            .fields()
            .iter()
            .map(|f| Column {
                name: f.name().clone(),
                type_name: f
                    .metadata()
                    .get(value::TYPE_NAME_KEY)
                    .cloned()
                    .unwrap_or_else(|| value::spark_type_name(f.data_type())),
                numeric: value::is_numeric(f.data_type()),
            })
            .collect::<Vec<Column>>();
        let mut rows = Vec::new();
        for b in batches {
            for r in 0..b.num_rows() {
                rows.push(
                    b.columns()
                        .iter()
                        .zip(&columns)
                        .map(|(a, c)| value::cell(a, r, Some(&c.type_name)))
                        .collect(),
                );
            }
        }
        Table {
            columns,
            rows,
            more,
            size_cut: false,
        }
    }

    pub fn row_count(&self) -> String {
        match self.rows.len() {
            1 => "1 row".into(),
            n => format!("{n} rows"),
        }
    }

    /// The notice shown when rows were cut at the display limit.
    pub fn notice(&self) -> Option<String> {
        let why = if self.size_cut {
            " (the output size limit of a notebook cell)"
        } else {
            ""
        };
        self.more
            .then(|| format!("first {} shown{why} — more available", self.row_count()))
    }
}

/// A result's outputs together may take about this many bytes; past it, rows are dropped
/// (with a notice) so that one cell cannot bloat a notebook beyond what Jupyter handles well.
pub const MAX_OUTPUT_BYTES: usize = 5 << 20;

/// The MIME bundle of one result set, within [`MAX_OUTPUT_BYTES`].
pub fn result_bundle(schema: &SchemaRef, batches: &[RecordBatch], more: bool, elapsed: Duration) -> Map<String, Value> {
    let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let bundle = bundle_of(schema, batches, more, false, elapsed);
    let size: usize = bundle.values().filter_map(Value::as_str).map(str::len).sum();
    if size <= MAX_OUTPUT_BYTES || rows <= 1 {
        return bundle;
    }
    // Rows cost about the same each: keep the share that fits, with a margin.
    let keep = (rows as f64 * MAX_OUTPUT_BYTES as f64 / size as f64 * 0.9)
        .floor()
        .max(1.0) as usize;
    bundle_of(schema, &first_rows(batches, keep), true, true, elapsed)
}

fn bundle_of(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    more: bool,
    size_cut: bool,
    elapsed: Duration,
) -> Map<String, Value> {
    let mut table = Table::new(schema, batches, more);
    table.size_cut = size_cut;
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

fn first_rows(batches: &[RecordBatch], mut n: usize) -> Vec<RecordBatch> {
    let mut out = Vec::new();
    for b in batches {
        if n == 0 {
            break;
        }
        let take = n.min(b.num_rows());
        out.push(b.slice(0, take));
        n -= take;
    }
    out
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

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn a_result_too_large_for_a_notebook_is_cut_with_a_notice() {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
        let big = "x".repeat(100_000);
        let column = StringArray::from(vec![big.as_str(); 100]);
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(column)]).unwrap();
        let bundle = result_bundle(&schema, &[batch], false, Duration::ZERO);
        let size: usize = bundle.values().filter_map(Value::as_str).map(str::len).sum();
        assert!(size <= MAX_OUTPUT_BYTES, "{size}");
        let text = bundle["text/plain"].as_str().unwrap();
        assert!(
            text.contains("shown (the output size limit of a notebook cell) — more available"),
            "{}",
            &text[text.len() - 200..]
        );
    }
}
