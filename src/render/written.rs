//! The look of a finished export: where the file is, its size and its row count, shown
//! above the first rows of the result.

use super::progress::bytes;
use crate::interpreter::Bundle;

pub(crate) fn bundle(path: &str, rows: u64, size: u64) -> Bundle {
    let rows = match rows {
        1 => "1 row".to_string(),
        n => format!("{} rows", crate::picture::columns::thousands(n)),
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
