//! The live grid's messages, read and written: a front end's request (JSON from a comm) is
//! checked against the result's columns and becomes a typed [`GridQuery`], or a short
//! message saying what was wrong; nothing unchecked reaches Spark. Values typed by the user
//! are parsed by their column's type here, so a wrong one is refused before any query.

use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use crate::data::SqlType;
use crate::data::grid::{Condition, GridQuery, Literal, SortKey, View};

/// The most rows one page may ask for.
pub(crate) const MAX_PAGE: u64 = 1000;

/// One column of a result, as the grid shows it.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) sql_type: SqlType,
}

/// What a column's values are, for the front end's filters.
pub(crate) fn kind(t: &SqlType) -> &'static str {
    match t {
        t if t.is_number() => "number",
        SqlType::String | SqlType::CollatedString(_) | SqlType::Char(_) | SqlType::VarChar(_) => "text",
        SqlType::Date => "date",
        SqlType::Timestamp | SqlType::TimestampNtz => "timestamp",
        SqlType::Boolean => "boolean",
        _ => "other",
    }
}

/// The `ready` answer's column list.
pub(crate) fn columns_json(columns: &[Column]) -> Value {
    Value::Array(
        columns
            .iter()
            .map(|c| json!({"name": c.name, "type": c.sql_type.to_string(), "kind": kind(&c.sql_type)}))
            .collect(),
    )
}

/// A request of the front end.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Ask {
    Query { id: i64, query: GridQuery },
    Cancel { id: i64 },
}

/// A refused request: its id when it had one, and what to tell the user.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Refused {
    pub(crate) id: Option<i64>,
    pub(crate) message: String,
}

/// Reads one `comm_msg`'s data against the result's `columns`.
pub(crate) fn read(data: &Value, columns: &[Column]) -> Result<Ask, Refused> {
    let id = data.get("id").and_then(Value::as_i64);
    let refuse = |message: String| Refused { id, message };
    let Some(id) = id else {
        return Err(refuse("A grid request needs an integer \"id\".".into()));
    };
    let ask = match data.get("type").and_then(Value::as_str) {
        Some("cancel") => Ask::Cancel { id },
        Some("count") => Ask::Query {
            id,
            query: GridQuery::Count {
                view: view(data.get("view"), columns).map_err(refuse)?,
            },
        },
        Some("page") => {
            let offset = data.get("offset").and_then(Value::as_u64);
            let limit = data.get("limit").and_then(Value::as_u64);
            let (Some(offset), Some(limit)) = (offset, limit) else {
                return Err(refuse(
                    "A page needs a whole \"offset\" (0 or more) and \"limit\".".into(),
                ));
            };
            if !(1..=MAX_PAGE).contains(&limit) {
                return Err(refuse(format!("A page holds 1 to {MAX_PAGE} rows; ask for fewer.")));
            }
            // Spark's Offset counts in 32 bits.
            let Some(offset) = u32::try_from(offset).ok().filter(|&o| i32::try_from(o).is_ok()) else {
                return Err(refuse("The offset is past the last row a grid can reach.".into()));
            };
            Ask::Query {
                id,
                query: GridQuery::Page {
                    view: view(data.get("view"), columns).map_err(refuse)?,
                    offset,
                    limit: u32::try_from(limit).unwrap_or(1),
                },
            }
        }
        _ => {
            return Err(refuse(
                "Unknown grid request: \"type\" is page, count or cancel.".into(),
            ));
        }
    };
    Ok(ask)
}

/// The view a request describes; a missing view is the whole result in its own order.
fn view(v: Option<&Value>, columns: &[Column]) -> Result<View, String> {
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(View::default());
    };
    if !v.is_object() {
        return Err("\"view\" must be an object with sort, filters and search.".into());
    }
    let list = |key: &str| -> Result<Vec<Value>, String> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(format!("\"{key}\" must be a list.")),
        }
    };
    let mut out = View::default();
    for key in list("sort")? {
        let column = find(&key, columns)?;
        out.sort.push(SortKey {
            column: column.name.clone(),
            descending: key.get("descending").and_then(Value::as_bool).unwrap_or(false),
        });
    }
    for filter in list("filters")? {
        out.conditions.extend(conditions(&filter, columns)?);
    }
    match v.get("search") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s.is_empty() => {}
        Some(Value::String(s)) => {
            let text: Vec<String> = columns
                .iter()
                .filter(|c| kind(&c.sql_type) == "text")
                .map(|c| c.name.clone())
                .collect();
            if text.is_empty() {
                return Err("This result has no text columns to search; filter a column instead.".into());
            }
            out.conditions.push(Condition::Search {
                columns: text,
                text: s.clone(),
            });
        }
        Some(_) => return Err("\"search\" must be text.".into()),
    }
    Ok(out)
}

/// The result's column a sort key or filter names.
fn find<'c>(item: &Value, columns: &'c [Column]) -> Result<&'c Column, String> {
    let Some(name) = item.get("column").and_then(Value::as_str) else {
        return Err("Each sort key and filter names its \"column\".".into());
    };
    columns
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("This result has no column named {name:?}."))
}

/// The conditions one filter stands for.
fn conditions(filter: &Value, columns: &[Column]) -> Result<Vec<Condition>, String> {
    let c = find(filter, columns)?;
    let column = c.name.clone();
    let text = |key: &str| -> Result<Option<String>, String> {
        match filter.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(format!("The filter's \"{key}\" must be a value as typed.")),
        }
    };
    let needed = |key: &str| text(key)?.ok_or_else(|| format!("This filter needs a \"{key}\"."));
    Ok(match filter.get("op").and_then(Value::as_str) {
        Some("is_null") => vec![Condition::IsNull { column }],
        Some("not_null") => vec![Condition::NotNull { column }],
        Some("contains") if kind(&c.sql_type) == "text" => vec![Condition::Contains {
            column,
            value: needed("value")?,
        }],
        Some("contains") => {
            return Err(format!(
                "“contains” is for text columns; {} holds {}: use equals or a range.",
                c.name, c.sql_type
            ));
        }
        Some("equals") => vec![Condition::Equals {
            value: literal(&needed("value")?, c)?,
            column,
        }],
        Some("range") => {
            let (low, high) = (text("low")?, text("high")?);
            if low.is_none() && high.is_none() {
                return Err("A range needs a \"low\", a \"high\" or both.".into());
            }
            if kind(&c.sql_type) == "boolean" {
                return Err(format!("{} holds booleans: use equals.", c.name));
            }
            let mut out = Vec::new();
            if let Some(low) = low {
                out.push(Condition::AtLeast {
                    column: column.clone(),
                    value: literal(&low, c)?,
                });
            }
            if let Some(high) = high {
                out.push(Condition::AtMost {
                    column,
                    value: literal(&high, c)?,
                });
            }
            out
        }
        _ => return Err("A filter's \"op\" is contains, equals, range, is_null or not_null.".into()),
    })
}

/// `text` as a value of `column`'s type, or what is wrong with it.
pub(crate) fn literal(text: &str, column: &Column) -> Result<Literal, String> {
    let t = &column.sql_type;
    let wrong = |what: &str| format!("{text:?} is not {what}: {} holds {t}.", column.name);
    let typed = text.trim();
    Ok(match t {
        SqlType::TinyInt | SqlType::SmallInt | SqlType::Int | SqlType::BigInt => {
            Literal::Long(typed.parse().map_err(|_| wrong("a whole number"))?)
        }
        SqlType::Float | SqlType::Double => {
            let n: f64 = typed.parse().map_err(|_| wrong("a number"))?;
            Literal::Double(n)
        }
        SqlType::Decimal { .. } => {
            let digits = typed.strip_prefix(['-', '+']).unwrap_or(typed);
            let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
            let ok = !(whole.is_empty() && fraction.is_empty())
                && whole.chars().chain(fraction.chars()).all(|c| c.is_ascii_digit());
            if !ok {
                return Err(wrong("a decimal number"));
            }
            Literal::Cast {
                text: typed.to_string(),
                type_name: t.to_string(),
            }
        }
        SqlType::Boolean => match typed.to_ascii_lowercase().as_str() {
            "true" => Literal::Boolean(true),
            "false" => Literal::Boolean(false),
            _ => return Err(wrong("true or false")),
        },
        SqlType::Date => {
            NaiveDate::parse_from_str(typed, "%Y-%m-%d").map_err(|_| wrong("a date (YYYY-MM-DD)"))?;
            Literal::Cast {
                text: typed.to_string(),
                type_name: t.to_string(),
            }
        }
        SqlType::Timestamp | SqlType::TimestampNtz => {
            let ok = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M"]
                .iter()
                .any(|f| NaiveDateTime::parse_from_str(typed, f).is_ok())
                || NaiveDate::parse_from_str(typed, "%Y-%m-%d").is_ok();
            if !ok {
                return Err(wrong("a timestamp (YYYY-MM-DD HH:MM:SS)"));
            }
            Literal::Cast {
                text: typed.to_string(),
                type_name: t.to_string(),
            }
        }
        SqlType::String | SqlType::CollatedString(_) | SqlType::Char(_) | SqlType::VarChar(_) => {
            Literal::Text(text.to_string())
        }
        _ => {
            return Err(format!(
                "{} holds {t}: filter it by is null or is not null only.",
                column.name
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> Vec<Column> {
        vec![
            Column {
                name: "n".into(),
                sql_type: SqlType::BigInt,
            },
            Column {
                name: "na`me é".into(),
                sql_type: SqlType::String,
            },
            Column {
                name: "d".into(),
                sql_type: SqlType::Date,
            },
        ]
    }

    #[test]
    fn a_page_with_a_view_becomes_typed_conditions() {
        let data = json!({"type": "page", "id": 3, "offset": 10, "limit": 200, "view": {
            "sort": [{"column": "n", "descending": true}],
            "filters": [{"column": "na`me é", "op": "equals", "value": "'; DROP TABLE t; --"},
                        {"column": "n", "op": "range", "low": "5"}],
            "search": "Coli"}});
        let Ok(Ask::Query {
            id: 3,
            query:
                GridQuery::Page {
                    view,
                    offset: 10,
                    limit: 200,
                },
        }) = read(&data, &columns())
        else {
            panic!("not a page")
        };
        assert_eq!(view.sort[0].column, "n");
        assert_eq!(
            view.conditions[0],
            Condition::Equals {
                column: "na`me é".into(),
                value: Literal::Text("'; DROP TABLE t; --".into())
            }
        );
        assert_eq!(
            view.conditions[1],
            Condition::AtLeast {
                column: "n".into(),
                value: Literal::Long(5)
            }
        );
        assert!(matches!(view.conditions[2], Condition::Search { .. }));
    }

    #[test]
    fn bad_requests_are_refused_with_their_id() {
        let cases = [
            json!({"type": "page", "id": 1, "offset": -1, "limit": 10}),
            json!({"type": "page", "id": 1, "offset": 0, "limit": 100000}),
            json!({"type": "page", "id": 1, "offset": 0, "limit": 0}),
            json!({"type": "page", "id": 1, "offset": 99_999_999_999u64, "limit": 10}),
            json!({"type": "count", "id": 1, "view": {"sort": [{"column": "nope"}]}}),
            json!({"type": "count", "id": 1, "view": {"filters": [{"column": "n", "op": "equals", "value": "1 OR 1=1"}]}}),
            json!({"type": "count", "id": 1, "view": {"filters": [{"column": "d", "op": "equals", "value": "yesterday"}]}}),
            json!({"type": "count", "id": 1, "view": {"filters": [{"column": "n", "op": "contains", "value": "1"}]}}),
            json!({"type": "count", "id": 1, "view": "everything"}),
            json!({"type": "drop", "id": 1}),
        ];
        for case in cases {
            let refused = read(&case, &columns()).expect_err(&case.to_string());
            assert_eq!(refused.id, Some(1), "{case}");
            assert!(!refused.message.is_empty());
        }
        assert_eq!(read(&json!([1, 2]), &columns()).expect_err("no id").id, None);
    }
}
