//! The Spark side of the kernel: a Spark Connect session built from the configuration.
//! The generated protocol types stay inside this module.

pub mod channel;
pub mod error;
pub mod execute;
pub mod open;
mod proto;
pub mod session;
pub mod types;
pub mod url;

pub use error::SparkError;
pub use execute::OnProgress;
pub use open::{OpenError, open_session};
pub use session::SparkSession;
