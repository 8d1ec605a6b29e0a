//! The content of every message the kernel sends. Typed with `jupyter-protocol`'s message
//! types where they serialize exactly as this kernel always has (the tests below hold them
//! to it); plain JSON where the typed form would add or change a field on the wire, each
//! saying which.

use std::collections::HashMap;

use jupyter_protocol::{
    CommInfoReply, CompleteReply, DisplayData, ErrorOutput, ExecuteInput, ExecuteReply, ExecutionCount, ExecutionState,
    InspectReply, InterruptReply, Media, MediaType, ReplyStatus, ShutdownReply, Status, StreamContent, Transient,
    UpdateDisplayData,
};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::wire::PROTOCOL_VERSION;
use crate::interpreter::Bundle;
use crate::interpreter::{CellError, Completeness, Completion, Output, TRANSIENT};

/// Message content as JSON. Serializing these types cannot fail (string keys, no custom
/// serializers that reject values); should it ever, the message goes out empty and logged.
fn content(typed: &impl Serialize) -> Value {
    serde_json::to_value(typed).unwrap_or_else(|e| {
        tracing::error!("a message content could not be serialized: {e}");
        json!({})
    })
}

fn count(n: u64) -> ExecutionCount {
    ExecutionCount::new(usize::try_from(n).unwrap_or(usize::MAX))
}

/// A MIME bundle as `jupyter-protocol` holds one; every value goes out as it came.
fn media(data: Bundle) -> Media {
    Media::new(
        data.into_iter()
            .map(|(mime, value)| match (mime.as_str(), value) {
                ("text/plain", Value::String(text)) => MediaType::Plain(text),
                ("text/html", Value::String(html)) => MediaType::Html(html),
                (_, value) => MediaType::Other((mime, value)),
            })
            .collect(),
    )
}

pub(crate) fn status(state: ExecutionState) -> Value {
    content(&Status { execution_state: state })
}

/// JSON: the typed `KernelInfoReply` always adds `"debugger": false`.
pub(crate) fn kernel_info() -> Value {
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
            // Of the SQL dialects JupyterLab (CodeMirror) and nbconvert (Pygments) know,
            // MySQL's reads Spark SQL best: `backticked` names, "double-quoted" strings,
            // -- and /* */ comments.
            "codemirror_mode": "text/x-mysql",
            "pygments_lexer": "mysql",
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

pub(crate) fn execute_ok(n: u64) -> Value {
    content(&ExecuteReply {
        status: ReplyStatus::Ok,
        execution_count: count(n),
        payload: Vec::new(),
        user_expressions: Some(HashMap::new()),
        error: None,
    })
}

/// A console's `exit`: the `ask_exit` payload asks the front end to close.
pub(crate) fn execute_exit(n: u64) -> Value {
    json!({
        "status": "ok", "execution_count": n, "user_expressions": {},
        "payload": [{"source": "ask_exit", "keepkernel": false}],
    })
}

/// JSON: the typed `ExecuteReply` always adds `payload` and `user_expressions`.
pub(crate) fn execute_error(n: u64, e: &CellError) -> Value {
    json!({
        "status": "error", "execution_count": n,
        "ename": e.ename, "evalue": e.evalue, "traceback": e.traceback,
    })
}

/// JSON: the typed `ExecuteReply` always adds `payload` and `user_expressions`.
/// A skipped cell carries no execution count of its own (front ends then show it as not
/// run), as ipykernel does.
pub(crate) fn execute_aborted() -> Value {
    json!({"status": "aborted"})
}

pub(crate) fn execute_input(code: &str, n: u64) -> Value {
    content(&ExecuteInput {
        code: code.to_string(),
        execution_count: count(n),
    })
}

/// The iopub message type and content of a cell's output; `n` is the cell's count.
pub(crate) fn output(output: Output, n: u64) -> (&'static str, Value) {
    let (kind, content, extra) = plain_output(output, n);
    (kind, with_transient(content, extra))
}

/// [`output`] without what goes in `transient` beside the display id.
fn plain_output(output: Output, n: u64) -> (&'static str, Value, Option<Value>) {
    match output {
        Output::Display(data) => {
            let (data, extra) = split(data);
            let content = with_data(
                content(&DisplayData {
                    data: Media::default(),
                    metadata: Map::new(),
                    transient: Some(Transient { display_id: None }),
                }),
                data,
            );
            ("display_data", content, extra)
        }
        Output::InPlace {
            display_id,
            data,
            update: false,
        } => {
            let (data, extra) = split(data);
            let content = with_data(
                content(&DisplayData {
                    data: Media::default(),
                    metadata: Map::new(),
                    transient: Some(Transient {
                        display_id: Some(display_id),
                    }),
                }),
                data,
            );
            ("display_data", content, extra)
        }
        Output::InPlace {
            display_id,
            data,
            update: true,
        } => {
            let (data, extra) = split(data);
            let content = with_data(
                content(&UpdateDisplayData {
                    data: Media::default(),
                    metadata: Map::new(),
                    transient: Transient {
                        display_id: Some(display_id),
                    },
                }),
                data,
            );
            ("update_display_data", content, extra)
        }
        Output::Clear => ("clear_output", json!({"wait": true}), None),
        Output::Notice(text) => ("stream", content(&StreamContent::stderr(&format!("{text}\n"))), None),
        // JSON: the typed `ExecuteResult` sends `"transient": null`; without a live result
        // there is no `transient` at all.
        Output::Result(data) => {
            let (data, extra) = split(data);
            let content = with_data(json!({"execution_count": n, "metadata": {}}), data);
            ("execute_result", content, extra)
        }
    }
}

pub(crate) fn error(e: &CellError) -> Value {
    content(&ErrorOutput {
        ename: e.ename.clone(),
        evalue: e.evalue.clone(),
        traceback: e.traceback.clone(),
    })
}

/// JSON: the typed `IsCompleteReply` always adds `indent`, which the spec keeps to
/// incomplete code.
pub(crate) fn is_complete(completeness: Completeness) -> Value {
    match completeness {
        Completeness::Complete => json!({"status": "complete"}),
        Completeness::Incomplete { depth } => {
            json!({"status": "incomplete", "indent": "    ".repeat(depth.min(8))})
        }
        Completeness::Invalid => json!({"status": "invalid"}),
    }
}

/// The matches, and what each is under `_jupyter_types_experimental`, where JupyterLab looks
/// for the kind it shows beside a match.
pub(crate) fn complete(found: Completion) -> Value {
    let mut metadata = Map::new();
    if !found.matches.is_empty() {
        let types: Vec<Value> = found
            .matches
            .iter()
            .map(|m| json!({"start": found.start, "end": found.end, "text": m.text, "type": m.kind}))
            .collect();
        metadata.insert("_jupyter_types_experimental".into(), Value::Array(types));
    }
    content(&CompleteReply {
        matches: found.matches.into_iter().map(|m| m.text).collect(),
        cursor_start: found.start,
        cursor_end: found.end,
        metadata,
        status: ReplyStatus::Ok,
        error: None,
    })
}

pub(crate) fn inspect(found: Option<Bundle>) -> Value {
    content(&InspectReply {
        found: found.is_some(),
        data: media(found.unwrap_or_default()),
        metadata: Map::new(),
        status: ReplyStatus::Ok,
        error: None,
    })
}

/// JSON: the typed `HistoryEntry` needs an output for every entry with outputs, and a cell
/// without a result has none (`null`).
pub(crate) fn history(entries: Vec<Value>) -> Value {
    json!({"status": "ok", "history": entries})
}

/// The open comms, those of `target` only when one is named.
pub(crate) fn comm_info(open: Vec<(String, String)>, target: Option<&str>) -> Value {
    let comms: Map<String, Value> = open
        .into_iter()
        .filter(|(_, t)| target.is_none_or(|wanted| wanted == t))
        .map(|(id, t)| (id, json!({"target_name": t})))
        .collect();
    if comms.is_empty() {
        return content(&CommInfoReply::default());
    }
    json!({"status": "ok", "comms": comms})
}

/// A bundle's data, and what it carries for the message's `transient` (see
/// [`crate::interpreter::TRANSIENT`]).
fn split(mut data: Bundle) -> (Bundle, Option<Value>) {
    let transient = data.remove(TRANSIENT);
    (data, transient)
}

/// `content` with `data` as its MIME bundle, moved in as it is: serializing a bundle into a
/// message would copy a large result's outputs once more.
fn with_data(mut content: Value, data: Bundle) -> Value {
    if let Some(object) = content.as_object_mut() {
        object.insert("data".into(), Value::Object(data));
    }
    content
}

/// `content` with the keys of `extra` added to its `transient`.
fn with_transient(mut content: Value, extra: Option<Value>) -> Value {
    if let (Some(Value::Object(extra)), Some(object)) = (extra, content.as_object_mut()) {
        let transient = object.entry("transient").or_insert_with(|| json!({}));
        if let Some(t) = transient.as_object_mut() {
            t.extend(extra);
        } else {
            *transient = Value::Object(extra);
        }
    }
    content
}

pub(crate) fn interrupt() -> Value {
    content(&InterruptReply::new())
}

pub(crate) fn shutdown(restart: bool) -> Value {
    content(&ShutdownReply {
        restart,
        status: ReplyStatus::Ok,
        error: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::Match;

    fn bundle() -> Bundle {
        let mut data = Map::new();
        data.insert("text/plain".into(), json!("OK"));
        data.insert("text/html".into(), json!("<div>OK</div>"));
        data.insert("application/vnd.apache.arrow.stream".into(), json!("QUJD"));
        data
    }

    #[test]
    fn typed_contents_are_what_the_kernel_always_sent() {
        assert_eq!(status(ExecutionState::Busy), json!({"execution_state": "busy"}));
        assert_eq!(
            execute_ok(3),
            json!({"status": "ok", "execution_count": 3, "payload": [], "user_expressions": {}})
        );
        assert_eq!(
            execute_input("SELECT 1", 2),
            json!({"code": "SELECT 1", "execution_count": 2})
        );
        assert_eq!(
            output(Output::Display(bundle()), 1),
            (
                "display_data",
                json!({"data": bundle(), "metadata": {}, "transient": {}})
            )
        );
        let in_place = |update| Output::InPlace {
            display_id: "d".into(),
            data: bundle(),
            update,
        };
        let expected = json!({"data": bundle(), "metadata": {}, "transient": {"display_id": "d"}});
        assert_eq!(output(in_place(false), 1), ("display_data", expected.clone()));
        assert_eq!(output(in_place(true), 1), ("update_display_data", expected));
        assert_eq!(
            output(Output::Notice("careful".into()), 1),
            ("stream", json!({"name": "stderr", "text": "careful\n"}))
        );
        let e = CellError {
            ename: "E".into(),
            evalue: "v".into(),
            traceback: vec!["t".into()],
        };
        assert_eq!(error(&e), json!({"ename": "E", "evalue": "v", "traceback": ["t"]}));
        let found = Completion {
            matches: vec![Match {
                text: "select".into(),
                kind: "keyword".into(),
            }],
            start: 0,
            end: 3,
        };
        assert_eq!(
            complete(found),
            json!({"status": "ok", "matches": ["select"], "cursor_start": 0, "cursor_end": 3, "metadata": {
                "_jupyter_types_experimental": [{"start": 0, "end": 3, "text": "select", "type": "keyword"}]
            }})
        );
        assert_eq!(
            execute_exit(4),
            json!({"status": "ok", "execution_count": 4, "user_expressions": {},
                   "payload": [{"source": "ask_exit", "keepkernel": false}]})
        );
        assert_eq!(
            inspect(Some(bundle())),
            json!({"status": "ok", "found": true, "data": bundle(), "metadata": {}})
        );
        assert_eq!(
            inspect(None),
            json!({"status": "ok", "found": false, "data": {}, "metadata": {}})
        );
        assert_eq!(comm_info(Vec::new(), None), json!({"status": "ok", "comms": {}}));
        assert_eq!(interrupt(), json!({"status": "ok"}));
        assert_eq!(shutdown(true), json!({"status": "ok", "restart": true}));
    }
}
