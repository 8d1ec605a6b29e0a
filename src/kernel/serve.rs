//! Serves a kernel on a [`Connection`]: shell requests one at a time, control requests on
//! their own task (so an interrupt reaches a running cell), until a client asks the kernel
//! to shut down, `shutdown` completes, or the connection closes. Nothing received can stop
//! it otherwise. It needs no sockets, so tests run whole kernels in-process.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;

use jupyter_protocol::ExecutionState;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

use super::connection::Connection;
use super::handlers::After;
use super::state::Kernel;
use super::wire::Message;
use crate::engine::Interpreter;

/// Runs the kernel until it is asked to stop, then shuts the interpreter down.
pub(crate) async fn serve(
    connection: Connection,
    interpreter: Arc<dyn Interpreter>,
    shutdown: impl Future<Output = ()>,
) {
    let Connection {
        shell,
        control,
        shell_replies,
        control_replies,
        iopub,
    } = connection;
    let kernel = Arc::new(Kernel::new(iopub, interpreter));
    kernel.status(None, ExecutionState::Starting);

    let (stop_tx, mut stop_rx) = mpsc::unbounded_channel::<()>();
    tokio::spawn(serve_shell(kernel.clone(), shell, shell_replies, stop_tx.clone()));
    tokio::spawn(serve_control(kernel.clone(), control, control_replies, stop_tx));
    tokio::select! {
        _ = stop_rx.recv() => {}
        () = shutdown => {}
    }
    kernel.interpreter.shutdown().await;
}

async fn serve_shell(
    kernel: Arc<Kernel>,
    mut requests: UnboundedReceiver<Message>,
    replies: UnboundedSender<Message>,
    stop: UnboundedSender<()>,
) {
    // Requests that were already waiting when a cell failed; executions among them are
    // aborted, as ipykernel does.
    let mut waiting: VecDeque<(Message, bool)> = VecDeque::new();
    loop {
        let (request, abort) = match waiting.pop_front() {
            Some(next) => next,
            None => match requests.recv().await {
                Some(request) => (request, false),
                None => return,
            },
        };
        if abort && request.msg_type() == "execute_request" {
            kernel.abort(&request, |m| {
                let _ = replies.send(m);
            });
            continue;
        }
        let mut arrived = Vec::new();
        let after = kernel
            .handle(&request, |m| {
                let _ = replies.send(m);
                while let Ok(next) = requests.try_recv() {
                    arrived.push(next);
                }
            })
            .await;
        let abort = after == After::AbortQueue;
        waiting.extend(arrived.into_iter().map(|m| (m, abort)));
        if after == After::Shutdown {
            let _ = stop.send(());
        }
    }
}

async fn serve_control(
    kernel: Arc<Kernel>,
    mut requests: UnboundedReceiver<Message>,
    replies: UnboundedSender<Message>,
    stop: UnboundedSender<()>,
) {
    while let Some(request) = requests.recv().await {
        let after = kernel
            .handle(&request, |m| {
                let _ = replies.send(m);
            })
            .await;
        if after == After::Shutdown {
            let _ = stop.send(());
        }
    }
}
