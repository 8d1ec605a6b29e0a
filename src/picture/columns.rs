//! The columns of a result that charts and profiles work over, and the few ways they need
//! them: quoted for SQL whatever their names, typed as a chart axis, and values read back
//! from the small answers Spark gives (which the SQL casts to double, bigint or string).

use arrow_array::{Array, BooleanArray, Float64Array, Int32Array, Int64Array, StringArray};

use crate::data::{QueryResult, SqlType};

/// One column of the result drawn or profiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) ty: SqlType,
}

/// How a column goes on an axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Quantitative,
    /// Dates, drawn on a time axis.
    Date,
    /// Timestamps, drawn on a time axis.
    Timestamp,
    Nominal,
}

impl Column {
    pub(crate) fn role(&self) -> Role {
        match self.ty {
            ref t if t.is_number() => Role::Quantitative,
            SqlType::Date => Role::Date,
            SqlType::Timestamp | SqlType::TimestampNtz => Role::Timestamp,
            _ => Role::Nominal,
        }
    }

    /// The column in SQL: backquoted, inner backquotes doubled.
    pub(crate) fn sql(&self) -> String {
        quote(&self.name)
    }

    /// The column as a double, NaN read as null so that it is counted, not summed.
    pub(crate) fn number(&self) -> String {
        let c = self.sql();
        match self.ty {
            SqlType::Float | SqlType::Double => format!("NULLIF(CAST({c} AS DOUBLE), CAST('NaN' AS DOUBLE))"),
            _ => format!("CAST({c} AS DOUBLE)"),
        }
    }

    /// The column on a continuous scale, as a double: numbers as they are, dates as days
    /// and timestamps as microseconds since 1970.
    pub(crate) fn continuous(&self) -> Option<String> {
        let c = self.sql();
        match self.role() {
            Role::Quantitative => Some(self.number()),
            Role::Date => Some(format!("CAST(unix_date({c}) AS DOUBLE)")),
            Role::Timestamp => Some(format!("CAST(unix_micros(CAST({c} AS TIMESTAMP)) AS DOUBLE)")),
            Role::Nominal => None,
        }
    }
}

/// `name` quoted as a SQL identifier.
pub(crate) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A SQL expression for the values of `expr` (a column of this role) as text for a chart:
/// dates and timestamps in ISO 8601, which Vega-Lite reads as times.
pub(crate) fn as_label(expr: &str, role: Role) -> String {
    match role {
        Role::Quantitative => format!("CAST({expr} AS DOUBLE)"),
        Role::Timestamp => format!("date_format({expr}, \"yyyy-MM-dd'T'HH:mm:ss.SSS\")"),
        Role::Date | Role::Nominal => format!("CAST({expr} AS STRING)"),
    }
}

/// The result's columns, from its schema.
pub(crate) fn of(result: &QueryResult) -> Vec<Column> {
    result
        .columns()
        .map(|(name, t)| Column {
            name: name.clone(),
            ty: t.clone(),
        })
        .collect()
}

/// The names of `columns`, for an error that lists them.
pub(crate) fn listed(columns: &[Column]) -> String {
    columns
        .iter()
        .map(|c| format!("{} ({})", c.name, c.ty))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Finds a column by name: exactly, else ignoring case as Spark does when that is unique.
pub(crate) fn find<'c>(columns: &'c [Column], name: &str) -> Option<&'c Column> {
    columns.iter().find(|c| c.name == name).or_else(|| {
        let mut same = columns.iter().filter(|c| c.name.to_lowercase() == name.to_lowercase());
        match (same.next(), same.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    })
}

/// Reads the small answers of chart and profile queries, by column name.
pub(crate) struct Answer<'r> {
    result: &'r QueryResult,
}

impl<'r> Answer<'r> {
    pub(crate) fn new(result: &'r QueryResult) -> Answer<'r> {
        Answer { result }
    }

    pub(crate) fn rows(&self) -> usize {
        self.result.num_rows()
    }

    fn cell(&self, column: &str, mut row: usize) -> Option<(&'r dyn Array, usize)> {
        let index = self.result.schema.index_of(column).ok()?;
        for b in &self.result.batches {
            if row < b.num_rows() {
                return Some((b.column(index).as_ref(), row));
            }
            row -= b.num_rows();
        }
        None
    }

    /// A number (double, bigint or int column); `None` for null.
    pub(crate) fn number(&self, column: &str, row: usize) -> Option<f64> {
        let (a, r) = self.cell(column, row)?;
        if a.is_null(r) {
            return None;
        }
        let any = a.as_any();
        if let Some(a) = any.downcast_ref::<Float64Array>() {
            Some(a.value(r))
        } else if let Some(a) = any.downcast_ref::<Int64Array>() {
            Some(a.value(r) as f64)
        } else {
            any.downcast_ref::<Int32Array>().map(|a| f64::from(a.value(r)))
        }
    }

    /// A count, 0 for null.
    pub(crate) fn count(&self, column: &str, row: usize) -> u64 {
        self.number(column, row).map_or(0, |n| n.max(0.0) as u64)
    }

    pub(crate) fn text(&self, column: &str, row: usize) -> Option<String> {
        let (a, r) = self.cell(column, row)?;
        if a.is_null(r) {
            return None;
        }
        a.as_any().downcast_ref::<StringArray>().map(|a| a.value(r).to_string())
    }

    pub(crate) fn flag(&self, column: &str, row: usize) -> bool {
        self.cell(column, row)
            .and_then(|(a, r)| {
                a.as_any()
                    .downcast_ref::<BooleanArray>()
                    .map(|a| !a.is_null(r) && a.value(r))
            })
            .unwrap_or(false)
    }
}

/// `n` with thousands separators, as the descriptions say counts.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_names_are_quoted_for_sql() {
        assert_eq!(quote("a b"), "`a b`");
        assert_eq!(quote("we`ird"), "`we``ird`");
        assert_eq!(quote("größe"), "`größe`");
        let c = Column {
            name: "x`".into(),
            ty: SqlType::Double,
        };
        assert_eq!(c.number(), "NULLIF(CAST(`x``` AS DOUBLE), CAST('NaN' AS DOUBLE))");
        assert_eq!(thousands(10_000_000), "10,000,000");
        assert_eq!(thousands(999), "999");
    }
}
