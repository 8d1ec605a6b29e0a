//! The Jupyter side of the kernel: the wire format, the sockets of a connection file, the
//! state of a running kernel and what it does with each request. It drives an
//! [`Interpreter`] and knows nothing of Spark, SQL or Arrow.

pub(crate) mod activity;
pub(crate) mod appending;
pub(crate) mod connection;
pub(crate) mod handlers;
pub(crate) mod history;
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

use crate::interpreter::Interpreter;
pub(crate) use connection::Connection;
pub(crate) use serve::serve;
pub use sockets::KernelError;

/// Binds the sockets of a connection file.
pub(crate) async fn connect(connection_file: &Path) -> Result<(Connection, sockets::IopubSent), KernelError> {
    let path = connection_file.display().to_string();
    let text = std::fs::read_to_string(connection_file).map_err(|source| KernelError::ConnectionFile {
        path: path.clone(),
        source,
    })?;
    let info: ConnectionInfo =
        serde_json::from_str(&text).map_err(|source| KernelError::BadConnectionFile { path, source })?;
    sockets::bind(&info).await
}

/// Runs the kernel on its sockets until a client asks it to shut down, it is terminated, or
/// the process that started it is gone. SIGINT interrupts the running cell (the `signal`
/// interrupt mode); SIGTERM stops the kernel cleanly, as a shutdown request does.
pub(crate) async fn run(connection: Connection, iopub_sent: sockets::IopubSent, interpreter: Arc<dyn Interpreter>) {
    activity::start();
    let signalled = signals(interpreter.clone());
    let stop = async {
        tokio::select! {
            () = signalled => {}
            () = parent_gone() => tracing::info!("the process that started the kernel is gone; stopping"),
        }
    };
    serve(connection, interpreter, stop).await;
    // Let iopub deliver the last messages (the final status) before the process ends; the
    // bound only matters if a client stopped reading.
    let _ = tokio::time::timeout(Duration::from_secs(5), iopub_sent).await;
    activity::flush();
}

/// Completes when the process that started the kernel has ended (the kernel was handed to
/// another parent), or the one named by `JPY_PARENT_PID` has; as with the Python kernel, a
/// kernel whose client was killed does not run on for good. A kernel started by the init
/// process watches nothing.
async fn parent_gone() {
    let parent = std::os::unix::process::parent_id();
    let named = std::env::var("JPY_PARENT_PID")
        .ok()
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|&p| p > 1);
    if parent == 1 && named.is_none() {
        return std::future::pending().await;
    }
    let mut ticks = tokio::time::interval(Duration::from_secs(1));
    loop {
        ticks.tick().await;
        let reparented = parent != 1 && std::os::unix::process::parent_id() != parent;
        let named_gone = named.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists());
        if reparented || named_gone {
            return;
        }
    }
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
