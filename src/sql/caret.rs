//! Points at the failing text of a cell. Spark names the failing part of a statement in
//! UTF-16 units of that statement; this maps it back through statement splitting onto the
//! cell's own lines and draws a caret under it.

use unicode_width::UnicodeWidthStr;

use crate::spark::error::QuerySpan;

/// The byte offset in `text` of the character at UTF-16 index `index`, or None past the end.
fn byte_at_utf16(text: &str, index: usize) -> Option<usize> {
    let mut units = 0;
    for (byte, c) in text.char_indices() {
        if units >= index {
            return Some(byte);
        }
        units += c.len_utf16();
    }
    None
}

/// Two lines: the cell line holding the failing text, and carets under that text.
/// `offset` is where `statement` starts in `code`, in bytes.
pub(crate) fn caret_lines(code: &str, statement: &str, offset: usize, span: QuerySpan) -> Option<[String; 2]> {
    let start = offset + byte_at_utf16(statement, span.start)?;
    let stop = offset + byte_at_utf16(statement, span.stop + 1).unwrap_or(statement.len());
    let line_start = code[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = code[start..].find('\n').map_or(code.len(), |i| start + i);
    let number = code[..start].matches('\n').count() + 1;
    let prefix = format!("line {number}: ");
    let line = code[line_start..line_end].trim_end();
    let indent = prefix.len() + code[line_start..start].width();
    let length = code[start..stop.min(line_end).max(start)].width().max(1);
    Some([
        format!("{prefix}{line}"),
        format!("{}{}", " ".repeat(indent), "^".repeat(length)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caret_lands_under_the_failing_text_of_the_cell() {
        let code = "SELECT 1;\nSELECT\n  missing_col\nFROM t";
        let statement = "SELECT\n  missing_col\nFROM t";
        let [line, caret] = caret_lines(code, statement, 10, QuerySpan { start: 9, stop: 19 }).unwrap();
        assert_eq!(line, "line 3:   missing_col");
        assert_eq!(caret, "          ^^^^^^^^^^^");
    }

    #[test]
    fn utf16_indices_and_wide_characters_are_counted_right() {
        let code = "SELECT '世界🧬', nope";
        // '世' and '界' are one UTF-16 unit each, the emoji two; `nope` starts at unit 15.
        let [line, caret] = caret_lines(code, code, 0, QuerySpan { start: 15, stop: 18 }).unwrap();
        assert_eq!(line, "line 1: SELECT '世界🧬', nope");
        assert_eq!(caret.find('^'), Some("line 1: ".len() + "SELECT '世界🧬', ".width()));
        assert_eq!(caret.trim_start(), "^^^^");
    }

    #[test]
    fn a_span_over_several_lines_is_underlined_to_the_end_of_its_first() {
        let code = "SELECT a +\n  b";
        let [_, caret] = caret_lines(code, code, 0, QuerySpan { start: 7, stop: 13 }).unwrap();
        assert_eq!(caret.trim_start(), "^^^");
    }

    #[test]
    fn a_span_past_the_statement_gives_nothing() {
        assert!(caret_lines("SELECT 1", "SELECT 1", 0, QuerySpan { start: 40, stop: 42 }).is_none());
    }
}
