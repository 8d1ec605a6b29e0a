//! SQL text, and nothing else: the lexer and the scanner, compound blocks, what kind of statement a piece of text is,
//! carets under a statement, the keywords, and what the cursor is in. Pure functions over
//! strings, no I/O; what the fuzzers target.

pub(crate) mod block;
pub(crate) mod caret;
pub(crate) mod context;
pub(crate) mod keywords;
pub(crate) mod kind;
pub(crate) mod lexer;
pub(crate) mod scan;
