//! What completion and inspection know of the session's catalog: the answers of metadata
//! statements (`SHOW DATABASES`, `SHOW TABLES IN db`, `DESCRIBE TABLE t`…, never a query of
//! the user's data), cached per session for a short time and dropped as soon as a cell may
//! have changed the catalog. A look-up runs in the background: a caller waits for it only
//! until its own deadline, and a later Tab finds the answer in the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow_array::cast::AsArray;
use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use tokio::time::Instant;

use crate::engine::session::Session;

/// How long an answer is trusted: other clients' DDL shows within this time.
pub(crate) const TTL: Duration = Duration::from_secs(20);

/// The rows of a metadata statement, every value as text (None for NULL), by column name.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Rows {
    pub(crate) columns: Vec<String>,
    pub(crate) rows: Vec<Vec<Option<String>>>,
}

impl Rows {
    /// The values of one column; none when there is no such column.
    pub(crate) fn column(&self, name: &str) -> Vec<Option<&str>> {
        match self.columns.iter().position(|c| c == name) {
            Some(i) => self.rows.iter().map(|r| r.get(i).and_then(|v| v.as_deref())).collect(),
            None => Vec::new(),
        }
    }
}

type Lookup = Shared<BoxFuture<'static, Option<Arc<Rows>>>>;

enum Entry {
    Ready { rows: Arc<Rows>, at: Instant },
    Pending(Lookup),
}

#[derive(Default)]
struct Cache {
    /// The session the entries came from (its address); another session starts afresh.
    session: usize,
    /// Bumped by every invalidation, so that a look-up started before one is not kept.
    generation: u64,
    entries: HashMap<String, Entry>,
}

#[derive(Default)]
pub(crate) struct Catalog {
    cache: Arc<Mutex<Cache>>,
}

fn session_id(session: &Arc<dyn Session>) -> usize {
    Arc::as_ptr(session).cast::<()>() as usize
}

impl Catalog {
    /// Forgets everything: the catalog may have changed.
    pub(crate) fn invalidate(&self) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.generation += 1;
            cache.entries.clear();
        }
    }

    /// The answer of `statement` on `session`, from the cache when fresh, else looked up;
    /// None when it fails or is not there by `deadline` (it is then kept when it comes).
    pub(crate) async fn rows(
        &self,
        session: &Arc<dyn Session>,
        statement: &str,
        deadline: Instant,
    ) -> Option<Arc<Rows>> {
        let lookup = {
            let mut cache = self.cache.lock().ok()?;
            let id = session_id(session);
            if cache.session != id {
                cache.session = id;
                cache.generation += 1;
                cache.entries.clear();
            }
            match cache.entries.get(statement) {
                Some(Entry::Ready { rows, at }) if at.elapsed() < TTL => return Some(rows.clone()),
                Some(Entry::Pending(lookup)) => lookup.clone(),
                _ => {
                    let lookup = self.start(session.clone(), statement.to_string(), cache.generation);
                    cache
                        .entries
                        .insert(statement.to_string(), Entry::Pending(lookup.clone()));
                    lookup
                }
            }
        };
        tokio::time::timeout_at(deadline, lookup).await.ok().flatten()
    }

    /// Runs `statement` in a task of its own and files its answer under it.
    fn start(&self, session: Arc<dyn Session>, statement: String, generation: u64) -> Lookup {
        let cache = self.cache.clone();
        let task = tokio::spawn(async move {
            let answer = session
                .sql(&statement, 100_000, "kbase-spark-sql-assist", &mut |_| {})
                .await;
            let rows = match answer {
                Ok(result) => Some(Arc::new(as_rows(&result))),
                // The name is not there (or not a table): that is an answer too.
                Err(crate::spark::SparkError::Server { .. }) => Some(Arc::new(Rows::default())),
                Err(e) => {
                    tracing::debug!("catalog look-up failed: {e}");
                    None
                }
            };
            if let Ok(mut cache) = cache.lock()
                && cache.generation == generation
            {
                match &rows {
                    Some(rows) => {
                        cache.entries.insert(
                            statement,
                            Entry::Ready {
                                rows: rows.clone(),
                                at: Instant::now(),
                            },
                        );
                    }
                    None => {
                        cache.entries.remove(&statement);
                    }
                }
            }
            rows
        });
        async move { task.await.ok().flatten() }.boxed().shared()
    }
}

/// A result's values as text; metadata statements answer with strings and booleans.
fn as_rows(result: &crate::data::QueryResult) -> Rows {
    let columns: Vec<String> = result.schema.fields().iter().map(|f| f.name().clone()).collect();
    let mut rows = Vec::new();
    for batch in &result.batches {
        let texts: Vec<Vec<Option<String>>> = batch
            .columns()
            .iter()
            .map(|column| {
                if let Some(values) = column.as_string_opt::<i32>() {
                    values.iter().map(|v| v.map(str::to_string)).collect()
                } else if let Some(values) = column.as_boolean_opt() {
                    values.iter().map(|v| v.map(|b| b.to_string())).collect()
                } else {
                    vec![None; column.len()]
                }
            })
            .collect();
        for r in 0..batch.num_rows() {
            rows.push(texts.iter().map(|c| c.get(r).cloned().flatten()).collect());
        }
    }
    Rows { columns, rows }
}

/// Whether a statement may change what the catalog holds or which database is current.
pub(crate) fn changes_catalog(statement: &str) -> bool {
    let words: Vec<String> = crate::sql::scan::tokens(statement)
        .0
        .iter()
        .filter(|t| t.kind == crate::sql::scan::Kind::Word)
        .take(2)
        .map(|t| statement[t.start..t.end].to_ascii_uppercase())
        .collect();
    let first = words.first().map_or("", String::as_str);
    let second = words.get(1).map_or("", String::as_str);
    matches!(
        first,
        "CREATE"
            | "DROP"
            | "ALTER"
            | "USE"
            | "REPLACE"
            | "MSCK"
            | "REFRESH"
            | "CACHE"
            | "RESTORE"
            | "EXECUTE"
            | "CALL"
            | "BEGIN"
            | "IMPORT"
    ) || (first == "SET" && matches!(second, "CATALOG" | "SCHEMA" | "DATABASE" | "NAMESPACE"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_that_change_the_catalog() {
        for s in [
            "CREATE TABLE t (a INT)",
            "create or replace temp view v as select 1",
            "/* why */ DROP VIEW v",
            "ALTER TABLE t ADD COLUMN b INT",
            "USE enigma",
            "SET CATALOG spark_catalog",
            "CACHE TABLE c AS SELECT 1",
        ] {
            assert!(changes_catalog(s), "{s}");
        }
        for s in [
            "SELECT 1",
            "INSERT INTO t VALUES (1)",
            "SET spark.sql.ansi.enabled = true",
            "SHOW TABLES",
        ] {
            assert!(!changes_catalog(s), "{s}");
        }
    }
}
