//! The look of a failed cell: Jupyter shows an error's traceback lines as they are, with
//! ANSI colours, so the error's name leads in red, then its message, then any context.

/// The traceback of an error: its name, its message, then `context` lines. Spark's
/// messages begin with their error class in brackets, which the red name already says: it
/// is not shown twice.
pub(crate) fn traceback(ename: &str, evalue: &str, context: Vec<String>) -> Vec<String> {
    let mut traceback = vec![format!("\x1b[0;31m{ename}\x1b[0m")];
    let message = evalue
        .strip_prefix(&format!("[{ename}]"))
        .map_or(evalue, str::trim_start);
    traceback.extend(message.lines().map(str::to_string));
    traceback.extend(context);
    traceback
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_class_is_said_once() {
        let lines = traceback(
            "UNRESOLVED_COLUMN.WITH_SUGGESTION",
            "[UNRESOLVED_COLUMN.WITH_SUGGESTION] A column with name `nme` cannot be resolved. SQLSTATE: 42703",
            Vec::new(),
        );
        assert_eq!(
            lines,
            [
                "\x1b[0;31mUNRESOLVED_COLUMN.WITH_SUGGESTION\x1b[0m",
                "A column with name `nme` cannot be resolved. SQLSTATE: 42703",
            ]
        );
        // Another class in brackets is part of the message.
        let lines = traceback("SparkError", "[OTHER] x", Vec::new());
        assert_eq!(lines[1], "[OTHER] x");
    }

    #[test]
    fn the_name_leads_in_red_then_the_message_then_the_context() {
        let lines = traceback("QueryCancelled", "Query cancelled.\nsecond", vec!["line 1: x".into()]);
        assert_eq!(
            lines,
            [
                "\x1b[0;31mQueryCancelled\x1b[0m",
                "Query cancelled.",
                "second",
                "line 1: x"
            ]
        );
    }
}
