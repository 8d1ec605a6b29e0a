//! A cell's outputs for a client that keeps outputs by appending them: updates in place are
//! applied here, in the kernel, and never sent.
//!
//! A long statement's progress is updated in place (`update_display_data`) and taken away
//! again when the statement ends. A person's front end (JupyterLab, Notebook, jupyter
//! console, each with or without jupyter-collaboration) applies such updates, or ignores
//! them in a console. But a program that runs cells on someone's behalf and keeps the
//! outputs itself may append each update as one more output: jupyter-server-documents
//! (which jupyter-ai 3 brings, and which BERDL's JupyterLab runs) does, so a progress bar
//! piled up and a restored result was shown and saved several times. Such a program cannot
//! answer `input()`, and says so: its execute requests have `allow_stdin` false (the server
//! runs them for the browser; nbclient and papermill run notebooks unattended).
//!
//! For those requests every update becomes `clear_output` (with `wait`, so nothing
//! flickers) followed by the cell's outputs as they now are; a program that appends then
//! holds exactly what a front end that applies updates shows. Republishing costs the size
//! of the cell's outputs, so republishing is spaced out (longer for larger outputs); an
//! update held meanwhile is applied before the next output, or when the cell ends. Requests
//! that can take input (a console, which prints what is published again) are not touched.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use crate::interpreter::Output;

type Bundle = Map<String, Value>;

/// Republishing the cell's outputs is at most this frequent...
const SPACING: Duration = Duration::from_secs(1);
/// ...and a second less frequent for each this many bytes of outputs.
const BYTES_PER_SECOND_OF_SPACING: usize = 256 * 1024;
/// The longest spacing, however large the outputs.
const MAX_SPACING: Duration = Duration::from_secs(10);

/// One output the cell shows now, and what the client holds of it.
struct Shown {
    output: Output,
    /// For a display under an id: its content as last sent, when an update since changed it.
    sent: Option<Bundle>,
}

pub(crate) struct Appending<'s> {
    send: &'s mut (dyn FnMut(Output) + Send),
    shown: Vec<Shown>,
    last_republished: Option<Instant>,
}

impl<'s> Appending<'s> {
    pub(crate) fn new(send: &'s mut (dyn FnMut(Output) + Send)) -> Appending<'s> {
        Appending {
            send,
            shown: Vec::new(),
            last_republished: None,
        }
    }

    /// Takes one output of the cell.
    pub(crate) fn emit(&mut self, output: Output) {
        match output {
            Output::InPlace {
                display_id,
                data,
                update: true,
            } => self.update(&display_id, data),
            Output::Clear => {
                // What an update changed goes with the rest.
                self.shown.clear();
                (self.send)(Output::Clear);
            }
            other => {
                self.catch_up();
                self.shown.push(Shown {
                    output: other.clone(),
                    sent: None,
                });
                (self.send)(other);
            }
        }
    }

    /// The cell ended: what an update changed is sent now.
    pub(crate) fn finish(&mut self) {
        self.catch_up();
    }

    fn update(&mut self, display_id: &str, data: Bundle) {
        // An update of a display the cell does not show changes nothing (as in a front end).
        let Some(shown) = self
            .shown
            .iter_mut()
            .find(|s| matches!(&s.output, Output::InPlace { display_id: id, .. } if id == display_id))
        else {
            return;
        };
        let Output::InPlace { data: current, .. } = &mut shown.output else {
            return;
        };
        let before = std::mem::replace(current, data);
        if shown.sent.is_none() {
            shown.sent = Some(before);
        }
        let due = self
            .last_republished
            .is_none_or(|at| at.elapsed() >= spacing(self.size()));
        if due {
            self.catch_up();
        }
    }

    /// Republishes the cell's outputs when an update changed what the client holds.
    fn catch_up(&mut self) {
        let changed = self.shown.iter().any(|s| match (&s.output, &s.sent) {
            (Output::InPlace { data, .. }, Some(sent)) => data != sent,
            _ => false,
        });
        for shown in &mut self.shown {
            shown.sent = None;
        }
        if !changed {
            return;
        }
        (self.send)(Output::Clear);
        for shown in &self.shown {
            (self.send)(shown.output.clone());
        }
        self.last_republished = Some(Instant::now());
    }

    /// Roughly how many bytes republishing the cell's outputs sends.
    fn size(&self) -> usize {
        self.shown
            .iter()
            .map(|s| match &s.output {
                Output::Display(data) | Output::Result(data) | Output::InPlace { data, .. } => {
                    data.values().map(|v| v.as_str().map_or(0, str::len)).sum()
                }
                Output::Notice(text) => text.len(),
                Output::Clear => 0,
            })
            .sum()
    }
}

/// How long after republishing the next update waits, for outputs of `bytes`.
fn spacing(bytes: usize) -> Duration {
    let extra = u32::try_from(bytes / BYTES_PER_SECOND_OF_SPACING).unwrap_or(u32::MAX);
    SPACING
        .saturating_add(Duration::from_secs(1).saturating_mul(extra))
        .min(MAX_SPACING)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn bundle(text: &str) -> Bundle {
        let Value::Object(m) = json!({"text/plain": text}) else {
            unreachable!()
        };
        m
    }

    fn shown(id: &str, text: &str) -> Output {
        Output::InPlace {
            display_id: id.into(),
            data: bundle(text),
            update: false,
        }
    }

    fn update(id: &str, text: &str) -> Output {
        Output::InPlace {
            display_id: id.into(),
            data: bundle(text),
            update: true,
        }
    }

    /// What was sent, in a short form: `text` for an output, `id:text` for a display under
    /// an id, `clear`.
    fn sent(run: impl FnOnce(&mut Appending<'_>)) -> Vec<String> {
        let mut seen = Vec::new();
        {
            let mut push = |o: Output| {
                seen.push(match o {
                    Output::InPlace { update: true, .. } => "UPDATE".to_string(),
                    Output::InPlace { display_id, data, .. } => {
                        format!("{display_id}:{}", data["text/plain"].as_str().unwrap_or(""))
                    }
                    Output::Display(d) | Output::Result(d) => d["text/plain"].as_str().unwrap_or("").to_string(),
                    Output::Notice(n) => n,
                    Output::Clear => "clear".into(),
                })
            };
            let mut appending = Appending::new(&mut push);
            run(&mut appending);
            appending.finish();
        }
        seen
    }

    /// Holds exactly what the sent outputs leave in a client that appends.
    fn held(sent: &[String]) -> Vec<String> {
        let mut held = Vec::new();
        for s in sent {
            if s == "clear" {
                held.clear();
            } else {
                held.push(s.clone());
            }
        }
        held
    }

    #[tokio::test(start_paused = true)]
    async fn a_progress_riding_on_a_result_is_republished_and_taken_away_without_updates() {
        let seen = sent(|a| {
            a.emit(shown("first", "1 row"));
            a.emit(update("first", "1 row [##  ]"));
            a.emit(update("first", "1 row [####]"));
            a.emit(update("first", "1 row"));
            a.emit(Output::Display(bundle("second")));
            a.emit(Output::Result(bundle("third")));
        });
        assert!(!seen.iter().any(|s| s == "UPDATE"), "{seen:?}");
        // The first update goes at once; the next two, within the spacing, are held, and the
        // restored result is republished before the next output.
        assert_eq!(
            seen,
            [
                "first:1 row",
                "clear",
                "first:1 row [##  ]",
                "clear",
                "first:1 row",
                "second",
                "third"
            ]
        );
        assert_eq!(held(&seen), ["first:1 row", "second", "third"]);
    }

    #[tokio::test(start_paused = true)]
    async fn updates_after_the_spacing_are_republished_and_a_held_one_comes_before_the_next_output() {
        let seen = sent(|a| {
            a.emit(Output::Notice("session opened".into()));
            a.emit(shown("bar", "0%"));
            a.emit(update("bar", "10%"));
            a.emit(update("bar", "20%"));
        });
        assert_eq!(held(&seen), ["session opened", "bar:20%"], "{seen:?}");
        assert_eq!(seen.iter().filter(|s| *s == "clear").count(), 2, "{seen:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn spaced_updates_each_republish_the_cell() {
        let mut seen = Vec::new();
        {
            let mut push = |o: Output| seen.push(o);
            let mut a = Appending::new(&mut push);
            a.emit(shown("bar", "0%"));
            for percent in [10, 20, 30] {
                tokio::time::advance(SPACING).await;
                a.emit(update("bar", &format!("{percent}%")));
            }
            a.emit(Output::Clear);
            a.emit(Output::Result(bundle("done")));
            a.finish();
        }
        let clears = seen.iter().filter(|o| matches!(o, Output::Clear)).count();
        assert_eq!(clears, 4, "{seen:?}");
        assert!(matches!(seen.last(), Some(Output::Result(_))));
    }

    #[test]
    fn an_update_of_a_display_not_shown_sends_nothing() {
        let seen = sent(|a| {
            a.emit(Output::Display(bundle("one")));
            a.emit(update("gone", "x"));
        });
        assert_eq!(seen, ["one"]);
    }

    #[test]
    fn larger_outputs_are_republished_less_often() {
        assert_eq!(spacing(0), SPACING);
        assert_eq!(spacing(3 * BYTES_PER_SECOND_OF_SPACING), Duration::from_secs(4));
        assert_eq!(spacing(usize::MAX), MAX_SPACING);
    }
}
