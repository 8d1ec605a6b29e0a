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
    /// The most the bar has shown: new stages add work, but the bar never goes back.
    reached: f64,
    /// Which pass of a magic this statement is (`%profile pass 2 of 3`).
    label: Option<String>,
}

impl ProgressDisplay {
    pub(crate) fn start() -> ProgressDisplay {
        ProgressDisplay {
            display_id: format!("kbase-spark-sql-progress-{}", uuid::Uuid::new_v4()),
            started: Instant::now(),
            shown: false,
            reached: 0.0,
            label: None,
        }
    }

    /// The display of one pass of a magic's statements, led by `label`.
    pub(crate) fn labelled(label: Option<String>) -> ProgressDisplay {
        ProgressDisplay {
            label,
            ..ProgressDisplay::start()
        }
    }

    /// The output for a progress report: none in the first second, then the display, then
    /// updates of it.
    pub(crate) fn report(&mut self, progress: &Progress) -> Option<Output> {
        let elapsed = self.started.elapsed();
        self.reached = self.reached.max(progress.fraction());
        if elapsed < SHOW_AFTER {
            return None;
        }
        let update = std::mem::replace(&mut self.shown, true);
        let mut data = render::progress::bar(progress, self.reached, elapsed, self.label.as_deref());
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

    fn percent(output: Option<Output>) -> String {
        let Some(Output::InPlace { data, .. }) = output else {
            panic!()
        };
        let text = data["text/html"].as_str().unwrap_or_default().to_string();
        let at = text.find("</span></span> ").unwrap() + "</span></span> ".len();
        text[at..].split(" · ").next().unwrap().to_string()
    }

    #[test]
    fn the_bar_never_goes_backwards_when_new_stages_appear() {
        let mut d = ProgressDisplay {
            started: Instant::now() - Duration::from_secs(5),
            ..ProgressDisplay::start()
        };
        let stage = |stages, done, tasks, tasks_done| Progress {
            stages,
            stages_done: done,
            tasks,
            tasks_done,
            ..Progress::default()
        };
        // 40%, 60%, then a new stage of 200 tasks: 33% of the work now known.
        let shown: Vec<String> = [stage(1, 0, 100, 40), stage(1, 0, 100, 60), stage(2, 1, 300, 100)]
            .iter()
            .map(|p| percent(d.report(p)))
            .collect();
        assert_eq!(shown, ["40%", "60%", "60%"]);
        assert_eq!(percent(d.report(&stage(2, 1, 300, 270))), "90%");
    }

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
                "[########                      ]  27% · stages 1/3 · tasks 50/200 · 8 running · 1.2 GB read · 5 s"
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
