//! Completion (Tab): what fits where the cursor is, from the session's own catalog — tables,
//! views and databases where a table goes, databases after USE, the columns of the
//! statement's tables (and struct fields after `col.`) where an expression goes, then
//! functions with their arguments, keywords last — each with its kind. It never waits for
//! the session to open, and never longer than `KBASE_SPARK_CATALOG_WAIT` (0.3 s) for the catalog.

use tokio::time::Instant;

use super::names::{Names, arguments, quote};
use crate::interpreter::{Completion, Match};
use std::sync::Arc;
use std::time::Duration;

use super::catalog::Catalog;
use crate::engine::earlier::{Earlier, is_result_name};
use crate::engine::session::Session;
use crate::sql::context::{self, Context, Place};
use crate::sql::keywords::KEYWORDS;

/// Functions whose arguments are looked up for one completion, at most.
const HINTED_FUNCTIONS: usize = 12;

/// The byte offset of code point `cursor`.
pub(crate) fn byte_offset(code: &str, cursor: usize) -> usize {
    code.char_indices().nth(cursor).map_or(code.len(), |(i, _)| i)
}

fn code_points(code: &str, byte: usize) -> usize {
    code.get(..byte).map_or(0, |s| s.chars().count())
}

/// Words that must be quoted to serve as a name.
const RESERVED: &[&str] = &[
    "ALL",
    "AND",
    "ANTI",
    "AS",
    "BETWEEN",
    "BY",
    "CASE",
    "CROSS",
    "DISTINCT",
    "ELSE",
    "END",
    "EXCEPT",
    "FALSE",
    "FROM",
    "FULL",
    "GROUP",
    "HAVING",
    "IN",
    "INNER",
    "INTERSECT",
    "IS",
    "JOIN",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MINUS",
    "NATURAL",
    "NOT",
    "NULL",
    "ON",
    "OR",
    "ORDER",
    "RIGHT",
    "SELECT",
    "SEMI",
    "TABLE",
    "THEN",
    "TRUE",
    "UNION",
    "USING",
    "WHEN",
    "WHERE",
    "WITH",
];

fn needs_quotes(name: &str) -> bool {
    let mut chars = name.chars();
    let plain = chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    !plain || RESERVED.contains(&name.to_ascii_uppercase().as_str())
}

/// Collects matches for a typed prefix, each name once, in the order offered.
struct Offer<'a> {
    cx: &'a Context,
    lower: String,
    matches: Vec<Match>,
}

impl Offer<'_> {
    fn fits(&self, name: &str) -> bool {
        name.to_lowercase().starts_with(&self.lower)
    }

    fn name(&mut self, name: &str, kind: String) {
        if !self.fits(name) {
            return;
        }
        let text = if self.cx.name.quoted || needs_quotes(name) {
            quote(name)
        } else {
            name.to_string()
        };
        if !self.matches.iter().any(|m| m.text == text) {
            // No-break spaces: JupyterLab's popup would wrap `column: bigint` at its space.
            let kind = kind.replace(' ', "\u{a0}");
            self.matches.push(Match { text, kind });
        }
    }

    fn keywords(&mut self) {
        if self.cx.name.quoted || self.lower.is_empty() && self.cx.place != Place::Start {
            return;
        }
        let lowercase = !self.cx.name.last.is_empty() && self.cx.name.last.chars().all(|c| !c.is_uppercase());
        let fitting: Vec<&str> = KEYWORDS.iter().copied().filter(|k| self.fits(k)).collect();
        for k in fitting {
            let text = if lowercase { k.to_lowercase() } else { k.to_string() };
            if !self.matches.iter().any(|m| m.text == text) {
                self.matches.push(Match {
                    text,
                    kind: "keyword".into(),
                });
            }
        }
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort_by_key(|n| n.to_lowercase());
    names
}

/// Completions for `code` at `cursor` (code points), from `catalog` and the open `session`
/// if there is one, waiting at most `wait` for the catalog.
pub(crate) async fn complete(
    code: &str,
    cursor: usize,
    session: Option<Arc<dyn Session>>,
    catalog: &Catalog,
    earlier: &Earlier,
    wait: Duration,
) -> Completion {
    if let Some(found) = crate::magic::complete(code, cursor) {
        return found;
    }
    if let Some((start, prefixes)) = crate::governance::complete_create(code, cursor) {
        let kind = "database prefix".replace(' ', "\u{a0}");
        return Completion {
            matches: prefixes
                .into_iter()
                .map(|text| Match {
                    text,
                    kind: kind.clone(),
                })
                .collect(),
            start,
            end: cursor,
        };
    }
    let at = byte_offset(code, cursor);
    let Some(cx) = context::at(&crate::magic::blanked(code), at, false) else {
        return Completion {
            matches: Vec::new(),
            start: cursor,
            end: cursor,
        };
    };
    let mut offer = Offer {
        cx: &cx,
        lower: cx.name.last.to_lowercase(),
        matches: Vec::new(),
    };
    // Completion never waits for the session to open: until then, keywords.
    if let Some(session) = session {
        let names = Names {
            catalog,
            session: &session,
            deadline: Instant::now() + wait,
        };
        catalog_matches(&names, &cx, &mut offer).await;
    }
    earlier_matches(earlier, &cx, &mut offer);
    if matches!(cx.place, Place::Start | Place::AfterTable | Place::Expression) && cx.name.qualifier.is_empty() {
        offer.keywords();
    }
    Completion {
        matches: offer.matches,
        start: code_points(code, cx.name.start),
        end: code_points(code, cx.name.end),
    }
}

/// `_` and the `_N` that exist where a table goes, and their columns where an expression
/// goes in a statement reading them (from the schema each showed; no call to Spark).
fn earlier_matches(earlier: &Earlier, cx: &Context, offer: &mut Offer<'_>) {
    let qualifier = &cx.name.qualifier;
    match cx.place {
        Place::Table if qualifier.is_empty() => {
            for (name, _) in earlier.names() {
                offer.name(&name, "result of an earlier cell".into());
            }
        }
        Place::Expression => {
            for t in &cx.scope {
                let [name] = t.parts.as_slice() else { continue };
                let Some(shown) = earlier.result(name).filter(|_| is_result_name(name)) else {
                    continue;
                };
                let by = t.alias.as_deref().unwrap_or(name);
                let fits = match qualifier.as_slice() {
                    [] => true,
                    [q] => q.eq_ignore_ascii_case(by),
                    _ => false,
                };
                if fits {
                    for f in shown.schema.fields() {
                        let sql_type = crate::data::SqlType::from_arrow(f.data_type());
                        offer.name(f.name(), format!("column: {}", short_type(&sql_type.to_string())));
                    }
                }
            }
        }
        _ => {}
    }
}

async fn catalog_matches(names: &Names<'_>, cx: &Context, offer: &mut Offer<'_>) {
    let qualifier = &cx.name.qualifier;
    match cx.place {
        Place::Start | Place::AfterTable => {}
        Place::Table => match qualifier.as_slice() {
            [] => {
                let (tables, databases, catalogs) =
                    futures::join!(names.tables(&[]), names.databases(None), names.catalogs());
                tables_into(offer, tables);
                for d in sorted(databases) {
                    offer.name(&d, "database".into());
                }
                for c in sorted(catalogs) {
                    offer.name(&c, "catalog".into());
                }
            }
            [first] => {
                let (databases, catalogs) = futures::join!(names.databases(None), names.catalogs());
                if databases.iter().any(|d| d.eq_ignore_ascii_case(first)) {
                    tables_into(offer, names.tables(qualifier).await);
                }
                if catalogs.iter().any(|c| c.eq_ignore_ascii_case(first)) {
                    for d in sorted(names.databases(Some(first)).await) {
                        offer.name(&d, "database".into());
                    }
                }
            }
            _ => tables_into(offer, names.tables(qualifier).await),
        },
        Place::Database => {
            let databases = names.databases(qualifier.first().map(String::as_str)).await;
            for d in sorted(databases) {
                offer.name(&d, "database".into());
            }
            if qualifier.is_empty() {
                for c in sorted(names.catalogs().await) {
                    offer.name(&c, "catalog".into());
                }
            }
        }
        Place::Function => functions_into(names, offer).await,
        Place::Expression => {
            for c in names.columns_at(&cx.scope, qualifier).await {
                offer.name(&c.name, format!("column: {}", short_type(&c.type_name)));
            }
            if qualifier.is_empty() {
                for t in &cx.scope {
                    match &t.alias {
                        Some(a) => offer.name(a, "alias".into()),
                        None => {
                            if let Some(n) = t.parts.last() {
                                offer.name(n, "table".into());
                            }
                        }
                    }
                }
                if !cx.name.quoted {
                    functions_into(names, offer).await;
                }
            }
        }
    }
}

/// A column's type as the completer shows it: long struct, array and map types are cut
/// (JupyterLab's popup has little room; inspection shows them whole).
fn short_type(type_name: &str) -> String {
    const ROOM: usize = 24;
    if type_name.chars().count() <= ROOM {
        return type_name.to_string();
    }
    let cut: String = type_name.chars().take(ROOM - 1).collect();
    format!("{cut}…")
}

fn tables_into(offer: &mut Offer<'_>, mut tables: Vec<super::names::Table>) {
    tables.sort_by_key(|t| t.name.to_lowercase());
    for t in tables {
        let kind = if t.view { "view" } else { "table" };
        offer.name(&t.name, kind.into());
    }
}

/// Functions that fit, with their arguments when few enough fit to look them up.
async fn functions_into(names: &Names<'_>, offer: &mut Offer<'_>) {
    let fitting: Vec<String> = sorted(names.functions().await)
        .into_iter()
        .filter(|f| offer.fits(f))
        .collect();
    let hints = if !offer.lower.is_empty() && fitting.len() <= HINTED_FUNCTIONS {
        futures::future::join_all(
            fitting
                .iter()
                .map(|f| async move { arguments(f, &names.function_description(std::slice::from_ref(f)).await) }),
        )
        .await
    } else {
        vec![None; fitting.len()]
    };
    for (f, hint) in fitting.iter().zip(hints) {
        let kind = match hint {
            Some(args) => format!("function: {f}{args}"),
            None => "function".into(),
        };
        offer.name(f, kind);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_need_backticks() {
        assert!(!needs_quotes("gene_id"));
        assert!(needs_quotes("my table"));
        assert!(needs_quotes("1st"));
        assert!(needs_quotes("order"));
        assert!(needs_quotes("größe"));
    }

    #[test]
    fn long_types_are_cut_for_the_popup() {
        assert_eq!(short_type("decimal(38,18)"), "decimal(38,18)");
        assert_eq!(
            short_type("struct<site_name:string,location:struct<lat:double>>"),
            "struct<site_name:string…"
        );
    }

    #[test]
    fn offsets_in_code_points() {
        assert_eq!(byte_offset("é a", 2), 3);
        assert_eq!(byte_offset("ab", 9), 2);
        assert_eq!(code_points("é a", 3), 2);
    }
}
