//! Building on earlier results: `_` names the result of the last query an earlier cell
//! showed, `_N` the last result of the cell whose execution count was N. They are temporary
//! views over the query that made them (or, for a script, over the rows it returned),
//! defined only when a cell names them: a cell that never does makes no extra call. A name
//! the user defined (a table or view called `_` or `_3`) wins: the kernel defines a view
//! only where no such name exists, and lets go of a name the user's statements create,
//! replace or drop. A failed cell's results and a command's output are not results. It all
//! lives in the kernel's process: a restart starts afresh.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use arrow_schema::SchemaRef;

use super::session::{Request, Session};
use crate::spark::{SparkError, StatementRun, ViewSource};
use crate::sql::block::is_block;
use crate::sql::context::unquote;
use crate::sql::scan::{Kind, Statement, tokens};

/// What `%help` says of `_` and `_N`.
pub(crate) const HELP: [crate::render::help::Entry; 3] = [
    crate::render::help::Entry {
        usage: "_",
        what: "the result of the last query an earlier cell showed, wherever a table name fits: a temporary \
               view over that query, evaluated when used (a script's over the rows it returned); a failed \
               cell's results and a command's OK are not results",
        example: "SELECT species, count(*) FROM _ GROUP BY species",
    },
    crate::render::help::Entry {
        usage: "_N",
        what: "the last result of the cell whose execution count was N ([N] beside it)",
        example: "SELECT * FROM _12 JOIN _14 USING (genome_id)",
    },
    crate::render::help::Entry {
        usage: "BEGIN … END",
        what: "a SQL script (DECLARE, SET, IF, CASE, WHILE, REPEAT, LOOP, FOR, labels, handlers) runs as one \
               statement and shows its last result; a table or view you name `_` or `_N` wins, and a \
               kernel restart starts `_` afresh",
        example: "BEGIN DECLARE n INT DEFAULT 0; WHILE n < 3 DO SET n = n + 1; END WHILE; SELECT n; END",
    },
];

/// A result a cell showed: what a view over it is built on, and its columns.
#[derive(Debug, Clone)]
pub(crate) struct Shown {
    id: u64,
    source: ViewSource,
    pub(crate) schema: SchemaRef,
}

#[derive(Default)]
struct State {
    /// The result `_` names.
    last: Option<Shown>,
    /// The result each `_N` names, by execution count.
    by_count: BTreeMap<u64, Shown>,
    /// The running cell: its execution count (when it has one) and the last result it showed.
    running: Option<(Option<u64>, Option<Shown>)>,
    /// The views the kernel defined in the current session, by name, with the result each
    /// holds; the session they were defined in, by address.
    defined: HashMap<String, u64>,
    session: usize,
    ids: u64,
}

#[derive(Default)]
pub(crate) struct Earlier {
    state: Mutex<State>,
}

impl Earlier {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A cell starts; `count` is its execution count when it has one, `shown` whether its
    /// outputs are shown to anyone (a silent cell's results are no one's).
    pub(crate) fn start_cell(&self, count: Option<u64>, shown: bool) {
        self.state().running = shown.then_some((count, None));
    }

    /// The running cell showed the result of `statement` (a query, or a script's rows).
    pub(crate) fn showed(&self, statement: &str, run: &StatementRun, schema: SchemaRef, command: bool) {
        let Some(source) = ViewSource::of(statement, run) else {
            return;
        };
        // A command's output (SHOW, DESCRIBE, SET) is not a result; a script's is.
        if command && !is_block(statement) {
            return;
        }
        let mut state = self.state();
        state.ids += 1;
        let id = state.ids;
        if let Some((_, last)) = state.running.as_mut() {
            *last = Some(Shown { id, source, schema });
        }
    }

    /// The running cell ended; its last result counts when it succeeded. Names its
    /// statements created, replaced or dropped are the user's from now on.
    pub(crate) fn end_cell(&self, code: &str, ok: bool) {
        let mut state = self.state();
        if let (Some((count, Some(shown))), true) = (state.running.take(), ok) {
            if let Some(n) = count {
                state.by_count.insert(n, shown.clone());
            }
            state.last = Some(shown);
        }
        for statement in crate::sql::scan::split_statements(code) {
            for name in touched(statement.text) {
                state.defined.remove(&name);
            }
        }
    }

    /// The result `name` (`_` or `_N`) stands for, if any.
    pub(crate) fn result(&self, name: &str) -> Option<Shown> {
        let state = self.state();
        if name == "_" {
            return state.last.clone();
        }
        let n: u64 = name.strip_prefix('_')?.parse().ok()?;
        state.by_count.get(&n).cloned()
    }

    /// The names that stand for results now: `_` and each `_N`, with their results.
    pub(crate) fn names(&self) -> Vec<(String, Shown)> {
        let state = self.state();
        let mut out: Vec<(String, Shown)> = state.last.iter().map(|s| ("_".to_string(), s.clone())).collect();
        out.extend(state.by_count.iter().map(|(n, s)| (format!("_{n}"), s.clone())));
        out
    }

    /// Defines, in `session`, the views the statements name that stand for a result, unless
    /// the user has a table or view of that name. Nothing happens (no call) for statements
    /// that name none.
    pub(crate) async fn bind(
        &self,
        session: &Arc<dyn Session>,
        statements: &[Statement<'_>],
        tag: &str,
    ) -> Result<(), SparkError> {
        let mut names: Vec<String> = statements.iter().flat_map(|s| mentions(s.text)).collect();
        names.sort();
        names.dedup();
        if names.is_empty() {
            return Ok(());
        }
        let address = Arc::as_ptr(session) as *const () as usize;
        {
            let mut state = self.state();
            if state.session != address {
                state.session = address;
                state.defined.clear();
            }
        }
        for name in names {
            let Some(shown) = self.result(&name) else {
                continue;
            };
            let defined = self.state().defined.get(&name).copied();
            match defined {
                Some(id) if id == shown.id => continue,
                Some(_) => {}
                None => {
                    let found = session
                        .rows(&format!("SHOW TABLES LIKE '{name}'"), 1, tag, &mut |_| {})
                        .await?;
                    if found.num_rows() > 0 {
                        // The user's own `_` or `_N`.
                        continue;
                    }
                }
            }
            let request = Request::View {
                name: &name,
                source: &shown.source,
                tag,
            };
            session.run(request, &mut |_| {}).await?;
            self.state().defined.insert(name, shown.id);
        }
        Ok(())
    }
}

/// Whether `name` is `_` or `_N`.
pub(crate) fn is_result_name(name: &str) -> bool {
    name == "_"
        || name
            .strip_prefix('_')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The result names (`_`, `_N`) `statement` uses where a table name may stand: words or
/// backticked names, not parts after a dot.
pub(crate) fn mentions(statement: &str) -> Vec<String> {
    let (tokens, _) = tokens(statement);
    let code: Vec<_> = tokens.iter().filter(|t| !t.is_comment()).collect();
    let mut out = Vec::new();
    for (i, t) in code.iter().enumerate() {
        let name = match t.kind {
            Kind::Word => statement[t.start..t.end].to_string(),
            Kind::Backticked => unquote(&statement[t.start..t.end]),
            _ => continue,
        };
        let after_dot = i > 0 && code[i - 1].kind == Kind::Punct('.');
        if is_result_name(&name) && !after_dot {
            out.push(name);
        }
    }
    out
}

/// The result names a statement creates, replaces, renames to or drops as a table or view.
fn touched(statement: &str) -> Vec<String> {
    let (tokens, _) = tokens(statement);
    let parts: Vec<(Kind, String)> = tokens
        .iter()
        .filter(|t| !t.is_comment())
        .map(|t| {
            let text = &statement[t.start..t.end];
            let text = if t.kind == Kind::Backticked {
                unquote(text)
            } else {
                text.to_string()
            };
            (t.kind, text)
        })
        .collect();
    let upper = |i: usize| {
        parts
            .get(i)
            .filter(|(k, _)| *k == Kind::Word)
            .map(|(_, w)| w.to_ascii_uppercase())
    };
    let first = upper(0).unwrap_or_default();
    if !matches!(
        first.as_str(),
        "CREATE" | "REPLACE" | "DROP" | "ALTER" | "CACHE" | "UNCACHE"
    ) {
        return Vec::new();
    }
    let mut out = Vec::new();
    // The name after VIEW/TABLE (past IF [NOT] EXISTS) and after RENAME TO: its last part.
    let mut i = 0;
    while i < parts.len() {
        let word = upper(i).unwrap_or_default();
        let target = match word.as_str() {
            "VIEW" | "TABLE" => Some(i + 1),
            "TO" if i > 0 && upper(i - 1).as_deref() == Some("RENAME") => Some(i + 1),
            _ => None,
        };
        if let Some(mut j) = target {
            while matches!(upper(j).as_deref(), Some("IF" | "NOT" | "EXISTS")) {
                j += 1;
            }
            while parts.get(j + 1).is_some_and(|(k, _)| *k == Kind::Punct('.')) {
                j += 2;
            }
            if let Some((Kind::Word | Kind::Backticked, name)) = parts.get(j)
                && is_result_name(name)
            {
                out.push(name.clone());
            }
        }
        i += 1;
    }
    out
}

/// One line for an error that a result name was not found: what `_` and `_N` mean.
pub(crate) fn hint(message: &str) -> Option<String> {
    if !message.contains("TABLE_OR_VIEW_NOT_FOUND") {
        return None;
    }
    let quoted = message
        .split('`')
        .skip(1)
        .step_by(2)
        .find(|name| is_result_name(name))?;
    Some(if quoted == "_" {
        "`_` is the result of the last query an earlier cell showed; no cell has shown one yet in this kernel."
            .to_string()
    } else {
        format!(
            "`{quoted}` is the last result of the cell numbered [{}]; that cell showed no query result in this kernel.",
            &quoted[1..]
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_names_are_found_where_a_table_may_stand() {
        assert_eq!(mentions("SELECT * FROM _ WHERE x > 1"), vec!["_"]);
        assert_eq!(
            mentions("SELECT _.a FROM _12 JOIN `_3` USING (id)"),
            vec!["_", "_12", "_3"]
        );
        assert!(mentions("SELECT t._1, '_' FROM t -- _").is_empty());
        assert!(mentions("SELECT _x, x_1, __1 FROM t").is_empty());
        assert!(is_result_name("_") && is_result_name("_07"));
        assert!(!is_result_name("_a") && !is_result_name("") && !is_result_name("a_1"));
    }

    #[test]
    fn names_the_user_creates_or_drops_are_theirs() {
        assert_eq!(touched("CREATE OR REPLACE TEMP VIEW _ AS SELECT 1"), vec!["_"]);
        assert_eq!(touched("create table if not exists default._3 (a int)"), vec!["_3"]);
        assert_eq!(touched("DROP VIEW IF EXISTS `_`"), vec!["_"]);
        assert_eq!(touched("ALTER VIEW v RENAME TO _4"), vec!["_4"]);
        assert!(touched("CREATE TABLE t AS SELECT * FROM _").is_empty());
        assert!(touched("SELECT * FROM _").is_empty());
    }

    #[test]
    fn a_missing_result_name_is_explained() {
        let line = hint("[TABLE_OR_VIEW_NOT_FOUND] The table or view `_` cannot be found.").unwrap();
        assert!(line.contains("last query an earlier cell showed"), "{line}");
        let line = hint("[TABLE_OR_VIEW_NOT_FOUND] The table or view `_12` cannot be found.").unwrap();
        assert!(line.contains("[12]"), "{line}");
        assert_eq!(
            hint("[TABLE_OR_VIEW_NOT_FOUND] The table or view `t` cannot be found."),
            None
        );
        assert_eq!(hint("[UNRESOLVED_COLUMN] `_`"), None);
    }

    #[test]
    fn only_a_successful_cells_last_query_counts() {
        let earlier = Earlier::default();
        let schema = Arc::new(arrow_schema::Schema::empty());
        let plain = StatementRun::of(true);
        earlier.start_cell(Some(1), true);
        earlier.showed("SELECT 1", &plain, schema.clone(), false);
        earlier.showed("SELECT 2", &plain, schema.clone(), false);
        earlier.end_cell("SELECT 1; SELECT 2", true);
        let first = earlier.result("_1").expect("cell 1's result");
        assert_eq!(earlier.result("_").map(|s| s.id), Some(first.id));
        // A failed cell leaves `_` where it was.
        earlier.start_cell(Some(2), true);
        earlier.showed("SELECT 3", &plain, schema.clone(), false);
        earlier.end_cell("SELECT 3; SELECT nope", false);
        assert!(earlier.result("_2").is_none());
        assert_eq!(earlier.result("_").map(|s| s.id), Some(first.id));
        // A silent cell shows nothing; a command's output is no result.
        earlier.start_cell(None, false);
        earlier.showed("SELECT 4", &plain, schema.clone(), false);
        earlier.end_cell("SELECT 4", true);
        earlier.start_cell(Some(3), true);
        earlier.showed("SHOW TABLES", &plain, schema, true);
        earlier.end_cell("SHOW TABLES", true);
        assert_eq!(earlier.result("_").map(|s| s.id), Some(first.id));
        assert_eq!(earlier.names().len(), 2);
    }
}
