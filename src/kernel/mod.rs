//! The Jupyter side of the kernel: binds the five sockets of a connection file and serves
//! them on tokio. Shell requests run one at a time; control, heartbeat and iopub each have
//! their own task, so they answer while a query runs. Nothing received can stop the kernel.

pub mod handlers;
pub mod history;
pub mod install;
pub mod wire;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use jupyter_protocol::ConnectionInfo;
use tokio::sync::mpsc;
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use crate::config::{Config, ConfigError};
use crate::engine::Engine;
use handlers::{After, Kernel};
use wire::{Message, Signer};

#[derive(Debug, thiserror::Error)]
pub enum KernelError {
    #[error("cannot read the connection file {path}: {source}")]
    ConnectionFile { path: String, source: std::io::Error },
    #[error("the connection file {path} is not valid: {source}")]
    BadConnectionFile { path: String, source: serde_json::Error },
    #[error("unsupported signature scheme {0:?}: only hmac-sha256 is supported")]
    SignatureScheme(String),
    #[error("cannot bind {endpoint}: {source}")]
    Bind { endpoint: String, source: zeromq::ZmqError },
}

/// Runs the kernel until a client asks it to shut down, or it is terminated. A configuration
/// that could not be read does not stop the kernel: its cells report the problem.
pub async fn run(connection_file: &Path, config: Result<Config, ConfigError>) -> Result<(), KernelError> {
    let path = connection_file.display().to_string();
    let text = std::fs::read_to_string(connection_file).map_err(|source| KernelError::ConnectionFile {
        path: path.clone(),
        source,
    })?;
    let info: ConnectionInfo =
        serde_json::from_str(&text).map_err(|source| KernelError::BadConnectionFile { path, source })?;
    if !info.signature_scheme.is_empty() && info.signature_scheme != "hmac-sha256" {
        return Err(KernelError::SignatureScheme(info.signature_scheme));
    }
    let signer = Signer::new(&info.key);

    let mut iopub = PubSocket::new();
    bind(&mut iopub, info.iopub_url()).await?;
    let mut heartbeat = RepSocket::new();
    bind(&mut heartbeat, info.hb_url()).await?;
    let mut shell = RouterSocket::new();
    bind(&mut shell, info.shell_url()).await?;
    let mut control = RouterSocket::new();
    bind(&mut control, info.control_url()).await?;
    let mut stdin = RouterSocket::new();
    bind(&mut stdin, info.stdin_url()).await?;

    let (iopub_tx, mut iopub_rx) = mpsc::unbounded_channel::<Vec<Bytes>>();
    tokio::spawn(async move {
        while let Some(frames) = iopub_rx.recv().await {
            if let Ok(msg) = ZmqMessage::try_from(frames)
                && let Err(e) = iopub.send(msg).await
            {
                tracing::warn!("iopub send failed: {e}");
            }
        }
    });
    tokio::spawn(async move {
        loop {
            match heartbeat.recv().await {
                Ok(ping) => {
                    let _ = heartbeat.send(ping).await;
                }
                Err(e) => tracing::debug!("heartbeat: {e}"),
            }
        }
    });
    // Input is never requested from a SQL cell; the socket is bound because clients connect to it.
    tokio::spawn(async move { while stdin.recv().await.is_ok() {} });

    let engine = Engine::start(config);
    let kernel = Arc::new(Kernel::new(signer, iopub_tx, engine));
    kernel.starting();

    let (stop_tx, mut stop_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(serve_shell(kernel.clone(), shell, stop_tx.clone()));
    tokio::spawn(serve_control(kernel.clone(), control, stop_tx.clone()));
    tokio::spawn(watch_signals(kernel.clone(), stop_tx));

    stop_rx.recv().await;
    kernel.engine.shutdown().await;
    // Let iopub deliver the last status messages before the process ends.
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(())
}

async fn bind(socket: &mut impl Socket, endpoint: String) -> Result<(), KernelError> {
    socket
        .bind(&endpoint)
        .await
        .map(|_| ())
        .map_err(|source| KernelError::Bind { endpoint, source })
}

/// Receives verified messages from a ROUTER socket. Frames that fail to decode or verify
/// are dropped and logged without their content.
fn verified(msg: ZmqMessage, signer: &Signer, channel: &str) -> Option<Message> {
    match Message::decode(msg.into_vec(), signer) {
        Ok(m) => Some(m),
        Err(e) => {
            tracing::warn!(channel, "dropped a message: {e}");
            None
        }
    }
}

async fn serve_shell(kernel: Arc<Kernel>, socket: RouterSocket, stop: mpsc::UnboundedSender<()>) {
    let (mut send_half, mut recv_half) = socket.split();
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<Vec<Bytes>>();
    tokio::spawn(async move {
        while let Some(frames) = reply_rx.recv().await {
            if let Ok(msg) = ZmqMessage::try_from(frames)
                && let Err(e) = send_half.send(msg).await
            {
                tracing::warn!("shell send failed: {e}");
            }
        }
    });
    // Requests are read as they arrive and stamped, so that those which were already waiting
    // when a cell failed can be aborted, as ipykernel does.
    let (queue_tx, mut queue) = mpsc::unbounded_channel::<(Instant, Message)>();
    let signer = kernel.signer.clone();
    tokio::spawn(async move {
        loop {
            match recv_half.recv().await {
                Ok(msg) => {
                    if let Some(m) = verified(msg, &signer, "shell")
                        && queue_tx.send((Instant::now(), m)).is_err()
                    {
                        return;
                    }
                }
                Err(e) => tracing::debug!("shell receive: {e}"),
            }
        }
    });
    // Executions that arrived before this moment are aborted (set when a cell fails).
    let mut abort_before: Option<Instant> = None;
    while let Some((received, request)) = queue.recv().await {
        let mut replied = None;
        let reply = |m: Message| {
            replied = Some(Instant::now());
            let _ = reply_tx.send(m.encode(&kernel.signer));
        };
        if abort_before.is_some_and(|t| received < t) && request.msg_type() == "execute_request" {
            kernel.abort(&request, reply);
            continue;
        }
        match kernel.handle(&request, reply).await {
            After::Continue => {}
            After::AbortQueue => abort_before = replied,
            After::Shutdown => {
                let _ = stop.send(());
            }
        }
    }
}

async fn serve_control(kernel: Arc<Kernel>, mut socket: RouterSocket, stop: mpsc::UnboundedSender<()>) {
    loop {
        let msg = match socket.recv().await {
            Ok(msg) => msg,
            Err(e) => {
                tracing::debug!("control receive: {e}");
                continue;
            }
        };
        let Some(request) = verified(msg, &kernel.signer, "control") else {
            continue;
        };
        let mut reply = None;
        let after = kernel.handle(&request, |m| reply = Some(m)).await;
        if let Some(m) = reply
            && let Ok(frames) = ZmqMessage::try_from(m.encode(&kernel.signer))
            && let Err(e) = socket.send(frames).await
        {
            tracing::warn!("control send failed: {e}");
        }
        if after == After::Shutdown {
            let _ = stop.send(());
        }
    }
}

/// SIGINT interrupts the running statement (the `signal` interrupt mode); SIGTERM stops the
/// kernel cleanly, releasing the Spark session.
async fn watch_signals(kernel: Arc<Kernel>, stop: mpsc::UnboundedSender<()>) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut interrupt), Ok(mut terminate)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate()))
    else {
        tracing::warn!("cannot listen for signals");
        return;
    };
    loop {
        tokio::select! {
            _ = interrupt.recv() => kernel.engine.interrupt(),
            _ = terminate.recv() => {
                let _ = stop.send(());
                return;
            }
        }
    }
}
