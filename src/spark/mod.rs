//! The Spark side of the kernel: a Spark Connect session built from the configuration.
//! The generated protocol types stay inside this module.

pub(crate) mod channel;
pub(crate) mod derived;
pub(crate) mod error;
pub(crate) mod execute;
mod grid;
mod identity;
mod metrics;
pub(crate) mod open;
mod proto;
pub(crate) mod session;
pub(crate) mod types;
pub(crate) mod url;
pub(crate) mod view;

pub(crate) use error::SparkError;
pub(crate) use execute::OnProgress;
pub(crate) use execute::run::StatementRun;
pub(crate) use open::{OpenError, open_session};
pub(crate) use session::SparkSession;
pub(crate) use view::ViewSource;
