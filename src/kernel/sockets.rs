//! The ZeroMQ side of a connection file: binds the five sockets and turns them into a
//! [`Connection`]. Incoming frames are verified and decoded here, outgoing messages signed
//! and encoded; each socket has its own task, so heartbeat answers while a query runs.

use std::time::Duration;

use bytes::Bytes;
use jupyter_protocol::ConnectionInfo;
use tokio::sync::mpsc;
use zeromq::{PubSocket, RepSocket, RouterSocket, Socket, SocketRecv, SocketSend, ZmqMessage};

use super::connection::Connection;
use super::wire::{Message, Signer};

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

/// Completes when every message published on iopub has been handed to the socket, after the
/// kernel let go of the channel.
pub(crate) type IopubSent = tokio::task::JoinHandle<()>;

/// Binds the sockets of `info` and serves them until the process ends.
pub(crate) async fn bind(info: &ConnectionInfo) -> Result<(Connection, IopubSent), KernelError> {
    if !info.signature_scheme.is_empty() && info.signature_scheme != "hmac-sha256" {
        return Err(KernelError::SignatureScheme(info.signature_scheme.clone()));
    }
    let signer = Signer::new(&info.key);

    let mut iopub = PubSocket::new();
    bind_one(&mut iopub, info.iopub_url()).await?;
    let mut heartbeat = RepSocket::new();
    bind_one(&mut heartbeat, info.hb_url()).await?;
    let mut shell = RouterSocket::new();
    bind_one(&mut shell, info.shell_url()).await?;
    let mut control = RouterSocket::new();
    bind_one(&mut control, info.control_url()).await?;
    let mut stdin = RouterSocket::new();
    bind_one(&mut stdin, info.stdin_url()).await?;

    let (iopub_tx, mut iopub_rx) = mpsc::unbounded_channel::<Message>();
    let iopub_signer = signer.clone();
    let iopub_sent = tokio::spawn(async move {
        while let Some(message) = iopub_rx.recv().await {
            let started = std::time::Instant::now();
            let frames = message.encode(&iopub_signer);
            let bytes: usize = frames.iter().map(Bytes::len).sum();
            if let Ok(msg) = ZmqMessage::try_from(frames)
                && let Err(e) = iopub.send(msg).await
            {
                tracing::warn!("iopub send failed: {e}");
            }
            if matches!(message.msg_type(), "execute_result" | "display_data") {
                tracing::debug!(
                    target: "kbase_spark_sql_kernel::timing",
                    msg_type = message.msg_type(),
                    bytes,
                    publish_ms = started.elapsed().as_secs_f64() * 1000.0,
                    "published"
                );
            }
        }
    });
    tokio::spawn(async move {
        let mut backoff = Backoff::default();
        loop {
            match heartbeat.recv().await {
                Ok(ping) => {
                    backoff.reset();
                    let _ = heartbeat.send(ping).await;
                }
                Err(e) => backoff.after_error("heartbeat", e.to_string()).await,
            }
        }
    });
    // Input is never requested from a SQL cell; the socket is bound because clients connect to it.
    tokio::spawn(async move { while stdin.recv().await.is_ok() {} });

    let (shell, shell_replies) = serve_router(shell, signer.clone(), "shell");
    let (control, control_replies) = serve_router(control, signer, "control");
    let connection = Connection {
        shell,
        control,
        shell_replies,
        control_replies,
        iopub: iopub_tx,
    };
    Ok((connection, iopub_sent))
}

/// Pauses a receive loop after an error, growing from 10 ms to 1 s while errors repeat, so a
/// socket that keeps failing cannot spin a core.
#[derive(Default)]
struct Backoff {
    pause: Duration,
}

impl Backoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MOST: Duration = Duration::from_secs(1);

    fn reset(&mut self) {
        self.pause = Duration::ZERO;
    }

    async fn after_error(&mut self, channel: &str, error: String) {
        tracing::debug!(channel, "receive: {error}");
        self.pause = (self.pause * 2).clamp(Self::FIRST, Self::MOST);
        tokio::time::sleep(self.pause).await;
    }
}

async fn bind_one(socket: &mut impl Socket, endpoint: String) -> Result<(), KernelError> {
    socket
        .bind(&endpoint)
        .await
        .map(|_| ())
        .map_err(|source| KernelError::Bind { endpoint, source })
}

/// Requests of a ROUTER socket, as they arrive, and a sender for its replies. Frames that
/// fail to decode or verify are dropped and logged without their content.
fn serve_router(
    socket: RouterSocket,
    signer: Signer,
    channel: &'static str,
) -> (mpsc::UnboundedReceiver<Message>, mpsc::UnboundedSender<Message>) {
    let (mut send_half, mut recv_half) = socket.split();
    let (reply_tx, mut reply_rx) = mpsc::unbounded_channel::<Message>();
    let reply_signer = signer.clone();
    tokio::spawn(async move {
        while let Some(message) = reply_rx.recv().await {
            if let Ok(msg) = ZmqMessage::try_from(message.encode(&reply_signer))
                && let Err(e) = send_half.send(msg).await
            {
                tracing::warn!(channel, "send failed: {e}");
            }
        }
    });
    let (request_tx, request_rx) = mpsc::unbounded_channel::<Message>();
    tokio::spawn(async move {
        let mut backoff = Backoff::default();
        loop {
            let received = recv_half.recv().await;
            if received.is_ok() {
                backoff.reset();
            }
            match received {
                Ok(msg) => match Message::decode(msg.into_vec(), &signer) {
                    Ok(m) => {
                        if request_tx.send(m).is_err() {
                            return;
                        }
                    }
                    Err(e) => tracing::warn!(channel, "dropped a message: {e}"),
                },
                Err(e) => backoff.after_error(channel, e.to_string()).await,
            }
        }
    });
    (request_rx, reply_tx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_failing_socket_is_retried_ever_more_slowly_up_to_a_second() {
        let mut backoff = Backoff::default();
        let mut pauses = Vec::new();
        for _ in 0..9 {
            let before = tokio::time::Instant::now();
            backoff.after_error("test", "broken".into()).await;
            pauses.push(before.elapsed().as_millis());
        }
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.reset();
        let before = tokio::time::Instant::now();
        backoff.after_error("test", "broken".into()).await;
        assert_eq!(before.elapsed().as_millis(), 10);
    }
}
