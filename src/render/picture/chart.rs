//! The look of a chart: a Vega-Lite v5 spec with its data inline, sized for a notebook,
//! beside a text description of what is drawn. No colours of text or background are fixed
//! by hand beyond a grey that reads on JupyterLab's light and dark themes; the background is
//! transparent, so the chart takes the notebook's.

use crate::interpreter::Bundle;
use serde_json::{Map, Value, json};

pub(crate) const VEGA_LITE_MIME: &str = "application/vnd.vegalite.v5+json";

/// What a chart draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Bar,
    Line,
    Area,
    Point,
    /// Bars from `start` to `end` of height `count`.
    Histogram,
}

/// A chart's data and labels; points are `{x, y[, series]}`, histogram bins
/// `{start, end, count}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Chart {
    pub(crate) mark: Mark,
    pub(crate) x_title: String,
    /// Vega-Lite's type of x: quantitative, temporal, nominal or ordinal.
    pub(crate) x_type: &'static str,
    pub(crate) y_title: String,
    /// The legend's title when the points come in series.
    pub(crate) series_title: Option<String>,
    /// The order of x's categories, when it is not their natural order.
    pub(crate) x_order: Option<Vec<String>>,
    pub(crate) values: Vec<Value>,
    /// What is drawn, over how many rows, and what was left out.
    pub(crate) description: String,
}

/// A grey that reads on white and on JupyterLab's dark background alike.
const INK: &str = "#888888";

/// The Vega-Lite spec of `chart`.
pub(crate) fn spec(chart: &Chart) -> Value {
    let tooltip_x = json!({"field": "x", "type": chart.x_type, "title": chart.x_title});
    let mut encoding = match chart.mark {
        Mark::Histogram => json!({
            "x": {"field": "start", "type": chart.x_type, "title": chart.x_title,
                  "bin": if chart.x_type == "quantitative" { json!({"binned": true}) } else { Value::Null }},
            "x2": {"field": "end"},
            "y": {"field": "count", "type": "quantitative", "title": chart.y_title},
            "tooltip": [
                {"field": "start", "type": chart.x_type, "title": "from"},
                {"field": "end", "type": chart.x_type, "title": "to"},
                {"field": "count", "type": "quantitative", "title": "rows"},
            ],
        }),
        _ => {
            let mut x = json!({"field": "x", "type": chart.x_type, "title": chart.x_title});
            if let Some(order) = &chart.x_order {
                x["sort"] = json!(order);
            }
            if chart.x_type == "nominal" || chart.x_type == "ordinal" {
                x["axis"] = json!({"labelAngle": -45, "labelLimit": 160});
            }
            let mut tooltip = vec![
                tooltip_x,
                json!({"field": "y", "type": "quantitative", "title": chart.y_title}),
            ];
            if let Some(title) = &chart.series_title {
                tooltip.push(json!({"field": "series", "type": "nominal", "title": title}));
            }
            json!({
                "x": x,
                // Series are drawn side by side or over each other, never stacked: a stacked
                // line would read as a total, and fill the gaps of a series with zeros.
                "y": {"field": "y", "type": "quantitative", "title": chart.y_title, "stack": null},
                "tooltip": tooltip,
            })
        }
    };
    if let (Some(title), Some(e)) = (&chart.series_title, encoding.as_object_mut()) {
        e.insert(
            "color".into(),
            json!({"field": "series", "type": "nominal", "title": title}),
        );
        if chart.mark == Mark::Bar {
            e.insert("xOffset".into(), json!({"field": "series"}));
        }
    }
    if let Some(x) = encoding.pointer_mut("/x/bin").filter(|b| b.is_null()) {
        let _ = x;
        if let Some(x) = encoding.pointer_mut("/x").and_then(Value::as_object_mut) {
            x.remove("bin");
        }
    }
    // Points and lines fit their data; bars and areas are read from zero and keep it.
    if matches!(chart.mark, Mark::Point | Mark::Line) {
        if let Some(y) = encoding.pointer_mut("/y").and_then(Value::as_object_mut) {
            y.insert("scale".into(), json!({"zero": false}));
        }
        if chart.x_type == "quantitative"
            && let Some(x) = encoding.pointer_mut("/x").and_then(Value::as_object_mut)
        {
            x.insert("scale".into(), json!({"zero": false}));
        }
    }
    let mark = match chart.mark {
        Mark::Bar => json!({"type": "bar", "tooltip": true}),
        Mark::Histogram => json!({"type": "bar", "tooltip": true, "binSpacing": 1}),
        Mark::Line => json!({"type": "line", "point": chart.values.len() <= 100, "tooltip": true}),
        Mark::Area => json!({"type": "area", "opacity": 0.6, "line": true, "tooltip": true}),
        Mark::Point => json!({"type": "point", "filled": true, "opacity": 0.6, "tooltip": true}),
    };
    json!({
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "description": chart.description,
        "title": title(&chart.description),
        "width": 560,
        "height": 300,
        "background": "transparent",
        "data": {"values": chart.values},
        "mark": mark,
        "encoding": encoding,
        "config": {
            "view": {"stroke": null},
            "axis": {"labelColor": INK, "titleColor": INK, "domainColor": INK, "tickColor": INK,
                     "gridColor": INK, "gridOpacity": 0.25},
            "legend": {"labelColor": INK, "titleColor": INK},
            "title": {"color": INK, "subtitleColor": INK, "anchor": "start", "fontSize": 12,
                      "fontWeight": "normal", "subtitleFontSize": 11, "subtitlePadding": 4},
        },
    })
}

/// Characters in one line of a chart's title, about the chart's width.
const TITLE_LINE: usize = 90;

/// `text` in lines of at most [`TITLE_LINE`] characters, broken at spaces.
fn lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > TITLE_LINE {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    out.push(line);
    out
}

/// The description inside the chart, where a reader of the notebook sees it (JupyterLab
/// shows the chart, not its text): what is drawn over how many rows as the title, what was
/// sampled, grouped or left out below it, a line each.
fn title(description: &str) -> Value {
    let mut clauses = description.split("; ");
    let head = lines(clauses.next().unwrap_or_default());
    let rest: Vec<String> = clauses.flat_map(lines).collect();
    if rest.is_empty() {
        json!({"text": head})
    } else {
        json!({"text": head, "subtitle": rest})
    }
}

/// The MIME bundle of a chart: the Vega-Lite spec and its description as text.
pub(crate) fn bundle(chart: &Chart) -> Bundle {
    let mut data = Map::new();
    data.insert(VEGA_LITE_MIME.into(), spec(chart));
    data.insert("text/plain".into(), json!(chart.description));
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(mark: Mark, series: Option<&str>) -> Chart {
        Chart {
            mark,
            x_title: "sample id".into(),
            x_type: "nominal",
            y_title: "sum(reads)".into(),
            series_title: series.map(str::to_string),
            x_order: Some(vec!["b".into(), "a".into()]),
            values: vec![json!({"x": "b", "y": 2.0}), json!({"x": "a", "y": 1.0})],
            description: "bar chart of sum(reads) by sample id".into(),
        }
    }

    #[test]
    fn a_spec_carries_its_data_and_reads_on_any_theme() {
        let b = bundle(&chart(Mark::Bar, None));
        let s = &b[VEGA_LITE_MIME];
        assert_eq!(s["$schema"], "https://vega.github.io/schema/vega-lite/v5.json");
        assert_eq!(s["data"]["values"][0], json!({"x": "b", "y": 2.0}));
        assert_eq!(s["encoding"]["x"]["sort"], json!(["b", "a"]));
        assert_eq!(s["encoding"]["x"]["title"], "sample id");
        assert_eq!(s["background"], "transparent");
        assert_eq!(s["config"]["axis"]["labelColor"], INK);
        assert_eq!(b["text/plain"], "bar chart of sum(reads) by sample id");
        let text = s.to_string();
        assert!(!text.contains("#000") && !text.contains("#fff") && !text.contains("white"));
        assert!(s["encoding"].get("color").is_none());
    }

    #[test]
    fn the_description_is_inside_the_chart_and_stays_its_text() {
        let mut c = chart(Mark::Bar, None);
        c.description = "bar chart of sum(reads) by sample id, computed by Spark over all 3,000,000 rows of \
                         the result; 42 sample id values, the 30 largest drawn, 12 folded into \"other\" (1,234 rows)."
            .into();
        let b = bundle(&c);
        let s = &b[VEGA_LITE_MIME];
        assert_eq!(
            s["title"]["text"],
            json!([
                "bar chart of sum(reads) by sample id, computed by Spark over all 3,000,000 rows of the",
                "result"
            ])
        );
        assert_eq!(
            s["title"]["subtitle"],
            json!(["42 sample id values, the 30 largest drawn, 12 folded into \"other\" (1,234 rows)."])
        );
        assert_eq!(b["text/plain"], c.description.as_str());
        assert_eq!(s["description"], c.description.as_str());
        assert_eq!(
            spec(&chart(Mark::Bar, None))["title"],
            json!({"text": ["bar chart of sum(reads) by sample id"]})
        );
    }

    #[test]
    fn points_and_lines_fit_their_data_and_bars_keep_zero() {
        let mut c = chart(Mark::Point, None);
        c.x_type = "quantitative";
        let s = spec(&c);
        assert_eq!(s["encoding"]["y"]["scale"], json!({"zero": false}));
        assert_eq!(s["encoding"]["x"]["scale"], json!({"zero": false}));
        let s = spec(&chart(Mark::Line, None));
        assert_eq!(s["encoding"]["y"]["scale"], json!({"zero": false}));
        assert!(s["encoding"]["x"].get("scale").is_none());
        for mark in [Mark::Bar, Mark::Area, Mark::Histogram] {
            let s = spec(&chart(mark, None));
            assert!(s["encoding"]["y"].get("scale").is_none(), "{mark:?}");
        }
    }

    #[test]
    fn series_get_colors_and_bars_stand_side_by_side() {
        let s = spec(&chart(Mark::Bar, Some("site")));
        assert_eq!(s["encoding"]["color"]["field"], "series");
        assert_eq!(s["encoding"]["color"]["title"], "site");
        assert_eq!(s["encoding"]["xOffset"]["field"], "series");
        let s = spec(&chart(Mark::Area, Some("site")));
        assert!(s["encoding"].get("xOffset").is_none());
        assert_eq!(s["encoding"]["y"]["stack"], Value::Null);
        assert_eq!(
            spec(&chart(Mark::Line, Some("site")))["encoding"]["y"]["stack"],
            Value::Null
        );
    }

    #[test]
    fn histograms_draw_bins_from_start_to_end() {
        let mut c = chart(Mark::Histogram, None);
        c.x_type = "quantitative";
        let s = spec(&c);
        assert_eq!(s["encoding"]["x"]["field"], "start");
        assert_eq!(s["encoding"]["x"]["bin"], json!({"binned": true}));
        assert_eq!(s["encoding"]["x2"]["field"], "end");
        c.x_type = "temporal";
        assert!(spec(&c)["encoding"]["x"].get("bin").is_none());
    }
}
