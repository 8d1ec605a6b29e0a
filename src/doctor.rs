//! The `doctor` subcommand: walks the very steps the kernel takes to open its Spark
//! session, printing each and stopping at the first failure with the message a cell would
//! show, then runs one `SELECT 1`.

use std::io::Write;
use std::time::Instant;

use crate::auth;
use crate::config::Config;
use crate::spark::open::{Found, Step, StepFailed, open_session_reporting};

struct Report<'a, W: Write> {
    out: &'a mut W,
}

impl<W: Write> Report<'_, W> {
    fn step(&mut self, ok: bool, what: &str, detail: &str) -> bool {
        let mark = if ok { "ok  " } else { "FAIL" };
        let _ = writeln!(self.out, "[{mark}] {what}: {detail}");
        ok
    }

    fn warn(&mut self, text: &str) {
        let _ = writeln!(self.out, "[warn] {text}");
    }

    /// Reports what a step of opening the session found.
    fn found(&mut self, found: Found<'_>) {
        match found {
            Found::Token(Some(info)) => {
                let expires = info
                    .expires
                    .map_or("never".into(), |e| e.format("%Y-%m-%d %H:%M UTC").to_string());
                let mfa = info.mfa.as_deref().unwrap_or("not reported");
                self.step(
                    true,
                    Step::Token.label(),
                    &format!("valid for user {}, expires {expires}, MFA {mfa}", info.user),
                );
                for w in auth::warnings(info, chrono::Utc::now()) {
                    self.warn(&w);
                }
            }
            Found::Token(None) => {
                self.step(
                    true,
                    Step::Token.label(),
                    "none set; connecting without KBase authentication",
                );
            }
            Found::Url(url, source) => {
                self.step(true, Step::Url.label(), &format!("{url} ({})", source.label()));
            }
            // Nothing is sent yet; the next step proves the connection.
            Found::Client => {}
            Found::Version(v) => {
                self.step(true, Step::Reachable.label(), &format!("Spark {v}"));
            }
            Found::Settings(settings) if settings.is_empty() => {
                self.step(true, Step::Settings.label(), "KBASE_SPARK_CONF not set");
            }
            Found::Settings(settings) => {
                let keys: Vec<&str> = settings.keys().map(String::as_str).collect();
                self.step(
                    true,
                    Step::Settings.label(),
                    &format!("KBASE_SPARK_CONF applied: {}", keys.join(", ")),
                );
            }
        }
    }
}

/// Runs the checks, writing a line per step to `out`. True when all pass.
pub async fn run(out: &mut (impl Write + Send)) -> bool {
    let mut r = Report { out };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return r.step(false, "configuration", &e.to_string()),
    };
    r.step(true, "configuration", "read");

    let opened = match open_session_reporting(&config, &mut |found| r.found(found)).await {
        Ok(opened) => opened,
        Err(StepFailed { step, error }) => return r.step(false, step.label(), &error.to_string()),
    };
    let session = opened.session;
    let start = Instant::now();
    let ok = match session.sql("SELECT 1", 1, "kbase-spark-sql-doctor", &mut |_| {}).await {
        Ok(res) if res.num_rows() == 1 => r.step(
            true,
            "SELECT 1",
            &format!("{:.0} ms", start.elapsed().as_secs_f64() * 1000.0),
        ),
        Ok(_) => r.step(false, "SELECT 1", "no row came back"),
        Err(e) => r.step(false, "SELECT 1", &e.to_string()),
    };
    if let (Some(base), Ok(Some(token))) = (&config.governance_url, config.tokens.read()) {
        // Not a check that fails: without the service, only completion and %help know less.
        match crate::governance::fetch(base, &token).await {
            Ok(prefixes) => {
                let listed: Vec<String> = prefixes.iter().map(|p| format!("{p}…")).collect();
                r.step(true, "database prefixes", &listed.join(", "));
            }
            Err(e) => r.warn(&format!("database prefixes unknown: {e}")),
        }
    }
    let _ = session.release().await;
    ok
}
