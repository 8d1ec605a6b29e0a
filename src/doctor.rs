//! The `doctor` subcommand: checks, step by step, everything the kernel needs to run a cell,
//! printing each step and stopping at the first failure with the message a cell would show.

use std::io::Write;
use std::time::Instant;

use crate::auth;
use crate::config::Config;
use crate::spark::open::{check_token, local_user, resolve_target};
use crate::spark::{OpenError, SparkSession};

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
}

/// Runs the checks, writing a line per step to `out`. True when all pass.
pub async fn run(out: &mut impl Write) -> bool {
    let mut r = Report { out };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return r.step(false, "configuration", &e.to_string()),
    };
    r.step(true, "configuration", "read");

    let token = match check_token(&config).await {
        Ok(t) => t,
        Err(e) => return r.step(false, "KBase token", &e.to_string()),
    };
    match &token {
        Some(info) => {
            let expires = info
                .expires
                .map_or("never".into(), |e| e.format("%Y-%m-%d %H:%M UTC").to_string());
            let mfa = info.mfa.as_deref().unwrap_or("not reported");
            r.step(
                true,
                "KBase token",
                &format!("valid for user {}, expires {expires}, MFA {mfa}", info.user),
            );
            for w in auth::warnings(info, chrono::Utc::now()) {
                r.warn(&w);
            }
        }
        None => {
            r.step(true, "KBase token", "none set; connecting without KBase authentication");
        }
    }

    let (url, tokens) = match resolve_target(&config, token.as_ref()) {
        Ok(t) => t,
        Err(e) => return r.step(false, "Spark Connect URL", &e.to_string()),
    };
    r.step(true, "Spark Connect URL", &url.to_string());
    let session = match SparkSession::new(&url, tokens, &local_user(), &config.app_name) {
        Ok(s) => s,
        Err(e) => return r.step(false, "Spark Connect client", &e.to_string()),
    };
    match session.spark_version().await {
        Ok(v) => r.step(true, "server reachable", &format!("Spark {v}")),
        Err(e) => return r.step(false, "server reachable", &OpenError::from(e).to_string()),
    };
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
    let _ = session.release().await;
    ok
}
