//! The `doctor` subcommand: checks, step by step, everything the kernel needs to run a cell,
//! printing each step and stopping at the first failure with the message a cell would show.

use std::io::Write;
use std::time::Instant;

use crate::config::Config;
use crate::spark::open::{local_user, resolve_target};
use crate::spark::{OpenError, SparkSession};

/// Runs the checks, writing a line per step to `out`. True when all pass.
pub async fn run(out: &mut impl Write) -> bool {
    let mut step = |ok: bool, what: &str, detail: &str| {
        let mark = if ok { "ok  " } else { "FAIL" };
        let _ = writeln!(out, "[{mark}] {what}: {detail}");
        ok
    };
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => return step(false, "configuration", &e.to_string()),
    };
    step(true, "configuration", "read");
    let (url, tokens) = match resolve_target(&config) {
        Ok(t) => t,
        Err(e) => return step(false, "Spark Connect URL", &e.to_string()),
    };
    step(true, "Spark Connect URL", &url.to_string());
    let session = match SparkSession::new(&url, tokens, &local_user(), &config.app_name) {
        Ok(s) => s,
        Err(e) => return step(false, "Spark Connect client", &e.to_string()),
    };
    match session.spark_version().await {
        Ok(v) => step(true, "server reachable", &format!("Spark {v}")),
        Err(e) => return step(false, "server reachable", &OpenError::from(e).to_string()),
    };
    let start = Instant::now();
    let ok = match session.sql("SELECT 1", 1, "kbase-spark-sql-doctor").await {
        Ok(r) if r.num_rows() == 1 => step(
            true,
            "SELECT 1",
            &format!("{:.0} ms", start.elapsed().as_secs_f64() * 1000.0),
        ),
        Ok(_) => step(false, "SELECT 1", "no row came back"),
        Err(e) => step(false, "SELECT 1", &e.to_string()),
    };
    let _ = session.release().await;
    ok
}
