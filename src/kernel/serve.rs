//! Serves a kernel on a [`Connection`]: shell requests one at a time, control requests on
//! their own task (so an interrupt reaches a running cell), until a client asks the kernel
//! to shut down, `shutdown` completes, or the connection closes. Nothing received can stop
//! it otherwise. It needs no sockets, so tests run whole kernels in-process.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use jupyter_protocol::ExecutionState;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use super::connection::Connection;
use super::handlers::After;
use super::state::Kernel;
use super::wire::Message;
use crate::interpreter::Interpreter;

/// Runs the kernel until it is asked to stop, then shuts the interpreter down. When it
/// returns, nothing of the kernel holds the iopub channel any more, so the channel's
/// reader sees it end once the last messages are out.
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
    let (queued_tx, queued) = mpsc::unbounded_channel::<Message>();
    let router = tokio::spawn(route_shell(kernel.clone(), shell, queued_tx, shell_replies.clone()));
    let shell = tokio::spawn(serve_shell(kernel.clone(), queued, shell_replies, stop_tx.clone()));
    let control = tokio::spawn(serve_control(kernel.clone(), control, control_replies, stop_tx));
    tokio::select! {
        _ = stop_rx.recv() => {}
        () = shutdown => {}
    }
    kernel.interpreter.shutdown().await;
    router.abort();
    shell.abort();
    control.abort();
}

/// The last cell that failed and asked that the cells queued behind it be aborted.
struct Failure {
    /// The client session that sent it.
    session: String,
    /// The earliest moment, on that client's clock, at which it could have seen the failure:
    /// the request's own time plus how long the kernel took to answer it.
    seen_after: DateTime<Utc>,
}

impl Failure {
    /// Whether `request` was made by the failed cell's client before it could have seen the
    /// failure: sent in the same batch ("Run All"), however late it reaches the kernel.
    fn sent_before(&self, request: &Message) -> bool {
        request.header.session == self.session && request.header.date < self.seen_after
    }
}

/// Whether a shell request is answered at once, even while a cell runs: the live grid's
/// comm messages (a page while another cell runs) and the list of open comms. Each is
/// handled in a moment (the work a comm asks for runs in tasks of its own).
fn beside_cells(request: &Message) -> bool {
    matches!(
        request.msg_type(),
        "comm_open" | "comm_msg" | "comm_close" | "comm_info_request"
    )
}

/// Reads the shell socket: requests answered beside cells are handled here, in order of
/// arrival; every other one is queued for [`serve_shell`].
async fn route_shell(
    kernel: Arc<Kernel>,
    mut requests: UnboundedReceiver<Message>,
    queued: UnboundedSender<Message>,
    replies: UnboundedSender<Message>,
) {
    while let Some(request) = requests.recv().await {
        if beside_cells(&request) {
            kernel
                .handle_beside(&request, |m| {
                    let _ = replies.send(m);
                })
                .await;
        } else if queued.send(request).is_err() {
            return;
        }
    }
}

async fn serve_shell(
    kernel: Arc<Kernel>,
    mut requests: UnboundedReceiver<Message>,
    replies: UnboundedSender<Message>,
    stop: UnboundedSender<()>,
) {
    // Requests that were already waiting when a cell failed; executions among them are
    // aborted, as ipykernel does. Executions that arrive later are aborted too when their
    // client made them before it could have seen the failure: whether a queued cell runs
    // must not depend on how fast its request travelled.
    let mut waiting: VecDeque<(Message, bool)> = VecDeque::new();
    let mut failure: Option<Failure> = None;
    loop {
        let (request, abort) = match waiting.pop_front() {
            Some(next) => next,
            None => match requests.recv().await {
                Some(request) => (request, false),
                None => return,
            },
        };
        if request.msg_type() == "execute_request"
            && (abort || failure.as_ref().is_some_and(|f| f.sent_before(&request)))
        {
            kernel.abort(&request, |m| {
                let _ = replies.send(m);
            });
            continue;
        }
        let started = Instant::now();
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
        if abort {
            let took = chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
            failure = Some(Failure {
                session: request.header.session.clone(),
                seen_after: request.header.date + took,
            });
        }
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
