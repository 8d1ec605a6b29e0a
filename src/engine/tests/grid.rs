//! The live grid over the engine on a scripted session: a shown result carries its id, a
//! grid opens on it without any call to Spark, its first page pins the result once, a newer
//! page cancels an older one on the server, an interrupt stops every page and pin in flight
//! (a stopped pin is not tried again), and bad or foreign requests change nothing.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::{engine, run};
use crate::engine::Engine;
use crate::engine::testing::{FakeSession, Step};
use crate::interpreter::{CommEvent, CommSend, Interpreter, Output, TRANSIENT};

/// A comm's answers, as sent.
fn collector() -> (CommSend, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let into = seen.clone();
    (Arc::new(move |v: Value| into.lock().unwrap().push(v)), seen)
}

/// Waits (on tokio's paused clock) until `seen` holds `n` answers.
async fn answers(seen: &Arc<Mutex<Vec<Value>>>, n: usize) -> Vec<Value> {
    for _ in 0..200 {
        if seen.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    seen.lock().unwrap().clone()
}

fn result_id(outputs: &[Output]) -> String {
    let Some(Output::Result(bundle)) = outputs.last() else {
        panic!("no result: {outputs:?}")
    };
    bundle[TRANSIENT]["kbase_spark_grid"]["result"]
        .as_str()
        .unwrap()
        .to_string()
}

/// An engine whose session has shown a result of three rows, and that result's id.
async fn shown() -> (Arc<FakeSession>, Arc<Engine>, String) {
    let session = FakeSession::new(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 3,
    }]);
    let engine = engine(vec![session.clone()]);
    let (outputs, result) = run(&engine, "SELECT x FROM t").await;
    result.unwrap();
    let id = result_id(&outputs);
    (session, engine, id)
}

#[tokio::test(start_paused = true)]
async fn a_grid_pages_a_shown_result_pinned_once_and_a_newer_page_cancels_the_older() {
    let (session, engine, id) = shown().await;
    let (send, seen) = collector();
    let open = CommEvent::Open {
        target: "kbase.spark.grid".into(),
        data: json!({"result": id}),
    };
    assert!(engine.comm("c1", open, send.clone()));
    let ready = answers(&seen, 1).await;
    assert_eq!(ready[0]["type"], "ready");
    assert_eq!(
        ready[0]["columns"],
        json!([{"name": "x", "type": "int", "kind": "number"}])
    );
    // Opening a grid asks nothing of Spark.
    assert!(session.grid_calls().is_empty());
    assert_eq!(engine.comms(), vec![("c1".to_string(), "kbase.spark.grid".to_string())]);

    // The first page never ends; the second supersedes it.
    session.over(vec![
        Step::UntilCancelled,
        Step::Rows {
            after: Duration::ZERO,
            rows: 2,
        },
    ]);
    let page = |id: i64| CommEvent::Msg {
        data: json!({"type": "page", "id": id, "offset": 0, "limit": 2, "view": {"sort": [{"column": "x", "descending": true}]}}),
    };
    engine.comm("c1", page(1), send.clone());
    tokio::time::sleep(Duration::from_millis(50)).await;
    engine.comm("c1", page(2), send.clone());
    let seen_now = answers(&seen, 3).await;
    assert_eq!(seen_now[1], json!({"type": "cancelled", "id": 1}));
    assert_eq!(
        seen_now[2],
        json!({"type": "page", "id": 2, "offset": 0, "rows": [["0"], ["1"]]})
    );
    assert_eq!(session.grid_calls(), ["pin", "page 0+2", "page 0+2"]);
    assert_eq!(session.interrupted().len(), 1);
    assert!(session.interrupted()[0].starts_with("kbase-spark-sql-grid-"));

    // A bad request gets an error and runs nothing.
    let bad = CommEvent::Msg {
        data: json!({"type": "page", "id": 3, "offset": -5, "limit": 10}),
    };
    engine.comm("c1", bad, send.clone());
    let seen_now = answers(&seen, 4).await;
    assert_eq!(seen_now[3]["type"], "error");
    assert_eq!(seen_now[3]["id"], 3);
    assert_eq!(session.grid_calls().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn an_interrupt_stops_the_pages_and_the_pin_in_flight_and_the_result_is_explored_unpinned() {
    let (session, engine, id) = shown().await;
    let (send, seen) = collector();
    let open = CommEvent::Open {
        target: "kbase.spark.grid".into(),
        data: json!({"result": id}),
    };
    engine.comm("c1", open, send.clone());
    // The pin of a huge result takes as long as the result: the first page waits on it.
    session.pins_hang.store(true, std::sync::atomic::Ordering::SeqCst);
    session.over(vec![Step::Rows {
        after: Duration::ZERO,
        rows: 2,
    }]);
    let page = |id: i64| CommEvent::Msg {
        data: json!({"type": "page", "id": id, "offset": 0, "limit": 2}),
    };
    engine.comm("c1", page(1), send.clone());
    engine.comm(
        "c1",
        CommEvent::Msg {
            data: json!({"type": "count", "id": 2}),
        },
        send.clone(),
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The count waits on the same pin.
    assert_eq!(session.grid_calls(), ["pin"]);

    engine.interrupt();
    let seen_now = answers(&seen, 3).await;
    let mut stopped: Vec<i64> = seen_now[1..].iter().map(|a| a["id"].as_i64().unwrap()).collect();
    stopped.sort();
    assert_eq!(stopped, [1, 2]);
    for answer in &seen_now[1..] {
        assert_eq!(answer["type"], "error");
        assert!(
            answer["message"]
                .as_str()
                .unwrap()
                .starts_with("Stopped: the kernel was interrupted.")
        );
    }
    // On the server: the pin, the page's and the count's operations, each by its tag.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let interrupted: Vec<String> = session
        .interrupted()
        .into_iter()
        .filter(|t| t.starts_with("kbase-spark-sql-grid-"))
        .collect();
    assert_eq!(interrupted.len(), 3, "{interrupted:?}");
    assert!(interrupted.iter().any(|t| t.starts_with("kbase-spark-sql-grid-pin-")));

    // The next page is computed from the result's query: the stopped pin is not tried again.
    engine.comm("c1", page(3), send.clone());
    let seen_now = answers(&seen, 4).await;
    assert_eq!(
        seen_now[3],
        json!({"type": "page", "id": 3, "offset": 0, "rows": [["0"], ["1"]]})
    );
    assert_eq!(session.grid_calls(), ["pin", "page 0+2"]);
}

#[tokio::test(start_paused = true)]
async fn a_result_of_another_kernel_or_an_unknown_target_is_refused() {
    let session = FakeSession::new(Vec::new());
    let engine = engine(vec![session.clone()]);
    let (send, seen) = collector();
    let foreign = CommEvent::Open {
        target: "kbase.spark.grid".into(),
        data: json!({"result": "0b0e6c59-0000-4000-8000-000000000000:1"}),
    };
    assert!(engine.comm("c1", foreign, send.clone()));
    let gone = answers(&seen, 1).await;
    assert_eq!(gone[0]["type"], "gone");
    assert_eq!(gone[0]["reason"], "earlier-session");
    let other = CommEvent::Open {
        target: "jupyter.widget".into(),
        data: json!({}),
    };
    assert!(!engine.comm("c2", other, send));
    assert!(engine.comms().is_empty());
    assert!(session.grid_calls().is_empty());
}
