//! Spark SQL scripting's compound statements, read from the scanner's tokens: a
//! `BEGIN … END` block (labels and nesting included) is one statement, so the `;` between
//! its inner statements must not split the cell, and a console must wait for its last `END`.
//!
//! The reading follows Spark 4.0's grammar (`compoundOrSingleStatement`): at the top of a
//! cell only `BEGIN` (optionally `label:`) opens a block; inside one, a statement starting
//! with `BEGIN`, `IF`, `CASE`, `WHILE`, `REPEAT`, `LOOP` or `FOR` opens a construct that
//! `END`, `END IF`, `END CASE`, `END WHILE`, `END REPEAT`, `END LOOP`, `END FOR` closes,
//! and `DECLARE … HANDLER FOR … BEGIN` opens the handler's block. Every inner statement
//! ends with `;`, so a closing `END` always stands where a statement starts; a `CASE … END`
//! expression or a column named `begin` never does, which tells them apart. Headers (the
//! condition after `IF`/`ELSEIF`/`WHEN`/`WHILE`, the query after `FOR`, the condition after
//! `UNTIL`) may hold `CASE … END` expressions, counted so that their `THEN` and `END` are
//! not taken for the construct's.

use super::lexer::{Kind, Token};

/// A construct that `END` closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Construct {
    Begin,
    If,
    Case,
    While,
    Repeat,
    Loop,
    For,
}

impl Construct {
    /// The word after `END` that closes it (none for a block).
    fn closing_word(self) -> Option<&'static str> {
        match self {
            Construct::Begin => None,
            Construct::If => Some("IF"),
            Construct::Case => Some("CASE"),
            Construct::While => Some("WHILE"),
            Construct::Repeat => Some("REPEAT"),
            Construct::Loop => Some("LOOP"),
            Construct::For => Some("FOR"),
        }
    }
}

/// Where the reading is within the current statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pos {
    /// Where a statement starts.
    Start,
    /// Inside a statement that is not a construct: only its `;` matters.
    Statement,
    /// In a `DECLARE`; after `HANDLER`, a `BEGIN` opens the handler's block.
    Declare { handler: bool },
    /// In a construct's header, up to its `THEN` or `DO`.
    Header,
    /// After `UNTIL`, up to the `END REPEAT`.
    Until,
}

/// What the scan of a cell found about its blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Blocks {
    /// For each token: whether it stands inside a block (its `;` does not end a statement).
    pub(crate) inner: Vec<bool>,
    /// How many constructs are still open where the code ends.
    pub(crate) open: usize,
}

/// Reads the compound statements of `code` from its `tokens`.
pub(crate) fn scan(code: &str, tokens: &[Token]) -> Blocks {
    let word =
        |t: &Token| -> Option<String> { (t.kind == Kind::Word).then(|| code[t.start..t.end].to_ascii_uppercase()) };
    let is_name = |t: &Token| matches!(t.kind, Kind::Word | Kind::Backticked);
    // Comments play no part; hints are code but never hold a construct.
    let code_tokens: Vec<usize> = (0..tokens.len()).filter(|&i| !tokens[i].is_comment()).collect();
    let at = |k: usize| code_tokens.get(k).map(|&i| &tokens[i]);
    let mut inner = vec![false; tokens.len()];
    let mut stack: Vec<(Construct, bool)> = Vec::new();
    let mut pos = Pos::Start;
    let mut brackets = 0usize;
    let mut cases = 0usize;
    let mut k = 0;
    while let Some(t) = at(k) {
        let i = code_tokens[k];
        let in_block = !stack.is_empty();
        inner[i] = in_block;
        k += 1;
        if punctuation(t.kind, &mut brackets, &mut pos, &mut cases) {
            continue;
        }
        let w = word(t);
        let w = w.as_deref();
        match pos {
            Pos::Start => {
                // `label:` before a construct that may carry one.
                let labeled = is_name(t)
                    && at(k).is_some_and(|c| c.kind == Kind::Punct(':'))
                    && at(k + 1)
                        .and_then(&word)
                        .is_some_and(|n| matches!(n.as_str(), "BEGIN" | "WHILE" | "REPEAT" | "LOOP" | "FOR"))
                    && (in_block || at(k + 1).and_then(&word).as_deref() == Some("BEGIN"));
                let (opener, label) = if labeled {
                    for j in k..k + 2 {
                        inner[code_tokens[j]] = true;
                    }
                    inner[i] = true;
                    let opener = at(k + 1).and_then(&word);
                    k += 2;
                    (opener, true)
                } else {
                    (w.map(str::to_string), false)
                };
                if let Some((construct, next)) = opened(opener.as_deref(), in_block) {
                    stack.push((construct, label));
                    inner[i] = true;
                    pos = next;
                    continue;
                }
                pos = match (in_block, w) {
                    (true, Some("END")) => {
                        k = close(&mut stack, k, &at, &word, &is_name, &code_tokens, &mut inner);
                        Pos::Statement
                    }
                    (true, Some("ELSE")) => Pos::Start,
                    (true, Some("ELSEIF" | "WHEN")) => Pos::Header,
                    (true, Some("UNTIL")) => Pos::Until,
                    (true, Some("DECLARE")) => Pos::Declare { handler: false },
                    _ => Pos::Statement,
                };
            }
            Pos::Statement => {}
            Pos::Declare { handler } => match w {
                Some("HANDLER") => pos = Pos::Declare { handler: true },
                Some("BEGIN") if handler => {
                    stack.push((Construct::Begin, false));
                    pos = Pos::Start;
                }
                _ => {}
            },
            Pos::Header => match w {
                Some("CASE") => cases += 1,
                Some("END") if cases > 0 => cases -= 1,
                Some("THEN" | "DO") if cases == 0 => pos = Pos::Start,
                _ => {}
            },
            Pos::Until => match w {
                Some("CASE") => cases += 1,
                Some("END") if cases > 0 => cases -= 1,
                Some("END") => {
                    k = close(&mut stack, k, &at, &word, &is_name, &code_tokens, &mut inner);
                    pos = Pos::Statement;
                }
                _ => {}
            },
        }
    }
    Blocks {
        inner,
        open: stack.len(),
    }
}

/// Brackets and `;`: what they change, and whether the token is done with (nothing inside
/// brackets opens or closes a construct).
fn punctuation(kind: Kind, brackets: &mut usize, pos: &mut Pos, cases: &mut usize) -> bool {
    match kind {
        Kind::Punct('(' | '[' | '{') => {
            *brackets += 1;
            if *pos == Pos::Start {
                *pos = Pos::Statement;
            }
            true
        }
        Kind::Punct(')' | ']' | '}') => {
            *brackets = brackets.saturating_sub(1);
            true
        }
        _ if *brackets > 0 => true,
        Kind::Punct(';') => {
            *pos = Pos::Start;
            *cases = 0;
            true
        }
        _ => false,
    }
}

/// The construct a statement's first word opens, and where the scan is after it: only
/// `BEGIN` opens a block at the top; the others only inside one.
fn opened(opener: Option<&str>, in_block: bool) -> Option<(Construct, Pos)> {
    match opener {
        Some("BEGIN") => Some((Construct::Begin, Pos::Start)),
        Some("IF") if in_block => Some((Construct::If, Pos::Header)),
        Some("CASE") if in_block => Some((Construct::Case, Pos::Header)),
        Some("WHILE") if in_block => Some((Construct::While, Pos::Header)),
        Some("FOR") if in_block => Some((Construct::For, Pos::Header)),
        Some("REPEAT") if in_block => Some((Construct::Repeat, Pos::Start)),
        Some("LOOP") if in_block => Some((Construct::Loop, Pos::Start)),
        _ => None,
    }
}

/// Closes the innermost construct at an `END` (the code token before `k`): takes the word
/// naming the construct (`END IF`) and, when it was opened with a label, the end label.
/// Returns the index of the next code token to read.
fn close<'t>(
    stack: &mut Vec<(Construct, bool)>,
    mut k: usize,
    at: &impl Fn(usize) -> Option<&'t Token>,
    word: &impl Fn(&Token) -> Option<String>,
    is_name: &impl Fn(&Token) -> bool,
    code_tokens: &[usize],
    inner: &mut [bool],
) -> usize {
    let Some((construct, labeled)) = stack.pop() else {
        return k;
    };
    if let Some(closing) = construct.closing_word()
        && at(k).and_then(word).as_deref() == Some(closing)
    {
        inner[code_tokens[k]] = true;
        k += 1;
    }
    if labeled && at(k).is_some_and(is_name) {
        inner[code_tokens[k]] = true;
        k += 1;
    }
    k
}

/// Whether `statement` is a compound statement: `BEGIN` (or `label: BEGIN`) first.
pub(crate) fn is_block(statement: &str) -> bool {
    let (tokens, _) = super::lexer::tokens(statement);
    let mut code = tokens.iter().filter(|t| !t.is_comment());
    let first = code.next();
    let text = |t: Option<&Token>| t.map(|t| statement[t.start..t.end].to_ascii_uppercase());
    match text(first).as_deref() {
        Some("BEGIN") => first.is_some_and(|t| t.kind == Kind::Word),
        Some(_) => {
            let colon = code.next();
            colon.is_some_and(|t| t.kind == Kind::Punct(':')) && text(code.next()).as_deref() == Some("BEGIN")
        }
        None => false,
    }
}

/// One line for Spark's refusal of a block because scripting is off in the session.
pub(crate) fn hint(message: &str) -> Option<String> {
    message.contains("UNSUPPORTED_FEATURE.SQL_SCRIPTING").then(|| {
        "SQL scripting is off in this session: `SET spark.sql.scripting.enabled = true` turns it on \
         (the kernel turns it on for each new session unless KBASE_SPARK_CONF sets it)."
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::scan::{Completeness, completeness, split_statements};

    fn texts(code: &str) -> Vec<&str> {
        split_statements(code).into_iter().map(|s| s.text).collect()
    }

    #[test]
    fn a_block_is_one_statement() {
        let block = "BEGIN\n  DECLARE x INT DEFAULT 0;\n  SELECT x;\nEND";
        assert_eq!(texts(&format!("{block};\nSELECT 2")), vec![block, "SELECT 2"]);
        assert_eq!(
            texts("SELECT 1; BEGIN SELECT 1; END"),
            vec!["SELECT 1", "BEGIN SELECT 1; END"]
        );
        assert_eq!(texts("begin end; select 3"), vec!["begin end", "select 3"]);
    }

    #[test]
    fn every_construct_nests() {
        let script = "BEGIN
  DECLARE n INT DEFAULT 0;
  outer: BEGIN
    BEGIN SELECT 1; END;
  END outer;
  IF n = 0 THEN SELECT 'zero'; ELSEIF n = 1 THEN SELECT 'one'; ELSE IF n > 5 THEN SELECT 'big'; END IF; END IF;
  CASE n WHEN 0 THEN SELECT 0; WHEN 1 THEN SELECT 1; ELSE SELECT 2; END CASE;
  CASE WHEN n > 0 THEN SELECT 'pos'; END CASE;
  w: WHILE n < 3 DO SET n = n + 1; END WHILE w;
  REPEAT SET n = n - 1; UNTIL n <= 0 END REPEAT;
  l: LOOP SET n = n + 1; IF n > 2 THEN LEAVE l; END IF; ITERATE l; END LOOP l;
  FOR r AS SELECT id FROM range(3) DO SET n = n + r.id; END FOR;
  f: FOR SELECT 1 AS one DO SELECT one; END FOR f;
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN SELECT 'caught'; END;
  SELECT n;
END";
        assert_eq!(texts(&format!("{script};\nSELECT 2;")), vec![script, "SELECT 2"]);
        assert_eq!(completeness(&format!("{script};")), Completeness::Complete);
    }

    #[test]
    fn case_expressions_and_names_are_no_constructs() {
        // A CASE expression's END stands inside a statement, not where one starts.
        let script = "BEGIN SELECT CASE WHEN 1 = 1 THEN 'a' ELSE 'b' END AS c; SELECT 2; END";
        assert_eq!(texts(&format!("{script}; SELECT 3")), vec![script, "SELECT 3"]);
        // CASE expressions in headers keep their THEN and END.
        let script = "BEGIN IF CASE WHEN true THEN 1 END = 1 THEN SELECT 1; END IF; \
                      REPEAT SELECT 1; UNTIL CASE WHEN true THEN true END END REPEAT; END";
        assert_eq!(texts(&format!("{script}; SELECT 3")), vec![script, "SELECT 3"]);
        // `begin`, `end`, `if` and `loop` as names, strings or functions.
        assert_eq!(
            texts("SELECT begin, `end` FROM t; SELECT 'BEGIN'; SELECT if(true, 1, 2) AS loop"),
            vec![
                "SELECT begin, `end` FROM t",
                "SELECT 'BEGIN'",
                "SELECT if(true, 1, 2) AS loop"
            ]
        );
        assert_eq!(
            texts("CREATE TABLE b (begin INT, end INT); INSERT INTO b VALUES (1, 2)"),
            vec!["CREATE TABLE b (begin INT, end INT)", "INSERT INTO b VALUES (1, 2)"]
        );
        // Inside a block a variable may be named begin: only a handler's BEGIN opens a block.
        let script = "BEGIN DECLARE begin INT DEFAULT 1; SELECT begin; END";
        assert_eq!(texts(&format!("{script}; SELECT 3")), vec![script, "SELECT 3"]);
        // At the top, IF, WHILE and a label without BEGIN are not blocks (Spark 4.0 has none).
        assert_eq!(texts("IF x; SELECT 1"), vec!["IF x", "SELECT 1"]);
        assert_eq!(
            texts("-- BEGIN\nSELECT 1; /* BEGIN */ SELECT 2"),
            vec!["-- BEGIN\nSELECT 1", "/* BEGIN */ SELECT 2"]
        );
    }

    #[test]
    fn labels_before_a_block() {
        let script = "main: BEGIN SELECT 1; END main";
        assert_eq!(texts(&format!("{script}; SELECT 2")), vec![script, "SELECT 2"]);
        assert!(is_block(script));
        assert!(is_block("-- note\nbegin select 1; end"));
        assert!(is_block("`my label` : BEGIN END"));
        assert!(!is_block("SELECT begin"));
        assert!(!is_block("show: SELECT 1"));
        assert!(!is_block("'BEGIN'"));
    }

    #[test]
    fn a_console_waits_for_the_last_end() {
        let incomplete = |code: &str| matches!(completeness(code), Completeness::Incomplete { .. });
        assert!(incomplete("BEGIN"));
        assert!(incomplete("BEGIN\n  SELECT 1;"));
        assert!(incomplete("BEGIN\n  SELECT 1;\n\n"));
        assert!(incomplete(
            "BEGIN\n  WHILE x < 3 DO\n    SET x = x + 1;\n  END WHILE;\n"
        ));
        assert!(incomplete("BEGIN\n  IF x THEN SELECT 1;\n  END IF;\n\n"));
        assert_eq!(completeness("BEGIN\n  SELECT 1;\nEND;"), Completeness::Complete);
        assert_eq!(completeness("BEGIN\n  SELECT 1;\nEND\n"), Completeness::Complete);
        assert_eq!(
            completeness("BEGIN\n  IF x THEN\n"),
            Completeness::Incomplete { depth: 2 }
        );
        assert_eq!(completeness("SELECT begin FROM t;"), Completeness::Complete);
    }

    #[test]
    fn a_refused_block_says_how_to_turn_scripting_on() {
        let line = hint("[UNSUPPORTED_FEATURE.SQL_SCRIPTING] The feature is not supported").unwrap();
        assert!(line.contains("SET spark.sql.scripting.enabled = true"), "{line}");
        assert_eq!(hint("[PARSE_SYNTAX_ERROR] Syntax error"), None);
    }

    #[test]
    fn tokens_of_a_block_are_inner() {
        let code = "SELECT 1; BEGIN SELECT 2; END; SELECT 3";
        let (tokens, _) = crate::sql::scan::tokens(code);
        let blocks = scan(code, &tokens);
        let inner: Vec<&str> = tokens
            .iter()
            .zip(&blocks.inner)
            .filter(|(_, inner)| **inner)
            .map(|(t, _)| &code[t.start..t.end])
            .collect();
        assert_eq!(inner, vec!["BEGIN", "SELECT", "2", ";", "END"]);
        assert_eq!(blocks.open, 0);
    }
}
