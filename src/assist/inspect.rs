//! Inspection (Shift+Tab) of the name under the cursor: a column of the statement's tables
//! (its type and comment, a struct's fields), a table or view (`DESCRIBE TABLE`, whole), or a
//! function (`DESCRIBE FUNCTION EXTENDED`: usage, arguments and examples, never cut).

use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use super::catalog::Catalog;
use super::completion::byte_offset;
use super::names::{Names, struct_fields};
use crate::engine::session::Session;
use crate::interpreter::Bundle;
use crate::render;
use crate::sql::context::{self, Place};
use crate::sql::keywords::is_keyword;

/// Inspection is asked for on purpose, so it may wait a little longer than completion.
const BUDGET: Duration = Duration::from_secs(3);

/// What to show of the name at `cursor` (code points) in `code`, from `catalog` and the
/// open `session`, waiting at most `wait` (or the inspection budget) for the catalog.
pub(crate) async fn inspect(
    code: &str,
    cursor: usize,
    session: Option<Arc<dyn Session>>,
    catalog: &Catalog,
    wait: Duration,
) -> Option<Bundle> {
    let cx = context::at(&crate::magic::blanked(code), byte_offset(code, cursor), true)?;
    if cx.name.last.is_empty() {
        return None;
    }
    let session = session?;
    let names = Names {
        catalog,
        session: &session,
        deadline: Instant::now() + BUDGET.max(wait),
    };
    let mut parts = cx.name.qualifier.clone();
    parts.push(cx.name.last.clone());
    let shown = parts.join(".");
    let keyword = !cx.name.quoted && parts.len() == 1 && is_keyword(&cx.name.last);

    if cx.place == Place::Expression && !keyword {
        let columns = names.columns_at(&cx.scope, &cx.name.qualifier).await;
        if let Some(c) = columns.iter().find(|c| c.name.eq_ignore_ascii_case(&cx.name.last)) {
            let mut rows = vec![[
                c.name.clone(),
                c.type_name.clone(),
                c.comment.clone().unwrap_or_default(),
            ]];
            let fields = struct_fields(&c.type_name);
            if !fields.is_empty() {
                rows.push(["# Fields".into(), String::new(), String::new()]);
                rows.extend(
                    fields
                        .into_iter()
                        .map(|f| [f.name, f.type_name, f.comment.unwrap_or_default()]),
                );
            }
            return Some(render::describe::rows(&format!("column {shown}"), &rows));
        }
    }
    if !keyword
        && cx.place != Place::Function
        && let Some(described) = names.describe_table(&parts).await
        && !described.rows.is_empty()
    {
        let value = |r: &Vec<Option<String>>, column: &str| {
            described
                .columns
                .iter()
                .position(|c| c == column)
                .and_then(|i| r.get(i).cloned().flatten())
                .unwrap_or_default()
        };
        let rows: Vec<[String; 3]> = described
            .rows
            .iter()
            .map(|r| [value(r, "col_name"), value(r, "data_type"), value(r, "comment")])
            .collect();
        return Some(render::describe::rows(&format!("table {shown}"), &rows));
    }
    let description = names.function_description(&parts).await;
    if description.is_empty() {
        return None;
    }
    Some(render::describe::text(
        &format!("function {shown}"),
        &description.join("\n"),
    ))
}
