//! The look of inspection (Shift+Tab): a heading, then either rows of name, type and
//! comment (a table's columns, a column) or a text shown whole (a function's usage,
//! arguments and examples), as text and as HTML with every value escaped.

use crate::interpreter::Bundle;
use unicode_width::UnicodeWidthStr;

/// Inline, so that JupyterLab's rule right-aligning every cell of rendered HTML does not
/// push names, types and comments away from their headings.
const LEFT: &str = "text-align:left;";

fn escape(text: &str) -> String {
    html_escape::encode_text(text).into_owned()
}

/// `heading`, then `rows` of name, type and comment aligned in columns. A row whose name
/// starts with `#` (Spark's section rows, such as `# Partition Information`) stands alone.
pub(crate) fn rows(heading: &str, rows: &[[String; 3]]) -> Bundle {
    let width = |i: usize| {
        rows.iter()
            .filter(|r| !r[0].starts_with('#'))
            .map(|r| r[i].width())
            .max()
            .unwrap_or(0)
    };
    let (name_w, type_w) = (width(0), width(1));
    let mut text = format!("{heading}\n\n");
    let mut html = format!(
        "<div><strong>{}</strong><table style=\"border-collapse:collapse;margin-top:4px\">",
        escape(heading)
    );
    for [name, type_name, comment] in rows {
        if name.starts_with('#') || (name.is_empty() && type_name.is_empty()) {
            text.push_str(&format!("{name}\n"));
            html.push_str(&format!(
                "<tr><td colspan=\"3\" style=\"padding:4px 8px 0 0;text-align:left\"><em>{}</em></td></tr>",
                escape(name)
            ));
            continue;
        }
        let line = format!(
            "{name}{}  {type_name}{}  {comment}",
            " ".repeat(name_w.saturating_sub(name.width())),
            " ".repeat(type_w.saturating_sub(type_name.width()))
        );
        text.push_str(line.trim_end());
        text.push('\n');
        html.push_str(&format!(
            "<tr><td style=\"{LEFT}padding:1px 12px 1px 0\"><code>{}</code></td>\
             <td style=\"{LEFT}padding:1px 12px 1px 0;color:var(--jp-content-font-color2)\"><code>{}</code></td>\
             <td style=\"{LEFT}padding:1px 0\">{}</td></tr>",
            escape(name),
            escape(type_name),
            escape(comment)
        ));
    }
    html.push_str("</table></div>");
    super::text_and_html(text.trim_end().to_string(), html)
}

/// `heading`, then `body` whole, line breaks and indentation kept.
pub(crate) fn text(heading: &str, body: &str) -> Bundle {
    let text = format!("{heading}\n\n{body}");
    let html = format!(
        "<div><strong>{}</strong><pre style=\"white-space:pre-wrap;margin-top:4px\">{}</pre></div>",
        escape(heading),
        escape(body)
    );
    super::text_and_html(text, html)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_align_and_escape() {
        let data = rows(
            "table t",
            &[
                ["id".into(), "bigint".into(), "".into()],
                ["name".into(), "string".into(), "<b>who</b>".into()],
                ["# Partition Information".into(), "".into(), "".into()],
            ],
        );
        assert_eq!(
            data["text/plain"],
            "table t\n\nid    bigint\nname  string  <b>who</b>\n# Partition Information"
        );
        let html = data["text/html"].as_str().unwrap();
        assert!(html.contains("&lt;b&gt;who&lt;/b&gt;") && !html.contains("<b>"));
    }

    #[test]
    fn text_is_kept_whole() {
        let body = "Usage: f(x) - ".to_string() + &"long ".repeat(40);
        let data = text("function f", &body);
        assert!(data["text/plain"].as_str().unwrap().ends_with(body.as_str()));
    }
}
