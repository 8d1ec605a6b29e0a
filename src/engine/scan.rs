//! A small SQL scanner: it knows where quoted strings, quoted identifiers, comments and
//! brackets begin and end, which is all that splitting a cell into statements and telling
//! whether it is complete need to know about Spark SQL's grammar.

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

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Code,
    /// Inside '…', "…" or `…`.
    Quoted(char),
    LineComment,
    /// Spark allows nested /* … */ comments.
    BlockComment(usize),
}

struct Scan {
    /// Byte ranges of the statements, before trimming.
    pieces: Vec<(usize, usize, bool)>,
    state: State,
    brackets: Vec<char>,
    unbalanced: bool,
}

fn scan(code: &str) -> Scan {
    let mut pieces = Vec::new();
    let mut state = State::Code;
    let mut brackets = Vec::new();
    let mut unbalanced = false;
    let mut start = 0;
    // Whether the current piece holds anything but blanks and comments.
    let mut has_code = false;
    let mut chars = code.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        match state {
            State::Code => match c {
                '\'' | '"' | '`' => {
                    state = State::Quoted(c);
                    has_code = true;
                }
                '-' if next == Some('-') => {
                    chars.next();
                    state = State::LineComment;
                }
                '/' if next == Some('*') => {
                    chars.next();
                    state = State::BlockComment(1);
                }
                '(' | '[' | '{' => {
                    brackets.push(c);
                    has_code = true;
                }
                ')' | ']' | '}' => {
                    let open = match c {
                        ')' => '(',
                        ']' => '[',
                        _ => '{',
                    };
                    if brackets.last() == Some(&open) {
                        brackets.pop();
                    } else {
                        unbalanced = true;
                    }
                    has_code = true;
                }
                ';' if brackets.is_empty() => {
                    pieces.push((start, i, has_code));
                    start = i + 1;
                    has_code = false;
                }
                c if c.is_whitespace() => {}
                _ => has_code = true,
            },
            State::Quoted(q) => {
                if c == '\\' && q != '`' {
                    chars.next();
                } else if c == q {
                    if q == '`' && next == Some('`') {
                        chars.next();
                    } else {
                        state = State::Code;
                    }
                }
            }
            State::LineComment => {
                if c == '\n' {
                    state = State::Code;
                }
            }
            State::BlockComment(depth) => {
                if c == '*' && next == Some('/') {
                    chars.next();
                    state = if depth == 1 {
                        State::Code
                    } else {
                        State::BlockComment(depth - 1)
                    };
                } else if c == '/' && next == Some('*') {
                    chars.next();
                    state = State::BlockComment(depth + 1);
                }
            }
        }
    }
    pieces.push((start, code.len(), has_code));
    Scan {
        pieces,
        state,
        brackets,
        unbalanced,
    }
}

/// The statements of a cell, split at `;` outside quotes, comments and brackets. Pieces that
/// hold only blanks or comments are skipped.
pub(crate) fn split_statements(code: &str) -> Vec<Statement<'_>> {
    scan(code)
        .pieces
        .into_iter()
        .filter(|&(_, _, has_code)| has_code)
        .map(|(start, end, _)| {
            let piece = &code[start..end];
            let lead = piece.len() - piece.trim_start().len();
            Statement {
                text: piece.trim(),
                offset: start + lead,
            }
        })
        .collect()
}

/// Whether the cell can run as it is: an unterminated quote, comment or bracket is incomplete.
pub(crate) fn completeness(code: &str) -> Completeness {
    let s = scan(code);
    if s.unbalanced {
        return Completeness::Invalid;
    }
    match s.state {
        State::Quoted(_) | State::BlockComment(_) => Completeness::Incomplete {
            depth: s.brackets.len(),
        },
        _ if !s.brackets.is_empty() => Completeness::Incomplete {
            depth: s.brackets.len(),
        },
        _ => Completeness::Complete,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(code: &str) -> Vec<&str> {
        split_statements(code).into_iter().map(|s| s.text).collect()
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
    fn completeness_follows_quotes_comments_and_brackets() {
        assert_eq!(completeness("SELECT 1"), Completeness::Complete);
        assert_eq!(completeness("SELECT 1;"), Completeness::Complete);
        assert_eq!(completeness(""), Completeness::Complete);
        assert_eq!(completeness("SELECT 'abc"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT `abc"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT /* abc"), Completeness::Incomplete { depth: 0 });
        assert_eq!(completeness("SELECT (1,\n (2"), Completeness::Incomplete { depth: 2 });
        assert_eq!(completeness("SELECT 1 -- open comment"), Completeness::Complete);
        assert_eq!(completeness("SELECT 1)"), Completeness::Invalid);
        assert_eq!(completeness("SELECT ')'"), Completeness::Complete);
    }
}
