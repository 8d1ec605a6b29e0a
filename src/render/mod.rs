//! How results look in a notebook. One Arrow result set becomes one MIME bundle: an HTML
//! table, a text table and the Arrow data itself, both tables built from the same [`Table`]
//! of formatted cells; beside it, the look of a statement's progress and of an error.
//! Render reads results as the neutral `data` types and knows nothing of Spark's protocol.

pub mod arrow;
pub(crate) mod describe;
pub(crate) mod error;
pub(crate) mod help;
pub mod html;
pub(crate) mod picture;
pub(crate) mod progress;
mod table;
pub mod text;
pub(crate) mod value;
pub(crate) mod written;

use arrow_array::RecordBatch;
use serde_json::{Map, Value, json};

use crate::data::QueryResult;
use crate::interpreter::Bundle;
pub use table::Table;

pub(crate) const ARROW_MIME: &str = "application/vnd.apache.arrow.stream";

/// A result's outputs together may take about this many bytes; past it, rows are dropped
/// (with a notice) so that one cell cannot bloat a notebook beyond what Jupyter handles well.
pub(crate) const MAX_OUTPUT_BYTES: usize = 5 << 20;

/// The budget a result's rows are fetched within: no row past it could be shown.
pub(crate) const RESULT_BUDGET: crate::data::Budget = crate::data::Budget {
    bytes: MAX_OUTPUT_BYTES,
    cost: table::least_output_bytes,
};

/// The MIME bundle of one result set, within [`MAX_OUTPUT_BYTES`]. Only the rows that fit
/// are formatted; when the outputs still come out too large, fewer rows are shown.
pub fn result_bundle(result: &QueryResult) -> Bundle {
    let mut table = Table::within(result, MAX_OUTPUT_BYTES);
    loop {
        let bundle = bundle_of(result, &table);
        let size: usize = bundle.values().filter_map(Value::as_str).map(str::len).sum();
        let rows = table.len();
        if size <= MAX_OUTPUT_BYTES || rows <= 1 {
            return bundle;
        }
        // Rows cost about the same each: keep the share that fits, with a margin.
        let keep = (rows as f64 * MAX_OUTPUT_BYTES as f64 / size as f64 * 0.9).floor() as usize;
        table.truncate(keep.clamp(1, rows - 1));
        table.more = true;
        table.size_cut = true;
    }
}

/// Rows a text table holds at most: past the usual display limit, a text table is too long
/// to read in a console and would only double what a notebook stores; the HTML table and
/// the Arrow data keep every row shown.
pub(crate) const TEXT_ROWS: usize = 1000;

/// The text table of `table`: its first [`TEXT_ROWS`] rows, saying where the others are.
fn text_of(table: &Table) -> String {
    if table.len() <= TEXT_ROWS {
        return text::render(table);
    }
    let mut out = text::render_first(table, TEXT_ROWS);
    let all = crate::picture::columns::thousands(table.len() as u64);
    out.push_str(&format!(
        "\nfirst {} of the {all} rows shown as text; the HTML table and the Arrow data hold all {all}",
        crate::picture::columns::thousands(TEXT_ROWS as u64),
    ));
    if let Some(notice) = table.notice() {
        out.push('\n');
        out.push_str(&notice);
    }
    out
}

/// Cells past which the three forms of a result are built at once, each on a thread of its
/// own: below it, starting threads costs more than it saves.
const CONCURRENT_CELLS: usize = 5_000;

fn bundle_of(result: &QueryResult, table: &Table) -> Bundle {
    let arrow = || arrow::render(&result.schema, &first_rows(&result.batches, table.len()));
    let (text, html, arrow) = if table.len() * table.columns.len().max(1) < CONCURRENT_CELLS {
        (text_of(table), html::render(table), arrow())
    } else {
        std::thread::scope(|scope| {
            let html = scope.spawn(|| html::render(table));
            let arrow = scope.spawn(arrow);
            let text = text_of(table);
            let html = html.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let arrow = arrow.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (text, html, arrow)
        })
    };
    let mut bundle = Map::new();
    bundle.insert("text/plain".into(), json!(text));
    bundle.insert("text/html".into(), json!(html));
    match arrow {
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

/// A bundle of the same content as text and as HTML.
pub(crate) fn text_and_html(text: String, html: String) -> Bundle {
    let mut data = Map::new();
    data.insert("text/plain".into(), json!(text));
    data.insert("text/html".into(), json!(html));
    data
}

/// The bundle of a statement that returns no columns (DDL, most commands).
pub(crate) fn done_bundle() -> Bundle {
    text_and_html(
        "OK".into(),
        "<div style=\"color:var(--jp-ui-font-color2);font-size:var(--jp-ui-font-size1)\">OK</div>".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::StringArray;
    use arrow_schema::{DataType, Field, Schema};
    use std::sync::Arc;

    #[test]
    fn the_html_of_a_mixed_result_stays_within_three_times_its_text() {
        use arrow_array::{ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array};
        let n = 1000;
        let columns: Vec<(&str, ArrayRef)> = vec![
            ("id", Arc::new(Int64Array::from_iter_values(0..n))),
            (
                "ratio",
                Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 / 7.0))),
            ),
            (
                "amount",
                Arc::new(
                    Decimal128Array::from_iter_values((0..n).map(i128::from))
                        .with_precision_and_scale(12, 2)
                        .unwrap(),
                ),
            ),
            (
                "name",
                Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("name-{i}")))),
            ),
            (
                "maybe",
                Arc::new(Int64Array::from_iter((0..n).map(|i| (i % 3 != 0).then_some(i % 7)))),
            ),
            (
                "day",
                Arc::new(Date32Array::from_iter_values((0..n).map(|i| 19_000 + i as i32))),
            ),
            (
                "even",
                Arc::new(BooleanArray::from_iter((0..n).map(|i| Some(i % 2 == 0)))),
            ),
            (
                "code",
                Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("{:x}", i * 7919)))),
            ),
            (
                "pad",
                Arc::new(StringArray::from_iter_values(
                    (0..n).map(|i| "x".repeat(i as usize % 20)),
                )),
            ),
            ("small", Arc::new(Int64Array::from_iter_values((0..n).map(|i| i % 10)))),
        ];
        let schema = Arc::new(Schema::new(
            columns
                .iter()
                .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
        let bundle = result_bundle(&QueryResult::new(schema, vec![batch], false));
        let html = bundle["text/html"].as_str().unwrap().len();
        let text = bundle["text/plain"].as_str().unwrap().len();
        assert!(html <= 3 * text, "html {html} bytes, text {text} bytes");
    }

    #[test]
    fn a_long_result_keeps_every_row_in_html_and_arrow_and_the_first_thousand_as_text() {
        use arrow_array::Int64Array;
        let schema = Arc::new(Schema::new(vec![Field::new("id", DataType::Int64, false)]));
        let result = |n: i64, more: bool| {
            let batch =
                RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from_iter_values(0..n))]).unwrap();
            QueryResult::new(schema.clone(), vec![batch], more)
        };
        // Up to the usual limit, the text table is whole, as before.
        let bundle = result_bundle(&result(1000, false));
        assert_eq!(
            bundle["text/plain"].as_str().unwrap(),
            text::render(&Table::new(&result(1000, false)))
        );
        let bundle = result_bundle(&result(5000, true));
        let text = bundle["text/plain"].as_str().unwrap();
        assert_eq!(
            text.lines().filter(|l| l.starts_with('|')).count(),
            1001,
            "header and 1,000 rows"
        );
        assert!(text.contains("|999|") && !text.contains("|1000|"));
        assert!(
            text.ends_with(
                "first 1,000 of the 5,000 rows shown as text; the HTML table and the Arrow data hold all 5,000\n\
                 first 5,000 rows shown — more available: %limit N shows more, %export PATH writes them all"
            ),
            "{}",
            &text[text.len() - 300..]
        );
        let html = bundle["text/html"].as_str().unwrap();
        assert_eq!(html.matches("<tr>").count(), 5001);
        use base64::Engine as _;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(bundle[ARROW_MIME].as_str().unwrap())
            .unwrap();
        let reader = arrow_ipc::reader::StreamReader::try_new(std::io::Cursor::new(bytes), None).unwrap();
        let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
        assert_eq!(rows, 5000);
    }

    #[test]
    fn the_forms_built_at_once_are_those_built_one_after_another() {
        use arrow_array::{ArrayRef, Int64Array};
        let n = 10_000;
        let columns: Vec<ArrayRef> = (0..10)
            .map(|c| Arc::new(Int64Array::from_iter((0..n).map(|i| (i % 7 != c).then_some(i * c)))) as ArrayRef)
            .collect();
        let schema = Arc::new(Schema::new(
            (0..10)
                .map(|c| Field::new(format!("c{c}"), DataType::Int64, true))
                .collect::<Vec<_>>(),
        ));
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        let result = QueryResult::new(schema.clone(), vec![batch.clone()], true);
        let table = Table::within(&result, MAX_OUTPUT_BYTES);
        assert!(table.len() * table.columns.len() >= CONCURRENT_CELLS);
        let bundle = result_bundle(&result);
        assert_eq!(bundle["text/plain"].as_str().unwrap(), text_of(&table));
        assert_eq!(bundle["text/html"].as_str().unwrap(), html::render(&table));
        assert_eq!(
            bundle[ARROW_MIME].as_str().unwrap(),
            arrow::render(&schema, &[batch]).unwrap()
        );
    }

    #[test]
    fn a_result_too_large_for_a_notebook_is_cut_with_a_notice() {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, false)]));
        let big = "x".repeat(100_000);
        let column = StringArray::from(vec![big.as_str(); 100]);
        let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(column)]).unwrap();
        let bundle = result_bundle(&QueryResult::new(schema, vec![batch], false));
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
