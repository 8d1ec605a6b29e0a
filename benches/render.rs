//! Rendering speed: one result of 1,000 rows × 20 columns of mixed Spark types, turned into
//! the HTML table, the text table, the Arrow output, and the whole MIME bundle.

// Building the benchmark's fixed input cannot fail; a panic here only stops the benchmark.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use arrow_array::builder::{Int32Builder, ListBuilder, StringBuilder};
use arrow_array::*;
use arrow_schema::{DataType, Field, Fields, Schema};
use criterion::{Criterion, criterion_group, criterion_main};
use kbase_spark_sql_kernel::data::QueryResult;
use kbase_spark_sql_kernel::render::{self, Table};

const ROWS: usize = 1000;

fn result() -> (Arc<Schema>, RecordBatch) {
    let n = ROWS as i64;
    let ints: Vec<i64> = (0..n).collect();
    let mut list = ListBuilder::new(Int32Builder::new());
    for i in 0..ROWS as i32 {
        list.append_value([Some(i), None, Some(i * 2)]);
    }
    let mut tags = StringBuilder::new();
    for i in 0..ROWS {
        if i % 7 == 0 {
            tags.append_null()
        } else {
            tags.append_value(format!("tag-{i}"))
        }
    }
    let point = StructArray::from(vec![
        (
            Arc::new(Field::new("x", DataType::Float64, true)),
            Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 / 3.0))) as ArrayRef,
        ),
        (
            Arc::new(Field::new("label", DataType::Utf8, true)),
            Arc::new(StringArray::from_iter_values((0..n).map(|i| format!("p{i}")))) as ArrayRef,
        ),
    ]);
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("id", Arc::new(Int64Array::from(ints.clone()))),
        ("small", Arc::new(Int32Array::from_iter_values(0..ROWS as i32))),
        (
            "tiny",
            Arc::new(Int8Array::from_iter_values((0..ROWS).map(|i| (i % 100) as i8))),
        ),
        (
            "ratio",
            Arc::new(Float64Array::from_iter_values((0..n).map(|i| i as f64 / 7.0))),
        ),
        (
            "score",
            Arc::new(Float32Array::from_iter_values((0..ROWS).map(|i| i as f32 * 0.25))),
        ),
        (
            "amount",
            Arc::new(
                Decimal128Array::from_iter_values((0..n).map(|i| i as i128 * 1_000_000_007))
                    .with_precision_and_scale(38, 6)
                    .unwrap(),
            ),
        ),
        (
            "name",
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| format!("sample-{i:05}-soil")),
            )),
        ),
        (
            "note",
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| "lorem ipsum <b>dolor</b> sit amet ".repeat(1 + i % 3)),
            )),
        ),
        ("tag", Arc::new(tags.finish())),
        (
            "flag",
            Arc::new(BooleanArray::from_iter((0..ROWS).map(|i| Some(i % 2 == 0)))),
        ),
        (
            "day",
            Arc::new(Date32Array::from_iter_values((0..ROWS as i32).map(|i| 19000 + i))),
        ),
        (
            "seen",
            Arc::new(
                TimestampMicrosecondArray::from_iter_values(ints.iter().map(|i| 1_700_000_000_000_000 + i * 1_000_003))
                    .with_timezone("America/Los_Angeles"),
            ),
        ),
        (
            "local",
            Arc::new(TimestampMicrosecondArray::from_iter_values(
                ints.iter().map(|i| 1_700_000_000_000_000 + i),
            )),
        ),
        (
            "blob",
            Arc::new(BinaryArray::from_iter_values(
                (0..ROWS).map(|i| vec![(i % 256) as u8; 8]),
            )),
        ),
        (
            "wait",
            Arc::new(DurationMicrosecondArray::from_iter_values(
                ints.iter().map(|i| i * 3_600_000_123),
            )),
        ),
        ("values", Arc::new(list.finish())),
        ("point", Arc::new(point)),
        (
            "big",
            Arc::new(Int64Array::from_iter_values(ints.iter().map(|i| i64::MAX - i))),
        ),
        (
            "unicode",
            Arc::new(StringArray::from_iter_values(
                (0..ROWS).map(|i| format!("微生物 {i} 🧬")),
            )),
        ),
        (
            "nulls",
            Arc::new(Int32Array::from_iter(
                (0..ROWS as i32).map(|i| (i % 3 == 0).then_some(i)),
            )),
        ),
    ];
    let fields: Fields = columns
        .iter()
        .map(|(name, a)| Field::new(*name, a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    (schema, batch)
}

/// The sizes of the two tables of a 1,000 × 10 slice of the result: the HTML is meant to stay
/// within three times the text.
fn sizes(batch: &RecordBatch) {
    let columns: Vec<usize> = (0..10).collect();
    let slice = batch.project(&columns).unwrap();
    let table = Table::new(&QueryResult::new(slice.schema(), vec![slice], false));
    let (html, text) = (render::html::render(&table).len(), render::text::render(&table).len());
    println!(
        "1000 rows x 10 columns: text/html {html} bytes, text/plain {text} bytes, ratio {:.2}",
        html as f64 / text as f64
    );
}

fn bench(c: &mut Criterion) {
    let (schema, batch) = result();
    sizes(&batch);
    let batches = [batch];
    let result = QueryResult::new(schema.clone(), batches.to_vec(), false);
    let mut group = c.benchmark_group("render 1000 rows x 20 columns");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("format cells", |b| b.iter(|| Table::new(&result)));
    let table = Table::new(&result);
    group.bench_function("html", |b| b.iter(|| render::html::render(&table)));
    group.bench_function("text", |b| b.iter(|| render::text::render(&table)));
    group.bench_function("arrow", |b| b.iter(|| render::arrow::render(&schema, &batches)));
    group.bench_function("whole bundle", |b| b.iter(|| render::result_bundle(&result)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
