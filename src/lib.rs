//! KBase Spark SQL: a Jupyter kernel that runs every cell as Spark SQL on the user's own
//! Spark Connect server. Three layers, imports running one way: `kernel` (Jupyter) drives
//! `engine` (SQL cells), which reaches `spark` (Spark Connect, with `auth`); `render` turns
//! results into notebook output beside the engine, `export` writes whole results to files
//! for it, and `data` holds what they share.
//!
//! Everything is crate-private but what the command line (`main.rs`) and the rendering
//! benchmark (`benches/render.rs`) use.

mod auth;
pub mod config;
pub mod data;
pub mod doctor;
mod engine;
mod export;
#[cfg(test)]
mod fuzz;
mod governance;
pub mod kernel;
pub mod memory;
pub mod render;
#[cfg(test)]
mod scratch;
mod session_file;
mod spark;
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
