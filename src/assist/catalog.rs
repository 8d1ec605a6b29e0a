//! What completion and inspection know of the session's catalog: the answers of metadata
//! statements (`SHOW DATABASES`, `SHOW TABLES IN db`, `DESCRIBE TABLE t`…, never a query of
//! the user's data), cached per session for a short time and dropped as soon as a cell may
//! have changed the catalog. A look-up runs in the background: a caller waits for it only
//! until its own deadline, and a later Tab finds the answer in the cache. Until a new answer
//! is in, the last one (from before the cell that emptied the cache, or past its time) is
//! given, with the tables and views the kernel's own DDL created or dropped since; the
//! usual look-ups start soon after the session opens and again after such a cell, so a Tab
//! rarely waits at all.

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

/// How long a caller with an earlier answer to fall back on waits for a fresh one: that
/// answer, with the names the kernel's own DDL changed since, is what a fresh one would
/// mostly say, and a Tab right after a `CREATE` should not wait for the catalog.
pub(crate) const STALE_WAIT: Duration = Duration::from_millis(20);

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

/// The look-ups a Tab after `FROM` or in an expression needs first: started soon after a
/// session opens, so that the first Tab finds them in the cache.
/// How long after a session opens the first look-ups start, unless a cell runs then (they
/// wait for it): a notebook run from the top sends its first cell within this time, and
/// that cell should have the session and the machine to itself. No one types a Tab sooner.
pub(crate) const FIRST_LOOKUPS_AFTER: Duration = Duration::from_millis(250);

pub(crate) const FIRST_LOOKUPS: [&str; 5] = [
    "SHOW TABLES",
    "SHOW VIEWS",
    "SHOW DATABASES",
    "SHOW CATALOGS",
    "SHOW FUNCTIONS",
];

/// A table or view the kernel's own DDL created (or dropped), by its database as written
/// (empty for the current one) and its name, kept until the session changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Learned {
    pub(crate) database: Vec<String>,
    pub(crate) name: String,
    pub(crate) view: bool,
}

/// At most this many names learned from DDL are kept.
const MAX_LEARNED: usize = 1000;

#[derive(Default)]
struct Cache {
    /// The session the entries came from (its address); another session starts afresh.
    session: usize,
    /// Bumped by every invalidation, so that a look-up started before one is not kept.
    generation: u64,
    entries: HashMap<String, Entry>,
    /// Answers from before the last invalidation or past their time: given while the new
    /// answer is not in.
    stale: HashMap<String, Arc<Rows>>,
    /// Tables and views the kernel's own statements created, and those they dropped.
    created: Vec<Learned>,
    dropped: Vec<Learned>,
}

impl Cache {
    /// Starts afresh when `session` is not the one the entries came from.
    fn for_session(&mut self, session: &Arc<dyn Session>) {
        let id = session_id(session);
        if self.session != id {
            self.session = id;
            self.generation += 1;
            self.entries.clear();
            self.stale.clear();
            self.created.clear();
            self.dropped.clear();
        }
    }
}

#[derive(Default)]
pub(crate) struct Catalog {
    cache: Arc<Mutex<Cache>>,
}

fn session_id(session: &Arc<dyn Session>) -> usize {
    Arc::as_ptr(session).cast::<()>() as usize
}

impl Catalog {
    /// Stops trusting every answer: the catalog may have changed. The answers are kept as
    /// stale ones until new ones come.
    pub(crate) fn invalidate(&self, moved: bool) {
        if let Ok(mut cache) = self.cache.lock() {
            cache.generation += 1;
            let entries = std::mem::take(&mut cache.entries);
            if moved {
                // The answers were about another current database or catalog: a Tab waits
                // for the new ones rather than offer what is not there.
                cache.stale.clear();
                return;
            }
            for (statement, entry) in entries {
                if let Entry::Ready { rows, .. } = entry {
                    cache.stale.insert(statement, rows);
                }
            }
        }
    }

    /// Starts looking up again, in the background, every answer that is stale, and the
    /// `first` look-ups not yet made: what the next Tab will want.
    pub(crate) fn refresh(&self, session: &Arc<dyn Session>, first: &[&str]) {
        let Ok(mut cache) = self.cache.lock() else { return };
        cache.for_session(session);
        let mut wanted: Vec<String> = cache.stale.keys().cloned().collect();
        wanted.extend(first.iter().map(|s| s.to_string()));
        for statement in wanted {
            let fresh = match cache.entries.get(&statement) {
                Some(Entry::Ready { at, .. }) => at.elapsed() < TTL,
                Some(Entry::Pending(_)) => true,
                None => false,
            };
            if !fresh {
                let lookup = self.start(session.clone(), statement.clone(), cache.generation);
                cache.entries.insert(statement, Entry::Pending(lookup));
            }
        }
    }

    /// Notes the table or view a statement of the kernel's own created or dropped, once it
    /// ran: the next Tab offers (or leaves out) that name even before the catalog answers.
    pub(crate) fn learn(&self, session: &Arc<dyn Session>, statement: &str) {
        let Some((created, learned)) = ddl_name(statement) else {
            return;
        };
        let Ok(mut cache) = self.cache.lock() else { return };
        cache.for_session(session);
        let same = |l: &Learned| {
            l.name.eq_ignore_ascii_case(&learned.name)
                && l.database.len() == learned.database.len()
                && l.database
                    .iter()
                    .zip(&learned.database)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        cache.created.retain(|l| !same(l));
        cache.dropped.retain(|l| !same(l));
        let list = if created {
            &mut cache.created
        } else {
            &mut cache.dropped
        };
        if list.len() < MAX_LEARNED {
            list.push(learned);
        }
    }

    /// The tables and views the kernel's own DDL created in `database`, and those it
    /// dropped there (as written in the statements; empty for the current database).
    pub(crate) fn learned(&self, database: &[String]) -> (Vec<Learned>, Vec<Learned>) {
        let Ok(cache) = self.cache.lock() else {
            return (Vec::new(), Vec::new());
        };
        let here = |l: &&Learned| {
            l.database.len() == database.len()
                && l.database.iter().zip(database).all(|(a, b)| a.eq_ignore_ascii_case(b))
        };
        (
            cache.created.iter().filter(here).cloned().collect(),
            cache.dropped.iter().filter(here).cloned().collect(),
        )
    }

    /// The answer of `statement` on `session`, from the cache when fresh, else looked up;
    /// when it fails or is not there by `deadline` (it is then kept when it comes), the last
    /// answer known, if any.
    pub(crate) async fn rows(
        &self,
        session: &Arc<dyn Session>,
        statement: &str,
        deadline: Instant,
    ) -> Option<Arc<Rows>> {
        let (lookup, stale) = {
            let mut cache = self.cache.lock().ok()?;
            cache.for_session(session);
            match cache.entries.get(statement) {
                Some(Entry::Ready { rows, at }) if at.elapsed() < TTL => return Some(rows.clone()),
                Some(Entry::Pending(lookup)) => (lookup.clone(), cache.stale.get(statement).cloned()),
                other => {
                    let old = match other {
                        Some(Entry::Ready { rows, .. }) => Some(rows.clone()),
                        _ => cache.stale.get(statement).cloned(),
                    };
                    let lookup = self.start(session.clone(), statement.to_string(), cache.generation);
                    cache
                        .entries
                        .insert(statement.to_string(), Entry::Pending(lookup.clone()));
                    if let Some(old) = &old {
                        cache.stale.insert(statement.to_string(), old.clone());
                    }
                    (lookup, old)
                }
            }
        };
        let deadline = match stale {
            Some(_) => deadline.min(Instant::now() + STALE_WAIT),
            None => deadline,
        };
        match tokio::time::timeout_at(deadline, lookup).await {
            Ok(Some(rows)) => Some(rows),
            _ => stale,
        }
    }

    /// Runs `statement` in a task of its own and files its answer under it.
    fn start(&self, session: Arc<dyn Session>, statement: String, generation: u64) -> Lookup {
        let cache = self.cache.clone();
        let task = tokio::spawn(async move {
            let answer = session
                .rows(&statement, 100_000, "kbase-spark-sql-assist", &mut |_| {})
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
                        cache.stale.remove(&statement);
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

/// The table or view a `CREATE` or `DROP` of a table or view names: (created, its name).
fn ddl_name(statement: &str) -> Option<(bool, Learned)> {
    use crate::sql::scan::Kind;
    let (tokens, _) = crate::sql::scan::tokens(statement);
    let mut words = tokens.iter().filter(|t| !t.is_comment()).peekable();
    let upper = |t: &crate::sql::scan::Token| statement[t.start..t.end].to_ascii_uppercase();
    let created = match words.next().map(upper).as_deref() {
        Some("CREATE") => true,
        Some("DROP") => false,
        _ => return None,
    };
    let mut view = false;
    let mut global = false;
    loop {
        let word = words.next().map(upper)?;
        match word.as_str() {
            "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "EXTERNAL" => {}
            "GLOBAL" => global = true,
            "TABLE" => break,
            "VIEW" => {
                view = true;
                break;
            }
            _ => return None,
        }
    }
    // IF [NOT] EXISTS
    if words.peek().is_some_and(|t| upper(t) == "IF") {
        while words
            .peek()
            .is_some_and(|t| matches!(upper(t).as_str(), "IF" | "NOT" | "EXISTS"))
        {
            words.next();
        }
    }
    let mut parts = Vec::new();
    loop {
        let t = words.next()?;
        let part = match t.kind {
            Kind::Word => statement[t.start..t.end].to_string(),
            Kind::Backticked => crate::sql::context::unquote(&statement[t.start..t.end]),
            _ => return None,
        };
        parts.push(part);
        if words.peek().is_some_and(|t| t.kind == Kind::Punct('.')) {
            words.next();
        } else {
            break;
        }
    }
    let name = parts.pop()?;
    let database = if global && parts.is_empty() {
        vec!["global_temp".to_string()]
    } else {
        parts
    };
    Some((created, Learned { database, name, view }))
}

/// Whether a statement may change what the catalog holds or which database is current.
pub(crate) fn changes_catalog(statement: &str) -> bool {
    let (first, second) = first_words(statement);
    moves(&first, &second)
        || matches!(
            first.as_str(),
            "CREATE"
                | "DROP"
                | "ALTER"
                | "REPLACE"
                | "MSCK"
                | "REFRESH"
                | "CACHE"
                | "RESTORE"
                | "EXECUTE"
                | "CALL"
                | "BEGIN"
                | "IMPORT"
        )
}

/// True for a statement that changes the current database or catalog (`USE`, `SET CATALOG`,
/// `SET SCHEMA`…): what the catalog answered before was about another one.
pub(crate) fn moves_current(statement: &str) -> bool {
    let (first, second) = first_words(statement);
    moves(&first, &second)
}

/// [`moves_current`], by a statement's first two words.
fn moves(first: &str, second: &str) -> bool {
    first == "USE" || (first == "SET" && matches!(second, "CATALOG" | "SCHEMA" | "DATABASE" | "NAMESPACE"))
}

/// A statement's first two words, in capitals.
fn first_words(statement: &str) -> (String, String) {
    let (tokens, _) = crate::sql::scan::tokens(statement);
    let mut words = tokens
        .iter()
        .filter(|t| t.kind == crate::sql::scan::Kind::Word)
        .map(|t| statement[t.start..t.end].to_ascii_uppercase());
    (words.next().unwrap_or_default(), words.next().unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_names_a_statement_creates_or_drops() {
        let learned = |db: &[&str], name: &str, view: bool| Learned {
            database: db.iter().map(|s| s.to_string()).collect(),
            name: name.into(),
            view,
        };
        assert_eq!(
            ddl_name("CREATE TABLE genomes AS SELECT 1"),
            Some((true, learned(&[], "genomes", false)))
        );
        assert_eq!(
            ddl_name("create or replace temp view `my view` as select 1"),
            Some((true, learned(&[], "my view", true)))
        );
        assert_eq!(
            ddl_name("CREATE TABLE IF NOT EXISTS lab.`s``x` (a INT) USING parquet"),
            Some((true, learned(&["lab"], "s`x", false)))
        );
        assert_eq!(
            ddl_name("CREATE GLOBAL TEMPORARY VIEW g AS SELECT 1"),
            Some((true, learned(&["global_temp"], "g", true)))
        );
        assert_eq!(
            ddl_name("/* gone */ DROP VIEW IF EXISTS v"),
            Some((false, learned(&[], "v", true)))
        );
        for s in [
            "CREATE FUNCTION f AS 'x'",
            "SELECT 1",
            "DROP DATABASE d",
            "CREATE TABLE",
        ] {
            assert_eq!(ddl_name(s), None, "{s}");
        }
    }

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
        for s in [
            "USE enigma",
            "use catalog spark_catalog",
            "SET SCHEMA enigma",
            "SET CATALOG c",
        ] {
            assert!(moves_current(s), "{s}");
        }
        for s in [
            "CREATE TABLE t (a INT)",
            "SET spark.sql.ansi.enabled = true",
            "SELECT 1",
        ] {
            assert!(!moves_current(s), "{s}");
        }
    }
}
