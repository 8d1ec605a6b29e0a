//! Help while typing: completion of SQL keywords and of the session's tables, views and
//! functions, and inspection (Shift+Tab) of the table or function under the cursor, which
//! shows what `DESCRIBE` says of it.

use std::time::Duration;

use arrow_array::ArrayRef;
use arrow_array::cast::AsArray;
use serde_json::{Map, Value, json};

use super::Engine;
use crate::render;

/// Catalog look-ups must not keep a typing user waiting.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

const KEYWORDS: &[&str] = &[
    "ADD",
    "ALL",
    "ALTER",
    "ANALYZE",
    "AND",
    "ANTI",
    "ARRAY",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CACHE",
    "CASE",
    "CAST",
    "CATALOG",
    "CLUSTER",
    "COLUMNS",
    "CREATE",
    "CROSS",
    "CUBE",
    "CURRENT_DATE",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DATABASES",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DISTRIBUTE",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXISTS",
    "EXPLAIN",
    "EXTENDED",
    "FALSE",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FORMATTED",
    "FROM",
    "FULL",
    "FUNCTION",
    "FUNCTIONS",
    "GROUP",
    "GROUPING",
    "HAVING",
    "IF",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCATION",
    "MAP",
    "MERGE",
    "NAMESPACE",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "OVERWRITE",
    "PARTITION",
    "PARTITIONED",
    "PIVOT",
    "PRECEDING",
    "QUALIFY",
    "RANGE",
    "REFRESH",
    "REPLACE",
    "RESET",
    "RIGHT",
    "RLIKE",
    "ROLLUP",
    "ROW",
    "ROWS",
    "SCHEMA",
    "SCHEMAS",
    "SELECT",
    "SEMI",
    "SET",
    "SHOW",
    "SORT",
    "STRUCT",
    "TABLE",
    "TABLES",
    "TABLESAMPLE",
    "TBLPROPERTIES",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TRUE",
    "TRUNCATE",
    "UNBOUNDED",
    "UNCACHE",
    "UNION",
    "UNPIVOT",
    "UPDATE",
    "USE",
    "USING",
    "VALUES",
    "VIEW",
    "VIEWS",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Completions for the word before the cursor, as code-point offsets into the code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Completion {
    pub(crate) matches: Vec<String>,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// The values of a string column, nulls left out.
fn strings(column: &ArrayRef) -> Vec<String> {
    match column.as_string_opt::<i32>() {
        Some(values) => values.iter().flatten().map(str::to_string).collect(),
        None => Vec::new(),
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The word around `cursor` (code points): its start, end, and text.
fn word_at(code: &str, cursor: usize) -> (usize, usize, String) {
    let chars: Vec<char> = code.chars().collect();
    let cursor = cursor.min(chars.len());
    let mut start = cursor;
    while start > 0 && is_word(chars[start - 1]) {
        start -= 1;
    }
    let mut end = cursor;
    while end < chars.len() && is_word(chars[end]) {
        end += 1;
    }
    (start, end, chars[start..end].iter().collect())
}

impl Engine {
    pub(crate) async fn complete(&self, code: &str, cursor: usize) -> Completion {
        if let Some(found) = super::magic::complete(code, cursor) {
            return found;
        }
        let (start, _, _) = word_at(code, cursor);
        let prefix: String = code.chars().skip(start).take(cursor - start.min(cursor)).collect();
        let lower = prefix.to_lowercase();
        let mut matches: Vec<String> = Vec::new();
        if !prefix.is_empty() {
            let lowercase_user = prefix.chars().all(|c| !c.is_uppercase());
            for k in KEYWORDS.iter().filter(|k| k.to_lowercase().starts_with(&lower)) {
                matches.push(if lowercase_user {
                    k.to_lowercase()
                } else {
                    k.to_string()
                });
            }
            for name in self.catalog_names().await {
                if name.to_lowercase().starts_with(&lower) && !matches.contains(&name) {
                    matches.push(name);
                }
            }
        }
        Completion {
            matches,
            start,
            end: cursor,
        }
    }

    /// Table, view and function names of the open session; none when there is no session yet
    /// (completion never waits for one to open).
    async fn catalog_names(&self) -> Vec<String> {
        let Some(session) = self.slot.current() else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for (query, column) in [("SHOW TABLES", "tableName"), ("SHOW FUNCTIONS", "function")] {
            let Ok(Ok(result)) = tokio::time::timeout(
                LOOKUP_TIMEOUT,
                session.sql(query, 5000, "kbase-spark-sql-assist", &mut |_| {}),
            )
            .await
            else {
                continue;
            };
            let Ok(index) = result.schema.index_of(column) else {
                continue;
            };
            names.extend(result.batches.iter().flat_map(|b| strings(b.column(index))));
        }
        names
    }

    /// What `DESCRIBE` says of the table or function under the cursor.
    pub(crate) async fn inspect(&self, code: &str, cursor: usize) -> Option<Map<String, Value>> {
        let (_, _, word) = word_at(code, cursor);
        if word.is_empty() || KEYWORDS.contains(&word.to_uppercase().as_str()) {
            return None;
        }
        let session = self.slot.current()?;
        let quoted = format!("`{}`", word.replace('`', "``"));
        for query in [
            format!("DESCRIBE TABLE {quoted}"),
            format!("DESCRIBE FUNCTION {quoted}"),
        ] {
            let Ok(Ok(result)) = tokio::time::timeout(
                LOOKUP_TIMEOUT,
                session.sql(&query, 200, "kbase-spark-sql-assist", &mut |_| {}),
            )
            .await
            else {
                continue;
            };
            if result.num_rows() == 0 {
                continue;
            }
            let table = render::Table::new(&result);
            let mut data = Map::new();
            data.insert(
                "text/plain".into(),
                json!(format!("{query}\n{}", render::text::render(&table))),
            );
            return Some(data);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_at_the_cursor() {
        assert_eq!(word_at("SELECT * FROM my_ta", 19), (14, 19, "my_ta".to_string()));
        assert_eq!(word_at("SELECT upper(x)", 9), (7, 12, "upper".to_string()));
        assert_eq!(word_at("", 0), (0, 0, String::new()));
        assert_eq!(word_at("SÉLECT", 3), (0, 6, "SÉLECT".to_string()));
    }
}
