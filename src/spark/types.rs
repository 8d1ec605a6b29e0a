//! Spark SQL types from the Spark schema of a result. Arrow alone cannot say `varchar(10)`
//! from `string`, or `interval hour` from `interval day to second`; Spark's schema can, and
//! its types travel up with the result and, by name, in each Arrow field's metadata (under
//! [`TYPE_NAME_KEY`]), which keeps them in the Arrow output for readers of the notebook.

use std::sync::Arc;

use arrow_schema::{Schema, SchemaRef};

use super::proto::{self, data_type::Kind};
use crate::data::sql_type::{DAY_TIME_FIELDS, TYPE_NAME_KEY, YEAR_MONTH_FIELDS};
use crate::data::{IntervalFields, SqlType};

/// An interval's fields, when the server's indices are ones Spark knows; otherwise the type
/// is known only by its name.
fn interval(
    names: &[&str],
    start: Option<i32>,
    end: Option<i32>,
    default: IntervalFields,
    typed: fn(IntervalFields) -> SqlType,
) -> SqlType {
    let field = |i: Option<i32>, d: usize| i.map_or(Ok(d), |i| usize::try_from(i).map_err(|_| i));
    let (start, end) = (field(start, default.start), field(end, default.end));
    match (start, end) {
        (Ok(start), Ok(end)) if start < names.len() && end < names.len() => typed(IntervalFields { start, end }),
        _ => {
            let name = |i: &Result<usize, i32>| i.as_ref().ok().and_then(|i| names.get(*i)).copied().unwrap_or("?");
            SqlType::Named(if start == end {
                format!("interval {}", name(&start))
            } else {
                format!("interval {} to {}", name(&start), name(&end))
            })
        }
    }
}

/// The Spark SQL type a Spark schema describes.
pub(crate) fn sql_type(t: &proto::DataType) -> SqlType {
    let inner = |t: &Option<Box<proto::DataType>>| Box::new(t.as_deref().map_or(SqlType::Named("?".into()), sql_type));
    let Some(kind) = &t.kind else {
        return SqlType::Named("?".into());
    };
    match kind {
        Kind::Null(_) => SqlType::Void,
        Kind::Binary(_) => SqlType::Binary,
        Kind::Boolean(_) => SqlType::Boolean,
        Kind::Byte(_) => SqlType::TinyInt,
        Kind::Short(_) => SqlType::SmallInt,
        Kind::Integer(_) => SqlType::Int,
        Kind::Long(_) => SqlType::BigInt,
        Kind::Float(_) => SqlType::Float,
        Kind::Double(_) => SqlType::Double,
        Kind::Decimal(d) => SqlType::Decimal {
            precision: d.precision.unwrap_or(10),
            scale: d.scale.unwrap_or(0),
        },
        // The default collation goes unnamed, as Spark names the type.
        Kind::String(s) if s.collation.is_empty() || s.collation.eq_ignore_ascii_case("UTF8_BINARY") => SqlType::String,
        Kind::String(s) => SqlType::CollatedString(s.collation.clone()),
        Kind::Char(c) => SqlType::Char(c.length),
        Kind::VarChar(v) => SqlType::VarChar(v.length),
        Kind::Date(_) => SqlType::Date,
        Kind::Timestamp(_) => SqlType::Timestamp,
        Kind::TimestampNtz(_) => SqlType::TimestampNtz,
        Kind::CalendarInterval(_) => SqlType::CalendarInterval,
        Kind::YearMonthInterval(i) => interval(
            &YEAR_MONTH_FIELDS,
            i.start_field,
            i.end_field,
            IntervalFields { start: 0, end: 1 },
            SqlType::YearMonthInterval,
        ),
        Kind::DayTimeInterval(i) => interval(
            &DAY_TIME_FIELDS,
            i.start_field,
            i.end_field,
            IntervalFields { start: 0, end: 3 },
            SqlType::DayTimeInterval,
        ),
        Kind::Array(a) => SqlType::Array(inner(&a.element_type)),
        Kind::Map(m) => SqlType::Map(inner(&m.key_type), inner(&m.value_type)),
        Kind::Struct(s) => SqlType::Struct(
            s.fields
                .iter()
                .map(|f| {
                    let t = f.data_type.as_ref().map_or(SqlType::Named("?".into()), sql_type);
                    (f.name.clone(), t)
                })
                .collect(),
        ),
        Kind::Variant(_) => SqlType::Variant,
        Kind::Udt(u) => u
            .sql_type
            .as_deref()
            .map_or_else(|| SqlType::Named(u.r#type.clone()), sql_type),
        Kind::Unparsed(u) => SqlType::Named(u.data_type_string.clone()),
    }
}

/// `schema` with each top-level field's Spark SQL type name in its metadata, when the Spark
/// schema (a struct) lines up with it field by field, and the type of each column: Spark's
/// where it says, otherwise read from Arrow.
pub(crate) fn annotate(schema: &SchemaRef, spark: Option<&proto::DataType>) -> (SchemaRef, Vec<SqlType>) {
    let from_arrow = || {
        schema
            .fields()
            .iter()
            .map(|f| SqlType::from_arrow(f.data_type()))
            .collect()
    };
    let Some(Kind::Struct(s)) = spark.and_then(|t| t.kind.as_ref()) else {
        return (schema.clone(), from_arrow());
    };
    if s.fields.len() != schema.fields().len() {
        return (schema.clone(), from_arrow());
    }
    let mut types = Vec::with_capacity(s.fields.len());
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .zip(&s.fields)
        .map(|(field, spark_field)| {
            let mut metadata = field.metadata().clone();
            match &spark_field.data_type {
                Some(t) => {
                    let t = sql_type(t);
                    metadata.insert(TYPE_NAME_KEY.to_string(), t.to_string());
                    types.push(t);
                }
                None => types.push(SqlType::from_arrow(field.data_type())),
            }
            Arc::new(field.as_ref().clone().with_metadata(metadata))
        })
        .collect();
    (
        Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone())),
        types,
    )
}

/// `schema` with each top-level field's Spark SQL type name, as Spark reads it from the
/// Arrow type, in its metadata: the schema a fetch of Arrow-only rows (a command's local
/// relation) is announced with, since Spark derives that schema from the same Arrow types.
pub(crate) fn annotate_as_read(schema: &SchemaRef) -> (SchemaRef, Vec<SqlType>) {
    let mut types = Vec::with_capacity(schema.fields().len());
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|field| {
            let t = SqlType::from_arrow(field.data_type());
            let mut metadata = field.metadata().clone();
            metadata.insert(TYPE_NAME_KEY.to_string(), t.to_string());
            types.push(t);
            Arc::new(field.as_ref().clone().with_metadata(metadata))
        })
        .collect();
    (
        Arc::new(Schema::new(fields).with_metadata(schema.metadata().clone())),
        types,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::data_type::{Char, DayTimeInterval, Decimal, VarChar, YearMonthInterval};

    fn t(kind: Kind) -> proto::DataType {
        proto::DataType { kind: Some(kind) }
    }

    fn name(t: &proto::DataType) -> String {
        sql_type(t).to_string()
    }

    #[test]
    fn names_follow_spark() {
        assert_eq!(
            name(&t(Kind::Decimal(Decimal {
                scale: Some(18),
                precision: Some(38),
                ..Default::default()
            }))),
            "decimal(38,18)"
        );
        assert_eq!(
            name(&t(Kind::VarChar(VarChar {
                length: 10,
                ..Default::default()
            }))),
            "varchar(10)"
        );
        let string = |collation: &str| {
            t(Kind::String(proto::data_type::String {
                collation: collation.into(),
                ..Default::default()
            }))
        };
        assert_eq!(name(&string("")), "string");
        assert_eq!(name(&string("UTF8_BINARY")), "string");
        assert_eq!(name(&string("UTF8_LCASE")), "string collate UTF8_LCASE");
        assert_eq!(
            name(&t(Kind::Char(Char {
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
        assert_eq!(name(&dt(1, 1)), "interval hour");
        assert_eq!(name(&dt(0, 3)), "interval day to second");
        let ym = t(Kind::YearMonthInterval(YearMonthInterval {
            start_field: Some(0),
            end_field: Some(1),
            ..Default::default()
        }));
        assert_eq!(name(&ym), "interval year to month");
        // Fields Spark does not have keep the name the server's indices give.
        assert_eq!(name(&dt(1, 7)), "interval hour to ?");
        assert_eq!(
            sql_type(&dt(1, 2)),
            SqlType::DayTimeInterval(IntervalFields { start: 1, end: 2 })
        );
    }
}
