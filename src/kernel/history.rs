//! The session's input history, for Jupyter's `history_request` (`tail`, `range`, `search`).
//! It lives as long as the kernel process: one session, numbered 1, lines numbered by the
//! execution counter.

use serde_json::{Value, json};

pub(crate) const SESSION: u64 = 1;

#[derive(Default)]
pub(crate) struct History {
    entries: Vec<Entry>,
}

struct Entry {
    line: u64,
    input: String,
    output: Option<String>,
}

impl History {
    pub(crate) fn record(&mut self, line: u64, input: &str) {
        self.entries.push(Entry {
            line,
            input: input.to_string(),
            output: None,
        });
    }

    /// Keeps the text of a cell's result with its entry, for `output: true` requests.
    pub(crate) fn set_output(&mut self, line: u64, output: String) {
        if let Some(e) = self.entries.iter_mut().rev().find(|e| e.line == line) {
            e.output = Some(output);
        }
    }

    /// Answers a `history_request` content with the `history` list of the reply.
    pub(crate) fn answer(&self, request: &Value) -> Vec<Value> {
        let output = request.get("output").and_then(Value::as_bool).unwrap_or(false);
        let int = |key: &str| request.get(key).and_then(Value::as_i64);
        let chosen: Vec<&Entry> = match request.get("hist_access_type").and_then(Value::as_str) {
            Some("tail") => {
                let n = int("n").map_or(10, |n| n.max(0) as usize);
                self.entries.iter().skip(self.entries.len().saturating_sub(n)).collect()
            }
            Some("range") => {
                // Session 0 means "this session" to Jupyter clients; other sessions are not kept.
                let session = int("session").unwrap_or(0);
                if session != 0 && session != SESSION as i64 {
                    Vec::new()
                } else {
                    let start = int("start").unwrap_or(0);
                    let stop = int("stop").filter(|s| *s > 0).unwrap_or(i64::MAX);
                    self.entries
                        .iter()
                        .filter(|e| (e.line as i64) >= start && (e.line as i64) < stop)
                        .collect()
                }
            }
            Some("search") => {
                let pattern = request.get("pattern").and_then(Value::as_str).unwrap_or("*");
                let unique = request.get("unique").and_then(Value::as_bool).unwrap_or(false);
                let mut found: Vec<&Entry> = Vec::new();
                for e in self.entries.iter().rev() {
                    if glob(pattern, &e.input) && !(unique && found.iter().any(|f| f.input == e.input)) {
                        found.push(e);
                    }
                }
                if let Some(n) = int("n").filter(|n| *n > 0) {
                    found.truncate(n as usize);
                }
                found.reverse();
                found
            }
            _ => Vec::new(),
        };
        chosen
            .into_iter()
            .map(|e| {
                if output {
                    json!([SESSION, e.line, [e.input, e.output]])
                } else {
                    json!([SESSION, e.line, e.input])
                }
            })
            .collect()
    }
}

/// Shell-style matching with `*` and `?`, as IPython's history search does.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history() -> History {
        let mut h = History::default();
        for (i, code) in ["SELECT 1", "SELECT 2", "SHOW TABLES", "SELECT 1"].iter().enumerate() {
            h.record(i as u64 + 1, code);
        }
        h.set_output(2, "2".into());
        h
    }

    #[test]
    fn tail_range_and_search() {
        let h = history();
        assert_eq!(
            h.answer(&json!({"hist_access_type": "tail", "n": 2})),
            vec![json!([1, 3, "SHOW TABLES"]), json!([1, 4, "SELECT 1"])]
        );
        assert_eq!(
            h.answer(&json!({"hist_access_type": "range", "session": 1, "start": 2, "stop": 3, "output": true})),
            vec![json!([1, 2, ["SELECT 2", "2"]])]
        );
        assert_eq!(
            h.answer(&json!({"hist_access_type": "range", "session": 7, "start": 1, "stop": 3}))
                .len(),
            0
        );
        assert_eq!(
            h.answer(&json!({"hist_access_type": "search", "pattern": "SELECT*"}))
                .len(),
            3
        );
        assert_eq!(
            h.answer(&json!({"hist_access_type": "search", "pattern": "SELECT*", "unique": true}))
                .len(),
            2
        );
        assert_eq!(
            h.answer(&json!({"hist_access_type": "search", "pattern": "SELECT*", "n": 1})),
            vec![json!([1, 4, "SELECT 1"])]
        );
    }

    #[test]
    fn glob_matches_like_a_shell() {
        assert!(glob("SEL*1", "SELECT 1"));
        assert!(glob("S?OW*", "SHOW TABLES"));
        assert!(!glob("SELECT", "SELECT 1"));
        assert!(glob("*", ""));
    }
}
