//! What the kernel does with each request: busy/idle around every one, the execution
//! counter and history, and replies in the shapes the Jupyter messaging spec (5.3) asks for.
//! Cells go to the interpreter; this file never sees Spark or Arrow.

use serde_json::{Value, json};

use super::state::Kernel;
use super::wire::{Message, PROTOCOL_VERSION};
use crate::engine::{CellError, Completeness, Output};

/// What the caller does after a request was handled.
#[derive(Debug, PartialEq, Eq)]
pub enum After {
    Continue,
    /// An execute request failed and asked that queued executions be aborted.
    AbortQueue,
    /// The client asked the kernel to shut down.
    Shutdown,
}

impl Kernel {
    /// Handles one request; `send` delivers the reply on the request's own socket.
    pub async fn handle(&self, request: &Message, send: impl FnOnce(Message)) -> After {
        self.status(Some(request), "busy");
        let (reply, after) = self.dispatch(request).await;
        if let Some((reply_type, content)) = reply {
            let message = Message::new(&self.session, &reply_type, content, Some(request));
            if reply_type == "shutdown_reply" {
                // Broadcast too, so every client learns the kernel is going away.
                self.publish(Some(request), "shutdown_reply", message.content.clone());
            }
            send(message);
        }
        self.status(Some(request), "idle");
        after
    }

    /// Answers an execute request that arrived after a failed cell without running it.
    pub fn abort(&self, request: &Message, send: impl FnOnce(Message)) {
        self.status(Some(request), "busy");
        let content = json!({"status": "aborted", "execution_count": self.execution_count()});
        send(Message::new(&self.session, "execute_reply", content, Some(request)));
        self.status(Some(request), "idle");
    }

    async fn dispatch(&self, request: &Message) -> (Option<(String, Value)>, After) {
        let c = &request.content;
        let text = |key: &str| c.get(key).and_then(Value::as_str).unwrap_or("").to_string();
        let reply = |t: &str, v: Value| Some((t.to_string(), v));
        match request.msg_type() {
            "kernel_info_request" => (reply("kernel_info_reply", kernel_info()), After::Continue),
            "execute_request" => {
                let (content, after) = self.execute(request).await;
                (reply("execute_reply", content), after)
            }
            "is_complete_request" => {
                let content = match self.interpreter.is_complete(&text("code")) {
                    Completeness::Complete => json!({"status": "complete"}),
                    Completeness::Incomplete { depth } => {
                        json!({"status": "incomplete", "indent": "    ".repeat(depth.min(8))})
                    }
                    Completeness::Invalid => json!({"status": "invalid"}),
                };
                (reply("is_complete_reply", content), After::Continue)
            }
            "complete_request" => {
                let code = text("code");
                let cursor = cursor(c, &code);
                let found = self.interpreter.complete(&code, cursor).await;
                let content = json!({
                    "status": "ok",
                    "matches": found.matches,
                    "cursor_start": found.start,
                    "cursor_end": found.end,
                    "metadata": {},
                });
                (reply("complete_reply", content), After::Continue)
            }
            "inspect_request" => {
                let code = text("code");
                let cursor = cursor(c, &code);
                let content = match self.interpreter.inspect(&code, cursor).await {
                    Some(data) => json!({"status": "ok", "found": true, "data": data, "metadata": {}}),
                    None => json!({"status": "ok", "found": false, "data": {}, "metadata": {}}),
                };
                (reply("inspect_reply", content), After::Continue)
            }
            "history_request" => {
                let history = self.history(c);
                (
                    reply("history_reply", json!({"status": "ok", "history": history})),
                    After::Continue,
                )
            }
            "comm_info_request" => (
                reply("comm_info_reply", json!({"status": "ok", "comms": {}})),
                After::Continue,
            ),
            "interrupt_request" => {
                self.interpreter.interrupt();
                (reply("interrupt_reply", json!({"status": "ok"})), After::Continue)
            }
            "shutdown_request" => {
                let restart = c.get("restart").and_then(Value::as_bool).unwrap_or(false);
                (
                    reply("shutdown_reply", json!({"status": "ok", "restart": restart})),
                    After::Shutdown,
                )
            }
            // Comms are not used by a SQL kernel; their messages need no reply.
            "comm_open" | "comm_msg" | "comm_close" => (None, After::Continue),
            other => {
                tracing::warn!(msg_type = other, "unsupported request ignored");
                (None, After::Continue)
            }
        }
    }

    async fn execute(&self, request: &Message) -> (Value, After) {
        let c = &request.content;
        let code = c.get("code").and_then(Value::as_str).unwrap_or("").to_string();
        let silent = c.get("silent").and_then(Value::as_bool).unwrap_or(false);
        let store_history = !silent && c.get("store_history").and_then(Value::as_bool).unwrap_or(true);
        let stop_on_error = c.get("stop_on_error").and_then(Value::as_bool).unwrap_or(true);

        let count = if store_history {
            self.record(&code)
        } else {
            self.execution_count()
        };
        if !silent {
            self.publish(
                Some(request),
                "execute_input",
                json!({"code": code, "execution_count": count}),
            );
        }

        let mut result_text = None;
        let mut sink = |output: Output| {
            if silent {
                return;
            }
            match output {
                Output::Display(data) => {
                    self.publish(
                        Some(request),
                        "display_data",
                        json!({"data": data, "metadata": {}, "transient": {}}),
                    );
                }
                Output::InPlace {
                    display_id,
                    data,
                    update,
                } => {
                    let kind = if update { "update_display_data" } else { "display_data" };
                    let content = json!({"data": data, "metadata": {}, "transient": {"display_id": display_id}});
                    self.publish(Some(request), kind, content);
                }
                Output::Notice(text) => {
                    self.publish(
                        Some(request),
                        "stream",
                        json!({"name": "stderr", "text": format!("{text}\n")}),
                    );
                }
                Output::Result(data) => {
                    result_text = data.get("text/plain").and_then(Value::as_str).map(str::to_string);
                    self.publish(
                        Some(request),
                        "execute_result",
                        json!({"execution_count": count, "data": data, "metadata": {}}),
                    );
                }
            }
        };
        let outcome = self.interpreter.run_cell(&code, &mut sink).await;
        if let (Some(text), true) = (result_text, store_history) {
            self.record_output(count, text);
        }

        match outcome {
            Ok(()) => (
                json!({"status": "ok", "execution_count": count, "payload": [], "user_expressions": {}}),
                After::Continue,
            ),
            Err(CellError {
                ename,
                evalue,
                traceback,
            }) => {
                if !silent {
                    self.publish(
                        Some(request),
                        "error",
                        json!({"ename": ename, "evalue": evalue, "traceback": traceback}),
                    );
                }
                let content = json!({
                    "status": "error", "execution_count": count,
                    "ename": ename, "evalue": evalue, "traceback": traceback,
                });
                (
                    content,
                    if stop_on_error {
                        After::AbortQueue
                    } else {
                        After::Continue
                    },
                )
            }
        }
    }
}

/// The cursor position in code points, bounded by the code's length.
fn cursor(content: &Value, code: &str) -> usize {
    let len = code.chars().count();
    content
        .get("cursor_pos")
        .and_then(Value::as_u64)
        .map_or(len, |p| (p as usize).min(len))
}

fn kernel_info() -> Value {
    json!({
        "status": "ok",
        "protocol_version": PROTOCOL_VERSION,
        "implementation": "kbase-spark-sql",
        "implementation_version": env!("CARGO_PKG_VERSION"),
        "language_info": {
            "name": "sql",
            "version": "Spark SQL 4.0",
            "mimetype": "text/x-sql",
            "file_extension": ".sql",
            "codemirror_mode": "sql",
            "pygments_lexer": "sql",
        },
        "banner": format!(
            "KBase Spark SQL {}: every cell runs as Spark SQL on your Spark Connect server.",
            env!("CARGO_PKG_VERSION")
        ),
        "help_links": [
            {"text": "Spark SQL reference", "url": "https://spark.apache.org/docs/4.0.1/sql-ref.html"},
            {"text": "Spark SQL functions", "url": "https://spark.apache.org/docs/4.0.1/api/sql/index.html"},
            {"text": "KBase", "url": "https://www.kbase.us/"},
        ],
    })
}
