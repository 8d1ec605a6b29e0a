//! The look of a long statement's progress: a bar with stages, tasks, bytes read and time.
//! Styling is inline, with JupyterLab's theme variables, as in the tables.

use std::time::Duration;

use crate::data::Progress;
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
    if let Some((rows, written)) = p.written {
        parts.push(format!(
            "{rows} rows, {} written",
            bytes(i64::try_from(written).unwrap_or(i64::MAX))
        ));
    }
    parts.push(format!("{:.0} s", elapsed.as_secs_f64()));
    parts.join(" · ")
}

/// The bundle of a progress report, `elapsed` after the statement started.
pub(crate) fn bar(p: &Progress, elapsed: Duration) -> Bundle {
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
        let data = bar(&p, Duration::from_secs(5));
        assert_eq!(
            data["text/plain"],
            "[########                      ]  25% · stages 1/3 · tasks 50/200 · 8 running · 1.2 GB read · 5 s"
        );
        assert!(data["text/html"].as_str().unwrap().contains("width:25.0%"));
    }
}
