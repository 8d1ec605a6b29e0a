//! What the kernel does with each request: busy/idle around every one, the execution
//! counter and history, and the reply (shaped in `replies.rs`). Cells go to the
//! interpreter; this file never sees Spark or Arrow.
//!
//! Requests are read leniently, field by field with the spec's defaults, rather than as
//! `jupyter-protocol`'s request types, which demand fields that clients leave out:
//! `ExecuteRequest` needs `silent` and `store_history`, `CompleteRequest` and
//! `InspectRequest` need `cursor_pos`, `ShutdownRequest` needs `restart`, and
//! `HistoryRequest` needs every field of its kind (`output`, `raw`, `session`, …).

use std::sync::atomic::Ordering;

use jupyter_protocol::ExecutionState;
use serde_json::Value;

use super::activity;
use super::appending::Appending;
use super::replies;
use super::state::Kernel;
use super::wire::Message;
use crate::interpreter::{CommEvent, Output};

/// What the caller does after a request was handled.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum After {
    Continue,
    /// An execute request failed and asked that queued executions be aborted.
    AbortQueue,
    /// The client asked the kernel to shut down.
    Shutdown,
}

fn text(content: &Value, key: &str) -> String {
    content.get(key).and_then(Value::as_str).unwrap_or("").to_string()
}

fn flag(content: &Value, key: &str, default: bool) -> bool {
    content.get(key).and_then(Value::as_bool).unwrap_or(default)
}

/// The cursor position in code points, bounded by the code's length.
fn cursor(content: &Value, code: &str) -> usize {
    let len = code.chars().count();
    content
        .get("cursor_pos")
        .and_then(Value::as_u64)
        .map_or(len, |p| usize::try_from(p).unwrap_or(usize::MAX).min(len))
}

impl Kernel {
    /// Handles one request; `send` delivers the reply on the request's own socket.
    pub(crate) async fn handle(&self, request: &Message, send: impl FnOnce(Message)) -> After {
        self.handling.fetch_add(1, Ordering::SeqCst);
        let after = self.answer(request, true, send).await;
        self.handling.fetch_sub(1, Ordering::SeqCst);
        after
    }

    /// Handles a request answered beside a running cell (a comm message of the live grid).
    /// While another request is being handled it publishes no busy/idle: front ends show the
    /// kernel's state from every status message, and an idle in the middle of a running cell
    /// would tell the user the cell is done.
    pub(crate) async fn handle_beside(&self, request: &Message, send: impl FnOnce(Message)) -> After {
        if self.handling.load(Ordering::SeqCst) > 0 {
            self.answer(request, false, send).await
        } else {
            self.handle(request, send).await
        }
    }

    async fn answer(&self, request: &Message, with_status: bool, send: impl FnOnce(Message)) -> After {
        if with_status {
            self.status(Some(request), ExecutionState::Busy);
        }
        let (reply, after) = self.dispatch(request).await;
        if let Some((reply_type, content)) = reply {
            let message = Message::new(&self.session, reply_type, content, Some(request));
            if reply_type == "shutdown_reply" {
                // Broadcast too, so every client learns the kernel is going away.
                self.publish(Some(request), "shutdown_reply", message.content.clone());
            }
            send(message);
        }
        if with_status {
            self.status(Some(request), ExecutionState::Idle);
        }
        after
    }

    /// Answers an execute request that arrived after a failed cell without running it.
    pub(crate) fn abort(&self, request: &Message, send: impl FnOnce(Message)) {
        self.status(Some(request), ExecutionState::Busy);
        let content = replies::execute_aborted();
        send(Message::new(&self.session, "execute_reply", content, Some(request)));
        self.status(Some(request), ExecutionState::Idle);
    }

    async fn dispatch(&self, request: &Message) -> (Option<(&'static str, Value)>, After) {
        let c = &request.content;
        match request.msg_type() {
            "kernel_info_request" => (Some(("kernel_info_reply", replies::kernel_info())), After::Continue),
            "execute_request" => {
                let (content, after) = self.execute(request).await;
                (Some(("execute_reply", content)), after)
            }
            "is_complete_request" => {
                let completeness = self.interpreter.is_complete(&text(c, "code"));
                (
                    Some(("is_complete_reply", replies::is_complete(completeness))),
                    After::Continue,
                )
            }
            "complete_request" => {
                let code = text(c, "code");
                let found = self.interpreter.complete(&code, cursor(c, &code)).await;
                (Some(("complete_reply", replies::complete(found))), After::Continue)
            }
            "inspect_request" => {
                let code = text(c, "code");
                let found = self.interpreter.inspect(&code, cursor(c, &code)).await;
                (Some(("inspect_reply", replies::inspect(found))), After::Continue)
            }
            "history_request" => (
                Some(("history_reply", replies::history(self.history(c)))),
                After::Continue,
            ),
            "comm_info_request" => {
                let target = c.get("target_name").and_then(Value::as_str);
                let open = self.interpreter.comms();
                (
                    Some(("comm_info_reply", replies::comm_info(open, target))),
                    After::Continue,
                )
            }
            "interrupt_request" => {
                self.interpreter.interrupt();
                (Some(("interrupt_reply", replies::interrupt())), After::Continue)
            }
            "shutdown_request" => (
                Some(("shutdown_reply", replies::shutdown(flag(c, "restart", false)))),
                After::Shutdown,
            ),
            // Comm messages have no reply; answers go on iopub, on the comm.
            "comm_open" | "comm_msg" | "comm_close" => {
                self.comm(request);
                (None, After::Continue)
            }
            other => {
                tracing::warn!(msg_type = other, "unsupported request ignored");
                (None, After::Continue)
            }
        }
    }

    /// Hands a comm message to the interpreter (which answers on its own time); a comm
    /// of a target it does not serve is closed, as the protocol asks.
    fn comm(&self, request: &Message) {
        let c = &request.content;
        let comm_id = text(c, "comm_id");
        let data = c.get("data").cloned().unwrap_or(Value::Null);
        let event = match request.msg_type() {
            "comm_open" => CommEvent::Open {
                target: text(c, "target_name"),
                data,
            },
            "comm_msg" => CommEvent::Msg { data },
            _ => CommEvent::Close,
        };
        let opening = matches!(event, CommEvent::Open { .. });
        let send = self.comm_sender(&comm_id, request);
        if !self.interpreter.comm(&comm_id, event, send) && opening {
            let content = serde_json::json!({"comm_id": comm_id, "data": {}});
            self.publish(Some(request), "comm_close", content);
        }
    }

    async fn execute(&self, request: &Message) -> (Value, After) {
        let started = std::time::Instant::now();
        let answer = self.run_request(request).await;
        tracing::debug!(
            target: "kbase_spark_sql_kernel::timing",
            cell_ms = started.elapsed().as_secs_f64() * 1000.0,
            "cell handled"
        );
        answer
    }

    async fn run_request(&self, request: &Message) -> (Value, After) {
        let c = &request.content;
        let code = text(c, "code");
        let silent = flag(c, "silent", false);
        let store_history = !silent && flag(c, "store_history", true);
        let stop_on_error = flag(c, "stop_on_error", true);

        let count = if store_history {
            self.record(&code)
        } else {
            self.execution_count()
        };
        if !silent {
            self.publish(Some(request), "execute_input", replies::execute_input(&code, count));
        }
        activity::cell_execution(&code, silent);
        if self.interpreter.is_exit(&code) {
            return (replies::execute_exit(count), After::Continue);
        }

        let mut result_text = None;
        let mut sink = |output: Output| {
            if silent {
                return;
            }
            if let Output::Result(data) = &output {
                result_text = data.get("text/plain").and_then(Value::as_str).map(str::to_string);
            }
            let (msg_type, content) = replies::output(output, count);
            self.publish(Some(request), msg_type, content);
        };
        let own_count = store_history.then_some(count);
        // A client that cannot take input may keep outputs by appending updates to them
        // (appending.rs): it gets none.
        let outcome = if flag(c, "allow_stdin", true) {
            self.interpreter.run_cell(&code, silent, own_count, &mut sink).await
        } else {
            let mut appending = Appending::new(&mut sink);
            let outcome = {
                let mut applied = |output: Output| appending.emit(output);
                self.interpreter.run_cell(&code, silent, own_count, &mut applied).await
            };
            appending.finish();
            outcome
        };
        if let (Some(text), true) = (result_text, store_history) {
            self.record_output(count, text);
        }

        match outcome {
            Ok(()) => (replies::execute_ok(count), After::Continue),
            Err(e) => {
                if !silent {
                    self.publish(Some(request), "error", replies::error(&e));
                    activity::cell_error(&e.ename, &e.evalue);
                }
                let after = if stop_on_error {
                    After::AbortQueue
                } else {
                    After::Continue
                };
                (replies::execute_error(count, &e), after)
            }
        }
    }
}
