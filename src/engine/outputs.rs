//! A cell's outputs as the notebook will store them. A progress display is transient: when
//! its statement ends, the cell's outputs are cleared (Jupyter's `clear_output` with `wait`,
//! so nothing flickers) and the outputs kept so far are published again, so that what an
//! executed notebook stores — results, notices and errors in statement order — is the same
//! whether a statement took a tenth of a second or a minute.

use super::{Output, OutputSink};

pub(crate) struct CellOutputs<'s, 'a> {
    sink: &'s mut OutputSink<'a>,
    /// What stays in the notebook, in order.
    kept: Vec<Output>,
}

impl<'s, 'a> CellOutputs<'s, 'a> {
    pub(crate) fn new(sink: &'s mut OutputSink<'a>) -> CellOutputs<'s, 'a> {
        CellOutputs { sink, kept: Vec::new() }
    }

    /// Publishes `output`, keeping it unless it is transient. The result is the cell's last
    /// output, so nothing can clear it: it is not kept (a large result is not held twice).
    pub(crate) fn emit(&mut self, output: Output) {
        if matches!(output, Output::Display(_) | Output::Notice(_)) {
            self.kept.push(output.clone());
        }
        (self.sink)(output);
    }

    /// Takes the transient outputs away: clears the cell and publishes the kept ones again.
    pub(crate) fn clear_transient(&mut self) {
        (self.sink)(Output::Clear);
        for output in &self.kept {
            (self.sink)(output.clone());
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
            outputs.clear_transient();
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
}
