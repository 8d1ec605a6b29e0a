//! The live grid, the kernel's side: every result set the kernel shows gets an id a front
//! end can open a comm on (target [`TARGET`]) to page, sort, filter, search and count the
//! whole result, each view computed by Spark over the result (pinned on the server the
//! first time a grid asks for rows). The protocol is in the README ("The live grid's
//! protocol"). A grid's requests run beside a running cell, each under a tag of its own; a
//! newer page of a comm cancels its older pages on the server.

pub(crate) mod protocol;
pub(crate) mod registry;

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};
use tokio::task::AbortHandle;

use crate::data::QueryResult;
use crate::data::grid::GridQuery;
use crate::engine::session::{Answer, Request, Session};
use crate::interpreter::{CommEvent, CommSend};
use crate::render::value::{Cell, cell};
use crate::spark::ViewSource;
use protocol::{Ask, Column};
use registry::{Found, Registry};

/// The comm target of the live grid.
pub(crate) const TARGET: &str = "kbase.spark.grid";

/// The answer to a request an interrupt stopped.
const STOPPED: &str = "Stopped: the kernel was interrupted. Scroll, sort or search to ask again.";

/// One open grid: the result it shows, and its requests still running.
struct Comm {
    result: u64,
    send: CommSend,
    /// Running requests by id: whether a page, its tag, and its task.
    running: HashMap<i64, (bool, String, AbortHandle)>,
}

pub(crate) struct Grid {
    /// This kernel process's own id: the first part of every result id.
    kernel: String,
    registry: Registry,
    comms: Mutex<HashMap<String, Comm>>,
    /// Pins being made, by their tag: what an interrupt stops.
    pinning: Mutex<HashMap<String, Arc<registry::Entry>>>,
}

impl Default for Grid {
    fn default() -> Grid {
        Grid {
            kernel: uuid::Uuid::new_v4().to_string(),
            registry: Registry::default(),
            comms: Mutex::new(HashMap::new()),
            pinning: Mutex::new(HashMap::new()),
        }
    }
}

/// What a session getter gives: the current session, if one is open.
pub(crate) type Current = Option<Arc<dyn Session>>;

impl Grid {
    fn comms(&self) -> MutexGuard<'_, HashMap<String, Comm>> {
        self.comms.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn pinning(&self) -> MutexGuard<'_, HashMap<String, Arc<registry::Entry>>> {
        self.pinning.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Keeps a shown result open to grids; what its output's `transient` carries.
    pub(crate) fn register(&self, source: ViewSource, result: &QueryResult, rows_shown: usize) -> Value {
        let columns = result
            .columns()
            .map(|(name, t)| Column {
                name: name.clone(),
                sql_type: t.clone(),
            })
            .collect();
        let n = self.registry.add(source, columns);
        json!({"result": format!("{}:{n}", self.kernel), "rows_shown": rows_shown})
    }

    /// The open grid comms, by id.
    pub(crate) fn open_comms(&self) -> Vec<String> {
        self.comms().keys().cloned().collect()
    }

    /// Handles a comm event; `false` for a comm of another target (the kernel closes it).
    pub(crate) fn comm(self: &Arc<Self>, comm_id: &str, event: CommEvent, send: CommSend, session: Current) -> bool {
        match event {
            CommEvent::Open { target, data } => {
                if target != TARGET {
                    return false;
                }
                self.open(comm_id, &data, send);
            }
            CommEvent::Msg { data } => self.message(comm_id, &data, send, session),
            CommEvent::Close => {
                if let Some(comm) = self.comms().remove(comm_id) {
                    for (_, running) in comm.running {
                        stop(session.clone(), running);
                    }
                }
            }
        }
        true
    }

    fn open(&self, comm_id: &str, data: &Value, send: CommSend) {
        let id = data.get("result").and_then(Value::as_str).unwrap_or("");
        let (kernel, n) = id.rsplit_once(':').unwrap_or(("", ""));
        let found = match n.parse::<u64>() {
            Ok(n) if kernel == self.kernel => Some((n, self.registry.find(n))),
            _ => None,
        };
        let (n, entry) = match found {
            Some((n, Found::Open(entry))) => (n, entry),
            Some((_, Found::Released)) => {
                return send(gone(
                    "released",
                    "This result was let go to keep the kernel's memory bounded: run the cell again to explore it.",
                ));
            }
            None if id.contains(':') && !kernel.is_empty() => {
                return send(gone(
                    "earlier-session",
                    "This result is from an earlier kernel session: run the cell again to explore it.",
                ));
            }
            _ => {
                return send(gone(
                    "unknown",
                    "This kernel never showed this result: run the cell again to explore it.",
                ));
            }
        };
        let pinned = entry.pin.try_lock().map(|p| p.is_some()).unwrap_or(false);
        send(
            json!({"type": "ready", "result": id, "columns": protocol::columns_json(&entry.columns), "pinned": pinned}),
        );
        self.comms().insert(
            comm_id.to_string(),
            Comm {
                result: n,
                send,
                running: HashMap::new(),
            },
        );
    }

    fn message(self: &Arc<Self>, comm_id: &str, data: &Value, send: CommSend, session: Current) {
        let mut comms = self.comms();
        let Some(comm) = comms.get_mut(comm_id) else {
            drop(comms);
            return send(gone(
                "unknown",
                "This grid is not open: run the cell again to explore its result.",
            ));
        };
        let Found::Open(entry) = self.registry.find(comm.result) else {
            let refusal = gone(
                "released",
                "This result was let go to keep the kernel's memory bounded: run the cell again to explore it.",
            );
            return (comm.send)(refusal);
        };
        let (id, query) = match protocol::read(data, &entry.columns) {
            Err(refused) => {
                return (comm.send)(json!({"type": "error", "id": refused.id, "message": refused.message}));
            }
            Ok(Ask::Cancel { id }) => {
                if let Some(running) = comm.running.remove(&id) {
                    stop(session, running);
                    (comm.send)(json!({"type": "cancelled", "id": id}));
                }
                return;
            }
            Ok(Ask::Query { id, query }) => (id, query),
        };
        let Some(session) = session else {
            return (comm.send)(
                json!({"type": "error", "id": id, "message": "No Spark session is open: run a cell, then try again."}),
            );
        };
        let page = matches!(query, GridQuery::Page { .. });
        if page {
            // A newer page supersedes every older one still running.
            let older: Vec<i64> = comm.running.iter().filter(|(_, r)| r.0).map(|(i, _)| *i).collect();
            for old in older {
                if let Some(running) = comm.running.remove(&old) {
                    stop(Some(session.clone()), running);
                    (comm.send)(json!({"type": "cancelled", "id": old}));
                }
            }
        }
        let tag = format!("kbase-spark-sql-grid-{}", uuid::Uuid::new_v4());
        let grid = self.clone();
        let (comm_key, run_tag, n) = (comm_id.to_string(), tag.clone(), comm.result);
        let task = tokio::spawn(async move {
            let answer = grid.answer(&entry, n, &session, &query, &run_tag).await;
            let answer = match answer {
                Ok(mut a) => {
                    a["id"] = json!(id);
                    a
                }
                Err(message) => json!({"type": "error", "id": id, "message": message}),
            };
            let mut comms = grid.comms();
            // Sent unless cancelled meanwhile (then "cancelled" was its answer).
            if let Some(comm) = comms.get_mut(&comm_key)
                && comm.running.remove(&id).is_some()
            {
                (comm.send)(answer);
            }
        });
        comm.running.insert(id, (page, tag, task.abort_handle()));
    }
}

impl Grid {
    /// Runs `query` over the (pinned) result and shapes its answer.
    async fn answer(
        self: &Arc<Self>,
        entry: &Arc<registry::Entry>,
        n: u64,
        session: &Arc<dyn Session>,
        query: &GridQuery,
        tag: &str,
    ) -> Result<Value, String> {
        let source = self.pinned(entry.clone(), n, session.clone()).await;
        let request = Request::Grid {
            source: &source,
            query,
            tag,
        };
        let result = match session.run(request, &mut |_| {}).await {
            Ok(answer) => answer.into_result(),
            Err(e) => return Err(first_line(&e.to_string())),
        };
        Ok(match query {
            GridQuery::Page { offset, .. } => json!({"type": "page", "offset": offset, "rows": rows(&result)}),
            GridQuery::Count { .. } => {
                let total = rows(&result)
                    .first()
                    .and_then(|r| r.first())
                    .and_then(|v| v.as_str())
                    .and_then(|s| s.parse::<u64>().ok())
                    .ok_or("Spark gave no count.")?;
                json!({"type": "count", "total": total})
            }
        })
    }

    /// The source a grid reads: the result pinned in `session`, pinned now if it is not
    /// (in a task of its own, so that a cancelled page does not lose a finished pin); the
    /// result's own source when pinning fails or an interrupt stopped it.
    async fn pinned(self: &Arc<Self>, entry: Arc<registry::Entry>, n: u64, session: Arc<dyn Session>) -> ViewSource {
        let grid = self.clone();
        let fallback = entry.source.clone();
        let pinning = tokio::spawn(async move {
            let address = Arc::as_ptr(&session) as *const () as usize;
            let mut pin = entry.pin.lock().await;
            if let Some((at, pinned)) = pin.as_ref()
                && *at == address
            {
                let pinned = pinned.clone();
                drop(pin);
                grid.release_later(n, &entry, &session);
                return Some(pinned);
            }
            if entry.unpinned.load(Ordering::SeqCst) {
                return None;
            }
            let tag = format!("kbase-spark-sql-grid-pin-{}", uuid::Uuid::new_v4());
            grid.pinning().insert(tag.clone(), entry.clone());
            let request = Request::Pin {
                source: &entry.source,
                tag: &tag,
            };
            let answer = session.run(request, &mut |_| {}).await;
            grid.pinning().remove(&tag);
            match answer {
                Ok(Answer::Pinned(pinned)) => {
                    let pinned = *pinned;
                    *pin = Some((address, pinned.clone()));
                    drop(pin);
                    grid.release_later(n, &entry, &session);
                    Some(pinned)
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!("the grid's result could not be pinned; pages are computed from its query: {e}");
                    None
                }
            }
        });
        pinning.await.ok().flatten().unwrap_or(fallback)
    }

    /// Marks result `n` used; lets go of the pins the bound evicts, in the background (a pin
    /// being made holds its result's lock: no page waits for it).
    fn release_later(self: &Arc<Self>, n: u64, entry: &Arc<registry::Entry>, session: &Arc<dyn Session>) {
        let evicted = self.registry.used(n, entry);
        if evicted.is_empty() {
            return;
        }
        let (grid, session) = (self.clone(), session.clone());
        tokio::spawn(async move { grid.release(evicted, &session).await });
    }

    /// Stops every grid request and pin in flight, on the server too (the user interrupted
    /// the kernel): each request is answered with an error saying so, and a result whose
    /// pin was stopped is explored from its query from then on (its pin is not tried again).
    pub(crate) fn interrupt(&self, session: Current) {
        for (tag, entry) in self.pinning().drain() {
            entry.unpinned.store(true, Ordering::SeqCst);
            interrupt(session.clone(), tag);
        }
        for comm in self.comms().values_mut() {
            for (id, running) in comm.running.drain() {
                stop(session.clone(), running);
                (comm.send)(json!({"type": "error", "id": id, "message": STOPPED}));
            }
        }
    }

    /// Lets go of the pins of `entries`.
    async fn release(&self, entries: Vec<Arc<registry::Entry>>, session: &Arc<dyn Session>) {
        for entry in entries {
            let taken = entry.pin.lock().await.take();
            if let Some((_, pinned)) = taken {
                let tag = format!("kbase-spark-sql-grid-unpin-{}", uuid::Uuid::new_v4());
                let request = Request::Unpin {
                    pinned: &pinned,
                    tag: &tag,
                };
                if let Err(e) = session.run(request, &mut |_| {}).await {
                    tracing::debug!("releasing a pinned result failed: {e}");
                }
            }
        }
    }

    /// Lets go of every pin (the kernel is ending), and forgets the open comms.
    pub(crate) async fn shutdown(&self, session: Current) {
        let comms: Vec<Comm> = self.comms().drain().map(|(_, c)| c).collect();
        for comm in comms {
            comm.running.values().for_each(|(_, _, task)| task.abort());
        }
        if let Some(session) = session {
            self.release(self.registry.pinned(), &session).await;
        }
    }
}

/// Cancels the operations tagged `tag` on the server, in the background.
/// Stops a running request: its task here, its operations on the server by its tag.
fn stop(session: Current, (_, tag, task): (bool, String, AbortHandle)) {
    task.abort();
    interrupt(session, tag);
}

fn interrupt(session: Current, tag: String) {
    if let Some(session) = session {
        tokio::spawn(async move {
            if let Err(e) = session.interrupt_tag(&tag).await {
                tracing::debug!("cancelling a grid request failed: {e}");
            }
        });
    }
}

fn gone(reason: &str, message: &str) -> Value {
    json!({"type": "gone", "reason": reason, "message": message})
}

fn first_line(text: &str) -> String {
    text.trim()
        .lines()
        .next()
        .unwrap_or("Spark could not answer.")
        .to_string()
}

/// Every row of `result`, each value as the tables show it, NULL as JSON null.
fn rows(result: &QueryResult) -> Vec<Vec<Value>> {
    let mut out = Vec::new();
    for b in &result.batches {
        for r in 0..b.num_rows() {
            out.push(
                b.columns()
                    .iter()
                    .zip(&result.types)
                    .map(|(a, t)| match cell(a, r, t) {
                        Cell::Null => Value::Null,
                        Cell::Text(s) => Value::String(s),
                    })
                    .collect(),
            );
        }
    }
    out
}
