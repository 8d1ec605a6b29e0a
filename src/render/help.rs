//! The look of `%help`: the magics and the settings, each with what it does and an example,
//! as a small table in HTML and in text.

use crate::interpreter::Bundle;
use serde_json::{Map, json};

/// One line of the help: how to write it, what it does, an example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Entry {
    pub(crate) usage: &'static str,
    pub(crate) what: &'static str,
    pub(crate) example: &'static str,
}

/// The bundle of the help, in titled sections.
pub(crate) fn bundle(sections: &[(&str, &[Entry])]) -> Bundle {
    let mut text = String::new();
    let mut html = String::from("<div style=\"font-size:var(--jp-ui-font-size1)\">");
    for (title, entries) in sections {
        text.push_str(&format!("{title}\n"));
        html.push_str(&format!("<b>{}</b><table>", html_escape::encode_text(title)));
        for e in *entries {
            text.push_str(&format!("  {}\n      {}\n      e.g. {}\n", e.usage, e.what, e.example));
            html.push_str(&format!(
                "<tr><td style=\"text-align:left;vertical-align:top\"><code>{}</code></td>\
                 <td style=\"text-align:left\">{}<br>e.g. <code>{}</code></td></tr>",
                html_escape::encode_text(e.usage),
                html_escape::encode_text(e.what),
                html_escape::encode_text(e.example)
            ));
        }
        html.push_str("</table>");
    }
    html.push_str("</div>");
    let mut data = Map::new();
    data.insert("text/plain".into(), json!(text.trim_end()));
    data.insert("text/html".into(), json!(html));
    data
}
