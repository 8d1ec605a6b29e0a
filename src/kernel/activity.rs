//! The platform's activity record: BERDL's IPython kernels write one JSON line to the
//! container's stderr for each cell they run, and this kernel writes the same lines, field
//! for field, so that a SQL user's work is recorded like a Python user's. The format is that
//! of BERDL's `04-activity-logging.py` (Python's `json.dumps`: `", "` and `": "` between
//! items, non-ASCII as `\uXXXX`; the timestamp as `datetime.now(timezone.utc).isoformat()`):
//!
//! ```text
//! {"timestamp": "2026-12-03T17:26:19.123456+00:00", "user": "alice", "type": "session_start", "message": "Activity logging enabled (container stderr)"}
//! {"timestamp": "...", "user": "alice", "type": "cell_execution", "code": "SELECT 1"}
//! {"timestamp": "...", "user": "alice", "type": "cell_error", "error_type": "TABLE_OR_VIEW_NOT_FOUND", "error_message": "..."}
//! ```
//!
//! A line is built on the cell's path only as far as cutting the code (a bounded amount of
//! work whatever the cell's size) and written by a thread of its own, so a slow or blocked
//! stderr never holds a cell up. `KBASE_SPARK_ACTIVITY_LOG=off` turns the record off.

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};

pub(crate) const ACTIVITY_VAR: &str = "KBASE_SPARK_ACTIVITY_LOG";
/// Code longer than this many characters is cut, as BERDL's record does.
const MAX_CODE_CHARS: usize = 10_000;
const TRUNCATED: &str = "... (truncated)";
const STARTED: &str = "Activity logging enabled (container stderr)";
/// Lines waiting for the writer; more are dropped rather than wait.
const QUEUE: usize = 256;

enum Job {
    Line(String),
    Flush(SyncSender<()>),
}

struct Record {
    user: String,
    /// The spawn's token, kept out of the record should a cell hold it.
    secret: Option<String>,
    queue: SyncSender<Job>,
}

static RECORD: OnceLock<Option<Record>> = OnceLock::new();

/// Starts the record (unless it is turned off) and writes `session_start`.
pub(crate) fn start() {
    let record = RECORD.get_or_init(|| {
        let get = |name: &str| std::env::var(name).ok();
        if is_off(get(ACTIVITY_VAR).as_deref()) {
            return None;
        }
        let (queue, jobs) = std::sync::mpsc::sync_channel(QUEUE);
        std::thread::Builder::new()
            .name("activity-record".into())
            .spawn(move || write_lines(&jobs))
            .ok()?;
        Some(Record {
            user: user(get("NB_USER"), get("USER")),
            secret: get(crate::config::TOKEN_VAR)
                .map(|t| t.trim().to_string())
                .filter(|t| t.len() >= 8),
            queue,
        })
    });
    if let Some(r) = record {
        r.send(session_start(&r.user, Utc::now()));
    }
}

/// Records a cell about to run: non-silent, with code that is not blank.
pub(crate) fn cell_execution(code: &str, silent: bool) {
    if let Some(Some(r)) = RECORD.get()
        && !silent
        && !code.trim().is_empty()
    {
        let line = cell_execution_line(&r.user, Utc::now(), code);
        r.send(match &r.secret {
            Some(secret) if line.contains(secret.as_str()) => line.replace(secret.as_str(), "***"),
            _ => line,
        });
    }
}

/// Records a cell that failed, by its error's name and message.
pub(crate) fn cell_error(ename: &str, evalue: &str) {
    if let Some(Some(r)) = RECORD.get() {
        r.send(cell_error_line(&r.user, Utc::now(), ename, evalue));
    }
}

/// Waits a little for the lines written so far to reach stderr, as the kernel stops.
pub(crate) fn flush() {
    if let Some(Some(r)) = RECORD.get() {
        let (done, wait) = std::sync::mpsc::sync_channel(1);
        if r.queue.try_send(Job::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(Duration::from_secs(2));
        }
    }
}

impl Record {
    fn send(&self, line: String) {
        if let Err(TrySendError::Full(_)) = self.queue.try_send(Job::Line(line)) {
            tracing::warn!("the activity record is behind; a line was dropped");
        }
    }
}

fn write_lines(jobs: &Receiver<Job>) {
    while let Ok(job) = jobs.recv() {
        match job {
            Job::Line(mut line) => {
                line.push('\n');
                // One write under stderr's lock, so a log line never lands inside it.
                let _ = std::io::stderr().lock().write_all(line.as_bytes());
            }
            Job::Flush(done) => {
                let _ = done.send(());
            }
        }
    }
}

fn is_off(value: Option<&str>) -> bool {
    value.is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "off" | "false" | "0" | "no"))
}

/// `NB_USER`, else `USER`, else `unknown`, as BERDL's record names the user.
fn user(nb_user: Option<String>, user: Option<String>) -> String {
    nb_user
        .filter(|u| !u.is_empty())
        .or(user)
        .unwrap_or_else(|| "unknown".into())
}

/// Python's `datetime.now(timezone.utc).isoformat()`: microseconds unless there are none.
fn timestamp(now: DateTime<Utc>) -> String {
    let micros = now.nanosecond() / 1000 % 1_000_000;
    if micros == 0 {
        now.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
    } else {
        format!("{}.{micros:06}+00:00", now.format("%Y-%m-%dT%H:%M:%S"))
    }
}

/// The first 10,000 characters of `code` and the truncation mark, or all of it: only the
/// part kept is looked at, so a cell of any size costs the same.
fn cut(code: &str) -> std::borrow::Cow<'_, str> {
    match code.char_indices().nth(MAX_CODE_CHARS) {
        Some((end, _)) => format!("{}{TRUNCATED}", &code[..end]).into(),
        None => code.into(),
    }
}

/// A JSON object as Python's `json.dumps` writes it.
fn line(fields: &[(&str, &str)]) -> String {
    let mut out = String::from("{");
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        quote(&mut out, key);
        out.push_str(": ");
        quote(&mut out, value);
    }
    out.push('}');
    out
}

/// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`): printable ASCII as
/// is, the short escapes, everything else as `\uXXXX` (UTF-16 surrogate pairs above the BMP).
fn quote(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    let _ = write!(out, "\\u{unit:04x}");
                }
            }
        }
    }
    out.push('"');
}

fn session_start(user: &str, now: DateTime<Utc>) -> String {
    line(&[
        ("timestamp", &timestamp(now)),
        ("user", user),
        ("type", "session_start"),
        ("message", STARTED),
    ])
}

fn cell_execution_line(user: &str, now: DateTime<Utc>, code: &str) -> String {
    line(&[
        ("timestamp", &timestamp(now)),
        ("user", user),
        ("type", "cell_execution"),
        ("code", &cut(code)),
    ])
}

fn cell_error_line(user: &str, now: DateTime<Utc>, ename: &str, evalue: &str) -> String {
    line(&[
        ("timestamp", &timestamp(now)),
        ("user", user),
        ("type", "cell_error"),
        ("error_type", ename),
        ("error_message", evalue),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(micros: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(1_796_318_779, micros * 1000).unwrap()
    }

    #[test]
    fn lines_are_pythons_json_field_for_field() {
        assert_eq!(
            session_start("alice", at(123_456)),
            r#"{"timestamp": "2026-12-03T17:26:19.123456+00:00", "user": "alice", "type": "session_start", "message": "Activity logging enabled (container stderr)"}"#
        );
        assert_eq!(
            cell_execution_line("alice", at(0), "SELECT 1"),
            r#"{"timestamp": "2026-12-03T17:26:19+00:00", "user": "alice", "type": "cell_execution", "code": "SELECT 1"}"#
        );
        assert_eq!(
            cell_error_line("alice", at(5), "TABLE_OR_VIEW_NOT_FOUND", "no `x`"),
            r#"{"timestamp": "2026-12-03T17:26:19.000005+00:00", "user": "alice", "type": "cell_error", "error_type": "TABLE_OR_VIEW_NOT_FOUND", "error_message": "no `x`"}"#
        );
    }

    #[test]
    fn strings_are_escaped_as_python_does() {
        let mut out = String::new();
        quote(&mut out, "a\"b\\c\nd\te\u{1}é🧬\u{7f}");
        assert_eq!(out, r#""a\"b\\c\nd\te\u0001\u00e9\ud83e\uddec\u007f""#);
    }

    #[test]
    fn long_code_is_cut_at_ten_thousand_characters() {
        let code = "é".repeat(10 * 1024 * 1024 / 2);
        let line = cell_execution_line("alice", at(0), &code);
        assert!(line.ends_with(r#"... (truncated)"}"#), "{}", &line[line.len() - 40..]);
        assert_eq!(line.matches("\\u00e9").count(), 10_000);
        let exact = "x".repeat(10_000);
        assert!(!cell_execution_line("a", at(0), &exact).contains("truncated"));
    }

    #[test]
    fn the_user_and_the_switch() {
        assert_eq!(user(Some("alice".into()), Some("jovyan".into())), "alice");
        assert_eq!(user(Some(String::new()), Some("jovyan".into())), "jovyan");
        assert_eq!(user(None, None), "unknown");
        assert!(is_off(Some("off")) && is_off(Some(" OFF ")) && is_off(Some("false")));
        assert!(!is_off(None) && !is_off(Some("on")));
    }
}
