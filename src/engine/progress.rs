//! The progress display of a long statement: nothing for the first second, then a bar fed by
//! Spark's progress reports (stages, tasks, bytes read, time), shown once and updated in place
//! under one display id, and finally replaced by the statement's result.

use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::Output;
use crate::spark::Progress;

/// Statements quicker than this show no progress at all.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const BAR_WIDTH: usize = 30;

pub struct ProgressDisplay {
    display_id: String,
    started: Instant,
    shown: bool,
}

impl ProgressDisplay {
    pub fn start() -> ProgressDisplay {
        ProgressDisplay {
            display_id: format!("kbase-spark-sql-progress-{}", uuid::Uuid::new_v4()),
            started: Instant::now(),
            shown: false,
        }
    }

    /// The output for a progress report: none in the first second, then the display, then
    /// updates of it.
    pub fn report(&mut self, progress: &Progress) -> Option<Output> {
        let elapsed = self.started.elapsed();
        if elapsed < SHOW_AFTER {
            return None;
        }
        let update = std::mem::replace(&mut self.shown, true);
        Some(Output::InPlace {
            display_id: self.display_id.clone(),
            data: bundle(progress, elapsed),
            update,
        })
    }

    /// The display's last state, once the statement has ended: a short grey line.
    fn ended(&self, how: &str) -> Output {
        let text = format!("{how} after {:.1} s", self.started.elapsed().as_secs_f64());
        let mut data = Map::new();
        data.insert(
            "text/html".into(),
            json!(format!(
                "<div style=\"font-size:var(--jp-ui-font-size1);color:var(--jp-ui-font-color2)\">{text}</div>"
            )),
        );
        data.insert("text/plain".into(), json!(text));
        Output::InPlace {
            display_id: self.display_id.clone(),
            data,
            update: true,
        }
    }

    /// When the statement failed (the error follows as the cell's error).
    pub fn stopped(&self) -> Option<Output> {
        self.shown.then(|| self.ended("stopped"))
    }

    /// The outputs of the statement's result. An earlier statement's result takes the place of
    /// its progress display; the last statement's result stays the cell's `execute_result`
    /// (as the contract has it), below the display's final line.
    pub fn result(&self, data: Map<String, Value>, last: bool) -> Vec<Output> {
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

fn bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.1} kB", n / 1e3),
        n => format!("{n} B"),
    }
}

fn summary(p: &Progress, elapsed: Duration) -> String {
    let mut parts = vec![
        format!("stages {}/{}", p.stages_done, p.stages),
        format!("tasks {}/{}", p.tasks_done, p.tasks),
    ];
    if p.running_tasks > 0 {
        parts.push(format!("{} running", p.running_tasks));
    }
    if p.bytes_read > 0 {
        parts.push(format!("{} read", bytes(p.bytes_read)));
    }
    parts.push(format!("{:.0} s", elapsed.as_secs_f64()));
    parts.join(" · ")
}

fn bundle(p: &Progress, elapsed: Duration) -> Map<String, Value> {
    let fraction = if p.tasks > 0 {
        (p.tasks_done as f64 / p.tasks as f64).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let filled = (fraction * BAR_WIDTH as f64).round() as usize;
    let text = format!(
        "[{}{}] {:>3.0}% · {}",
        "#".repeat(filled),
        " ".repeat(BAR_WIDTH - filled),
        fraction * 100.0,
        summary(p, elapsed)
    );
    let html = format!(
        "<div style=\"font-size:var(--jp-ui-font-size1);color:var(--jp-ui-font-color1)\">\
         <span style=\"display:inline-block;width:20em;height:0.7em;vertical-align:middle;\
         background:var(--jp-layout-color3);border-radius:3px;overflow:hidden\">\
         <span style=\"display:block;height:100%;width:{:.1}%;background:var(--jp-brand-color1)\"></span></span> \
         {:.0}% · {}</div>",
        fraction * 100.0,
        fraction * 100.0,
        html_escape::encode_text(&summary(p, elapsed))
    );
    let mut data = Map::new();
    data.insert("text/plain".into(), json!(text));
    data.insert("text/html".into(), json!(html));
    data
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
