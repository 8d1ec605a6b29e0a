//! What kind of statement the kernel is about to run, read from its words outside strings
//! and comments. A plain query is sent to Spark as one plan with its row limit, saving the
//! round trip a command needs. Statements that only read may be run again on their own
//! after a server restart; anything else that may have reached a server that then lost it
//! is not repeated blindly (the cell says its outcome is unknown and how to find out).

use super::block::is_block;
use super::scan::{Kind, tokens};

/// Statements that change no data, by their first keyword (after comments and brackets).
/// Anything not listed counts as a change, so the guess errs on the side of asking the
/// user: `WITH … INSERT` and `FROM … INSERT` are changes.
const READ_ONLY: &[&str] = &[
    "SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "TABLE", "LIST",
];

/// Queries, by their first keyword.
const QUERIES: &[&str] = &["SELECT", "VALUES", "TABLE"];

/// The statements Spark's grammar allows after `WITH` besides a query: with any of these
/// words anywhere, a `WITH` statement is taken for a change (a column named `update` only
/// costs the query its single round trip).
const CHANGES_AFTER_WITH: &[&str] = &["INSERT", "UPDATE", "DELETE", "MERGE"];

/// True when running `statement` twice has the same effect as running it once. A
/// compound statement (`BEGIN … END`, a SQL script) may change data, whatever it holds.
pub(crate) fn repeatable(statement: &str) -> bool {
    if is_block(statement) {
        return false;
    }
    let words = words(statement);
    words
        .first()
        .is_some_and(|w| READ_ONLY.iter().any(|k| k.eq_ignore_ascii_case(w)))
        || is_query(&words)
}

/// True when `statement` is certainly a query (it reads and returns rows), never a command.
pub(crate) fn plain_query(statement: &str) -> bool {
    !is_block(statement) && is_query(&words(statement))
}

fn is_query(words: &[&str]) -> bool {
    let is = |w: &str, set: &[&str]| set.iter().any(|k| k.eq_ignore_ascii_case(w));
    match words.first() {
        Some(w) if is(w, QUERIES) => true,
        Some(w) if w.eq_ignore_ascii_case("WITH") => !words.iter().any(|w| is(w, CHANGES_AFTER_WITH)),
        _ => false,
    }
}

/// The words of `statement` (keywords and names, not inside quotes or comments), in order.
fn words(statement: &str) -> Vec<&str> {
    let (tokens, _) = tokens(statement);
    tokens
        .iter()
        .filter(|t| t.kind == Kind::Word)
        .filter_map(|t| statement.get(t.start..t.end))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{plain_query, repeatable};

    #[test]
    fn reads_are_repeatable_and_everything_else_is_not() {
        for s in [
            "SELECT 1",
            "  select * from t",
            "-- note\nSHOW TABLES",
            "/* a /* nested */ one */ DESCRIBE t",
            "(SELECT 1) UNION (SELECT 2)",
            "values (1)",
            "EXPLAIN INSERT INTO t VALUES (1)",
        ] {
            assert!(repeatable(s), "{s}");
        }
        for s in [
            "INSERT INTO t VALUES (1)",
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "FROM s INSERT INTO t SELECT *",
            "CREATE TABLE t (x INT)",
            "DELETE FROM t",
            "MERGE INTO t USING s ON true WHEN MATCHED THEN DELETE",
            "/* unclosed SELECT",
            "-- SELECT",
            "",
            "SELECTED",
            "BEGIN SELECT 1; END",
            "-- a script\nbegin declare x int; end",
            "show: BEGIN SELECT 1; END show",
            "select: BEGIN INSERT INTO t VALUES (1); END select",
        ] {
            assert!(!repeatable(s), "{s}");
            assert!(!plain_query(s), "{s}");
        }
    }

    #[test]
    fn only_statements_that_are_certainly_queries_are_plain_queries() {
        for s in [
            "SELECT 1",
            "(SELECT 1) UNION (SELECT 2)",
            "-- SHOW\n values (1)",
            "TABLE t",
            "WITH x AS (SELECT 'INSERT' AS `update`) SELECT * FROM x /* MERGE */",
        ] {
            assert!(plain_query(s), "{s}");
            assert!(repeatable(s), "{s}");
        }
        for s in [
            "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x",
            "with x as (select 1) merge into t using x on true when matched then delete",
            "WITH x AS (SELECT 1) SELECT update FROM x",
            "FROM t SELECT *",
            "SHOW TABLES",
            "EXPLAIN SELECT 1",
            "INSERT INTO t SELECT 1",
            "CACHE TABLE c AS SELECT 1",
            "/* SELECT */",
            "",
        ] {
            assert!(!plain_query(s), "{s}");
        }
    }
}
