//! The kernel's protocol, served in-process on channels with tokio's clock paused: busy and
//! idle around every request, what a cell publishes and in which order, silent runs and
//! store_history, cells aborted behind a failure, interrupts on control, shutdown, and a
//! progress display giving way to the result. The engine runs on a scripted session.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};
use tokio::task::JoinHandle;

use super::connection::Connection;
use super::serve;
use super::wire::Message;
use crate::data::Progress;
use crate::engine::Engine;
use crate::engine::testing::{FakeConnector, FakeSession, Step, table_not_found};

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// The client's ends of an in-process connection, and the kernel serving the other ends.
struct Client {
    shell: UnboundedSender<Message>,
    control: UnboundedSender<Message>,
    shell_replies: UnboundedReceiver<Message>,
    control_replies: UnboundedReceiver<Message>,
    iopub: UnboundedReceiver<Message>,
    served: JoinHandle<()>,
}

fn start(session: Arc<FakeSession>) -> Client {
    let (shell, shell_rx) = mpsc::unbounded_channel();
    let (control, control_rx) = mpsc::unbounded_channel();
    let (shell_replies_tx, shell_replies) = mpsc::unbounded_channel();
    let (control_replies_tx, control_replies) = mpsc::unbounded_channel();
    let (iopub_tx, iopub) = mpsc::unbounded_channel();
    let connection = Connection {
        shell: shell_rx,
        control: control_rx,
        shell_replies: shell_replies_tx,
        control_replies: control_replies_tx,
        iopub: iopub_tx,
    };
    let engine = Engine::start(Box::new(FakeConnector::new(vec![session])));
    let served = tokio::spawn(serve(connection, engine, std::future::pending()));
    Client {
        shell,
        control,
        shell_replies,
        control_replies,
        iopub,
        served,
    }
}

fn request(msg_type: &str, content: Value) -> Message {
    let mut m = Message::new("client-session", msg_type, content, None);
    m.ids = vec![Bytes::from_static(b"client")];
    m
}

fn execute(code: &str) -> Message {
    request("execute_request", json!({"code": code}))
}

/// An execute request whose client made it `ms` milliseconds after it made `earlier`.
fn made_after(earlier: &Message, ms: i64, code: &str) -> Message {
    let mut m = execute(code);
    m.header.date = earlier.header.date + chrono::Duration::milliseconds(ms);
    m
}

fn parent_id(m: &Message) -> &str {
    m.parent_header.get("msg_id").and_then(Value::as_str).unwrap_or("")
}

fn state(m: &Message) -> &str {
    m.content.get("execution_state").and_then(Value::as_str).unwrap_or("")
}

impl Client {
    fn send(&self, m: &Message) {
        self.shell.send(m.clone()).unwrap();
    }

    async fn reply(&mut self) -> Message {
        self.shell_replies.recv().await.unwrap()
    }

    /// The iopub messages of `request`, through its idle status.
    async fn published(&mut self, request: &Message) -> Vec<Message> {
        let mut out = Vec::new();
        loop {
            let m = self.iopub.recv().await.unwrap();
            if parent_id(&m) != request.header.msg_id {
                continue;
            }
            let idle = m.msg_type() == "status" && state(&m) == "idle";
            out.push(m);
            if idle {
                return out;
            }
        }
    }

    /// Runs a request and returns its reply and what it published.
    async fn run(&mut self, m: &Message) -> (Message, Vec<Message>) {
        self.send(m);
        let reply = self.reply().await;
        (reply, self.published(m).await)
    }
}

fn types(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| match m.msg_type() {
            "status" => format!("status:{}", state(m)),
            t => t.to_string(),
        })
        .collect()
}

#[tokio::test(start_paused = true)]
async fn the_kernel_starts_then_answers_kernel_info_between_busy_and_idle() {
    let mut client = start(FakeSession::new(Vec::new()));
    let first = client.iopub.recv().await.unwrap();
    assert_eq!((first.msg_type(), state(&first)), ("status", "starting"));
    let info = request("kernel_info_request", json!({}));
    let (reply, published) = client.run(&info).await;
    assert_eq!(reply.msg_type(), "kernel_info_reply");
    assert_eq!(parent_id(&reply), info.header.msg_id);
    assert_eq!(reply.ids, info.ids);
    assert_eq!(reply.content["protocol_version"], "5.3");
    assert_eq!(reply.content["language_info"]["name"], "sql");
    assert_eq!(types(&published), ["status:busy", "status:idle"]);
}

#[tokio::test(start_paused = true)]
async fn a_cell_publishes_its_input_and_result_between_busy_and_idle() {
    let mut client = start(FakeSession::new(vec![Step::Rows { after: ms(50), rows: 2 }]));
    let cell = execute("SELECT 1");
    let (reply, published) = client.run(&cell).await;
    assert_eq!(
        types(&published),
        ["status:busy", "execute_input", "execute_result", "status:idle"]
    );
    assert_eq!(published[1].content, json!({"code": "SELECT 1", "execution_count": 1}));
    assert_eq!(published[2].content["execution_count"], 1);
    assert!(
        published[2].content["data"]["text/plain"]
            .as_str()
            .unwrap()
            .contains("|  x|")
    );
    assert_eq!(
        reply.content,
        json!({"status": "ok", "execution_count": 1, "payload": [], "user_expressions": {}})
    );
    let history = request(
        "history_request",
        json!({"hist_access_type": "tail", "n": 5, "output": true}),
    );
    let (reply, _) = client.run(&history).await;
    let entry = &reply.content["history"][0];
    assert_eq!((&entry[1], &entry[2][0]), (&json!(1), &json!("SELECT 1")));
    assert!(entry[2][1].as_str().unwrap().contains("|  x|"));
}

#[tokio::test(start_paused = true)]
async fn a_silent_cell_publishes_nothing_and_is_not_counted() {
    let mut client = start(FakeSession::new(Vec::new()));
    let silent = request("execute_request", json!({"code": "SET a = 1", "silent": true}));
    let (reply, published) = client.run(&silent).await;
    assert_eq!(types(&published), ["status:busy", "status:idle"]);
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(reply.content["execution_count"], 0);
    let (reply, _) = client.run(&execute("SELECT 1")).await;
    assert_eq!(reply.content["execution_count"], 1);
}

#[tokio::test(start_paused = true)]
async fn a_cell_without_store_history_shows_its_output_but_is_not_counted() {
    let mut client = start(FakeSession::new(Vec::new()));
    let cell = request("execute_request", json!({"code": "SET a = 1", "store_history": false}));
    let (reply, published) = client.run(&cell).await;
    assert_eq!(
        types(&published),
        ["status:busy", "execute_input", "execute_result", "status:idle"]
    );
    assert_eq!(reply.content["execution_count"], 0);
    let history = request("history_request", json!({"hist_access_type": "tail", "n": 5}));
    let (reply, _) = client.run(&history).await;
    assert_eq!(reply.content["history"], json!([]));
}

#[tokio::test(start_paused = true)]
async fn a_cell_sent_with_a_failed_one_is_aborted_however_late_it_arrives() {
    let session = FakeSession::new(vec![Step::Fail {
        after: ms(500),
        error: table_not_found,
    }]);
    let mut client = start(session.clone());
    let failing = execute("CREATE TABLE t AS SELECT * FROM nope");
    client.send(&failing);
    assert_eq!(client.reply().await.content["status"], "error");
    // Made by the same client 1 ms after the failing cell (before the failure could be
    // seen), but delivered only now: it is aborted, not run.
    let late = made_after(&failing, 1, "DROP TABLE t");
    let (reply, _) = client.run(&late).await;
    assert_eq!(reply.content["status"], "aborted");
    // Another client's cell, and this client's cell made after it saw the failure, run.
    let mut other = made_after(&failing, 1, "SELECT 2");
    other.header.session = "another-client".into();
    assert_eq!(client.run(&other).await.0.content["status"], "ok");
    assert_eq!(
        client.run(&made_after(&failing, 600, "SELECT 3")).await.0.content["status"],
        "ok"
    );
    assert_eq!(
        session.queries(),
        ["CREATE TABLE t AS SELECT * FROM nope", "SELECT 2", "SELECT 3"]
    );
}

#[tokio::test(start_paused = true)]
async fn cells_waiting_behind_a_failed_cell_are_aborted() {
    let session = FakeSession::new(vec![Step::Fail {
        after: ms(500),
        error: table_not_found,
    }]);
    let mut client = start(session.clone());
    let (failing, second, third) = (execute("SELECT * FROM nope"), execute("SELECT 2"), execute("SELECT 3"));
    for m in [&failing, &second, &third] {
        client.send(m);
    }
    let reply = client.reply().await;
    assert_eq!(
        (reply.content["status"].as_str(), parent_id(&reply)),
        (Some("error"), failing.header.msg_id.as_str())
    );
    assert_eq!(reply.content["ename"], "TABLE_OR_VIEW_NOT_FOUND");
    let published = client.published(&failing).await;
    assert_eq!(
        types(&published),
        ["status:busy", "execute_input", "error", "status:idle"]
    );
    for queued in [&second, &third] {
        let reply = client.reply().await;
        assert_eq!(parent_id(&reply), queued.header.msg_id);
        assert_eq!(reply.content, json!({"status": "aborted"}));
        assert_eq!(types(&client.published(queued).await), ["status:busy", "status:idle"]);
    }
    // A cell made after the client saw the failure runs.
    let (reply, _) = client.run(&made_after(&failing, 600, "SELECT 4")).await;
    assert_eq!(
        (
            reply.content["status"].as_str(),
            reply.content["execution_count"].as_u64()
        ),
        (Some("ok"), Some(2))
    );
    assert_eq!(session.queries(), ["SELECT * FROM nope", "SELECT 4"]);
}

#[tokio::test(start_paused = true)]
async fn without_stop_on_error_the_waiting_cells_run() {
    let session = FakeSession::new(vec![Step::Fail {
        after: ms(500),
        error: table_not_found,
    }]);
    let mut client = start(session.clone());
    let failing = request(
        "execute_request",
        json!({"code": "SELECT * FROM nope", "stop_on_error": false}),
    );
    client.send(&failing);
    client.send(&execute("SELECT 2"));
    assert_eq!(client.reply().await.content["status"], "error");
    assert_eq!(client.reply().await.content["status"], "ok");
    assert_eq!(session.queries(), ["SELECT * FROM nope", "SELECT 2"]);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_on_control_cancels_the_running_cell() {
    let session = FakeSession::new(vec![Step::UntilCancelled]);
    let mut client = start(session.clone());
    let cell = execute("SELECT count(*) FROM big");
    client.send(&cell);
    tokio::time::sleep(ms(5000)).await;
    let interrupt = request("interrupt_request", json!({}));
    client.control.send(interrupt.clone()).unwrap();
    let answer = client.control_replies.recv().await.unwrap();
    assert_eq!(
        (answer.msg_type(), &answer.content),
        ("interrupt_reply", &json!({"status": "ok"}))
    );
    let reply = client.reply().await;
    assert_eq!(
        (reply.content["status"].as_str(), reply.content["ename"].as_str()),
        (Some("error"), Some("QueryCancelled"))
    );
    assert_eq!(session.interrupted().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn shutdown_replies_tells_every_client_and_releases_the_session() {
    let session = FakeSession::new(Vec::new());
    let mut client = start(session.clone());
    client.run(&execute("SELECT 1")).await;
    let shutdown = request("shutdown_request", json!({"restart": true}));
    client.control.send(shutdown.clone()).unwrap();
    let reply = client.control_replies.recv().await.unwrap();
    assert_eq!(
        (reply.msg_type(), &reply.content),
        ("shutdown_reply", &json!({"status": "ok", "restart": true}))
    );
    let published = client.published(&shutdown).await;
    assert_eq!(types(&published), ["status:busy", "shutdown_reply", "status:idle"]);
    client.served.await.unwrap();
    assert_eq!(session.released.load(Ordering::SeqCst), 1);
}

#[tokio::test(start_paused = true)]
async fn a_progress_display_is_cleared_away_on_the_wire() {
    let report = Progress {
        stages: 1,
        tasks: 4,
        tasks_done: 2,
        ..Progress::default()
    };
    let session = FakeSession::new(vec![
        Step::Progress {
            reports: vec![(ms(1500), report)],
            then: Box::new(Step::Rows {
                after: ms(500),
                rows: 1,
            }),
        },
        Step::Rows { after: ms(10), rows: 1 },
    ]);
    let mut client = start(session);
    let cell = execute("SELECT 1; SELECT 2");
    let (reply, published) = client.run(&cell).await;
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(
        types(&published),
        [
            "status:busy",
            "execute_input",
            "display_data",
            "clear_output",
            "display_data",
            "execute_result",
            "status:idle"
        ]
    );
    let id = &published[2].content["transient"]["display_id"];
    assert!(
        id.as_str()
            .is_some_and(|id| id.starts_with("kbase-spark-sql-progress-"))
    );
    assert_eq!(published[3].content, json!({"wait": true}));
    // A statement's display goes under an id of its own (a later progress may ride on it).
    let shown = published[4].content["transient"]["display_id"].as_str().unwrap_or("");
    assert!(shown.starts_with("kbase-spark-sql-output-"), "{shown}");
    assert!(published[4].content["data"]["application/vnd.apache.arrow.stream"].is_string());
}

#[tokio::test(start_paused = true)]
async fn consoles_learn_whether_code_is_complete() {
    let mut client = start(FakeSession::new(Vec::new()));
    for (code, expected) in [
        ("SELECT 1;", json!({"status": "complete"})),
        ("SELECT (1,", json!({"status": "incomplete", "indent": "    "})),
        ("SELECT 1)", json!({"status": "invalid"})),
        // Magics alone run at once; magics above SQL wait for the SQL's end like any SQL.
        ("%help", json!({"status": "complete"})),
        ("%%sql\n%limit 5", json!({"status": "complete"})),
        ("%limit 5\nSELECT 1", json!({"status": "incomplete", "indent": ""})),
        ("%limit 5\nSELECT 1;", json!({"status": "complete"})),
    ] {
        let (reply, _) = client.run(&request("is_complete_request", json!({"code": code}))).await;
        assert_eq!(
            (reply.msg_type(), &reply.content),
            ("is_complete_reply", &expected),
            "{code}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn completion_offers_keywords_in_the_users_case() {
    let mut client = start(FakeSession::new(Vec::new()));
    let (reply, _) = client
        .run(&request("complete_request", json!({"code": "sel", "cursor_pos": 3})))
        .await;
    assert_eq!(
        reply.content,
        json!({"status": "ok", "matches": ["select"], "cursor_start": 0, "cursor_end": 3, "metadata": {
            "_jupyter_types_experimental": [{"start": 0, "end": 3, "text": "select", "type": "keyword"}]
        }})
    );
}

#[tokio::test(start_paused = true)]
async fn exit_alone_asks_the_console_to_close() {
    let session = FakeSession::new(Vec::new());
    let mut client = start(session.clone());
    let (reply, _) = client.run(&request("execute_request", json!({"code": "exit"}))).await;
    assert_eq!(reply.content["status"], "ok");
    assert_eq!(
        reply.content["payload"],
        json!([{"source": "ask_exit", "keepkernel": false}])
    );
    assert!(session.queries().is_empty());
}

#[tokio::test(start_paused = true)]
async fn completion_offers_the_sessions_tables_and_inspection_what_describe_says() {
    let session = FakeSession::new(Vec::new());
    session.answer(
        "SHOW TABLES",
        ms(5),
        (
            vec!["namespace", "tableName", "isTemporary"],
            vec![vec!["default", "people", "false"], vec!["default", "places", "false"]],
        ),
    );
    session.answer(
        "DESCRIBE TABLE `people`",
        ms(5),
        (
            vec!["col_name", "data_type", "comment"],
            vec![vec!["id", "bigint", ""], vec!["name", "string", ""]],
        ),
    );
    let mut client = start(session.clone());
    // The session opens in the background; completion never waits for it.
    tokio::time::sleep(ms(10)).await;
    let (reply, _) = client
        .run(&request(
            "complete_request",
            json!({"code": "SELECT * FROM pe", "cursor_pos": 16}),
        ))
        .await;
    assert_eq!(reply.content["matches"], json!(["people"]));
    assert_eq!(
        reply.content["metadata"]["_jupyter_types_experimental"],
        json!([{"start": 14, "end": 16, "text": "people", "type": "table"}])
    );
    assert_eq!(
        (&reply.content["cursor_start"], &reply.content["cursor_end"]),
        (&json!(14), &json!(16))
    );
    let (reply, _) = client
        .run(&request(
            "inspect_request",
            json!({"code": "SELECT * FROM people", "cursor_pos": 17}),
        ))
        .await;
    assert_eq!(reply.content["found"], true);
    let text = reply.content["data"]["text/plain"].as_str().unwrap();
    assert_eq!(text, "table people\n\nid    bigint\nname  string");
    assert!(
        reply.content["data"]["text/html"]
            .as_str()
            .unwrap()
            .contains("<code>bigint</code>")
    );
}

#[tokio::test(start_paused = true)]
async fn comm_messages_get_busy_and_idle_and_a_comm_of_an_unknown_target_is_closed() {
    let mut client = start(FakeSession::new(Vec::new()));
    let comm = request("comm_open", json!({"comm_id": "c", "target_name": "t", "data": {}}));
    client.send(&comm);
    assert_eq!(
        types(&client.published(&comm).await),
        ["status:busy", "comm_close", "status:idle"]
    );
    let (reply, _) = client.run(&request("comm_info_request", json!({}))).await;
    assert_eq!(reply.content, json!({"status": "ok", "comms": {}}));
}

#[tokio::test(start_paused = true)]
async fn a_comm_message_while_a_cell_runs_is_answered_without_saying_idle() {
    let session = FakeSession::new(vec![Step::UntilCancelled]);
    let mut client = start(session.clone());
    let cell = execute("SELECT count(*) FROM big");
    client.send(&cell);
    tokio::time::sleep(ms(5000)).await;
    let comm = request("comm_open", json!({"comm_id": "c", "target_name": "t", "data": {}}));
    client.send(&comm);
    let closed = loop {
        let m = client.iopub.recv().await.unwrap();
        if parent_id(&m) == comm.header.msg_id {
            break m;
        }
    };
    // The comm's first message is its answer: no busy before it (and so no idle after it)
    // while the cell still runs.
    assert_eq!(closed.msg_type(), "comm_close");
    client.control.send(request("interrupt_request", json!({}))).unwrap();
    client.control_replies.recv().await.unwrap();
    let published = client.published(&cell).await;
    assert_eq!(published.iter().filter(|m| state(m) == "idle").count(), 1);
    assert_eq!(client.reply().await.content["ename"], "QueryCancelled");
    // With no cell running, a comm message has its busy and idle again.
    let (_, published) = client.run(&request("comm_info_request", json!({}))).await;
    assert_eq!(types(&published), ["status:busy", "status:idle"]);
}

/// What a client that appends outputs and honours `clear_output` holds after `published`.
fn held_by_appending_client(published: &[Message]) -> Vec<String> {
    let mut held = Vec::new();
    for m in published {
        match m.msg_type() {
            "clear_output" => held.clear(),
            t @ ("display_data" | "update_display_data" | "execute_result" | "stream") => held.push(t.to_string()),
            _ => {}
        }
    }
    held
}

#[tokio::test(start_paused = true)]
async fn a_client_that_cannot_take_input_gets_no_updates_and_holds_each_result_once() {
    let report = |tasks_done| Progress {
        stages: 1,
        tasks: 4,
        tasks_done,
        ..Progress::default()
    };
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 1 },
        Step::Progress {
            reports: vec![(ms(1500), report(1)), (ms(1500), report(2)), (ms(1500), report(3))],
            then: Box::new(Step::Rows {
                after: ms(500),
                rows: 1,
            }),
        },
        Step::Rows { after: ms(10), rows: 1 },
    ]);
    let mut client = start(session);
    // As jupyter-server-documents, nbclient and papermill ask.
    let cell = request(
        "execute_request",
        json!({"code": "SELECT 1; SELECT 2; SELECT 3", "allow_stdin": false}),
    );
    let (reply, published) = client.run(&cell).await;
    assert_eq!(reply.content["status"], "ok");
    let kinds = types(&published);
    assert!(!kinds.iter().any(|t| t == "update_display_data"), "{kinds:?}");
    // The progress was shown (riding on the first result, republished after a clear)...
    assert!(
        published.iter().any(|m| m.msg_type() == "display_data"
            && m.content["data"]["text/html"]
                .as_str()
                .is_some_and(|h| h.contains("tasks"))),
        "{kinds:?}"
    );
    // ...and what such a client holds at the end is the three results alone.
    assert_eq!(
        held_by_appending_client(&published),
        ["display_data", "display_data", "execute_result"]
    );
    let last_clear = published.iter().rposition(|m| m.msg_type() == "clear_output");
    assert!(last_clear.is_some(), "{kinds:?}");
    assert!(
        published[last_clear.unwrap_or(0)..]
            .iter()
            .all(|m| !m.content["data"]["text/html"]
                .as_str()
                .is_some_and(|h| h.contains("tasks"))),
        "{kinds:?}"
    );

    // A person's front end that takes input still gets the progress updated in place.
    let session = FakeSession::new(vec![
        Step::Rows { after: ms(10), rows: 1 },
        Step::Progress {
            reports: vec![(ms(1500), report(1)), (ms(1500), report(2))],
            then: Box::new(Step::Rows {
                after: ms(500),
                rows: 1,
            }),
        },
    ]);
    let mut client = start(session);
    let (_, published) = client.run(&execute("SELECT 1; SELECT 2")).await;
    assert!(types(&published).iter().any(|t| t == "update_display_data"));
    assert!(!types(&published).iter().any(|t| t == "clear_output"));
}
