//! KBase Spark SQL: a Jupyter kernel that runs every cell as Spark SQL on the user's own
//! Spark Connect server. Three layers: `kernel` (Jupyter), `engine` (SQL cells) and
//! `spark` (Spark Connect and auth); `render` turns result sets into notebook output.

pub mod auth;
pub mod config;
pub mod data;
pub mod doctor;
pub mod engine;
pub mod kernel;
pub mod render;
pub mod spark;
