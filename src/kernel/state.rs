//! The state of a running kernel: its session id, the interpreter it drives, the execution
//! counter and the input history, and the iopub channel every client listens to.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use jupyter_protocol::ExecutionState;
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use super::history::History;
use super::replies;
use super::wire::Message;
use crate::interpreter::{CommSend, Interpreter};

pub(crate) struct Kernel {
    /// The kernel's own session id, in the header of every message it sends.
    pub(crate) session: String,
    pub(crate) interpreter: Arc<dyn Interpreter>,
    iopub: UnboundedSender<Message>,
    history: Mutex<History>,
    execution_count: Mutex<u64>,
    /// How many requests are being handled with busy/idle around them (see
    /// `handle_beside`).
    pub(crate) handling: AtomicUsize,
}

/// A lock that a panicking holder cannot make unusable: the data stays consistent because
/// every critical section here is a single assignment or push.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Kernel {
    pub(crate) fn new(iopub: UnboundedSender<Message>, interpreter: Arc<dyn Interpreter>) -> Kernel {
        Kernel {
            session: uuid::Uuid::new_v4().to_string(),
            interpreter,
            iopub,
            history: Mutex::new(History::default()),
            execution_count: Mutex::new(0),
            handling: AtomicUsize::new(0),
        }
    }

    /// Publishes a message on iopub; `parent` is the request it belongs to.
    pub(crate) fn publish(&self, parent: Option<&Message>, msg_type: &str, content: Value) {
        let mut msg = Message::new(&self.session, msg_type, content, parent);
        msg.ids = vec![Bytes::from(msg_type.to_string())];
        let _ = self.iopub.send(msg);
    }

    /// Sends `comm_msg`s on comm `comm_id` on iopub, as answers to `parent`, from any task.
    pub(crate) fn comm_sender(&self, comm_id: &str, parent: &Message) -> CommSend {
        let (iopub, session, parent, comm_id) = (
            self.iopub.clone(),
            self.session.clone(),
            parent.clone(),
            comm_id.to_string(),
        );
        Arc::new(move |data: Value| {
            let content = serde_json::json!({"comm_id": comm_id, "data": data});
            let mut msg = Message::new(&session, "comm_msg", content, Some(&parent));
            msg.ids = vec![Bytes::from("comm_msg")];
            let _ = iopub.send(msg);
        })
    }

    pub(crate) fn status(&self, parent: Option<&Message>, state: ExecutionState) {
        self.publish(parent, "status", replies::status(state));
    }

    /// The execution count of the last cell that counted.
    pub(crate) fn execution_count(&self) -> u64 {
        *lock(&self.execution_count)
    }

    /// Counts a cell and records its code in the history; its execution count.
    pub(crate) fn record(&self, code: &str) -> u64 {
        let mut n = lock(&self.execution_count);
        *n += 1;
        lock(&self.history).record(*n, code);
        *n
    }

    /// Keeps the text of a cell's result with its history entry.
    pub(crate) fn record_output(&self, count: u64, text: String) {
        lock(&self.history).set_output(count, text);
    }

    /// Answers a `history_request`'s content with the reply's `history` list.
    pub(crate) fn history(&self, request: &Value) -> Vec<Value> {
        lock(&self.history).answer(request)
    }
}
