//! The Jupyter side of the kernel: the wire format, the sockets of a connection file, the
//! state of a running kernel and what it does with each request. It drives an
//! [`Interpreter`] and knows nothing of Spark, SQL or Arrow.

pub(crate) mod connection;
pub(crate) mod handlers;
pub(crate) mod history;
pub mod install;
pub(crate) mod replies;
pub(crate) mod serve;
pub(crate) mod sockets;
pub(crate) mod state;
#[cfg(test)]
mod tests;
pub(crate) mod wire;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use jupyter_protocol::ConnectionInfo;

use crate::engine::Interpreter;
pub(crate) use connection::Connection;
pub(crate) use serve::serve;
pub use sockets::KernelError;

/// Binds the sockets of a connection file.
pub(crate) async fn connect(connection_file: &Path) -> Result<Connection, KernelError> {
    let path = connection_file.display().to_string();
    let text = std::fs::read_to_string(connection_file).map_err(|source| KernelError::ConnectionFile {
        path: path.clone(),
        source,
    })?;
    let info: ConnectionInfo =
        serde_json::from_str(&text).map_err(|source| KernelError::BadConnectionFile { path, source })?;
    sockets::bind(&info).await
}

/// Runs the kernel on its sockets until a client asks it to shut down or it is terminated.
/// SIGINT interrupts the running cell (the `signal` interrupt mode); SIGTERM stops the
/// kernel cleanly, as a shutdown request does.
pub(crate) async fn run(connection: Connection, interpreter: Arc<dyn Interpreter>) {
    serve(connection, interpreter.clone(), signals(interpreter)).await;
    // Let iopub deliver the last status messages before the process ends.
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Interrupts on SIGINT; completes on SIGTERM.
async fn signals(interpreter: Arc<dyn Interpreter>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        tracing::warn!("cannot listen for signals");
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            _ = interrupt.recv() => interpreter.interrupt(),
            _ = terminate.recv() => return,
        }
    }
}
