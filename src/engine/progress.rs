//! The progress display of a long statement: nothing for the first second, then a bar fed by
//! Spark's progress reports, shown once and updated in place under one display id, and
//! finally replaced by the statement's result. This decides what is shown when; render
//! decides how it looks.

use std::time::Duration;

use serde_json::{Map, Value};
use tokio::time::Instant;

use super::Output;
use crate::data::Progress;
use crate::render;

/// Statements quicker than this show no progress at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct ProgressDisplay {
    display_id: String,
    started: Instant,
    shown: bool,
}

impl ProgressDisplay {
    pub(crate) fn start() -> ProgressDisplay {
        ProgressDisplay {
            display_id: format!("kbase-spark-sql-progress-{}", uuid::Uuid::new_v4()),
            started: Instant::now(),
            shown: false,
        }
    }

    /// The output for a progress report: none in the first second, then the display, then
    /// updates of it.
    pub(crate) fn report(&mut self, progress: &Progress) -> Option<Output> {
        let elapsed = self.started.elapsed();
        if elapsed < SHOW_AFTER {
            return None;
        }
        let update = std::mem::replace(&mut self.shown, true);
        Some(Output::InPlace {
            display_id: self.display_id.clone(),
            data: render::progress::bar(progress, elapsed),
            update,
        })
    }

    /// The display's last state, once the statement has ended: a short grey line.
    fn ended(&self, how: &str) -> Output {
        Output::InPlace {
            display_id: self.display_id.clone(),
            data: render::progress::ended(how, self.started.elapsed()),
            update: true,
        }
    }

    /// When the statement failed (the error follows as the cell's error).
    pub(crate) fn stopped(&self) -> Option<Output> {
        self.shown.then(|| self.ended("stopped"))
    }

    /// The outputs of the statement's result. An earlier statement's result takes the place of
    /// its progress display; the last statement's result stays the cell's `execute_result`
    /// (as the contract has it), below the display's final line.
    pub(crate) fn result(&self, data: Map<String, Value>, last: bool) -> Vec<Output> {
        match (self.shown, last) {
            (false, true) => vec![Output::Result(data)],
            (false, false) => vec![Output::Display(data)],
            (true, true) => vec![self.ended("finished"), Output::Result(data)],
            (true, false) => vec![Output::InPlace {
                display_id: self.display_id.clone(),
                data,
                update: true,
            }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn progress() -> Progress {
        Progress {
            stages: 3,
            stages_done: 1,
            tasks: 200,
            tasks_done: 50,
            running_tasks: 8,
            bytes_read: 1_234_000_000,
        }
    }

    #[test]
    fn nothing_is_shown_in_the_first_second() {
        let mut d = ProgressDisplay::start();
        assert!(d.report(&progress()).is_none());
        assert!(matches!(d.result(Map::new(), true)[..], [Output::Result(_)]));
        assert!(d.stopped().is_none());
    }

    #[test]
    fn a_long_statement_shows_then_updates_then_ends() {
        let mut d = ProgressDisplay {
            started: Instant::now() - Duration::from_secs(5),
            ..ProgressDisplay::start()
        };
        let Some(Output::InPlace {
            data,
            update: false,
            display_id,
        }) = d.report(&progress())
        else {
            panic!()
        };
        let text = data["text/plain"].as_str().unwrap();
        assert!(
            text.starts_with(
                "[########                      ]  25% · stages 1/3 · tasks 50/200 · 8 running · 1.2 GB read · 5 s"
            ),
            "{text}"
        );
        assert!(matches!(
            d.report(&progress()),
            Some(Output::InPlace { update: true, .. })
        ));
        let [
            Output::InPlace {
                display_id: replaced, ..
            },
        ] = &d.result(Map::new(), false)[..]
        else {
            panic!()
        };
        assert_eq!(replaced, &display_id);
        let [Output::InPlace { data, .. }, Output::Result(_)] = &d.result(Map::new(), true)[..] else {
            panic!()
        };
        assert!(data["text/plain"].as_str().unwrap().starts_with("finished after"));
        let Some(Output::InPlace { data, .. }) = d.stopped() else {
            panic!()
        };
        assert!(data["text/plain"].as_str().unwrap().starts_with("stopped after"));
    }
}
