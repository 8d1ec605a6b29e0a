//! The look of a finished export: where the file is, its size and its row count, shown
//! above the first rows of the result.

use serde_json::{Map, Value};

use super::progress::bytes;

pub(crate) fn bundle(path: &str, rows: u64, size: u64) -> Map<String, Value> {
    let rows = match rows {
        1 => "1 row".to_string(),
        n => format!("{} rows", crate::engine::columns::thousands(n)),
    };
    let size = bytes(i64::try_from(size).unwrap_or(i64::MAX));
    let text = format!("exported {rows} ({size}) to {path}");
    let html = format!(
        "<div style=\"font-size:var(--jp-ui-font-size1)\">exported {} ({}) to <code>{}</code></div>",
        html_escape::encode_text(&rows),
        html_escape::encode_text(&size),
        html_escape::encode_text(path)
    );
    super::text_and_html(text, html)
}
