//! The session's names as completion and inspection want them — catalogs, databases, tables
//! and views, columns with their types (struct fields too), functions with their usage —
//! each read with one metadata statement through the [`Catalog`] cache.

use std::sync::Arc;

use tokio::time::Instant;

use super::catalog::{Catalog, Rows};
use crate::engine::session::Session;
use crate::sql::context::TableRef;

/// Backticks around a name, doubling any inside.
pub(crate) fn quote(name: &str) -> String {
    format!("`{}`", name.replace('`', "``"))
}

/// A qualified name with every part quoted.
pub(crate) fn qualified(parts: &[String]) -> String {
    parts.iter().map(|p| quote(p)).collect::<Vec<_>>().join(".")
}

/// A table or view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) view: bool,
}

/// A column or struct field and its Spark SQL type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) type_name: String,
    pub(crate) comment: Option<String>,
}

/// The catalog of one session, read until `deadline`.
pub(crate) struct Names<'a> {
    pub(crate) catalog: &'a Catalog,
    pub(crate) session: &'a Arc<dyn Session>,
    pub(crate) deadline: Instant,
}

fn texts(rows: Option<Arc<Rows>>, column: &str) -> Vec<String> {
    rows.map(|r| r.column(column).into_iter().flatten().map(str::to_string).collect())
        .unwrap_or_default()
}

impl Names<'_> {
    async fn rows(&self, statement: &str) -> Option<Arc<Rows>> {
        self.catalog.rows(self.session, statement, self.deadline).await
    }

    pub(crate) async fn catalogs(&self) -> Vec<String> {
        texts(self.rows("SHOW CATALOGS").await, "catalog")
    }

    /// The databases of the current catalog, or of `catalog`.
    pub(crate) async fn databases(&self, catalog: Option<&str>) -> Vec<String> {
        let statement = match catalog {
            Some(c) => format!("SHOW DATABASES IN {}", quote(c)),
            None => "SHOW DATABASES".to_string(),
        };
        texts(self.rows(&statement).await, "namespace")
    }

    /// The tables and views of the current database (temp views too), or of `database` (a
    /// database, or a catalog and a database).
    pub(crate) async fn tables(&self, database: &[String]) -> Vec<Table> {
        let within = if database.is_empty() {
            String::new()
        } else {
            format!(" IN {}", qualified(database))
        };
        let (show_tables, show_views) = (format!("SHOW TABLES{within}"), format!("SHOW VIEWS{within}"));
        let (tables, views) = futures::join!(self.rows(&show_tables), self.rows(&show_views));
        let views = texts(views, "viewName");
        let mut out = Vec::new();
        if let Some(tables) = tables {
            let names = tables.column("tableName");
            let temporary = tables.column("isTemporary");
            for (i, name) in names.into_iter().enumerate() {
                let Some(name) = name else { continue };
                let temp = temporary.get(i).copied().flatten() == Some("true");
                // A temp view is listed in every database, but lives in none.
                if temp && !database.is_empty() {
                    continue;
                }
                out.push(Table {
                    name: name.to_string(),
                    view: temp || views.iter().any(|v| v == name),
                });
            }
        }
        // What the kernel's own DDL did, which a stale answer may not know yet.
        let (created, dropped) = self.catalog.learned(database);
        out.retain(|t| !dropped.iter().any(|d| d.name.eq_ignore_ascii_case(&t.name)));
        for c in created {
            if !out.iter().any(|t| t.name.eq_ignore_ascii_case(&c.name)) {
                out.push(Table {
                    name: c.name,
                    view: c.view,
                });
            }
        }
        out
    }

    /// What `DESCRIBE TABLE` says of a table: its columns, then partitioning and details.
    pub(crate) async fn describe_table(&self, table: &[String]) -> Option<Arc<Rows>> {
        self.rows(&format!("DESCRIBE TABLE {}", qualified(table))).await
    }

    /// The columns of a table, in order; the partitioning and detail rows left out.
    pub(crate) async fn columns(&self, table: &[String]) -> Vec<Column> {
        let Some(rows) = self.describe_table(table).await else {
            return Vec::new();
        };
        let names = rows.column("col_name");
        let types = rows.column("data_type");
        let comments = rows.column("comment");
        let mut out = Vec::new();
        for (i, name) in names.into_iter().enumerate() {
            let name = name.unwrap_or("");
            if name.is_empty() || name.starts_with('#') {
                break;
            }
            out.push(Column {
                name: name.to_string(),
                type_name: types.get(i).copied().flatten().unwrap_or("").to_string(),
                comment: comments.get(i).copied().flatten().map(str::to_string),
            });
        }
        out
    }

    /// The names of the functions the session knows (operators left out).
    pub(crate) async fn functions(&self) -> Vec<String> {
        texts(self.rows("SHOW FUNCTIONS").await, "function")
            .into_iter()
            .filter(|f| f.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.'))
            .collect()
    }

    /// What `DESCRIBE FUNCTION EXTENDED` says of a function, line by line.
    pub(crate) async fn function_description(&self, name: &[String]) -> Vec<String> {
        let statement = format!("DESCRIBE FUNCTION EXTENDED {}", qualified(name));
        texts(self.rows(&statement).await, "function_desc")
    }
}

impl Names<'_> {
    /// The columns (or struct fields) that `qualifier.` stands for in a statement reading
    /// `scope`: a table's alias or name, then perhaps struct columns and fields; with no
    /// qualifier, the columns of every table in scope.
    pub(crate) async fn columns_at(&self, scope: &[TableRef], qualifier: &[String]) -> Vec<Column> {
        let all = futures::future::join_all(scope.iter().map(|t| self.columns(&t.parts))).await;
        let Some((first, rest)) = qualifier.split_first() else {
            let mut out: Vec<Column> = Vec::new();
            for c in all.into_iter().flatten() {
                if !out.iter().any(|o| o.name.eq_ignore_ascii_case(&c.name)) {
                    out.push(c);
                }
            }
            return out;
        };
        let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
        // `alias.` or `table.` (or `db.table.`)
        for (table, columns) in scope.iter().zip(&all) {
            let by_alias = table.alias.as_deref().is_some_and(|a| same(a, first));
            let by_name = table.alias.is_none() && table.parts.last().is_some_and(|n| same(n, first));
            if by_alias || by_name {
                return fields_at(columns.clone(), rest);
            }
            if table.parts.len() >= 2 && qualifier.len() >= 2 {
                let n = table.parts.len();
                if same(&table.parts[n - 2], first) && same(&table.parts[n - 1], &qualifier[1]) {
                    return fields_at(columns.clone(), &qualifier[2..]);
                }
            }
        }
        // `struct_column.`
        for columns in &all {
            if columns.iter().any(|c| same(&c.name, first)) {
                return fields_at(columns.clone(), qualifier);
            }
        }
        Vec::new()
    }
}

/// Follows `path` through struct fields from `columns`.
fn fields_at(mut columns: Vec<Column>, path: &[String]) -> Vec<Column> {
    for part in path {
        match columns.into_iter().find(|c| c.name.eq_ignore_ascii_case(part)) {
            Some(c) => columns = struct_fields(&c.type_name),
            None => return Vec::new(),
        }
    }
    columns
}

/// The argument list of `name` in a function's usage text: `(str, pos[, len])`.
pub(crate) fn arguments(name: &str, description: &[String]) -> Option<String> {
    let usage = description.iter().find_map(|l| l.strip_prefix("Usage:"))?;
    let lower = usage.to_lowercase();
    let at = lower.find(&format!("{}(", name.to_lowercase()))? + name.len();
    let mut depth = 0usize;
    for (i, c) in usage[at..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Some(usage[at..=at + i].to_string());
                }
            }
            _ => {}
        }
    }
    None
}

/// The fields of a struct type (of an array's or a map value's struct too), as Spark writes
/// it: `struct<name:string,inner:struct<x:int>>`; none for other types.
pub(crate) fn struct_fields(type_name: &str) -> Vec<Column> {
    let mut t = type_name.trim();
    while let Some(inner) = t.strip_prefix("array<").and_then(|r| r.strip_suffix('>')) {
        t = inner;
    }
    let Some(body) = t.strip_prefix("struct<").and_then(|r| r.strip_suffix('>')) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut in_backticks = false;
    let mut start = 0;
    let mut fields = Vec::new();
    for (i, c) in body.char_indices() {
        match c {
            '`' => in_backticks = !in_backticks,
            '<' | '(' if !in_backticks => depth += 1,
            '>' | ')' if !in_backticks => depth = depth.saturating_sub(1),
            ',' if depth == 0 && !in_backticks => {
                fields.push(&body[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&body[start..]);
    for field in fields {
        let (name, rest) = if let Some(r) = field.strip_prefix('`') {
            // `a``b`:type
            let mut name = String::new();
            let mut chars = r.char_indices().peekable();
            let mut end = r.len();
            while let Some((i, c)) = chars.next() {
                if c == '`' {
                    if chars.peek().map(|&(_, n)| n) == Some('`') {
                        chars.next();
                    } else {
                        end = i + 1;
                        break;
                    }
                }
                name.push(c);
            }
            (name, &r[end..])
        } else {
            match field.split_once(':') {
                Some((n, _)) => (n.to_string(), &field[n.len()..]),
                None => continue,
            }
        };
        let Some(rest) = rest.strip_prefix(':') else { continue };
        let (type_name, comment) = match rest.split_once(" COMMENT ") {
            Some((t, c)) => (t, Some(c.trim_matches('\'').to_string())),
            None => (rest, None),
        };
        out.push(Column {
            name,
            type_name: type_name.to_string(),
            comment,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn struct_fields_at_any_depth() {
        let f = struct_fields("struct<name:string,inner:struct<x:int,y:array<int>>,`odd,name`:map<string,int>>");
        let names: Vec<(&str, &str)> = f.iter().map(|c| (c.name.as_str(), c.type_name.as_str())).collect();
        assert_eq!(
            names,
            [
                ("name", "string"),
                ("inner", "struct<x:int,y:array<int>>"),
                ("odd,name", "map<string,int>")
            ]
        );
        assert_eq!(struct_fields("array<struct<a:int>>")[0].name, "a");
        assert!(struct_fields("int").is_empty());
    }

    #[test]
    fn arguments_from_the_usage() {
        let d = vec![
            "Function: substr".to_string(),
            "Usage: substr(str, pos[, len]) - Returns the substring of `str` (see substring(a, b)).".to_string(),
        ];
        assert_eq!(arguments("substr", &d).as_deref(), Some("(str, pos[, len])"));
        let d = vec!["Usage: \n    count(*) - Returns the total.".to_string()];
        assert_eq!(arguments("count", &d).as_deref(), Some("(*)"));
        assert_eq!(quote("a`b"), "`a``b`");
    }
}
