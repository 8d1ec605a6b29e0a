//! Spark SQL type names from the Spark schema of a result. Arrow alone cannot say
//! `varchar(10)` from `string`, or `interval hour` from `interval day to second`; the names
//! travel to the renderer in each Arrow field's metadata (under [`TYPE_NAME_KEY`]), which also
//! keeps them in the Arrow output for readers of the notebook.

use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};

use super::proto::{self, data_type::Kind};
pub use crate::render::value::TYPE_NAME_KEY;

const DAY_TIME_FIELDS: [&str; 4] = ["day", "hour", "minute", "second"];
const YEAR_MONTH_FIELDS: [&str; 2] = ["year", "month"];

fn interval(fields: &[&str], start: Option<i32>, end: Option<i32>, default_start: i32, default_end: i32) -> String {
    let name = |i: i32| fields.get(i as usize).copied().unwrap_or("?");
    let (start, end) = (start.unwrap_or(default_start), end.unwrap_or(default_end));
    if start == end {
        format!("interval {}", name(start))
    } else {
        format!("interval {} to {}", name(start), name(end))
    }
}

/// The SQL name Spark gives a type, such as `decimal(38,18)` or `array<string>`.
pub fn sql_name(t: &proto::DataType) -> String {
    let inner = |t: &Option<Box<proto::DataType>>| t.as_deref().map_or("?".into(), sql_name);
    match &t.kind {
        None => "?".into(),
        Some(kind) => match kind {
            Kind::Null(_) => "void".into(),
            Kind::Binary(_) => "binary".into(),
            Kind::Boolean(_) => "boolean".into(),
            Kind::Byte(_) => "tinyint".into(),
            Kind::Short(_) => "smallint".into(),
            Kind::Integer(_) => "int".into(),
            Kind::Long(_) => "bigint".into(),
            Kind::Float(_) => "float".into(),
            Kind::Double(_) => "double".into(),
            Kind::Decimal(d) => format!("decimal({},{})", d.precision.unwrap_or(10), d.scale.unwrap_or(0)),
            Kind::String(_) => "string".into(),
            Kind::Char(c) => format!("char({})", c.length),
            Kind::VarChar(v) => format!("varchar({})", v.length),
            Kind::Date(_) => "date".into(),
            Kind::Timestamp(_) => "timestamp".into(),
            Kind::TimestampNtz(_) => "timestamp_ntz".into(),
            Kind::CalendarInterval(_) => "interval".into(),
            Kind::YearMonthInterval(i) => interval(&YEAR_MONTH_FIELDS, i.start_field, i.end_field, 0, 1),
            Kind::DayTimeInterval(i) => interval(&DAY_TIME_FIELDS, i.start_field, i.end_field, 0, 3),
            Kind::Array(a) => format!("array<{}>", inner(&a.element_type)),
            Kind::Map(m) => format!("map<{},{}>", inner(&m.key_type), inner(&m.value_type)),
            Kind::Struct(s) => format!(
                "struct<{}>",
                s.fields
                    .iter()
                    .map(|f| format!("{}:{}", f.name, f.data_type.as_ref().map_or("?".into(), sql_name)))
                    .collect::<Vec<_>>()
                    .join(",")
            ),
            Kind::Variant(_) => "variant".into(),
            Kind::Udt(u) => u.sql_type.as_deref().map_or_else(|| u.r#type.clone(), sql_name),
            Kind::Unparsed(u) => u.data_type_string.clone(),
        },
    }
}

/// `schema` with each top-level field's Spark SQL type name in its metadata, when the
/// Spark schema (a struct) lines up with it field by field.
pub fn annotate(schema: &SchemaRef, spark: Option<&proto::DataType>) -> SchemaRef {
    let Some(Kind::Struct(s)) = spark.and_then(|t| t.kind.as_ref()) else {
        return schema.clone();
    };
    if s.fields.len() != schema.fields().len() {
        return schema.clone();
    }
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .zip(&s.fields)
        .map(|(field, spark_field)| {
            let mut metadata = field.metadata().clone();
            if let Some(t) = &spark_field.data_type {
                metadata.insert(TYPE_NAME_KEY.to_string(), sql_name(t));
            }
            Arc::new(field.as_ref().clone().with_metadata(metadata))
        })
        .collect();
    Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::data_type::{Char, DayTimeInterval, Decimal, VarChar, YearMonthInterval};

    fn t(kind: Kind) -> proto::DataType {
        proto::DataType { kind: Some(kind) }
    }

    #[test]
    fn names_follow_spark() {
        assert_eq!(
            sql_name(&t(Kind::Decimal(Decimal {
                scale: Some(18),
                precision: Some(38),
                ..Default::default()
            }))),
            "decimal(38,18)"
        );
        assert_eq!(
            sql_name(&t(Kind::VarChar(VarChar {
                length: 10,
                ..Default::default()
            }))),
            "varchar(10)"
        );
        assert_eq!(
            sql_name(&t(Kind::Char(Char {
                length: 3,
                ..Default::default()
            }))),
            "char(3)"
        );
        let dt = |s, e| {
            t(Kind::DayTimeInterval(DayTimeInterval {
                start_field: Some(s),
                end_field: Some(e),
                ..Default::default()
            }))
        };
        assert_eq!(sql_name(&dt(1, 1)), "interval hour");
        assert_eq!(sql_name(&dt(0, 3)), "interval day to second");
        let ym = t(Kind::YearMonthInterval(YearMonthInterval {
            start_field: Some(0),
            end_field: Some(1),
            ..Default::default()
        }));
        assert_eq!(sql_name(&ym), "interval year to month");
    }
}
