//! The look of a failed cell: Jupyter shows an error's traceback lines as they are, with
//! ANSI colours, so the error's name leads in red, then its message, then any context.

/// The traceback of an error: its name, its message, then `context` lines.
pub(crate) fn traceback(ename: &str, evalue: &str, context: Vec<String>) -> Vec<String> {
    let mut traceback = vec![format!("\x1b[0;31m{ename}\x1b[0m")];
    traceback.extend(evalue.lines().map(str::to_string));
    traceback.extend(context);
    traceback
}

#[cfg(test)]
mod tests {
    use super::*;

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
