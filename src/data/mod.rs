//! What the Spark layer hands up and the engine and render read: a result set, the Spark SQL
//! type of each of its columns, and a running statement's progress. Neutral ground, so the
//! Spark client knows nothing of rendering and rendering nothing of the Spark protocol.

pub(crate) mod grid;
pub(crate) mod plan;
pub(crate) mod progress;
pub mod result;
pub(crate) mod sink;
pub(crate) mod sql_type;

pub(crate) use progress::Progress;
pub(crate) use result::Budget;
pub use result::QueryResult;
pub(crate) use sink::BatchSink;
pub(crate) use sql_type::{IntervalFields, SqlType};
