//! The tokens of Spark 4.0's lexer that matter for telling statements apart — words, quoted
//! identifiers, string literals (raw ones too), comments, hints and punctuation — read once
//! here, so that splitting, completeness, blocks, completion and carets all agree on where a
//! quote or a comment begins and ends.

/// What a token is. Keywords, identifiers and numbers are all words here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Word,
    /// `` `…` ``, with ``` `` ``` for a backtick inside.
    Backticked,
    /// `'…'` or `"…"` with backslash escapes; `r'…'` / `R"…"` without; also `X'…'`.
    String,
    /// `--` to the end of the line (a backslash before the newline continues it).
    LineComment,
    /// `/* … */`, which Spark allows to nest.
    BlockComment,
    /// `/*+` opening a hint; what follows up to `*/` is code.
    HintStart,
    /// `*/` closing a hint.
    HintEnd,
    /// Any other single character: brackets, `;`, `,`, `.`, operators.
    Punct(char),
}

/// One token, as byte offsets into the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

impl Token {
    pub(crate) fn is_comment(&self) -> bool {
        matches!(self.kind, Kind::LineComment | Kind::BlockComment)
    }
}

/// What is still open where the code ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Open {
    Nothing,
    /// A string literal or quoted identifier, by its quote character.
    Quote(char),
    BlockComment,
    Hint,
}

/// The tokens of `code` and what is left open at its end (the last token then runs to the
/// end of the code).
pub(crate) fn tokens(code: &str) -> (Vec<Token>, Open) {
    let chars: Vec<(usize, char)> = code.char_indices().collect();
    let at = |i: usize| chars.get(i).map(|&(_, c)| c);
    let offset = |i: usize| chars.get(i).map_or(code.len(), |&(o, _)| o);
    let mut out = Vec::new();
    let mut open = Open::Nothing;
    let mut in_hint = false;
    let mut i = 0;
    while let Some(c) = at(i) {
        let start = i;
        let kind;
        if c.is_whitespace() {
            i += 1;
            continue;
        } else if c == '-' && at(i + 1) == Some('-') {
            i = line_comment_end(&chars, i + 2);
            kind = Kind::LineComment;
        } else if c == '/' && at(i + 1) == Some('*') && at(i + 2) == Some('+') {
            i += 3;
            in_hint = true;
            kind = Kind::HintStart;
        } else if c == '/' && at(i + 1) == Some('*') {
            let closed;
            (i, closed) = block_comment_end(&chars, i + 2);
            if !closed {
                open = Open::BlockComment;
            }
            kind = Kind::BlockComment;
        } else if in_hint && c == '*' && at(i + 1) == Some('/') {
            i += 2;
            in_hint = false;
            kind = Kind::HintEnd;
        } else if c == '`' {
            let closed;
            (i, closed) = backticked_end(&chars, i + 1);
            if !closed {
                open = Open::Quote('`');
            }
            kind = Kind::Backticked;
        } else if let Some(quote) = string_start(c, at(i + 1), i.checked_sub(1).and_then(at)) {
            // A raw string's `r` comes before its quote.
            let raw = c != '\'' && c != '"';
            let closed;
            (i, closed) = string_end(&chars, i + if raw { 2 } else { 1 }, quote, raw);
            if !closed {
                open = Open::Quote(quote);
            }
            kind = Kind::String;
        } else if is_word_char(c) {
            i = word_end(&chars, start);
            kind = Kind::Word;
        } else {
            i += 1;
            kind = Kind::Punct(c);
        }
        out.push(Token {
            kind,
            start: offset(start),
            end: offset(i).min(code.len()),
        });
    }
    if open == Open::Nothing && in_hint {
        open = Open::Hint;
    }
    (out, open)
}

/// The character at `i`, if any.
fn char_at(chars: &[(usize, char)], i: usize) -> Option<char> {
    chars.get(i).map(|&(_, c)| c)
}

/// Where a line comment whose text starts at `i` ends: at the end of its line (a
/// backslash before the line break carries it on to the next).
fn line_comment_end(chars: &[(usize, char)], mut i: usize) -> usize {
    let at = |i: usize| char_at(chars, i);
    while let Some(c) = at(i) {
        if c == '\\' && at(i + 1) == Some('\n') {
            i += 2;
        } else if c == '\n' || c == '\r' {
            break;
        } else {
            i += 1;
        }
    }
    i
}

/// Where a block comment whose text starts at `i` ends (comments nest), and whether it
/// was closed before the end of the code.
fn block_comment_end(chars: &[(usize, char)], mut i: usize) -> (usize, bool) {
    let at = |i: usize| char_at(chars, i);
    let mut depth = 1;
    while depth > 0 {
        match (at(i), at(i + 1)) {
            (None, _) => break,
            (Some('*'), Some('/')) => {
                depth -= 1;
                i += 2;
            }
            // `/*+` inside a comment opens nothing.
            (Some('/'), Some('*')) if at(i + 2) != Some('+') => {
                depth += 1;
                i += 2;
            }
            _ => i += 1,
        }
    }
    (i, depth == 0)
}

/// Where a backticked name whose text starts at `i` ends (a doubled backtick is one
/// backtick of the name), and whether it was closed.
fn backticked_end(chars: &[(usize, char)], mut i: usize) -> (usize, bool) {
    let at = |i: usize| char_at(chars, i);
    loop {
        match (at(i), at(i + 1)) {
            (None, _) => return (i, false),
            (Some('`'), Some('`')) => i += 2,
            (Some('`'), _) => return (i + 1, true),
            _ => i += 1,
        }
    }
}

/// Where a string literal quoted by `quote` whose text starts at `i` ends (a backslash
/// escapes the next character unless the string is raw), and whether it was closed.
fn string_end(chars: &[(usize, char)], mut i: usize, quote: char, raw: bool) -> (usize, bool) {
    loop {
        match char_at(chars, i) {
            None => return (i, false),
            Some('\\') if !raw => i += 2,
            Some(c) if c == quote => return (i + 1, true),
            _ => i += 1,
        }
    }
}

/// Where a word starting at `start` ends.
fn word_end(chars: &[(usize, char)], start: usize) -> usize {
    let at = |i: usize| char_at(chars, i);
    let mut i = start;
    while at(i).is_some_and(is_word_char) {
        i += 1;
    }
    // A path such as `file:///data/a--b.json` is one identifier, `--` and all.
    let letters = chars[start..i].iter().all(|&(_, c)| c.is_alphabetic());
    if letters && at(i) == Some(':') && at(i + 1) == Some('/') && at(i + 2) == Some('/') {
        i += 3;
        while at(i).is_some_and(|c| is_word_char(c) || "/-.?=&#%".contains(c)) {
            i += 1;
        }
    }
    i
}

/// The quote of a string literal starting at `c` (followed by `next`, after `before`): a
/// plain quote, or `r`/`R` right before one when the `r` starts a token (`bar'x'` is the
/// word `bar` and then a string).
fn string_start(c: char, next: Option<char>, before: Option<char>) -> Option<char> {
    match c {
        '\'' | '"' => Some(c),
        'r' | 'R' if matches!(next, Some('\'' | '"')) && !before.is_some_and(is_word_char) => next,
        _ => None,
    }
}

pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}
