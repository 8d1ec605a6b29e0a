//! The one SQL scanner: it cuts a cell into statements at the `;` that end them (outside
//! quotes, comments, brackets and `BEGIN … END` blocks) and tells a console whether the code
//! is complete, all on the lexer's tokens.

use super::block;
pub(crate) use super::lexer::{Kind, Open, Token, tokens};

/// One statement of a cell and where it starts in the cell (in bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Statement<'a> {
    pub(crate) text: &'a str,
    pub(crate) offset: usize,
}

/// What `is_complete` answers, in Jupyter's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completeness {
    Complete,
    /// Something is still open; the indent suits the next line.
    Incomplete {
        depth: usize,
    },
    /// A closing bracket with nothing to close.
    Invalid,
}

/// The cell's statements as byte ranges `(start, end)` of their tokens (comments included),
/// split at `;` outside brackets and compound statements (`BEGIN … END`); pieces with
/// nothing but comments are left out.
pub(crate) fn statement_ranges(code: &str, tokens: &[Token]) -> Vec<(usize, usize)> {
    let blocks = block::scan(code, tokens);
    let mut ranges = Vec::new();
    let mut depth = 0usize;
    let mut piece: Option<(usize, usize)> = None;
    let mut has_code = false;
    for (t, inner) in tokens.iter().zip(&blocks.inner) {
        match t.kind {
            Kind::Punct('(' | '[' | '{') => depth += 1,
            Kind::Punct(')' | ']' | '}') => depth = depth.saturating_sub(1),
            Kind::Punct(';') if depth == 0 && !inner => {
                if let (Some(p), true) = (piece.take(), has_code) {
                    ranges.push(p);
                }
                piece = None;
                has_code = false;
                continue;
            }
            _ => {}
        }
        has_code |= !t.is_comment();
        piece = Some(piece.map_or((t.start, t.end), |(s, _)| (s, t.end)));
    }
    if let (Some(p), true) = (piece, has_code) {
        ranges.push(p);
    }
    ranges
}

/// The statements of a cell, split at `;` outside quotes, comments and brackets. Pieces that
/// hold only blanks or comments are skipped.
pub(crate) fn split_statements(code: &str) -> Vec<Statement<'_>> {
    let (tokens, _) = tokens(code);
    statement_ranges(code, &tokens)
        .into_iter()
        .map(|(start, end)| Statement {
            text: &code[start..end],
            offset: start,
        })
        .collect()
}

/// Whether `exit` or `quit` stands alone in the cell: the console's way out.
pub(crate) fn is_exit(code: &str) -> bool {
    let word = code.trim().trim_end_matches(';').trim_end();
    word.eq_ignore_ascii_case("exit") || word.eq_ignore_ascii_case("quit")
}

/// Whether a console should run the code now, as `spark-sql` and `psql` decide: when the last
/// statement ends with `;` or the code ends with an empty line, and nothing (a quote, a
/// comment, a hint, a `BEGIN … END` block) is left open; a closing bracket with nothing to
/// close is invalid.
pub(crate) fn completeness(code: &str) -> Completeness {
    let (tokens, open) = tokens(code);
    let mut depth = 0usize;
    for t in &tokens {
        match t.kind {
            Kind::Punct('(' | '[' | '{') => depth += 1,
            Kind::Punct(')' | ']' | '}') => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Completeness::Invalid,
            },
            _ => {}
        }
    }
    if open != Open::Nothing {
        return Completeness::Incomplete { depth };
    }
    // A block waits for its last END, empty lines or not; each open construct indents.
    let blocks = block::scan(code, &tokens);
    if blocks.open > 0 {
        return Completeness::Incomplete {
            depth: depth + blocks.open,
        };
    }
    let code_tokens: Vec<&Token> = tokens.iter().filter(|t| !t.is_comment()).collect();
    let ends_with_empty_line = code.rsplit_once('\n').is_some_and(|(_, last)| last.trim().is_empty());
    let ends_with_semicolon = code_tokens.last().is_some_and(|t| t.kind == Kind::Punct(';')) && depth == 0;
    if code_tokens.is_empty() || ends_with_semicolon || ends_with_empty_line || is_exit(code) {
        Completeness::Complete
    } else {
        Completeness::Incomplete { depth }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(code: &str) -> Vec<&str> {
        split_statements(code).into_iter().map(|s| s.text).collect()
    }

    fn kinds(code: &str) -> Vec<(Kind, &str)> {
        tokens(code)
            .0
            .into_iter()
            .map(|t| (t.kind, &code[t.start..t.end]))
            .collect()
    }

    #[test]
    fn splits_at_semicolons_outside_quotes_and_comments() {
        assert_eq!(texts("SELECT 1; SELECT 2;"), vec!["SELECT 1", "SELECT 2"]);
        assert_eq!(
            texts("SELECT ';' AS a; SELECT \"x;y\""),
            vec!["SELECT ';' AS a", "SELECT \"x;y\""]
        );
        assert_eq!(texts("SELECT `a;b` FROM t"), vec!["SELECT `a;b` FROM t"]);
        assert_eq!(
            texts("SELECT 1 -- a; comment\n; SELECT 2"),
            vec!["SELECT 1 -- a; comment", "SELECT 2"]
        );
        assert_eq!(
            texts("SELECT /* ; /* nested ; */ ; */ 1"),
            vec!["SELECT /* ; /* nested ; */ ; */ 1"]
        );
        assert_eq!(texts("SELECT 'it\\'s;' AS a"), vec!["SELECT 'it\\'s;' AS a"]);
        assert_eq!(texts("SELECT `a``;b`"), vec!["SELECT `a``;b`"]);
    }

    #[test]
    fn raw_strings_take_no_escapes() {
        assert_eq!(
            texts(r"SELECT r'C:\' AS p; SELECT 2"),
            vec![r"SELECT r'C:\' AS p", "SELECT 2"]
        );
        assert_eq!(
            texts(r#"SELECT R"a\" AS p; SELECT 2"#),
            vec![r#"SELECT R"a\" AS p"#, "SELECT 2"]
        );
        // A word ending in r before a quote is a word and then an ordinary string.
        assert_eq!(
            kinds(r"SELECT bar'\';'"),
            vec![(Kind::Word, "SELECT"), (Kind::Word, "bar"), (Kind::String, r"'\';'")]
        );
        // Escapes in ordinary strings: quotes, backslashes and unicode escapes.
        assert_eq!(texts(r"SELECT 'a\\'; SELECT 2"), vec![r"SELECT 'a\\'", "SELECT 2"]);
        assert_eq!(
            texts(r#"SELECT "\"x;" ; SELECT 2"#),
            vec![r#"SELECT "\"x;""#, "SELECT 2"]
        );
        assert_eq!(
            texts(r"SELECT '\u0041;\U0001F600'"),
            vec![r"SELECT '\u0041;\U0001F600'"]
        );
        // Adjacent literals ('it''s' is 'it' and 's') and binary literals.
        assert_eq!(
            texts("SELECT 'it''s;'; SELECT X'1F;'"),
            vec!["SELECT 'it''s;'", "SELECT X'1F;'"]
        );
    }

    #[test]
    fn every_comment_form_of_the_lexer() {
        // A line comment ends at \n or \r, unless a backslash right before \n continues it.
        assert_eq!(texts("SELECT 1 -- a \\\n; still comment\n; SELECT 2").len(), 2);
        assert_eq!(texts("SELECT 1 -- a\r; SELECT 2"), vec!["SELECT 1 -- a", "SELECT 2"]);
        assert_eq!(texts("SELECT 1--2;\n; SELECT 3"), vec!["SELECT 1--2;", "SELECT 3"]);
        // Nested block comments, and a comment marker inside a string is no comment.
        assert_eq!(
            texts("/* a /* b */ ; */ SELECT 1; SELECT '/*'"),
            vec!["/* a /* b */ ; */ SELECT 1", "SELECT '/*'"]
        );
        assert_eq!(texts("SELECT '--'; SELECT 2"), vec!["SELECT '--'", "SELECT 2"]);
        // A hint is code, not a comment, and may hold a quoted name.
        assert_eq!(
            kinds("SELECT /*+ REPARTITION(3) */ 1"),
            vec![
                (Kind::Word, "SELECT"),
                (Kind::HintStart, "/*+"),
                (Kind::Word, "REPARTITION"),
                (Kind::Punct('('), "("),
                (Kind::Word, "3"),
                (Kind::Punct(')'), ")"),
                (Kind::HintEnd, "*/"),
                (Kind::Word, "1"),
            ]
        );
        assert_eq!(texts("/*+ BROADCAST(t) */"), vec!["/*+ BROADCAST(t) */"]);
        // `/**/` is an empty comment, not a hint.
        assert_eq!(texts("/**/ SELECT 1"), vec!["/**/ SELECT 1"]);
        // `/*+` inside a comment is no nested comment: the first `*/` closes it.
        assert_eq!(
            texts("/* a /*+ b */ SELECT 1; SELECT 2"),
            vec!["/* a /*+ b */ SELECT 1", "SELECT 2"]
        );
        // A path identifier holds `--` and `#` without starting a comment.
        assert_eq!(
            texts("SELECT * FROM json.file:///tmp/a--b#c.json; SELECT 2"),
            vec!["SELECT * FROM json.file:///tmp/a--b#c.json", "SELECT 2"]
        );
        assert_eq!(kinds("/**/")[0].0, Kind::BlockComment);
    }

    #[test]
    fn quoted_identifiers_double_their_backticks() {
        assert_eq!(
            kinds("`a``b` . `c\\`"),
            vec![
                (Kind::Backticked, "`a``b`"),
                (Kind::Punct('.'), "."),
                (Kind::Backticked, "`c\\`")
            ]
        );
        assert_eq!(tokens("SELECT `a``").1, Open::Quote('`'));
        assert_eq!(tokens("SELECT 'é'; SELECT 'ü").1, Open::Quote('\''));
    }

    #[test]
    fn skips_empty_and_comment_only_statements() {
        assert_eq!(
            texts(";;  ;\n-- just a comment\n;/* and another */"),
            Vec::<&str>::new()
        );
        assert_eq!(texts(""), Vec::<&str>::new());
        assert_eq!(texts("-- head\nSELECT 1"), vec!["-- head\nSELECT 1"]);
    }

    #[test]
    fn offsets_point_into_the_cell() {
        let code = "SELECT 1;\n\n  SELECT x FROM t";
        let s = split_statements(code);
        assert_eq!(s[1].offset, 13);
        assert_eq!(&code[s[1].offset..], "SELECT x FROM t");
    }

    #[test]
    fn semicolons_inside_brackets_do_not_split() {
        assert_eq!(texts("SELECT (1;2)"), vec!["SELECT (1;2)"]);
    }

    #[test]
    fn consoles_wait_for_a_semicolon_or_an_empty_line() {
        assert_eq!(completeness("SELECT 1;"), Completeness::Complete);
        assert_eq!(completeness("SELECT 1; -- done"), Completeness::Complete);
        assert_eq!(completeness("SELECT 1\n"), Completeness::Complete);
        assert_eq!(completeness("SELECT 1\n    "), Completeness::Complete);
        assert_eq!(completeness(""), Completeness::Complete);
        assert_eq!(completeness("-- only a comment"), Completeness::Complete);
        assert_eq!(completeness("exit"), Completeness::Complete);
        assert_eq!(completeness(" QUIT "), Completeness::Complete);
        assert_eq!(completeness("SELECT 1"), Completeness::Incomplete { depth: 0 });
        assert_eq!(
            completeness("SELECT a,\n  b\nFROM t"),
            Completeness::Incomplete { depth: 0 }
        );
        assert_eq!(
            completeness("SELECT 1; SELECT 2"),
            Completeness::Incomplete { depth: 0 }
        );
        assert_eq!(completeness("SELECT 'abc;"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT 'a\n\n"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT `abc"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT /* abc;"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT /*+ hint;"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT (1,\n (2;"), Completeness::Incomplete { depth: 2 });
        assert_eq!(
            completeness("SELECT 1 -- open comment;"),
            Completeness::Incomplete { depth: 0 }
        );
        assert_eq!(completeness("SELECT 1)"), Completeness::Invalid);
        assert_eq!(completeness("SELECT ')';"), Completeness::Complete);
    }

    #[test]
    fn exit_and_quit_alone() {
        assert!(is_exit("exit"));
        assert!(is_exit("  Quit;\n"));
        assert!(!is_exit("SELECT exit"));
        assert!(!is_exit("exit_code"));
    }
}
