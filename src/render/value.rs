//! One formatter for every Arrow type Spark sends, used by the HTML and the text table alike,
//! so the two never disagree. Values are exact (decimals keep every digit, doubles print the
//! shortest text that reads back to the same number) and NULL stays distinct from `'NULL'`.

use std::fmt::Write;

use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, StructArray};
use arrow_schema::{DataType, Fields, IntervalUnit, TimeUnit};
use chrono::{DateTime, NaiveDate};

use crate::data::SqlType;
use crate::data::sql_type::{DAY_TIME_FIELDS, YEAR_MONTH_FIELDS};

/// How one cell reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Cell {
    Null,
    Text(String),
}

#[cfg(test)]
impl Cell {
    pub(crate) fn text(&self) -> &str {
        match self {
            Cell::Null => "NULL",
            Cell::Text(s) => s,
        }
    }
}

/// True for the types whose values line up on the right in a table.
pub(crate) fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() || matches!(t, DataType::Duration(_) | DataType::Interval(_))
}

/// The value at `row`, as a top-level cell. `sql_type` is the column's Spark SQL type; it
/// decides which fields an interval is written with.
pub(crate) fn cell(array: &ArrayRef, row: usize, sql_type: &SqlType) -> Cell {
    let mut out = String::new();
    if write_cell(&mut out, array, row, sql_type) {
        Cell::Text(out)
    } else {
        Cell::Null
    }
}

/// Appends the value at `row` to `out`, as [`cell`] reads it; false (nothing written) for
/// NULL. A table's cells go into one buffer this way, with no allocation of their own.
pub(crate) fn write_cell(out: &mut String, array: &ArrayRef, row: usize, sql_type: &SqlType) -> bool {
    if array.is_null(row) {
        return false;
    }
    match (array.data_type(), sql_type) {
        (DataType::Duration(TimeUnit::Microsecond), SqlType::DayTimeInterval(fields)) => {
            let micros = array.as_primitive::<DurationMicrosecondType>().value(row);
            write_day_time_fields(out, micros, fields.start, fields.end);
        }
        (DataType::Interval(IntervalUnit::YearMonth), SqlType::YearMonthInterval(fields)) => {
            let months = array.as_primitive::<IntervalYearMonthType>().value(row);
            write_year_month_fields(out, months, fields.start, fields.end);
        }
        _ => write_value(out, array.as_ref(), row, false),
    }
    true
}

/// Writes the value at `row`. Inside arrays, maps and structs (`nested`) strings are quoted,
/// so `["NULL", NULL]` shows which is which.
fn write_value(out: &mut String, array: &dyn Array, row: usize, nested: bool) {
    if array.is_null(row) {
        out.push_str("NULL");
        return;
    }
    match array.data_type() {
        DataType::Null => out.push_str("NULL"),
        DataType::Boolean => out.push_str(if array.as_boolean().value(row) { "true" } else { "false" }),
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64
        | DataType::Float16
        | DataType::Float32
        | DataType::Float64
        | DataType::Decimal32(_, _)
        | DataType::Decimal64(_, _)
        | DataType::Decimal128(_, _)
        | DataType::Decimal256(_, _) => write_number(out, array, row),
        DataType::Utf8 => write_str(out, array.as_string::<i32>().value(row), nested),
        DataType::LargeUtf8 => write_str(out, array.as_string::<i64>().value(row), nested),
        DataType::Utf8View => write_str(out, array.as_string_view().value(row), nested),
        DataType::Binary => write_hex(out, array.as_binary::<i32>().value(row)),
        DataType::LargeBinary => write_hex(out, array.as_binary::<i64>().value(row)),
        DataType::BinaryView => write_hex(out, array.as_binary_view().value(row)),
        DataType::FixedSizeBinary(_) => write_hex(out, array.as_fixed_size_binary().value(row)),
        DataType::Date32
        | DataType::Date64
        | DataType::Timestamp(_, _)
        | DataType::Duration(_)
        | DataType::Interval(_) => write_temporal(out, array, row),
        DataType::List(_) => write_list(out, array.as_list::<i32>().value(row).as_ref()),
        DataType::LargeList(_) => write_list(out, array.as_list::<i64>().value(row).as_ref()),
        DataType::FixedSizeList(_, _) => write_list(out, array.as_fixed_size_list().value(row).as_ref()),
        DataType::Struct(fields) => write_struct(out, fields, array.as_struct(), row),
        DataType::Map(_, _) => write_map(out, array.as_map().value(row)),
        other => {
            let _ = write!(out, "<{other}>");
        }
    }
}

/// An integer, a float or a decimal at `row` (not null).
fn write_number(out: &mut String, array: &dyn Array, row: usize) {
    macro_rules! prim {
        ($t:ty) => {{
            out.push_str(itoa::Buffer::new().format(array.as_primitive::<$t>().value(row)));
        }};
    }
    macro_rules! decimal {
        ($t:ty) => {{
            let array = array.as_primitive::<$t>();
            let _ = arrow_data::decimal::write_decimal(out, array.value(row), array.scale());
        }};
    }
    match array.data_type() {
        DataType::Int8 => prim!(Int8Type),
        DataType::Int16 => prim!(Int16Type),
        DataType::Int32 => prim!(Int32Type),
        DataType::Int64 => prim!(Int64Type),
        DataType::UInt8 => prim!(UInt8Type),
        DataType::UInt16 => prim!(UInt16Type),
        DataType::UInt32 => prim!(UInt32Type),
        DataType::UInt64 => prim!(UInt64Type),
        DataType::Float16 => write_float(out, f64::from(array.as_primitive::<Float16Type>().value(row))),
        DataType::Float32 => write_float32(out, array.as_primitive::<Float32Type>().value(row)),
        DataType::Float64 => write_float(out, array.as_primitive::<Float64Type>().value(row)),
        DataType::Decimal32(_, _) => decimal!(Decimal32Type),
        DataType::Decimal64(_, _) => decimal!(Decimal64Type),
        DataType::Decimal128(_, _) => decimal!(Decimal128Type),
        DataType::Decimal256(_, _) => decimal!(Decimal256Type),
        other => {
            let _ = write!(out, "<{other}>");
        }
    }
}

/// A date, timestamp, duration or interval at `row` (not null).
fn write_temporal(out: &mut String, array: &dyn Array, row: usize) {
    match array.data_type() {
        DataType::Date32 => write_date(out, i64::from(array.as_primitive::<Date32Type>().value(row))),
        DataType::Date64 => write_date(
            out,
            array.as_primitive::<Date64Type>().value(row).div_euclid(86_400_000),
        ),
        DataType::Timestamp(unit, tz) => write_timestamp(out, timestamp_micros(array, row, *unit), tz.as_deref()),
        DataType::Duration(unit) => write_day_time(out, duration_micros(array, row, *unit)),
        DataType::Interval(IntervalUnit::YearMonth) => {
            write_year_month(out, array.as_primitive::<IntervalYearMonthType>().value(row));
        }
        DataType::Interval(IntervalUnit::DayTime) => {
            let v = array.as_primitive::<IntervalDayTimeType>().value(row);
            write_day_time(
                out,
                // Saturating: exact for every interval Spark can hold, and no panic beyond.
                i64::from(v.days)
                    .saturating_mul(86_400_000_000)
                    .saturating_add(i64::from(v.milliseconds) * 1000),
            );
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let v = array.as_primitive::<IntervalMonthDayNanoType>().value(row);
            let _ = write!(
                out,
                "{} months {} days {} microseconds",
                v.months,
                v.days,
                v.nanoseconds / 1000
            );
        }
        other => {
            let _ = write!(out, "<{other}>");
        }
    }
}

/// A timestamp at `row` in microseconds since the epoch, whatever its unit.
fn timestamp_micros(array: &dyn Array, row: usize, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => array
            .as_primitive::<TimestampSecondType>()
            .value(row)
            .saturating_mul(1_000_000),
        TimeUnit::Millisecond => array
            .as_primitive::<TimestampMillisecondType>()
            .value(row)
            .saturating_mul(1000),
        TimeUnit::Microsecond => array.as_primitive::<TimestampMicrosecondType>().value(row),
        TimeUnit::Nanosecond => array.as_primitive::<TimestampNanosecondType>().value(row) / 1000,
    }
}

/// A duration at `row` in microseconds, whatever its unit.
fn duration_micros(array: &dyn Array, row: usize, unit: TimeUnit) -> i64 {
    match unit {
        TimeUnit::Second => array
            .as_primitive::<DurationSecondType>()
            .value(row)
            .saturating_mul(1_000_000),
        TimeUnit::Millisecond => array
            .as_primitive::<DurationMillisecondType>()
            .value(row)
            .saturating_mul(1000),
        TimeUnit::Microsecond => array.as_primitive::<DurationMicrosecondType>().value(row),
        TimeUnit::Nanosecond => array.as_primitive::<DurationNanosecondType>().value(row) / 1000,
    }
}

/// A struct's fields at `row`: `{name: value, …}`.
fn write_struct(out: &mut String, fields: &Fields, array: &StructArray, row: usize) {
    out.push('{');
    for (i, (field, column)) in fields.iter().zip(array.columns()).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(field.name());
        out.push_str(": ");
        write_value(out, column.as_ref(), row, true);
    }
    out.push('}');
}

/// A map's entries: `{key -> value, …}`.
fn write_map(out: &mut String, entries: StructArray) {
    out.push('{');
    for i in 0..entries.len() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(out, entries.column(0).as_ref(), i, true);
        out.push_str(" -> ");
        write_value(out, entries.column(1).as_ref(), i, true);
    }
    out.push('}');
}

fn write_list(out: &mut String, values: &dyn Array) {
    out.push('[');
    for i in 0..values.len() {
        if i > 0 {
            out.push_str(", ");
        }
        write_value(out, values, i, true);
    }
    out.push(']');
}

/// Shortest text that reads back to the same double; Spark's names for the special values.
fn write_float(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
    } else if v.is_infinite() {
        out.push_str(if v > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        // Debug keeps a ".0" on whole numbers and switches to exponents for huge or tiny ones.
        let _ = write!(out, "{v:?}");
    }
}

fn write_float32(out: &mut String, v: f32) {
    if v.is_finite() {
        let _ = write!(out, "{v:?}");
    } else {
        write_float(out, f64::from(v))
    }
}

/// Control characters would break a table's layout or hide in it: show them as escapes. A
/// line break in a top-level value is kept (both tables show the value's lines, as a query
/// plan needs); inside arrays, maps and structs it is an escape too.
fn write_str(out: &mut String, s: &str, nested: bool) {
    if nested {
        out.push('"');
    }
    for c in s.chars() {
        match c {
            '\n' if !nested => out.push('\n'),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' if nested => out.push_str("\\\""),
            '\\' if nested => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    if nested {
        out.push('"');
    }
}

fn write_hex(out: &mut String, bytes: &[u8]) {
    out.push_str("X'");
    out.push_str(&hex::encode_upper(bytes));
    out.push('\'');
}

fn write_date(out: &mut String, days: i64) {
    let date = NaiveDate::from_ymd_opt(1970, 1, 1)
        .and_then(|epoch| epoch.checked_add_signed(chrono::TimeDelta::try_days(days)?));
    match date {
        Some(d) => write_ymd(out, d),
        None => {
            let _ = write!(out, "<date {days}>");
        }
    }
}

/// `YYYY-MM-DD`, as chrono's `%Y-%m-%d` writes it; the years of four digits (all that Spark
/// keeps) without parsing a format for every value.
fn write_ymd(out: &mut String, d: NaiveDate) {
    use chrono::Datelike;
    if (0..=9999).contains(&d.year()) {
        let _ = write!(out, "{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    } else {
        let _ = write!(out, "{}", d.format("%Y-%m-%d"));
    }
}

/// Spark sends `timestamp` in the session time zone (named in the Arrow type) and
/// `timestamp_ntz` with none. Both print as wall-clock time, with microseconds when present.
fn write_timestamp(out: &mut String, micros: i64, tz: Option<&str>) {
    let Some(utc) = DateTime::from_timestamp_micros(micros) else {
        let _ = write!(out, "<timestamp {micros}>");
        return;
    };
    let wall = match tz {
        None => utc.naive_utc(),
        Some(tz) => ZONE.with(|zone| {
            let mut zone = zone.borrow_mut();
            if zone.as_ref().is_none_or(|(name, _)| name.as_str() != tz) {
                *zone = Some((tz.to_string(), Zone::parse(tz)));
            }
            match zone.as_ref().map(|(_, z)| z) {
                Some(Zone::Named(z)) => utc.with_timezone(z).naive_local(),
                Some(Zone::Fixed(offset)) => utc.with_timezone(offset).naive_local(),
                _ => utc.naive_utc(),
            }
        }),
    };
    write_wall(out, wall);
}

/// A time zone as an Arrow timestamp type names it.
enum Zone {
    Named(chrono_tz::Tz),
    Fixed(chrono::FixedOffset),
    Unknown,
}

impl Zone {
    fn parse(tz: &str) -> Zone {
        match tz.parse::<chrono_tz::Tz>() {
            Ok(z) => Zone::Named(z),
            Err(_) => tz.parse::<chrono::FixedOffset>().map_or(Zone::Unknown, Zone::Fixed),
        }
    }
}

thread_local! {
    /// The zone last named, parsed: a result's timestamps all name the session's zone, so it
    /// is parsed once rather than for every value.
    static ZONE: std::cell::RefCell<Option<(String, Zone)>> = const { std::cell::RefCell::new(None) };
}

fn write_wall(out: &mut String, t: chrono::NaiveDateTime) {
    use chrono::Timelike;
    write_ymd(out, t.date());
    let _ = write!(out, " {:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let micros = t.nanosecond() / 1000;
    if micros != 0 {
        let mut digits = 6;
        let mut frac = micros;
        while frac.is_multiple_of(10) {
            frac /= 10;
            digits -= 1;
        }
        let _ = write!(out, ".{frac:0digits$}");
    }
}

/// Day-time intervals in Spark's literal form, when the type's fields are not known.
fn write_day_time(out: &mut String, micros: i64) {
    write_day_time_fields(out, micros, 0, 3);
}

/// Day-time intervals as Spark writes them: the leading field holds the whole amount, the
/// others their remainder, e.g. `INTERVAL '1 02:03:04.5' DAY TO SECOND`, `INTERVAL '26' HOUR`.
fn write_day_time_fields(out: &mut String, micros: i64, start: usize, end: usize) {
    const UNIT: [u64; 4] = [86_400_000_000, 3_600_000_000, 60_000_000, 1_000_000];
    let mut rest = micros.unsigned_abs();
    let mut text = String::from(if micros < 0 { "-" } else { "" });
    for (i, unit) in UNIT.iter().enumerate().take(end + 1).skip(start) {
        let value = rest / unit;
        rest -= value * unit;
        if i > start {
            // Days are followed by a blank, every other field by a colon.
            text.push(if i == 1 { ' ' } else { ':' });
        }
        if i == 0 {
            text.push_str(&value.to_string());
        } else {
            text.push_str(&format!("{value:02}"));
        }
    }
    if end == 3 && rest > 0 {
        text.push_str(&format!(".{}", format!("{rest:06}").trim_end_matches('0')));
    }
    write_interval(out, &text, &DAY_TIME_FIELDS, start, end);
}

/// `INTERVAL 'text' FIELD` or `INTERVAL 'text' START TO END`, Spark's literal form.
fn write_interval(out: &mut String, text: &str, fields: &[&str], start: usize, end: usize) {
    let name = |i: usize| fields[i].to_uppercase();
    let qualifier = if start == end {
        name(start)
    } else {
        format!("{} TO {}", name(start), name(end))
    };
    out.push_str(&format!("INTERVAL '{text}' {qualifier}"));
}

fn write_year_month(out: &mut String, months: i32) {
    write_year_month_fields(out, months, 0, 1);
}

fn write_year_month_fields(out: &mut String, months: i32, start: usize, end: usize) {
    let sign = if months < 0 { "-" } else { "" };
    let m = months.unsigned_abs();
    let text = match (start, end) {
        (0, 0) => format!("{sign}{}", m / 12),
        (1, _) => format!("{sign}{m}"),
        _ => format!("{sign}{}-{}", m / 12, m % 12),
    };
    write_interval(out, &text, &YEAR_MONTH_FIELDS, start, end);
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::builder::{Int32Builder, ListBuilder, StringBuilder};
    use arrow_array::*;
    use std::sync::Arc;

    use crate::data::IntervalFields;

    fn one(array: impl Array + 'static) -> String {
        let array: ArrayRef = Arc::new(array);
        let sql_type = SqlType::from_arrow(array.data_type());
        cell(&array, 0, &sql_type).text().to_string()
    }

    fn typed(array: impl Array + 'static, sql_type: SqlType) -> String {
        cell(&(Arc::new(array) as ArrayRef), 0, &sql_type).text().to_string()
    }

    #[test]
    fn numbers_are_exact() {
        assert_eq!(one(Int64Array::from(vec![i64::MIN])), "-9223372036854775808");
        assert_eq!(one(Float64Array::from(vec![1.0])), "1.0");
        assert_eq!(one(Float64Array::from(vec![0.1])), "0.1");
        assert_eq!(one(Float64Array::from(vec![1e300])), "1e300");
        assert_eq!(one(Float64Array::from(vec![f64::NAN])), "NaN");
        assert_eq!(one(Float64Array::from(vec![f64::NEG_INFINITY])), "-Infinity");
        assert_eq!(one(Float32Array::from(vec![0.1f32])), "0.1");
        let d = Decimal128Array::from(vec![123_456_789_012_345_678_901_234_567_890i128])
            .with_precision_and_scale(38, 18)
            .unwrap();
        assert_eq!(one(d), "123456789012.345678901234567890");
    }

    #[test]
    fn null_is_not_the_string_null() {
        let a: ArrayRef = Arc::new(StringArray::from(vec![None, Some("NULL")]));
        assert_eq!(cell(&a, 0, &SqlType::String), Cell::Null);
        assert_eq!(cell(&a, 1, &SqlType::String), Cell::Text("NULL".into()));
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("NULL");
        b.values().append_null();
        b.append(true);
        assert_eq!(one(b.finish()), r#"["NULL", NULL]"#);
    }

    #[test]
    fn strings_show_control_characters() {
        assert_eq!(one(StringArray::from(vec!["a\tb\nc\u{7}"])), "a\\tb\nc\\u{0007}");
        assert_eq!(one(StringArray::from(vec!["héllo 世界"])), "héllo 世界");
        // Inside an array a line break is an escape, like any control character.
        let mut b = ListBuilder::new(StringBuilder::new());
        b.values().append_value("a\nb");
        b.append(true);
        assert_eq!(one(b.finish()), r#"["a\nb"]"#);
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(one(Date32Array::from(vec![-25567])), "1900-01-01");
        assert_eq!(one(Date32Array::from(vec![-719162])), "0001-01-01");
        assert_eq!(one(Date32Array::from(vec![2932896])), "9999-12-31");
        let ts = TimestampMicrosecondArray::from(vec![1_500_000]).with_timezone("America/Los_Angeles");
        assert_eq!(one(ts), "1969-12-31 16:00:01.5");
        assert_eq!(one(TimestampMicrosecondArray::from(vec![0])), "1970-01-01 00:00:00");
        assert_eq!(
            one(DurationMicrosecondArray::from(vec![93_784_500_000])),
            "INTERVAL '1 02:03:04.5' DAY TO SECOND"
        );
        assert_eq!(
            one(IntervalYearMonthArray::from(vec![-14])),
            "INTERVAL '-1-2' YEAR TO MONTH"
        );
    }

    #[test]
    fn intervals_use_the_fields_of_their_spark_type() {
        let dt_t = |start, end| SqlType::DayTimeInterval(IntervalFields { start, end });
        let ym_t = |start, end| SqlType::YearMonthInterval(IntervalFields { start, end });
        let d = |micros: i64| DurationMicrosecondArray::from(vec![micros]);
        assert_eq!(typed(d(3 * 3_600_000_000), dt_t(1, 1)), "INTERVAL '03' HOUR");
        assert_eq!(typed(d(26 * 3_600_000_000), dt_t(1, 1)), "INTERVAL '26' HOUR");
        assert_eq!(
            typed(d(-90 * 60_000_000), dt_t(1, 2)),
            "INTERVAL '-01:30' HOUR TO MINUTE"
        );
        assert_eq!(typed(d(2 * 86_400_000_000), dt_t(0, 0)), "INTERVAL '2' DAY");
        assert_eq!(
            typed(d(93_784_500_000), dt_t(0, 3)),
            "INTERVAL '1 02:03:04.5' DAY TO SECOND"
        );
        assert_eq!(typed(d(61_250_000), dt_t(2, 3)), "INTERVAL '01:01.25' MINUTE TO SECOND");
        assert_eq!(typed(d(5_000_000), dt_t(3, 3)), "INTERVAL '05' SECOND");
        let ym = |m: i32| IntervalYearMonthArray::from(vec![m]);
        assert_eq!(typed(ym(14), ym_t(0, 0)), "INTERVAL '1' YEAR");
        assert_eq!(typed(ym(14), ym_t(1, 1)), "INTERVAL '14' MONTH");
        assert_eq!(typed(ym(14), ym_t(0, 1)), "INTERVAL '1-2' YEAR TO MONTH");
    }

    #[test]
    fn nested_values_are_compact() {
        let mut b = ListBuilder::new(Int32Builder::new());
        b.append_value([Some(1), None, Some(3)]);
        assert_eq!(one(b.finish()), "[1, NULL, 3]");
        let s = StructArray::from(vec![
            (
                Arc::new(arrow_schema::Field::new("a", DataType::Int32, true)),
                Arc::new(Int32Array::from(vec![1])) as ArrayRef,
            ),
            (
                Arc::new(arrow_schema::Field::new("b", DataType::Utf8, true)),
                Arc::new(StringArray::from(vec!["x"])) as ArrayRef,
            ),
        ]);
        assert_eq!(one(s), r#"{a: 1, b: "x"}"#);
        assert_eq!(one(BinaryArray::from(vec![&b"\x01\xff"[..]])), "X'01FF'");
    }
}
