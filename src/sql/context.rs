//! What surrounds the cursor in a cell, read from the scanner's tokens: the (possibly
//! qualified, possibly backticked) name being typed, the kind of place it stands in (where
//! a table goes, a database, a function, a column) and the tables the statement reads, with
//! their aliases. Completion and inspection decide what to offer from this alone.

use super::scan::{Kind, Open, Token, tokens};

/// The kind of place the cursor is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place {
    /// The first word of a statement: a keyword.
    Start,
    /// After FROM, JOIN, TABLE, INTO…: a table or view.
    Table,
    /// After USE, SHOW TABLES IN…: a database.
    Database,
    /// After FUNCTION: a function.
    Function,
    /// After a table name in FROM: an alias or the next keyword.
    AfterTable,
    /// Anywhere else in a statement: a column, a function or a keyword.
    Expression,
}

/// The name at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Name {
    /// The parts before the last dot, unquoted.
    pub(crate) qualifier: Vec<String>,
    /// The last part, unquoted: up to the cursor when completing, whole when inspecting.
    pub(crate) last: String,
    /// Whether the last part is in backticks.
    pub(crate) quoted: bool,
    /// Byte range of the text a completion replaces (the last part, its backticks too).
    pub(crate) start: usize,
    pub(crate) end: usize,
}

/// A table the statement reads, as written, and its alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TableRef {
    pub(crate) parts: Vec<String>,
    pub(crate) alias: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Context {
    pub(crate) name: Name,
    pub(crate) place: Place,
    pub(crate) scope: Vec<TableRef>,
}

/// Words after a table name that are not its alias.
const NOT_ALIASES: &[&str] = &[
    "ANTI",
    "CLUSTER",
    "CROSS",
    "DISTRIBUTE",
    "EXCEPT",
    "FOR",
    "FULL",
    "GROUP",
    "HAVING",
    "INNER",
    "INTERSECT",
    "JOIN",
    "LATERAL",
    "LEFT",
    "LIMIT",
    "MINUS",
    "NATURAL",
    "OFFSET",
    "ON",
    "ORDER",
    "OUTER",
    "PARTITION",
    "PIVOT",
    "QUALIFY",
    "RIGHT",
    "SELECT",
    "SEMI",
    "SET",
    "SORT",
    "TABLESAMPLE",
    "TIMESTAMP",
    "UNION",
    "UNPIVOT",
    "USING",
    "VALUES",
    "VERSION",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// Keywords that start a clause; the nearest one before the cursor says where it is.
const CLAUSES: &[&str] = &[
    "SELECT", "FROM", "JOIN", "WHERE", "ON", "BY", "HAVING", "QUALIFY", "SET", "USING", "VALUES", "LIMIT", "WINDOW",
    "INTO", "UPDATE", "TABLE",
];

struct Tokens<'a> {
    code: &'a str,
    all: Vec<Token>,
}

impl Tokens<'_> {
    fn text(&self, t: &Token) -> &str {
        &self.code[t.start..t.end]
    }

    fn upper(&self, t: &Token) -> String {
        if t.kind == Kind::Word {
            self.text(t).to_ascii_uppercase()
        } else {
            String::new()
        }
    }

    /// A name part as written: a word, or a backticked identifier without its quotes.
    fn part(&self, t: &Token) -> Option<String> {
        match t.kind {
            Kind::Word => Some(self.text(t).to_string()),
            Kind::Backticked => Some(unquote(self.text(t))),
            _ => None,
        }
    }
}

/// The text of a backticked identifier: its quotes removed (the closing one may be missing),
/// doubled backticks made single.
pub(crate) fn unquote(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.strip_prefix('`').unwrap_or(text).chars().peekable();
    while let Some(c) = chars.next() {
        if c == '`' {
            if chars.peek() == Some(&'`') {
                chars.next();
            } else {
                break;
            }
        }
        out.push(c);
    }
    out
}

/// Whether the rest of a backticked name looks like more statement rather than name.
fn runs_on(rest: &str) -> bool {
    let lower = rest.to_lowercase();
    rest.contains('\n')
        || [" from ", " where ", " join ", " group ", " order ", " on "]
            .iter()
            .any(|k| lower.contains(k))
}

fn is_name(t: &Token) -> bool {
    matches!(t.kind, Kind::Word | Kind::Backticked)
}

/// The context at byte `cursor`; None inside a string literal or a comment. With `whole`,
/// the name runs past the cursor to its end (for inspection).
pub(crate) fn at(code: &str, cursor: usize, whole: bool) -> Option<Context> {
    let (all, open) = tokens(code);
    // A backtick being typed before more of the statement pairs with a later one, so the
    // lexer reads `odd c| FROM `t`` as one name: close it at the cursor and read again.
    if let Some(t) = all
        .iter()
        .find(|t| t.kind == Kind::Backticked && t.start < cursor && cursor < t.end)
        && runs_on(&code[cursor..t.end])
    {
        let closed = format!("{}`{}", &code[..cursor], &code[cursor..]);
        let mut cx = at(&closed, cursor, whole)?;
        cx.name.end = cx.name.end.min(cursor);
        return Some(cx);
    }
    let toks = Tokens { code, all };
    // Only the last token can be left open by the end of the code.
    let last_start = toks.all.last().map_or(usize::MAX, |t| t.start);
    let closed = |t: &Token| open == Open::Nothing || t.start != last_start;
    let statement = statement_around(&toks.all, cursor, &closed)?;

    // The token being typed (or inspected), if any.
    let current = statement
        .iter()
        .position(|t| is_name(t) && t.start < cursor && cursor <= t.end);
    let (mut first, name) = match current {
        Some(i) => {
            let t = statement[i];
            let quoted = t.kind == Kind::Backticked;
            let closed = quoted && closed(&t);
            let upto = if whole || closed { t.end } else { cursor };
            let raw = &code[t.start..upto];
            let last = if quoted { unquote(raw) } else { raw.to_string() };
            let end = if closed { t.end } else { upto };
            (
                i,
                Name {
                    qualifier: Vec::new(),
                    last,
                    quoted,
                    start: t.start,
                    end,
                },
            )
        }
        None => {
            // Nothing typed: right after a dot the qualifier still counts.
            let after = statement
                .iter()
                .position(|t| t.start >= cursor)
                .unwrap_or(statement.len());
            (
                after,
                Name {
                    qualifier: Vec::new(),
                    last: String::new(),
                    quoted: false,
                    start: cursor,
                    end: cursor,
                },
            )
        }
    };
    let mut name = name;
    // Walk back over `part.` pairs that touch each other.
    let mut edge = name.start;
    while first >= 2 {
        let (dot, part) = (statement[first - 1], statement[first - 2]);
        if dot.kind != Kind::Punct('.') || dot.end != edge || part.end != dot.start {
            break;
        }
        match toks.part(&part) {
            Some(p) => name.qualifier.insert(0, p),
            None => break,
        }
        edge = part.start;
        first -= 2;
    }
    if whole && let Some(i) = current {
        extend_to_last_part(&toks, &statement, i, &mut name);
    }

    let before = &statement[..first];
    let place = place_of(&toks, before);
    let scope = scope_of(&toks, &statement, edge, name.end.max(cursor));
    Some(Context { name, place, scope })
}

/// The statement around the cursor, comments and hints left out; None when the cursor is
/// inside a string literal or a comment. `closed` says whether a token was closed.
fn statement_around(all: &[Token], cursor: usize, closed: &impl Fn(&Token) -> bool) -> Option<Vec<Token>> {
    let mut statement: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    for t in all {
        if t.start >= cursor && t.kind == Kind::Punct(';') && depth == 0 {
            break;
        }
        let inside = t.start < cursor && (cursor < t.end || !closed(t));
        match t.kind {
            Kind::LineComment if t.start < cursor && cursor <= t.end => return None,
            Kind::String | Kind::BlockComment if inside => return None,
            Kind::LineComment | Kind::BlockComment | Kind::HintStart | Kind::HintEnd => continue,
            Kind::Punct('(' | '[' | '{') => depth += 1,
            Kind::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Kind::Punct(';') if depth == 0 => {
                statement.clear();
                continue;
            }
            _ => {}
        }
        statement.push(*t);
    }
    Some(statement)
}

/// Inspecting `db.ta|ble.col`: the name at `statement[i]` runs on to its last part.
fn extend_to_last_part(toks: &Tokens, statement: &[Token], i: usize, name: &mut Name) {
    let mut j = i;
    while j + 2 < statement.len() {
        let (dot, part) = (statement[j + 1], statement[j + 2]);
        if dot.kind != Kind::Punct('.') || dot.start != statement[j].end || part.start != dot.end {
            break;
        }
        let Some(p) = toks.part(&part) else { break };
        name.qualifier.push(std::mem::replace(&mut name.last, p));
        j += 2;
    }
}

fn place_of(toks: &Tokens, before: &[Token]) -> Place {
    let Some(prev) = before.last() else {
        return Place::Start;
    };
    let prev_word = toks.upper(prev);
    let prev2 = before
        .len()
        .checked_sub(2)
        .map(|i| toks.upper(&before[i]))
        .unwrap_or_default();
    match prev_word.as_str() {
        "USE" => return Place::Database,
        "IN" | "FROM" if matches!(prev2.as_str(), "TABLES" | "VIEWS" | "FUNCTIONS") => return Place::Database,
        "DATABASE" | "SCHEMA" | "NAMESPACE" if prev2 != "CURRENT" => return Place::Database,
        "FUNCTION" => return Place::Function,
        "FROM" | "JOIN" | "TABLE" | "INTO" | "UPDATE" | "VIEW" | "DESCRIBE" | "DESC" | "EXTENDED" | "FORMATTED" => {
            return Place::Table;
        }
        _ => {}
    }
    // The nearest clause keyword at the cursor's depth.
    let mut depth = 0usize;
    let mut clause = String::new();
    for t in before.iter().rev() {
        match t.kind {
            Kind::Punct(')' | ']' | '}') => depth += 1,
            Kind::Punct('(' | '[' | '{') => depth = depth.saturating_sub(1),
            Kind::Word if depth == 0 => {
                let w = toks.upper(t);
                if CLAUSES.contains(&w.as_str()) {
                    clause = w;
                    break;
                }
            }
            _ => {}
        }
    }
    match clause.as_str() {
        "FROM" | "JOIN" if prev.kind == Kind::Punct(',') && clause == "FROM" => Place::Table,
        "FROM" | "JOIN" | "TABLE" | "INTO" | "UPDATE" => Place::AfterTable,
        _ => Place::Expression,
    }
}

/// The tables named after FROM, JOIN, UPDATE and INTO anywhere in the statement, except a
/// name in `skip` (the one being typed).
fn scope_of(toks: &Tokens, statement: &[Token], skip_start: usize, skip_end: usize) -> Vec<TableRef> {
    let mut scope = Vec::new();
    let mut i = 0;
    while i < statement.len() {
        let word = toks.upper(&statement[i]);
        i += 1;
        if !matches!(word.as_str(), "FROM" | "JOIN" | "UPDATE" | "INTO") {
            continue;
        }
        loop {
            // A qualified name…
            let mut parts = Vec::new();
            let start = statement.get(i).map_or(0, |t| t.start);
            while let Some(p) = statement.get(i).and_then(|t| toks.part(t)) {
                parts.push(p);
                i += 1;
                if statement.get(i).map(|t| t.kind) == Some(Kind::Punct('.')) {
                    i += 1;
                } else {
                    break;
                }
            }
            if parts.is_empty() {
                break;
            }
            let end = statement.get(i - 1).map_or(0, |t| t.end);
            // …then perhaps AS and an alias.
            if statement.get(i).is_some_and(|t| toks.upper(t) == "AS") {
                i += 1;
            }
            let alias = match statement.get(i) {
                Some(t) if t.kind == Kind::Backticked => Some(unquote(toks.text(t))),
                Some(t) if t.kind == Kind::Word && !NOT_ALIASES.contains(&toks.upper(t).as_str()) => {
                    Some(toks.text(t).to_string())
                }
                _ => None,
            };
            if alias.is_some() {
                i += 1;
            }
            let typed = start <= skip_end && end >= skip_start;
            if !typed
                && !parts
                    .first()
                    .is_some_and(|p| p.starts_with(|c: char| c.is_ascii_digit()))
            {
                scope.push(TableRef { parts, alias });
            }
            if statement.get(i).map(|t| t.kind) == Some(Kind::Punct(',')) {
                i += 1;
            } else {
                break;
            }
        }
    }
    scope
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The context at the `|` in `code`.
    fn cx(code: &str) -> Option<Context> {
        let cursor = code.find('|').unwrap();
        at(&code.replace('|', ""), cursor, false)
    }

    fn name(code: &str) -> (Vec<String>, String, bool) {
        let n = cx(code).unwrap().name;
        (n.qualifier, n.last, n.quoted)
    }

    fn place(code: &str) -> Place {
        cx(code).unwrap().place
    }

    fn t(parts: &[&str], alias: Option<&str>) -> TableRef {
        TableRef {
            parts: parts.iter().map(|p| p.to_string()).collect(),
            alias: alias.map(str::to_string),
        }
    }

    #[test]
    fn places() {
        assert_eq!(place("SEL|"), Place::Start);
        assert_eq!(place("SELECT 1; SEL|"), Place::Start);
        assert_eq!(place("SELECT * FROM |"), Place::Table);
        assert_eq!(place("SELECT * FROM en|"), Place::Table);
        assert_eq!(place("SELECT * FROM db.ta|"), Place::Table);
        assert_eq!(place("SELECT * FROM a, |"), Place::Table);
        assert_eq!(place("SELECT * FROM a JOIN b|"), Place::Table);
        assert_eq!(place("SELECT * FROM a |"), Place::AfterTable);
        assert_eq!(place("USE |"), Place::Database);
        assert_eq!(place("SHOW TABLES IN e|"), Place::Database);
        assert_eq!(place("DESCRIBE FUNCTION up|"), Place::Function);
        assert_eq!(place("SELECT de|"), Place::Expression);
        assert_eq!(
            place("SELECT a FROM t WHERE x IN (SELECT y FROM u) AND si|"),
            Place::Expression
        );
        assert_eq!(place("SELECT count(|"), Place::Expression);
        assert_eq!(place("SELECT a FROM t GROUP BY |"), Place::Expression);
        assert_eq!(place("SELECT a FROM t JOIN u ON t.|"), Place::Expression);
    }

    #[test]
    fn names() {
        let s = |v: &[&str]| v.iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(name("SELECT * FROM db.ta|"), (s(&["db"]), "ta".into(), false));
        assert_eq!(name("SELECT * FROM cat.db.|"), (s(&["cat", "db"]), "".into(), false));
        assert_eq!(name("SELECT * FROM `my db`.`ta|"), (s(&["my db"]), "ta".into(), true));
        assert_eq!(
            name("SELECT s.inner.x| FROM t s"),
            (s(&["s", "inner"]), "x".into(), false)
        );
        assert_eq!(name("SELECT `a``b|"), (vec![], "a`b".into(), true));
        assert_eq!(name("SELECT a|bc"), (vec![], "a".into(), false));
        let n = cx("SELECT `my ta|ble` FROM t").unwrap().name;
        assert_eq!((n.last.as_str(), n.start, n.end), ("my table", 7, 17));
        // A backtick typed before the rest of the statement.
        let c = cx("SELECT `odd c| FROM `odd view`").unwrap();
        assert_eq!((c.name.last.as_str(), c.name.start, c.name.end), ("odd c", 7, 13));
        assert_eq!(c.scope, vec![t(&["odd view"], None)]);
        let n = at("SELECT * FROM db.table", 15, true).unwrap().name;
        assert_eq!((n.qualifier, n.last), (s(&["db"]), "table".to_string()));
    }

    #[test]
    fn nothing_inside_strings_and_comments() {
        assert_eq!(cx("SELECT 'FROM |'"), None);
        assert_eq!(cx("SELECT 1 -- FROM |"), None);
        assert_eq!(cx("SELECT /* x | */ 1"), None);
        assert!(cx("SELECT 'a' |").is_some());
        assert!(cx("SELECT r'C:\\'|").is_some());
    }

    #[test]
    fn tables_in_scope_with_aliases() {
        let c = cx("SELECT s.| FROM enigma.samples s, plain JOIN `odd name` AS o ON s.id = o.id WHERE 1").unwrap();
        assert_eq!(
            c.scope,
            vec![
                t(&["enigma", "samples"], Some("s")),
                t(&["plain"], None),
                t(&["odd name"], Some("o"))
            ]
        );
        let c = cx("SELECT a FROM t WHERE b| GROUP BY a").unwrap();
        assert_eq!(c.scope, vec![t(&["t"], None)]);
        let c = cx("SELECT * FROM pe|").unwrap();
        assert_eq!(c.scope, vec![]);
        let c = cx("SELECT 1; SELECT x| FROM second").unwrap();
        assert_eq!(c.scope, vec![t(&["second"], None)]);
    }
}
