//! A cell's outputs as the notebook will store them. A progress display is transient: when
//! its statement ends, the cell's outputs are cleared (Jupyter's `clear_output` with `wait`,
//! so nothing flickers) and the outputs kept so far are published again, so that what an
//! executed notebook stores — results, notices and errors in statement order — is the same
//! whether a statement took a tenth of a second or a minute.
//!
//! A terminal console (`jupyter console`) cannot take outputs back: it ignores the clear and
//! prints what is published again a second time. So what would only be published again is
//! kept back instead: notices that arrive while a statement runs (a session opened or
//! renewed) wait for the statement's end and come out after the clear, once, before its
//! result or error.

use super::{Output, OutputSink};

pub(crate) struct CellOutputs<'s, 'a> {
    sink: &'s mut OutputSink<'a>,
    /// What stays in the notebook, in order.
    kept: Vec<Output>,
    /// Notices held until the running statement ends.
    held: Vec<String>,
}

impl<'s, 'a> CellOutputs<'s, 'a> {
    pub(crate) fn new(sink: &'s mut OutputSink<'a>) -> CellOutputs<'s, 'a> {
        CellOutputs {
            sink,
            kept: Vec::new(),
            held: Vec::new(),
        }
    }

    /// Publishes `output`, keeping it unless it is transient.
    pub(crate) fn emit(&mut self, output: Output) {
        if matches!(output, Output::Display(_) | Output::Result(_) | Output::Notice(_)) {
            self.kept.push(output.clone());
        }
        (self.sink)(output);
    }

    /// Holds a notice until [`CellOutputs::statement_ended`].
    pub(crate) fn notice_later(&mut self, text: String) {
        self.held.push(text);
    }

    /// A statement ended: takes its progress display away if it showed one (clears the cell
    /// and publishes the kept outputs again), then publishes the notices held meanwhile.
    pub(crate) fn statement_ended(&mut self, progress_shown: bool) {
        if progress_shown {
            (self.sink)(Output::Clear);
            for output in &self.kept {
                (self.sink)(output.clone());
            }
        }
        for text in std::mem::take(&mut self.held) {
            self.emit(Output::Notice(text));
        }
    }
}

impl Drop for CellOutputs<'_, '_> {
    /// A cell that stops early (an error before its statement ran) still shows its notices.
    fn drop(&mut self) {
        for text in std::mem::take(&mut self.held) {
            (self.sink)(Output::Notice(text));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Map;

    #[test]
    fn clearing_publishes_the_kept_outputs_again_in_order() {
        let mut seen = Vec::new();
        {
            let mut push = |o: Output| seen.push(o);
            let mut sink: OutputSink<'_> = &mut push;
            let mut outputs = CellOutputs::new(&mut sink);
            outputs.emit(Output::Notice("n".into()));
            outputs.emit(Output::Display(Map::new()));
            outputs.emit(Output::InPlace {
                display_id: "p".into(),
                data: Map::new(),
                update: false,
            });
            outputs.statement_ended(true);
            outputs.emit(Output::Result(Map::new()));
        }
        assert!(
            matches!(
                &seen[..],
                [
                    Output::Notice(_),
                    Output::Display(_),
                    Output::InPlace { .. },
                    Output::Clear,
                    Output::Notice(_),
                    Output::Display(_),
                    Output::Result(_)
                ]
            ),
            "{seen:?}"
        );
    }

    #[test]
    fn notices_held_during_a_statement_come_once_after_its_progress_is_taken_away() {
        let mut seen = Vec::new();
        {
            let mut push = |o: Output| seen.push(o);
            let mut sink: OutputSink<'_> = &mut push;
            let mut outputs = CellOutputs::new(&mut sink);
            outputs.notice_later("session opened".into());
            outputs.emit(Output::InPlace {
                display_id: "p".into(),
                data: Map::new(),
                update: false,
            });
            outputs.statement_ended(true);
            outputs.emit(Output::Result(Map::new()));
            outputs.notice_later("left over".into());
        }
        assert!(
            matches!(
                &seen[..],
                [
                    Output::InPlace { .. },
                    Output::Clear,
                    Output::Notice(a),
                    Output::Result(_),
                    Output::Notice(b),
                ] if a == "session opened" && b == "left over"
            ),
            "{seen:?}"
        );
    }
}
