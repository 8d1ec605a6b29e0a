//! Exports written to a scratch directory: each format read back, quoting, the checks made
//! before any work, and no file left behind when an export does not complete.

use std::ops::ControlFlow;
use std::sync::Arc;

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};

use super::*;
use crate::data::BatchSink;
use tempfile::TempDir;

/// A directory of its own for one test, removed when the test ends (whatever its outcome):
/// tests that write files neither meet each other's files nor leave any behind.
pub(crate) fn scratch() -> TempDir {
    tempfile::Builder::new().prefix("kbase-test-").tempdir().unwrap()
}

/// The names of the files in `dir`, sorted.
pub(crate) fn files(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn batch() -> (RecordBatch, Vec<SqlType>) {
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Int64, true),
        Field::new("name, quoted \"", DataType::Utf8, true),
        Field::new("x", DataType::Float64, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(vec![Some(1), Some(2), None, Some(4)])),
        Arc::new(StringArray::from(vec![
            Some("plain"),
            Some("a, \"b\"\nc"),
            None,
            Some(""),
        ])),
        Arc::new(Float64Array::from(vec![Some(0.1), Some(f64::NAN), None, Some(1e300)])),
    ];
    let types = vec![SqlType::BigInt, SqlType::String, SqlType::Double];
    (RecordBatch::try_new(schema, columns).unwrap(), types)
}

fn export(dir: &std::path::Path, name: &str) -> Written {
    let (b, types) = batch();
    let mut e = Export::start(Target::check(name, false, dir).unwrap()).unwrap();
    assert!(e.batch(&types, &b).is_continue());
    assert!(e.batch(&types, &b.slice(0, 1)).is_continue());
    e.finish(b.schema(), &types).unwrap()
}

#[test]
fn csv_quotes_as_rfc_4180_and_keeps_null_apart_from_empty() {
    let scratch = scratch();
    let dir = scratch.path();
    let written = export(dir, "out.csv");
    let text = std::fs::read_to_string(dir.join("out.csv")).unwrap();
    assert_eq!(
        text,
        "id,\"name, quoted \"\"\",x\r\n1,plain,0.1\r\n2,\"a, \"\"b\"\"\nc\",NaN\r\n,,\r\n4,\"\",1e300\r\n1,plain,0.1\r\n"
    );
    assert_eq!(written.rows, 5);
    assert_eq!(written.bytes, text.len() as u64);
    assert_eq!(files(dir), ["out.csv"]);
}

#[test]
fn json_lines_have_numbers_strings_and_nulls() {
    let scratch = scratch();
    let dir = scratch.path();
    export(dir, "out.jsonl");
    let text = std::fs::read_to_string(dir.join("out.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], r#"{"id":1,"name, quoted \"":"plain","x":0.1}"#);
    assert_eq!(lines[1], r#"{"id":2,"name, quoted \"":"a, \"b\"\nc","x":"NaN"}"#);
    assert_eq!(lines[2], r#"{"id":null,"name, quoted \"":null,"x":null}"#);
    assert_eq!(lines.len(), 5);
}

#[test]
fn arrow_and_parquet_files_read_back_equal() {
    let scratch = scratch();
    let dir = scratch.path();
    let (b, _) = batch();
    export(dir, "out.arrow");
    let reader =
        arrow_ipc::reader::FileReader::try_new(std::fs::File::open(dir.join("out.arrow")).unwrap(), None).unwrap();
    let back: Vec<RecordBatch> = reader.map(Result::unwrap).collect();
    assert_eq!(back[0].num_rows(), 4);
    assert_eq!(format!("{:?}", back[0].columns()), format!("{:?}", b.columns()));
    let written = export(dir, "out.parquet");
    assert_eq!(written.rows, 5);
    let bytes = std::fs::read(dir.join("out.parquet")).unwrap();
    assert_eq!(&bytes[..4], b"PAR1");
    assert_eq!(written.bytes, bytes.len() as u64);
}

#[test]
fn problems_with_the_path_are_found_before_any_work() {
    let scratch = scratch();
    let dir = scratch.path();
    std::fs::write(dir.join("there.csv"), "keep me").unwrap();
    let message = |path: &str, overwrite| Target::check(path, overwrite, dir).unwrap_err().to_string();
    assert!(message("there.csv", false).ends_with("there.csv already exists; add --overwrite to replace it"));
    assert!(message("no/such/dir/x.csv", false).contains("does not exist; create it first"));
    assert!(message("out.xlsx", false).contains("end it in .parquet, .csv, .arrow or .jsonl (not out.xlsx)"));
    assert!(Target::check("there.csv", true, dir).is_ok());
}

#[test]
fn an_export_that_does_not_complete_leaves_no_file() {
    let scratch = scratch();
    let dir = scratch.path();
    let (b, types) = batch();
    {
        let mut e = Export::start(Target::check("gone.parquet", false, dir).unwrap()).unwrap();
        assert!(matches!(e.batch(&types, &b), ControlFlow::Continue(())));
        assert_eq!(files(dir).len(), 1);
        // Dropped without finishing, as an interrupted cell drops it.
    }
    assert!(files(dir).is_empty(), "{:?}", files(dir));
    // Replacing keeps the old file until the new one is complete.
    std::fs::write(dir.join("old.csv"), "old").unwrap();
    drop(Export::start(Target::check("old.csv", true, dir).unwrap()).unwrap());
    assert_eq!(std::fs::read_to_string(dir.join("old.csv")).unwrap(), "old");
    assert_eq!(files(dir), ["old.csv"]);
}

#[test]
fn a_result_without_columns_is_refused_and_leaves_no_file() {
    let scratch = scratch();
    let dir = scratch.path();
    for name in ["none.csv", "none.parquet", "none.arrow", "none.jsonl"] {
        let e = Export::start(Target::check(name, false, dir).unwrap()).unwrap();
        let error = e.finish(Arc::new(Schema::empty()), &[]).unwrap_err();
        assert!(matches!(error, ExportError::NoColumns), "{name}: {error}");
        assert!(error.to_string().contains("no columns"), "{error}");
    }
    assert!(files(dir).is_empty(), "{:?}", files(dir));
}

#[test]
fn an_exported_file_has_the_permissions_of_any_new_file_not_a_temporary_ones() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = scratch();
    let dir = scratch.path();
    std::fs::write(dir.join("plain.txt"), "").unwrap();
    let plain = std::fs::metadata(dir.join("plain.txt")).unwrap().permissions().mode();
    export(dir, "out.csv");
    let exported = std::fs::metadata(dir.join("out.csv")).unwrap().permissions().mode();
    assert_eq!(exported & 0o777, plain & 0o777);
}

#[test]
fn a_file_that_appears_while_the_export_runs_is_kept_unless_overwriting() {
    let scratch = scratch();
    let dir = scratch.path();
    let (b, types) = batch();
    let mut e = Export::start(Target::check("late.csv", false, dir).unwrap()).unwrap();
    assert!(e.batch(&types, &b).is_continue());
    std::fs::write(dir.join("late.csv"), "theirs").unwrap();
    let message = e.finish(b.schema(), &types).unwrap_err().to_string();
    assert!(
        message.contains("appeared while the export ran; it is kept"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(dir.join("late.csv")).unwrap(), "theirs");
    assert_eq!(files(dir), ["late.csv"]);

    let mut e = Export::start(Target::check("late.csv", true, dir).unwrap()).unwrap();
    assert!(e.batch(&types, &b).is_continue());
    e.finish(b.schema(), &types).unwrap();
    assert!(
        std::fs::read_to_string(dir.join("late.csv"))
            .unwrap()
            .starts_with("id,")
    );
    assert_eq!(files(dir), ["late.csv"]);
}
