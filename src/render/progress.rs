//! The look of a long statement's progress: a bar with stages, tasks, bytes read and time.
//! Styling is inline, with JupyterLab's theme variables, as in the tables.

use std::time::Duration;

use crate::data::Progress;
use crate::data::progress::Phase;
use crate::interpreter::Bundle;

const BAR_WIDTH: usize = 30;

pub(crate) fn bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.1} kB", n / 1e3),
        n => format!("{n} B"),
    }
}

fn summary(p: &Progress, elapsed: Duration, label: Option<&str>) -> String {
    let mut parts: Vec<String> = label.map(str::to_string).into_iter().collect();
    match p.phase() {
        Phase::Planning => parts.push("planning".into()),
        Phase::Waiting => parts.push("waiting for executors".into()),
        Phase::Running => {}
    }
    if p.stages > 0 {
        parts.push(format!("stages {}/{}", p.stages_done, p.stages));
        parts.push(format!(
            "tasks {}/{}",
            crate::picture::columns::thousands(p.tasks_done.max(0) as u64),
            crate::picture::columns::thousands(p.tasks.max(0) as u64)
        ));
    }
    if p.running_tasks > 0 {
        parts.push(format!("{} running", p.running_tasks));
    }
    if p.bytes_read > 0 {
        parts.push(format!("{} read", bytes(p.bytes_read)));
    }
    if let Some((rows, written)) = p.written {
        parts.push(format!(
            "{} rows, {} written",
            crate::picture::columns::thousands(rows),
            bytes(i64::try_from(written).unwrap_or(i64::MAX))
        ));
    }
    parts.push(format!("{:.0} s", elapsed.as_secs_f64()));
    parts.join(" · ")
}

/// The bundle of a progress report, `elapsed` after the statement started: the bar at
/// `fraction` (which the caller keeps from going backwards), led by `label` (which pass of
/// a magic this is) when there is one.
pub(crate) fn bar(p: &Progress, fraction: f64, elapsed: Duration, label: Option<&str>) -> Bundle {
    let fraction = fraction.clamp(0.0, 1.0);
    let filled = (fraction * BAR_WIDTH as f64).round() as usize;
    let text = format!(
        "[{}{}] {:>3.0}% · {}",
        "#".repeat(filled),
        " ".repeat(BAR_WIDTH - filled),
        fraction * 100.0,
        summary(p, elapsed, label)
    );
    let html = format!(
        "<div style=\"font-size:var(--jp-ui-font-size1);color:var(--jp-ui-font-color1)\">\
         <span style=\"display:inline-block;width:20em;height:0.7em;vertical-align:middle;\
         background:var(--jp-layout-color3);border-radius:3px;overflow:hidden\">\
         <span style=\"display:block;height:100%;width:{:.1}%;background:var(--jp-brand-color1)\"></span></span> \
         {:.0}% · {}</div>",
        fraction * 100.0,
        fraction * 100.0,
        html_escape::encode_text(&summary(p, elapsed, label))
    );
    super::text_and_html(text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_says_how_far_the_statement_got() {
        let p = Progress {
            stages: 3,
            stages_done: 1,
            tasks: 200,
            tasks_done: 50,
            running_tasks: 8,
            bytes_read: 1_234_000_000,
            written: None,
        };
        let data = bar(&p, p.fraction(), Duration::from_secs(5), None);
        assert_eq!(
            data["text/plain"],
            "[########                      ]  27% · stages 1/3 · tasks 50/200 · 8 running · 1.2 GB read · 5 s"
        );
        assert!(data["text/html"].as_str().unwrap().contains("width:27.0%"));
    }

    #[test]
    fn before_the_first_task_it_says_what_is_happening_and_names_the_pass() {
        let planning = Progress::default();
        assert_eq!(
            bar(&planning, 0.0, Duration::from_secs(3), None)["text/plain"],
            "[                              ]   0% · planning · 3 s"
        );
        let waiting = Progress {
            stages: 1,
            tasks: 4000,
            ..Progress::default()
        };
        let data = bar(&waiting, 0.0, Duration::from_secs(4), Some("%profile pass 2 of 3"));
        assert_eq!(
            data["text/plain"],
            "[                              ]   0% · %profile pass 2 of 3 · waiting for executors · stages 0/1 · \
             tasks 0/4,000 · 4 s"
        );
        assert!(
            data["text/html"]
                .as_str()
                .unwrap()
                .contains("%profile pass 2 of 3 · waiting for executors")
        );
    }
}
