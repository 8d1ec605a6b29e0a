//! Which statements the kernel may run again on its own after a server restart: those
//! that only read. Anything else that may have reached a server that then lost it is not
//! repeated blindly; the cell says its outcome is unknown and how to find out.

/// Statements that change no data, by their first keyword (after comments and brackets).
/// Anything not listed counts as a change, so the guess errs on the side of asking the
/// user: `WITH … INSERT` and `FROM … INSERT` are changes.
const READ_ONLY: &[&str] = &[
    "SELECT", "SHOW", "DESCRIBE", "DESC", "EXPLAIN", "VALUES", "TABLE", "LIST",
];

/// True when running `statement` twice has the same effect as running it once.
pub(crate) fn repeatable(statement: &str) -> bool {
    let word = first_keyword(statement);
    READ_ONLY.iter().any(|k| k.eq_ignore_ascii_case(&word))
}

/// The first word of `statement`, past blanks, `--` and `/* */` comments and `(`.
fn first_keyword(statement: &str) -> String {
    let mut rest = statement;
    loop {
        let trimmed = rest.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
        if let Some(after) = trimmed.strip_prefix("--") {
            rest = after.split_once('\n').map_or("", |(_, r)| r);
        } else if trimmed.starts_with("/*") {
            rest = skip_block_comment(trimmed);
        } else {
            return trimmed.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        }
    }
}

/// What follows the (possibly nested) block comment `text` starts with; "" when unclosed.
fn skip_block_comment(text: &str) -> &str {
    let mut depth = 0usize;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth = depth.saturating_sub(1);
                i += 2;
                if depth == 0 {
                    return text.get(i..).unwrap_or("");
                }
            }
            _ => i += 1,
        }
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::repeatable;

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
        ] {
            assert!(!repeatable(s), "{s}");
        }
    }
}
