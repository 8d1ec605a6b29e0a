//! The progress display of a long statement: nothing for the first second, then a bar fed by
//! Spark's progress reports, shown once and updated in place under one display id. When the
//! statement ends the cell's outputs take it away (`outputs.rs`), so it is never stored.
//! This decides what is shown when; render decides how it looks.
//!
//! The first frame carries no `text/plain`: a terminal console prints a display once and
//! ignores its updates, so plain text there would stay behind as a stale bar. Notebook front
//! ends show its HTML and take the updates, which carry both.

use std::time::Duration;

use tokio::time::Instant;

use crate::data::Progress;
use crate::interpreter::Output;
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
        let mut data = render::progress::bar(progress, elapsed);
        if !update {
            data.remove("text/plain");
        }
        Some(Output::InPlace {
            display_id: self.display_id.clone(),
            data,
            update,
        })
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
            written: None,
        }
    }

    #[test]
    fn nothing_is_shown_in_the_first_second() {
        let mut d = ProgressDisplay::start();
        assert!(d.report(&progress()).is_none());
    }

    #[test]
    fn a_long_statement_shows_then_updates() {
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
        assert!(
            data.contains_key("text/html") && !data.contains_key("text/plain"),
            "{data:?}"
        );
        let Some(Output::InPlace { data, update: true, .. }) = d.report(&progress()) else {
            panic!()
        };
        let text = data["text/plain"].as_str().unwrap();
        assert!(
            text.starts_with(
                "[########                      ]  25% · stages 1/3 · tasks 50/200 · 8 running · 1.2 GB read · 5 s"
            ),
            "{text}"
        );
        let Some(Output::InPlace {
            update: true,
            display_id: updated,
            ..
        }) = d.report(&progress())
        else {
            panic!()
        };
        assert_eq!(updated, display_id);
    }
}
