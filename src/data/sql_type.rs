//! The Spark SQL type of a column, as data: Arrow alone cannot tell `varchar(10)` from
//! `string`, or `interval hour` from `interval day to second`. The one place that names a
//! type the way Spark does, whether it came from Spark's schema or only from Arrow's.

use std::fmt;

use arrow_schema::{DataType, IntervalUnit};

/// The Arrow field metadata key under which a column's Spark SQL type name travels in the
/// Arrow output, for readers of the notebook.
pub(crate) const TYPE_NAME_KEY: &str = "spark_type";

/// The fields of a day-time interval, in order; [`IntervalFields`] index into it.
pub(crate) const DAY_TIME_FIELDS: [&str; 4] = ["day", "hour", "minute", "second"];
/// The fields of a year-month interval, in order.
pub(crate) const YEAR_MONTH_FIELDS: [&str; 2] = ["year", "month"];

/// The first and last field of an interval type, as indices into its field list
/// (`interval hour to second` is 1 to 3 of [`DAY_TIME_FIELDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IntervalFields {
    pub(crate) start: usize,
    pub(crate) end: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SqlType {
    Void,
    Boolean,
    TinyInt,
    SmallInt,
    Int,
    BigInt,
    Float,
    Double,
    Decimal {
        precision: i32,
        scale: i32,
    },
    String,
    /// A string with a collation other than the default (`string collate UTF8_LCASE`).
    CollatedString(String),
    Char(i32),
    VarChar(i32),
    Binary,
    Date,
    Timestamp,
    TimestampNtz,
    /// Spark's `interval` of months, days and microseconds.
    CalendarInterval,
    YearMonthInterval(IntervalFields),
    DayTimeInterval(IntervalFields),
    Array(Box<SqlType>),
    Map(Box<SqlType>, Box<SqlType>),
    Struct(Vec<(String, SqlType)>),
    Variant,
    /// A type known only by its name: user-defined types, types Spark could not describe,
    /// Arrow types Spark does not send.
    Named(String),
}

impl SqlType {
    /// Whether values of this type are numbers (shown right-aligned, filtered by range,
    /// charted as quantities).
    pub(crate) fn is_number(&self) -> bool {
        matches!(
            self,
            SqlType::TinyInt
                | SqlType::SmallInt
                | SqlType::Int
                | SqlType::BigInt
                | SqlType::Float
                | SqlType::Double
                | SqlType::Decimal { .. }
        )
    }

    /// The Spark SQL type of an Arrow type, for columns Spark's schema does not describe.
    pub(crate) fn from_arrow(t: &DataType) -> SqlType {
        match t {
            DataType::Null => SqlType::Void,
            DataType::Boolean => SqlType::Boolean,
            DataType::Int8 => SqlType::TinyInt,
            DataType::Int16 => SqlType::SmallInt,
            DataType::Int32 => SqlType::Int,
            DataType::Int64 => SqlType::BigInt,
            DataType::Float32 => SqlType::Float,
            DataType::Float64 => SqlType::Double,
            DataType::Decimal32(p, s)
            | DataType::Decimal64(p, s)
            | DataType::Decimal128(p, s)
            | DataType::Decimal256(p, s) => SqlType::Decimal {
                precision: i32::from(*p),
                scale: i32::from(*s),
            },
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => SqlType::String,
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
                SqlType::Binary
            }
            DataType::Date32 | DataType::Date64 => SqlType::Date,
            DataType::Timestamp(_, Some(_)) => SqlType::Timestamp,
            DataType::Timestamp(_, None) => SqlType::TimestampNtz,
            DataType::Duration(_) => SqlType::DayTimeInterval(IntervalFields { start: 0, end: 3 }),
            DataType::Interval(IntervalUnit::YearMonth) => {
                SqlType::YearMonthInterval(IntervalFields { start: 0, end: 1 })
            }
            DataType::Interval(_) => SqlType::CalendarInterval,
            DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                SqlType::Array(Box::new(SqlType::from_arrow(f.data_type())))
            }
            DataType::Struct(fields) => SqlType::Struct(
                fields
                    .iter()
                    .map(|f| (f.name().clone(), SqlType::from_arrow(f.data_type())))
                    .collect(),
            ),
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(kv) if kv.len() == 2 => SqlType::Map(
                    Box::new(SqlType::from_arrow(kv[0].data_type())),
                    Box::new(SqlType::from_arrow(kv[1].data_type())),
                ),
                _ => SqlType::Named("map".into()),
            },
            other => SqlType::Named(other.to_string().to_lowercase()),
        }
    }
}

fn write_interval(f: &mut fmt::Formatter<'_>, names: &[&str], fields: IntervalFields) -> fmt::Result {
    let name = |i: usize| names.get(i).copied().unwrap_or("?");
    if fields.start == fields.end {
        write!(f, "interval {}", name(fields.start))
    } else {
        write!(f, "interval {} to {}", name(fields.start), name(fields.end))
    }
}

/// The name Spark gives the type, such as `decimal(38,18)` or `array<string>`.
impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Void => f.write_str("void"),
            SqlType::Boolean => f.write_str("boolean"),
            SqlType::TinyInt => f.write_str("tinyint"),
            SqlType::SmallInt => f.write_str("smallint"),
            SqlType::Int => f.write_str("int"),
            SqlType::BigInt => f.write_str("bigint"),
            SqlType::Float => f.write_str("float"),
            SqlType::Double => f.write_str("double"),
            SqlType::Decimal { precision, scale } => write!(f, "decimal({precision},{scale})"),
            SqlType::String => f.write_str("string"),
            SqlType::CollatedString(collation) => write!(f, "string collate {collation}"),
            SqlType::Char(n) => write!(f, "char({n})"),
            SqlType::VarChar(n) => write!(f, "varchar({n})"),
            SqlType::Binary => f.write_str("binary"),
            SqlType::Date => f.write_str("date"),
            SqlType::Timestamp => f.write_str("timestamp"),
            SqlType::TimestampNtz => f.write_str("timestamp_ntz"),
            SqlType::CalendarInterval => f.write_str("interval"),
            SqlType::YearMonthInterval(fields) => write_interval(f, &YEAR_MONTH_FIELDS, *fields),
            SqlType::DayTimeInterval(fields) => write_interval(f, &DAY_TIME_FIELDS, *fields),
            SqlType::Array(element) => write!(f, "array<{element}>"),
            SqlType::Map(key, value) => write!(f, "map<{key},{value}>"),
            SqlType::Struct(fields) => {
                f.write_str("struct<")?;
                for (i, (name, t)) in fields.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    write!(f, "{name}:{t}")?;
                }
                f.write_str(">")
            }
            SqlType::Variant => f.write_str("variant"),
            SqlType::Named(name) => f.write_str(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_schema::{Field, Fields, TimeUnit};
    use std::sync::Arc;

    #[test]
    fn names_follow_spark() {
        let fields = |start, end| IntervalFields { start, end };
        assert_eq!(SqlType::DayTimeInterval(fields(1, 1)).to_string(), "interval hour");
        assert_eq!(
            SqlType::DayTimeInterval(fields(0, 3)).to_string(),
            "interval day to second"
        );
        assert_eq!(
            SqlType::YearMonthInterval(fields(0, 1)).to_string(),
            "interval year to month"
        );
        assert_eq!(SqlType::VarChar(10).to_string(), "varchar(10)");
        let nested = SqlType::Struct(vec![
            ("a".into(), SqlType::Array(Box::new(SqlType::String))),
            (
                "m".into(),
                SqlType::Map(
                    Box::new(SqlType::Int),
                    Box::new(SqlType::Decimal {
                        precision: 38,
                        scale: 18,
                    }),
                ),
            ),
        ]);
        assert_eq!(nested.to_string(), "struct<a:array<string>,m:map<int,decimal(38,18)>>");
        let lcase = SqlType::Array(Box::new(SqlType::CollatedString("UTF8_LCASE".into())));
        assert_eq!(lcase.to_string(), "array<string collate UTF8_LCASE>");
    }

    #[test]
    fn arrow_types_get_the_names_spark_gives_them() {
        let name = |t: DataType| SqlType::from_arrow(&t).to_string();
        assert_eq!(name(DataType::Decimal128(10, 2)), "decimal(10,2)");
        assert_eq!(name(DataType::Timestamp(TimeUnit::Microsecond, None)), "timestamp_ntz");
        assert_eq!(
            name(DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))),
            "timestamp"
        );
        assert_eq!(
            name(DataType::Duration(TimeUnit::Microsecond)),
            "interval day to second"
        );
        assert_eq!(
            name(DataType::List(Arc::new(Field::new("e", DataType::Utf8, true)))),
            "array<string>"
        );
        let fields = Fields::from(vec![Field::new("x", DataType::Int64, true)]);
        assert_eq!(name(DataType::Struct(fields)), "struct<x:bigint>");
        assert_eq!(name(DataType::UInt8), "uint8");
    }
}
