//! Property tests of everything that reads what users and the network send: the wire
//! decoder, the statement scanner, the caret mapping and the value formatter, fed arbitrary
//! input. None may panic, and each keeps its own invariants. `cargo test fuzz::` runs 256
//! cases a property (as CI does); `PROPTEST_CASES=100000 cargo test --release fuzz::` runs a
//! longer search.

use std::sync::Arc;

use arrow_array::builder::{Int64Builder, ListBuilder, MapBuilder, StringBuilder};
use arrow_array::types::{IntervalDayTime, IntervalMonthDayNano};
use arrow_array::*;
use arrow_schema::{DataType, Field, Fields};
use bytes::Bytes;
use proptest::prelude::*;
use serde_json::json;

use crate::data::SqlType;
use crate::kernel::wire::{Message, Signer};
use crate::render::value::cell;
use crate::spark::error::QuerySpan;
use crate::sql::caret::caret_lines;
use crate::sql::scan::{completeness, split_statements};

fn frames() -> impl Strategy<Value = Vec<Vec<u8>>> {
    let frame = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..64),
        Just(b"<IDS|MSG>".to_vec()),
        Just(b"{}".to_vec()),
        Just(br#"{"msg_id":"1","username":"u","session":"s","date":"2026-01-01T00:00:00Z","msg_type":"execute_request","version":"5.3"}"#.to_vec()),
    ];
    prop::collection::vec(frame, 0..10)
}

fn formats_every_row(array: ArrayRef) {
    let sql_type = SqlType::from_arrow(array.data_type());
    for row in 0..array.len() {
        let _ = cell(&array, row, &sql_type).text().len();
    }
}

proptest! {
    #[test]
    fn the_wire_decoder_takes_any_frames(frames in frames(), key in "[a-z]{0,8}") {
        let signer = Signer::new(&key);
        let frames: Vec<Bytes> = frames.into_iter().map(Bytes::from).collect();
        let _ = Message::decode(frames, &signer);
    }

    #[test]
    fn a_signed_message_round_trips(code in any::<String>(), session in "[a-z0-9-]{1,20}", key in "[a-z]{1,8}") {
        let signer = Signer::new(&key);
        let sent = Message::new(&session, "execute_request", json!({"code": code}), None);
        let received = Message::decode(sent.encode(&signer), &signer).unwrap();
        prop_assert_eq!(received.content, sent.content);
        prop_assert_eq!(received.header.session, session);
    }

    #[test]
    fn the_scanner_splits_any_cell_into_pieces_of_it(code in any::<String>()) {
        for statement in split_statements(&code) {
            prop_assert_eq!(&code[statement.offset..statement.offset + statement.text.len()], statement.text);
        }
        let _ = completeness(&code);
    }

    #[test]
    fn sql_like_cells_split_where_they_should(code in r#"(SELECT|'[^']*'|"[;a]*"|`[^`]*`|--[^\n]*\n|/\*[^*]*\*/|;|\(|\)| |\n|x|\\){0,30}"#) {
        for statement in split_statements(&code) {
            prop_assert_eq!(&code[statement.offset..statement.offset + statement.text.len()], statement.text);
        }
        let _ = completeness(&code);
    }

    #[test]
    fn script_like_cells_keep_blocks_whole(code in r#"(BEGIN|END|IF|ELSEIF|ELSE|THEN|CASE|WHEN|WHILE|DO|REPEAT|UNTIL|LOOP|FOR|DECLARE|HANDLER|lbl|:|SELECT|x|'[^']*'|--[^\n]*\n|/\*[^*]*\*/|;|\(|\)| |\n){0,40}"#) {
        let (tokens, _) = crate::sql::scan::tokens(&code);
        let blocks = crate::sql::block::scan(&code, &tokens);
        prop_assert_eq!(blocks.inner.len(), tokens.len());
        let statements = split_statements(&code);
        for statement in &statements {
            prop_assert_eq!(&code[statement.offset..statement.offset + statement.text.len()], statement.text);
        }
        // A cell whose blocks are all closed ends where its last statement does; one left
        // open is one statement to its end, and a console waits for it.
        if blocks.open > 0 {
            let waits = !matches!(completeness(&code), crate::sql::scan::Completeness::Complete);
            prop_assert!(waits);
        }
        let _ = crate::sql::kind::repeatable(&code);
        let _ = crate::engine::earlier::mentions(&code);
    }

    #[test]
    fn a_block_of_any_statements_is_one_statement(body in prop::collection::vec(r"(SELECT [a-z]{1,5}|SET x = x \+ 1|IF x THEN SELECT 1; END IF|WHILE x DO SET x = 0; END WHILE|l: LOOP LEAVE l; END LOOP l|CASE WHEN x THEN SELECT 'a;b'; END CASE|REPEAT SELECT CASE WHEN x THEN 1 END; UNTIL x END REPEAT|BEGIN SELECT begin; END)", 0..6)) {
        let block = format!("BEGIN\n{}END", body.iter().map(|s| format!("  {s};\n")).collect::<String>());
        let cell = format!("SELECT 1;\n{block};\nSELECT 2");
        let texts: Vec<&str> = split_statements(&cell).into_iter().map(|s| s.text).collect();
        prop_assert_eq!(texts, vec!["SELECT 1", block.as_str(), "SELECT 2"]);
        prop_assert!(!crate::sql::kind::repeatable(&block));
        prop_assert_eq!(completeness(&format!("{block};")), crate::sql::scan::Completeness::Complete);
    }

    #[test]
    fn carets_map_any_span_of_any_statement(code in any::<String>(), start in 0usize..200, len in 0usize..200) {
        for statement in split_statements(&code) {
            let span = QuerySpan { start, stop: start + len };
            if let Some([line, caret]) = caret_lines(&code, statement.text, statement.offset, span) {
                prop_assert!(line.starts_with("line "));
                prop_assert!(caret.trim_start().starts_with('^'));
            }
        }
    }

    #[test]
    fn numbers_of_every_width_format(ints in prop::collection::vec(any::<Option<i64>>(), 0..20),
                                     floats in prop::collection::vec(any::<f64>(), 0..20),
                                     small in prop::collection::vec(any::<Option<i8>>(), 0..20),
                                     decimals in prop::collection::vec(any::<i128>(), 0..20),
                                     precision in 1u8..=38, scale in 0i8..=38) {
        formats_every_row(Arc::new(Int64Array::from(ints)));
        formats_every_row(Arc::new(Float64Array::from(floats.clone())));
        formats_every_row(Arc::new(Float32Array::from(floats.iter().map(|f| *f as f32).collect::<Vec<_>>())));
        formats_every_row(Arc::new(Int8Array::from(small)));
        let scale = scale.min(precision as i8);
        let bound = 10i128.pow(precision as u32);
        let decimals: Vec<i128> = decimals.into_iter().map(|d| d % bound).collect();
        formats_every_row(Arc::new(Decimal128Array::from(decimals).with_precision_and_scale(precision, scale).unwrap()));
    }

    #[test]
    fn text_binary_and_times_of_any_value_format(texts in prop::collection::vec(any::<Option<String>>(), 0..20),
                                                 blobs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 0..20),
                                                 days in prop::collection::vec(any::<i32>(), 0..20),
                                                 micros in prop::collection::vec(any::<i64>(), 0..20),
                                                 months in prop::collection::vec(any::<i32>(), 0..20),
                                                 day_times in prop::collection::vec((any::<i32>(), any::<i32>()), 0..20),
                                                 nanos in prop::collection::vec((any::<i32>(), any::<i32>(), any::<i64>()), 0..20)) {
        formats_every_row(Arc::new(StringArray::from(texts)));
        formats_every_row(Arc::new(BinaryArray::from_iter_values(blobs.iter())));
        formats_every_row(Arc::new(Date32Array::from(days)));
        formats_every_row(Arc::new(TimestampMicrosecondArray::from(micros.clone())));
        formats_every_row(Arc::new(TimestampMicrosecondArray::from(micros.clone()).with_timezone("America/Los_Angeles")));
        formats_every_row(Arc::new(DurationMicrosecondArray::from(micros)));
        formats_every_row(Arc::new(IntervalYearMonthArray::from(months)));
        formats_every_row(Arc::new(IntervalDayTimeArray::from(
            day_times.into_iter().map(|(d, ms)| IntervalDayTime::new(d, ms)).collect::<Vec<_>>(),
        )));
        formats_every_row(Arc::new(IntervalMonthDayNanoArray::from(
            nanos.into_iter().map(|(m, d, n)| IntervalMonthDayNano::new(m, d, n)).collect::<Vec<_>>(),
        )));
    }

    #[test]
    fn dates_and_times_read_as_chrono_formats_them(days in any::<i32>(), micros in any::<i64>(),
                                                    zone in prop_oneof![Just("UTC"), Just("America/Los_Angeles"), Just("Asia/Kolkata"), Just("+05:30"), Just("-08:00")]) {
        // The formatter writes dates and wall-clock times without parsing chrono's format
        // strings for every value; what it writes must be exactly what those formats give.
        let date = chrono::NaiveDate::from_ymd_opt(1970, 1, 1)
            .and_then(|e| e.checked_add_signed(chrono::TimeDelta::try_days(i64::from(days))?));
        if let Some(d) = date {
            let array: ArrayRef = Arc::new(Date32Array::from(vec![days]));
            let expected = d.format("%Y-%m-%d").to_string();
            prop_assert_eq!(cell(&array, 0, &SqlType::Date).text().to_string(), expected);
        }
        if let Some(utc) = chrono::DateTime::from_timestamp_micros(micros) {
            let wall = match zone.parse::<chrono_tz::Tz>() {
                Ok(z) => utc.with_timezone(&z).naive_local(),
                Err(_) => utc.with_timezone(&zone.parse::<chrono::FixedOffset>().unwrap()).naive_local(),
            };
            let full = wall.format("%Y-%m-%d %H:%M:%S%.6f").to_string();
            let expected = full.trim_end_matches('0').trim_end_matches('.');
            let array: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![micros]).with_timezone(zone));
            prop_assert_eq!(cell(&array, 0, &SqlType::from_arrow(array.data_type())).text().to_string(), expected);
        }
    }

    #[test]
    fn nested_values_of_any_shape_format(rows in prop::collection::vec(
        prop::option::of(prop::collection::vec((any::<Option<String>>(), any::<Option<i64>>()), 0..5)), 0..12)) {
        // array<bigint>, map<string, bigint> and struct<s: string, n: array<bigint>>.
        let mut list = ListBuilder::new(Int64Builder::new());
        let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
        for row in &rows {
            match row {
                Some(items) => {
                    for (key, n) in items {
                        list.values().append_option(*n);
                        map.keys().append_value(key.clone().unwrap_or_default());
                        map.values().append_option(*n);
                    }
                    list.append(true);
                    map.append(true).unwrap();
                }
                None => {
                    list.append(false);
                    map.append(false).unwrap();
                }
            }
        }
        let list: ArrayRef = Arc::new(list.finish());
        let map: ArrayRef = Arc::new(map.finish());
        let names: ArrayRef = Arc::new(StringArray::from(
            rows.iter().map(|r| r.as_ref().and_then(|i| i.first()).and_then(|(s, _)| s.clone())).collect::<Vec<_>>(),
        ));
        let fields = Fields::from(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("n", list.data_type().clone(), true),
        ]);
        let structs: ArrayRef = Arc::new(StructArray::new(fields, vec![names, list.clone()], None));
        let nested = ListArray::new(
            Arc::new(Field::new_list_field(structs.data_type().clone(), true)),
            arrow_buffer::OffsetBuffer::from_lengths(std::iter::repeat_n(1, structs.len())),
            structs.clone(),
            None,
        );
        for array in [list, map, structs, Arc::new(nested) as ArrayRef] {
            formats_every_row(array);
        }
    }
}
