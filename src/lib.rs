//! KBase Spark SQL: a Jupyter kernel that runs every cell as Spark SQL on the user's own
//! Spark Connect server. Layers, imports running one way: `kernel` (Jupyter) drives an
//! `Interpreter`, the seam in a file of its own; `engine` is the one behind
//! it, running cells on a `spark` session (with `auth`, `token`, `secret`). Beside the
//! engine: `sql` (pure SQL text), `assist` (completion and inspection), `magic`, `picture`
//! (charts and profiles), `export` (whole results to files) and `render` (notebook output);
//! `data` holds what they share. ARCHITECTURE.md is the map; `tests/structure.rs` checks
//! that no file imports a file that imports it back.
//!
//! Everything is crate-private but what the command line (`main.rs`) and the rendering
//! benchmark (`benches/render.rs`) use.

mod assist;
mod auth;
pub mod config;
pub mod data;
pub mod doctor;
mod engine;
mod export;
#[cfg(test)]
mod fuzz;
mod governance;
mod grid;
pub mod install;
mod interpreter;
pub mod kernel;
mod magic;
pub mod memory;
mod picture;
pub mod render;
mod secret;
mod spark;
mod sql;
mod token;

use std::path::Path;

use config::{Config, ConfigError};
use engine::Engine;
use engine::session::SparkConnector;
pub use kernel::KernelError;

/// Runs the kernel on a connection file: the Jupyter side driving the SQL engine, whose
/// Spark session opens in the background from `config`. A configuration that could not be
/// read does not stop the kernel: its cells report the problem.
pub async fn run_kernel(connection_file: &Path, config: Result<Config, ConfigError>) -> Result<(), KernelError> {
    let (connection, iopub_sent) = kernel::connect(connection_file).await?;
    if let Ok(config) = &config {
        governance::learn_in_background(config);
    }
    let engine = Engine::start(Box::new(SparkConnector::new(config)));
    kernel::run(connection, iopub_sent, engine).await;
    Ok(())
}
