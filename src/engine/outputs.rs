//! A cell's outputs as the notebook will store them. A progress display is transient: once
//! its statement ends it leaves nothing behind, so that what an executed notebook stores —
//! results, notices and errors in statement order — is the same whether a statement took a
//! tenth of a second or a minute.
//!
//! A terminal console (`jupyter console`) prints each output once as it comes: it ignores
//! updates in place and does not take outputs back on `clear_output`, so what is published
//! again after a clear is printed twice. Hence two ways to show progress:
//! - when the cell's last output is a statement's display (every display is published under
//!   a display id of its own), the progress rides on it: that display is updated in place
//!   with the bar below its content, and restored when the statement ends — no clear at all;
//! - otherwise (the cell's first statement) the progress is a display of its own, and the
//!   cell's outputs are cleared (with `wait`, so nothing flickers) when the statement ends
//!   and the outputs kept so far published again — usually none.
//!
//! Notices that arrive while a statement runs (a session opened or renewed) wait for the
//! statement's end, so they are never among what is published again.

use serde_json::Value;

use crate::interpreter::Bundle;
use crate::interpreter::{Output, OutputSink};

/// How the running statement's progress is shown.
enum Progress {
    Hidden,
    /// A display of its own, taken away by clearing the cell.
    Own,
    /// Riding on the display under this id, whose content is `Bundle`.
    Riding(String, Bundle),
}

pub(crate) struct CellOutputs<'s, 'a> {
    sink: &'s mut OutputSink<'a>,
    /// What stays in the notebook, in order.
    kept: Vec<Output>,
    /// Notices held until the running statement ends.
    held: Vec<String>,
    /// The cell's last output, when it is a display: its id and content.
    last_display: Option<(String, Bundle)>,
    progress: Progress,
}

impl<'s, 'a> CellOutputs<'s, 'a> {
    pub(crate) fn new(sink: &'s mut OutputSink<'a>) -> CellOutputs<'s, 'a> {
        CellOutputs {
            sink,
            kept: Vec::new(),
            held: Vec::new(),
            last_display: None,
            progress: Progress::Hidden,
        }
    }

    /// Publishes `output`, keeping it unless it is transient (a progress display).
    pub(crate) fn emit(&mut self, output: Output) {
        match output {
            Output::InPlace {
                display_id,
                data,
                update,
            } => self.progress(display_id, data, update),
            Output::Clear => (self.sink)(Output::Clear),
            kept => {
                // The result is the cell's last output: nothing clears it after, so it is
                // not kept (a large result is not held twice).
                if !matches!(kept, Output::Result(_)) {
                    self.kept.push(kept.clone());
                }
                self.publish(kept);
            }
        }
    }

    /// Publishes a kept output; a display goes under an id of its own, so that a later
    /// statement's progress can ride on it.
    fn publish(&mut self, output: Output) {
        match output {
            Output::Display(data) => {
                let display_id = format!("kbase-spark-sql-output-{}", uuid::Uuid::new_v4());
                self.last_display = Some((display_id.clone(), data.clone()));
                (self.sink)(Output::InPlace {
                    display_id,
                    data,
                    update: false,
                });
            }
            other => {
                self.last_display = None;
                (self.sink)(other);
            }
        }
    }

    fn progress(&mut self, display_id: String, bar: Bundle, update: bool) {
        if matches!(self.progress, Progress::Hidden) {
            self.progress = match self.last_display.take() {
                Some((id, data)) => Progress::Riding(id, data),
                None => Progress::Own,
            };
        }
        match &self.progress {
            Progress::Riding(id, data) => (self.sink)(Output::InPlace {
                display_id: id.clone(),
                data: with_bar(data, &bar),
                update: true,
            }),
            _ => (self.sink)(Output::InPlace {
                display_id,
                data: bar,
                update,
            }),
        }
    }

    /// Holds a notice until [`CellOutputs::statement_ended`].
    pub(crate) fn notice_later(&mut self, text: String) {
        self.held.push(text);
    }

    /// A statement ended: takes its progress away (restores the display it rode on, or
    /// clears the cell and publishes the kept outputs again), then publishes the notices
    /// held meanwhile.
    pub(crate) fn statement_ended(&mut self) {
        match std::mem::replace(&mut self.progress, Progress::Hidden) {
            Progress::Hidden => {}
            Progress::Riding(id, data) => {
                (self.sink)(Output::InPlace {
                    display_id: id.clone(),
                    data: data.clone(),
                    update: true,
                });
                self.last_display = Some((id, data));
            }
            Progress::Own => {
                (self.sink)(Output::Clear);
                self.last_display = None;
                for output in self.kept.clone() {
                    self.publish(output);
                }
            }
        }
        for text in std::mem::take(&mut self.held) {
            self.emit(Output::Notice(text));
        }
    }
}

/// A display's content with the progress bar below it (in the forms both have).
fn with_bar(data: &Bundle, bar: &Bundle) -> Bundle {
    let mut out = data.clone();
    for (mime, separator) in [("text/html", ""), ("text/plain", "\n")] {
        if let (Some(Value::String(content)), Some(Value::String(shown))) = (data.get(mime), bar.get(mime)) {
            out.insert(mime.into(), Value::String(format!("{content}{separator}{shown}")));
        }
    }
    out
}

impl Drop for CellOutputs<'_, '_> {
    /// A cell that stops early (an error in mid-statement, before its statement ran) still
    /// takes its progress away and shows its notices.
    fn drop(&mut self) {
        self.statement_ended();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(text: &str) -> Bundle {
        let Value::Object(m) = json!({"text/plain": text, "text/html": format!("<p>{text}</p>")}) else {
            unreachable!()
        };
        m
    }

    fn bar(update: bool) -> Output {
        Output::InPlace {
            display_id: "progress".into(),
            data: bundle("[###   ]"),
            update,
        }
    }

    fn published(run: impl FnOnce(&mut CellOutputs<'_, '_>)) -> Vec<Output> {
        let mut seen = Vec::new();
        {
            let mut push = |o: Output| seen.push(o);
            let mut sink: OutputSink<'_> = &mut push;
            let mut outputs = CellOutputs::new(&mut sink);
            run(&mut outputs);
        }
        seen
    }

    fn text(data: &Bundle) -> &str {
        data["text/plain"].as_str().unwrap_or("")
    }

    #[test]
    fn a_first_statements_progress_is_its_own_display_taken_away_by_a_clear() {
        let seen = published(|o| {
            o.notice_later("session opened".into());
            o.emit(bar(false));
            o.emit(bar(true));
            o.statement_ended();
            o.emit(Output::Result(bundle("1 row")));
        });
        // Nothing came before the progress, so nothing is published again; the notice held
        // meanwhile comes once, after the clear.
        assert!(
            matches!(
                &seen[..],
                [
                    Output::InPlace { update: false, .. },
                    Output::InPlace { update: true, .. },
                    Output::Clear,
                    Output::Notice(n),
                    Output::Result(_),
                ] if n == "session opened"
            ),
            "{seen:?}"
        );
    }

    #[test]
    fn a_later_statements_progress_rides_on_the_display_before_it_and_restores_it() {
        let seen = published(|o| {
            o.emit(Output::Display(bundle("first")));
            o.emit(bar(false));
            o.emit(bar(true));
            o.statement_ended();
            o.emit(Output::Result(bundle("second")));
        });
        let [
            Output::InPlace {
                display_id: shown,
                data: first,
                update: false,
            },
            Output::InPlace {
                display_id: a,
                data: with_progress,
                update: true,
            },
            Output::InPlace { display_id: b, .. },
            Output::InPlace {
                display_id: c,
                data: restored,
                update: true,
            },
            Output::Result(_),
        ] = &seen[..]
        else {
            panic!("{seen:?}")
        };
        assert!(shown.starts_with("kbase-spark-sql-output-"));
        assert!([a, b, c].iter().all(|id| *id == shown), "{seen:?}");
        assert_eq!(text(with_progress), "first\n[###   ]");
        assert_eq!(with_progress["text/html"], "<p>first</p><p>[###   ]</p>");
        assert_eq!(restored, first);
    }

    #[test]
    fn after_a_notice_the_progress_is_its_own_and_the_kept_outputs_come_again() {
        let seen = published(|o| {
            o.emit(Output::Display(bundle("first")));
            o.emit(Output::Notice("careful".into()));
            o.emit(bar(false));
            // The cell stops in mid-statement: the progress still goes.
        });
        assert!(
            matches!(
                &seen[..],
                [
                    Output::InPlace { update: false, .. },
                    Output::Notice(_),
                    Output::InPlace { update: false, .. },
                    Output::Clear,
                    Output::InPlace { update: false, .. },
                    Output::Notice(_),
                ]
            ),
            "{seen:?}"
        );
    }
}
