//! `%chart`: what Spark computes for a chart of a query's whole result. Bar, line and area
//! charts group and aggregate (bars keep the largest categories and fold the rest into
//! "other"); histograms are binned by Spark; scatter charts get a random sample taken by
//! Spark when the result is large. Every query runs over the result by name (see
//! `spark::derived`), and every description says how many rows the chart summarises and
//! how many were left out (nulls, NaN).

use serde_json::{Value, json};

use super::columns::{self, Answer, Column, Role, as_label, listed, thousands};
use super::over::Over;
use crate::data::QueryResult;
use crate::interpreter::CellError;
use crate::magic::chart::{Agg, ChartKind, ChartRequest};
use crate::render::picture::chart::{Chart, Mark};

/// The most bars a bar chart draws; the smaller categories become one "other" bar.
pub(crate) const TOP_CATEGORIES: usize = 30;
/// The most points a line or area chart draws (x values times colors).
pub(crate) const MAX_POINTS: usize = 5_000;
/// The most points a scatter chart draws; a larger result is sampled.
pub(crate) const SAMPLE: usize = 5_000;
/// The sample's seed, so that the same result gives the same chart.
const SEED: u32 = 42;

/// The columns a chart request names, checked against the result.
#[derive(Debug, Clone)]
pub(crate) struct Chosen {
    pub(crate) x: Column,
    pub(crate) y: Vec<Column>,
    pub(crate) color: Option<Column>,
}

fn wrong(problem: String) -> CellError {
    CellError::new("ChartArguments".into(), format!("%chart: {problem}"), Vec::new())
}

/// Checks the request's columns against the result: they exist, y is numeric, and x can
/// go on the chart's axis.
pub(crate) fn choose(request: &ChartRequest, columns: &[Column]) -> Result<Chosen, CellError> {
    let get = |what: &str, name: &str| {
        columns::find(columns, name).cloned().ok_or_else(|| {
            wrong(format!(
                "{what}: there is no column {name} in the result; its columns are {}",
                listed(columns)
            ))
        })
    };
    let x = get("x", &request.x)?;
    let mut y = Vec::new();
    for name in &request.y {
        let c = get("y", name)?;
        if c.role() != Role::Quantitative && request.agg != Agg::Count {
            return Err(wrong(format!(
                "y: {} is {}, not a number (agg=count counts its values); the numeric columns are {}",
                c.name,
                c.ty,
                listed(&numeric(columns))
            )));
        }
        y.push(c);
    }
    let color = request.color.as_deref().map(|n| get("color", n)).transpose()?;
    match request.kind {
        ChartKind::Histogram | ChartKind::Scatter if x.role() == Role::Nominal => Err(wrong(format!(
            "x: a {} needs a number, date or timestamp, and {} is {}; such columns are {}",
            request.kind.name(),
            x.name,
            x.ty,
            listed(
                &columns
                    .iter()
                    .filter(|c| c.role() != Role::Nominal)
                    .cloned()
                    .collect::<Vec<_>>()
            )
        ))),
        _ => Ok(Chosen { x, y, color }),
    }
}

fn numeric(columns: &[Column]) -> Vec<Column> {
    columns
        .iter()
        .filter(|c| c.role() == Role::Quantitative)
        .cloned()
        .collect()
}

/// The value of y number `i` over the grouped partials of one group or several.
fn final_agg(agg: Agg, i: Option<usize>) -> String {
    let Some(i) = i else {
        return "CAST(SUM(n) AS DOUBLE)".into();
    };
    match agg {
        Agg::Sum => format!("SUM(s{i})"),
        Agg::Count => format!("CAST(SUM(m{i}) AS DOUBLE)"),
        Agg::Avg => format!("SUM(s{i}) / SUM(m{i})"),
        Agg::Min => format!("MIN(lo{i})"),
        Agg::Max => format!("MAX(hi{i})"),
    }
}

/// The value of the first y over all the colors of one x, as a window over the grouped
/// rows: what bars are ranked by.
fn key_window(agg: Agg, i: Option<usize>) -> String {
    let over = "OVER (PARTITION BY k)";
    let Some(i) = i else {
        return format!("CAST(SUM(n) {over} AS DOUBLE)");
    };
    match agg {
        Agg::Sum => format!("SUM(s{i}) {over}"),
        Agg::Count => format!("CAST(SUM(m{i}) {over} AS DOUBLE)"),
        Agg::Avg => format!("SUM(s{i}) {over} / SUM(m{i}) {over}"),
        Agg::Min => format!("MIN(lo{i}) {over}"),
        Agg::Max => format!("MAX(hi{i}) {over}"),
    }
}

/// The one query of a bar, line or area chart: grouped by x (and color) over the whole
/// result, with the totals the description needs. Bars rank the x values by the first
/// y and fold all but the largest [`TOP_CATEGORIES`] into one "other" row (x null, `other`
/// true); lines and areas keep x's order, up to [`MAX_POINTS`] (one more to tell).
/// `bucket`, when given, replaces x's values by the start of their range (see [`bucket_key`]).
pub(crate) fn grouped_sql(kind: ChartKind, agg: Agg, chosen: &Chosen, bucket: Option<&str>) -> String {
    let x = &chosen.x;
    let key = match (bucket, x.role()) {
        (Some(b), _) => b.to_string(),
        (None, Role::Nominal) => format!("CAST({} AS STRING)", x.sql()),
        (None, Role::Quantitative) => x.number(),
        (None, Role::Date | Role::Timestamp) => x.sql(),
    };
    let color = chosen.color.as_ref().map_or("CAST(NULL AS STRING)".to_string(), |c| {
        format!("CAST({} AS STRING)", c.sql())
    });
    let mut base = vec![format!("{key} AS k"), format!("{color} AS c")];
    let mut partials = Vec::new();
    for (i, y) in chosen.y.iter().enumerate() {
        // Counting counts values of any type; the other aggregates take numbers.
        let v = if agg == Agg::Count && y.role() != Role::Quantitative {
            format!("CASE WHEN {} IS NOT NULL THEN 1D END", y.sql())
        } else {
            y.number()
        };
        base.push(format!("{v} AS v{i}"));
        partials.push(format!(
            "SUM(v{i}) AS s{i}, COUNT(v{i}) AS m{i}, MIN(v{i}) AS lo{i}, MAX(v{i}) AS hi{i}"
        ));
    }
    let ys: Vec<Option<usize>> = if chosen.y.is_empty() {
        vec![None]
    } else {
        (0..chosen.y.len()).map(Some).collect()
    };
    let finals = ys
        .iter()
        .enumerate()
        .map(|(j, i)| format!("{} AS y{j}", final_agg(agg, *i)))
        .collect::<Vec<_>>()
        .join(", ");
    let skips = (0..chosen.y.len())
        .map(|i| format!(", SUM(n) - SUM(m{i}) AS skip{i}"))
        .collect::<String>();
    let partials = partials.iter().map(|p| format!("{p}, ")).collect::<String>();
    let head = format!(
        "WITH base AS (SELECT {} FROM {}), \
         g AS (SELECT k, c, {partials}COUNT(*) AS n FROM base GROUP BY k, c)",
        base.join(", "),
        crate::spark::derived::RESULT_NAME
    );
    let label = |e: &str| as_label(e, x.role());
    if kind == ChartKind::Bar {
        let top = TOP_CATEGORIES;
        // Windows over the grouped rows, not joins: Spark reads the result once.
        format!(
            "{head}, w AS (SELECT *, SUM(n) OVER () AS total, \
             COALESCE(SUM(CASE WHEN k IS NULL THEN n END) OVER (), 0) AS nullx, {} AS key FROM g), \
             r AS (SELECT *, DENSE_RANK() OVER (ORDER BY key DESC NULLS LAST, k) AS rank FROM w WHERE k IS NOT NULL) \
             SELECT rank > {top} AS other, {} AS x, c, {finals}, SUM(n) AS n{skips}, MIN(rank) AS rank, \
             MAX(total) AS total, MAX(nullx) AS nullx, MAX(MAX(rank)) OVER () AS groups \
             FROM r GROUP BY 1, 2, 3 ORDER BY rank, c",
            key_window(agg, ys[0]),
            label(&format!("CASE WHEN rank <= {top} THEN k END")),
        )
    } else {
        format!(
            "{head}, z AS (SELECT SUM(n) AS total, COALESCE(SUM(CASE WHEN k IS NULL THEN n END), 0) AS nullx, \
             COUNT(DISTINCT k) AS groups FROM g) \
             SELECT false AS other, {} AS x, c, {finals}, SUM(n) AS n{skips}, 0 AS rank, \
             MAX(total) AS total, MAX(nullx) AS nullx, MAX(groups) AS groups \
             FROM g CROSS JOIN z WHERE k IS NOT NULL GROUP BY k, c ORDER BY k, c LIMIT {}",
            label("k"),
            MAX_POINTS + 1
        )
    }
}

/// How many ranges a line or area chart of more than [`MAX_POINTS`] numbers or times
/// groups its x values into.
pub(crate) const BUCKETS: usize = 1_000;

/// The start of the range of `width` from `lo` that x falls in, of x's own type: a line
/// or area chart of too many x values is drawn over equal ranges of x instead.
pub(crate) fn bucket_key(x: &Column, lo: f64, width: f64) -> Option<String> {
    let v = x.continuous()?;
    // The largest value starts a range of its own unless kept in the last one.
    let start = format!(
        "({0} + LEAST(FLOOR(({v} - {0}) / {1}), {2}) * {1})",
        double(lo),
        double(width),
        BUCKETS - 1
    );
    match x.role() {
        Role::Quantitative => Some(start),
        Role::Date => Some(format!("date_from_unix_date(CAST({start} AS INT))")),
        Role::Timestamp => Some(format!("timestamp_micros(CAST({start} AS BIGINT))")),
        Role::Nominal => None,
    }
}

/// A bucket width as the description says it.
fn width_text(width: f64, role: Role) -> String {
    match role {
        Role::Date => format!("{} days", crate::render::picture::profile::number(width)),
        Role::Timestamp => format!("{} s", crate::render::picture::profile::number(width / 1e6)),
        _ => crate::render::picture::profile::number(width),
    }
}

/// The counts a scatter chart's sample is taken from.
pub(crate) fn scatter_count_sql(chosen: &Chosen) -> String {
    format!(
        "SELECT COUNT(*) AS total, COUNT_IF({}) AS usable FROM {}",
        present(chosen),
        crate::spark::derived::RESULT_NAME
    )
}

/// Rows where x and every y are there (not null, not NaN).
fn present(chosen: &Chosen) -> String {
    std::iter::once(&chosen.x)
        .chain(&chosen.y)
        .map(|c| match c.role() {
            Role::Quantitative => format!("{} IS NOT NULL", c.number()),
            _ => format!("{} IS NOT NULL", c.sql()),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// A scatter chart's points: all of them, or a random sample of about [`SAMPLE`] taken by
/// Spark when there are more (`fraction` below 1).
pub(crate) fn scatter_sql(chosen: &Chosen, fraction: Option<f64>) -> String {
    let x = &chosen.x;
    let xe = match x.role() {
        Role::Quantitative => x.number(),
        role => as_label(&x.sql(), role),
    };
    let mut select = vec![format!("{xe} AS x")];
    for (i, y) in chosen.y.iter().enumerate() {
        select.push(format!("{} AS y{i}", y.number()));
    }
    if let Some(c) = &chosen.color {
        select.push(format!("CAST({} AS STRING) AS c", c.sql()));
    }
    let sample = fraction.map_or(String::new(), |f| format!(" AND rand({SEED}) < {f:?}"));
    format!(
        "SELECT {} FROM {} WHERE {}{sample} LIMIT {SAMPLE}",
        select.join(", "),
        crate::spark::derived::RESULT_NAME,
        present(chosen)
    )
}

/// A histogram's first pass: how many values, and their range.
pub(crate) fn histogram_range_sql(x: &Column) -> String {
    format!(
        "SELECT COUNT(*) AS total, COUNT(v) AS usable, MIN(v) AS lo, MAX(v) AS hi FROM (SELECT {} AS v FROM {})",
        x.continuous().unwrap_or_else(|| "CAST(NULL AS DOUBLE)".into()),
        crate::spark::derived::RESULT_NAME
    )
}

/// A double as a SQL literal, exactly.
pub(crate) fn double(v: f64) -> String {
    format!("CAST('{v:?}' AS DOUBLE)")
}

/// A histogram's second pass: the count of each bin of `width` from `lo`; the largest
/// value goes in the last bin.
pub(crate) fn histogram_sql(x: &Column, lo: f64, width: f64, bins: usize) -> String {
    format!(
        "SELECT LEAST(CAST(FLOOR((v - {}) / {}) AS INT), {}) AS b, COUNT(*) AS n \
         FROM (SELECT {} AS v FROM {}) WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1",
        double(lo),
        double(width),
        bins.saturating_sub(1),
        x.continuous().unwrap_or_else(|| "CAST(NULL AS DOUBLE)".into()),
        crate::spark::derived::RESULT_NAME
    )
}

/// The width of each of `bins` bins over `lo..=hi` (1 when all values are the same).
pub(crate) fn bin_width(lo: f64, hi: f64, bins: usize) -> f64 {
    if hi > lo { (hi - lo) / bins as f64 } else { 1.0 }
}

/// A point of a continuous axis as the chart shows it: dates and timestamps in ISO 8601.
pub(crate) fn axis_value(v: f64, role: Role) -> Value {
    match role {
        Role::Date => chrono::DateTime::from_timestamp((v * 86_400.0).round() as i64, 0)
            .map_or(Value::Null, |d| json!(d.format("%Y-%m-%d").to_string())),
        Role::Timestamp => chrono::DateTime::from_timestamp_micros(v.round() as i64)
            .map_or(Value::Null, |d| json!(d.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())),
        _ => json!(v),
    }
}

fn vega_type(role: Role) -> &'static str {
    match role {
        Role::Quantitative => "quantitative",
        Role::Date | Role::Timestamp => "temporal",
        Role::Nominal => "nominal",
    }
}

fn plural(n: u64, one: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {one}s", thousands(n))
    }
}

/// Draws the chart `request` asks for over the whole result `over` runs SQL on.
pub(crate) async fn draw(over: &mut dyn Over, request: &ChartRequest, columns: &[Column]) -> Result<Chart, CellError> {
    let chosen = choose(request, columns)?;
    match request.kind {
        ChartKind::Histogram => histogram(over, &chosen.x, request.bins).await,
        ChartKind::Scatter => scatter(over, &chosen).await,
        kind => grouped(over, kind, request.agg, &chosen).await,
    }
}

async fn grouped(over: &mut dyn Over, kind: ChartKind, agg: Agg, chosen: &Chosen) -> Result<Chart, CellError> {
    let x_role = chosen.x.role();
    let (result, bucketed) = grouped_result(over, kind, agg, chosen).await?;
    let a = Answer::new(&result);
    let names: Vec<String> = if chosen.y.is_empty() {
        vec!["count".into()]
    } else {
        chosen.y.iter().map(|y| format!("{}({})", agg.name(), y.name)).collect()
    };
    let series = chosen.color.is_some() || names.len() > 1;
    let rows = a
        .rows()
        .min(if kind == ChartKind::Bar { usize::MAX } else { MAX_POINTS });
    let points = points(&a, rows, chosen, &names, series);
    let first = |name: &str| if a.rows() > 0 { a.count(name, 0) } else { 0 };
    let facts = Facts {
        total: first("total"),
        nullx: first("nullx"),
        groups: first("groups"),
        other_rows: points.other_rows,
        skipped: &points.skipped,
        bucketed,
        cut: a.rows() > rows,
    };
    let text = describe(kind, agg, chosen, &names, &facts);
    // Bars of categories go largest first, "other" last; bars of numbers or times in
    // their own order.
    let (x_type, x_order) = match (kind, x_role) {
        (ChartKind::Bar, Role::Nominal) => ("nominal", Some(points.order)),
        (ChartKind::Bar, _) => ("ordinal", None),
        (_, role) => (vega_type(role), None),
    };
    Ok(Chart {
        mark: match kind {
            ChartKind::Line => Mark::Line,
            ChartKind::Area => Mark::Area,
            _ => Mark::Bar,
        },
        x_title: chosen.x.name.clone(),
        x_type,
        y_title: names.join(", "),
        series_title: series.then(|| chosen.color.as_ref().map_or("series".to_string(), |c| c.name.clone())),
        x_order,
        values: points.values,
        description: format!("{text}."),
    })
}

/// The grouped answer Spark gives for the chart, and, when there were too many numbers or
/// times for a line and Spark grouped them into equal ranges instead, how many distinct
/// values there were and the ranges' width.
async fn grouped_result(
    over: &mut dyn Over,
    kind: ChartKind,
    agg: Agg,
    chosen: &Chosen,
) -> Result<(QueryResult, Option<(u64, f64)>), CellError> {
    let x_role = chosen.x.role();
    let mut result = over.query(&grouped_sql(kind, agg, chosen, None)).await?;
    // Too many numbers or times for a line: Spark groups them into equal ranges instead.
    let mut bucketed = None;
    if kind != ChartKind::Bar && result.num_rows() > MAX_POINTS && x_role != Role::Nominal {
        let range = over.query(&histogram_range_sql(&chosen.x)).await?;
        let r = Answer::new(&range);
        if let (Some(lo), Some(hi)) = (r.number("lo", 0), r.number("hi", 0))
            && lo.is_finite()
            && hi.is_finite()
        {
            let mut width = bin_width(lo, hi, BUCKETS);
            if x_role == Role::Date {
                width = width.ceil().max(1.0);
            }
            if let Some(key) = bucket_key(&chosen.x, lo, width) {
                let distinct = Answer::new(&result).count("groups", 0);
                result = over.query(&grouped_sql(kind, agg, chosen, Some(&key))).await?;
                bucketed = Some((distinct, width));
            }
        }
    }
    Ok((result, bucketed))
}

/// The points of a grouped chart, read from Spark's answer.
struct Points {
    values: Vec<Value>,
    /// The x labels in the answer's order.
    order: Vec<String>,
    /// Rows counted in the bar "other".
    other_rows: u64,
    /// Per y column, the null or NaN values not counted.
    skipped: Vec<u64>,
}

fn points(a: &Answer, rows: usize, chosen: &Chosen, names: &[String], series: bool) -> Points {
    let x_role = chosen.x.role();
    let mut values = Vec::new();
    let mut order: Vec<String> = Vec::new();
    let mut other_rows = 0;
    let mut skipped = vec![0u64; chosen.y.len()];
    for r in 0..rows {
        let other = a.flag("other", r);
        let x = if other {
            json!("other")
        } else if x_role == Role::Quantitative {
            a.number("x", r).map_or(Value::Null, |v| json!(v))
        } else {
            a.text("x", r).map_or(Value::Null, Value::String)
        };
        if other {
            other_rows += a.count("n", r);
        }
        if let Some(label) = x
            .as_str()
            .map(str::to_string)
            .or_else(|| x.as_f64().map(|v| v.to_string()))
            && !order.contains(&label)
        {
            order.push(label);
        }
        let color = a.text("c", r).unwrap_or_else(|| "null".into());
        for (j, name) in names.iter().enumerate() {
            let s = match (&chosen.color, names.len()) {
                (Some(_), 1) => color.clone(),
                (Some(_), _) => format!("{color} · {name}"),
                (None, _) => name.clone(),
            };
            let mut point = json!({"x": x, "y": a.number(&format!("y{j}"), r)});
            if series {
                point["series"] = json!(s);
            }
            values.push(point);
        }
        for (i, s) in skipped.iter_mut().enumerate() {
            *s += a.count(&format!("skip{i}"), r);
        }
    }
    Points {
        values,
        order,
        other_rows,
        skipped,
    }
}

/// What the description of a grouped chart says besides its kind and columns.
struct Facts<'p> {
    total: u64,
    nullx: u64,
    groups: u64,
    other_rows: u64,
    skipped: &'p [u64],
    bucketed: Option<(u64, f64)>,
    /// Only the first points are drawn.
    cut: bool,
}

/// The chart's description in words: what it shows and what it leaves out.
fn describe(kind: ChartKind, agg: Agg, chosen: &Chosen, names: &[String], facts: &Facts<'_>) -> String {
    let x_name = &chosen.x.name;
    let mut text = format!(
        "{} chart of {} by {x_name}{}, computed by Spark over all {} of the result",
        kind.name(),
        names.join(", "),
        chosen
            .color
            .as_ref()
            .map_or(String::new(), |c| format!(" and {}", c.name)),
        plural(facts.total, "row")
    );
    let groups = facts.groups;
    if kind == ChartKind::Bar && groups > TOP_CATEGORIES as u64 {
        text.push_str(&format!(
            "; the {TOP_CATEGORIES} largest of {} {x_name} values shown, the other {} ({}) as one bar \"other\"",
            thousands(groups),
            thousands(groups - TOP_CATEGORIES as u64),
            plural(facts.other_rows, "row")
        ));
    } else if let Some((distinct, width)) = facts.bucketed {
        text.push_str(&format!(
            "; {} {x_name} values, grouped by Spark into {} ranges of {} (each point the {} over its range, \
             at the range's start)",
            thousands(distinct),
            thousands(groups),
            width_text(width, chosen.x.role()),
            agg.name()
        ));
    } else {
        text.push_str(&format!("; {} {x_name} values", thousands(groups)));
    }
    if facts.cut {
        text.push_str(&format!(
            "; only the first {MAX_POINTS} points (by {x_name}) are drawn: filter or group the query for fewer"
        ));
    }
    if facts.nullx > 0 {
        text.push_str(&format!("; {} with no {x_name} left out", plural(facts.nullx, "row")));
    }
    for (y, s) in chosen.y.iter().zip(facts.skipped) {
        if *s > 0 {
            text.push_str(&format!(
                "; {} of {} null or NaN, not counted",
                plural(*s, "value"),
                y.name
            ));
        }
    }
    text
}

async fn scatter(over: &mut dyn Over, chosen: &Chosen) -> Result<Chart, CellError> {
    let counts = over.query(&scatter_count_sql(chosen)).await?;
    let a = Answer::new(&counts);
    let (total, usable) = (a.count("total", 0), a.count("usable", 0));
    let fraction = (usable > SAMPLE as u64).then(|| (SAMPLE as f64 * 0.95 / usable as f64).min(1.0));
    let result = over.query(&scatter_sql(chosen, fraction)).await?;
    let a = Answer::new(&result);
    let role = chosen.x.role();
    let mut values = Vec::new();
    for r in 0..a.rows() {
        let x = match role {
            Role::Quantitative => a.number("x", r).map_or(Value::Null, |v| json!(v)),
            _ => a.text("x", r).map_or(Value::Null, Value::String),
        };
        for (i, y) in chosen.y.iter().enumerate() {
            let mut point = json!({"x": x, "y": a.number(&format!("y{i}"), r)});
            let series = match (&chosen.color, chosen.y.len()) {
                (Some(_), 1) => Some(a.text("c", r).unwrap_or_else(|| "null".into())),
                (Some(_), _) => Some(format!(
                    "{} · {}",
                    a.text("c", r).unwrap_or_else(|| "null".into()),
                    y.name
                )),
                (None, 1) => None,
                (None, _) => Some(y.name.clone()),
            };
            if let Some(s) = series {
                point["series"] = json!(s);
            }
            values.push(point);
        }
    }
    let ys = chosen.y.iter().map(|y| y.name.as_str()).collect::<Vec<_>>().join(", ");
    let drawn = a.rows() as u64;
    let mut text = format!(
        "scatter chart of {ys} against {}, over all {} of the result",
        chosen.x.name,
        plural(total, "row")
    );
    if fraction.is_some() {
        text.push_str(&format!(
            "; a random sample of {} of the {} rows with every value present, taken by Spark",
            thousands(drawn),
            thousands(usable)
        ));
    } else {
        text.push_str(&format!("; all {} with every value present", plural(usable, "row")));
    }
    if total > usable {
        text.push_str(&format!(
            "; {} with a null or NaN left out",
            plural(total - usable, "row")
        ));
    }
    Ok(Chart {
        mark: Mark::Point,
        x_title: chosen.x.name.clone(),
        x_type: vega_type(role),
        y_title: ys,
        series_title: (chosen.color.is_some() || chosen.y.len() > 1)
            .then(|| chosen.color.as_ref().map_or("series".into(), |c| c.name.clone())),
        x_order: None,
        values,
        description: format!("{text}."),
    })
}

async fn histogram(over: &mut dyn Over, x: &Column, bins: usize) -> Result<Chart, CellError> {
    let range = over.query(&histogram_range_sql(x)).await?;
    let a = Answer::new(&range);
    let (total, usable) = (a.count("total", 0), a.count("usable", 0));
    let (lo, hi) = (a.number("lo", 0), a.number("hi", 0));
    let mut counts = vec![0u64; bins];
    let (lo, width) = match (lo, hi) {
        (Some(lo), Some(hi)) if lo.is_finite() && hi.is_finite() => (lo, bin_width(lo, hi, bins)),
        (Some(_), Some(_)) => {
            return Err(wrong(format!(
                "x: {} has infinite values, which cannot be binned",
                x.name
            )));
        }
        _ => (0.0, 1.0),
    };
    if usable > 0 {
        let result = over.query(&histogram_sql(x, lo, width, bins)).await?;
        let a = Answer::new(&result);
        for r in 0..a.rows() {
            if let Some(b) = a.number("b", r) {
                let b = (b.max(0.0) as usize).min(bins - 1);
                counts[b] += a.count("n", r);
            }
        }
    }
    let role = x.role();
    let values = if usable == 0 {
        Vec::new()
    } else {
        counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                json!({
                    "start": axis_value(lo + width * i as f64, role),
                    "end": axis_value(lo + width * (i + 1) as f64, role),
                    "count": n,
                })
            })
            .collect()
    };
    let mut text = format!(
        "histogram of {} in {bins} bins, computed by Spark over all {} of the result",
        x.name,
        plural(total, "row")
    );
    if let (Some(first), Some(last)) = (values.first(), values.last()) {
        text.push_str(&format!("; from {} to {}", first["start"], last["end"]));
    }
    if total > usable {
        text.push_str(&format!(
            "; {} null or NaN, not counted",
            plural(total - usable, "value")
        ));
    }
    Ok(Chart {
        mark: Mark::Histogram,
        x_title: x.name.clone(),
        x_type: vega_type(role),
        y_title: "rows".into(),
        series_title: None,
        x_order: None,
        values,
        description: format!("{text}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::SqlType;

    fn col(name: &str, ty: SqlType) -> Column {
        Column { name: name.into(), ty }
    }

    fn request(kind: ChartKind, x: &str, y: &[&str]) -> ChartRequest {
        ChartRequest {
            kind,
            x: x.into(),
            y: y.iter().map(|s| s.to_string()).collect(),
            color: None,
            agg: Agg::Sum,
            bins: 20,
        }
    }

    #[test]
    fn odd_names_are_quoted_in_every_query() {
        let columns = [col("sample `id`", SqlType::String), col("größe m²", SqlType::Double)];
        let chosen = choose(&request(ChartKind::Bar, "sample `id`", &["größe m²"]), &columns).unwrap();
        let sql = grouped_sql(ChartKind::Bar, Agg::Avg, &chosen, None);
        assert!(sql.contains("CAST(`sample ``id``` AS STRING) AS k"), "{sql}");
        assert!(
            sql.contains("NULLIF(CAST(`größe m²` AS DOUBLE), CAST('NaN' AS DOUBLE)) AS v0"),
            "{sql}"
        );
        assert!(sql.contains("SUM(s0) / SUM(m0) AS y0"), "{sql}");
        assert!(sql.contains("FROM __kbase_result"));
        assert!(sql.contains("rank > 30 AS other"));
        let sql = grouped_sql(ChartKind::Line, Agg::Max, &chosen, None);
        assert!(
            sql.contains("MAX(hi0) AS y0") && sql.ends_with("ORDER BY k, c LIMIT 5001"),
            "{sql}"
        );
        let chosen = Chosen {
            x: columns[1].clone(),
            y: vec![columns[1].clone()],
            color: Some(columns[0].clone()),
        };
        let sql = scatter_sql(&chosen, Some(0.5));
        assert!(sql.contains("CAST(`sample ``id``` AS STRING) AS c"), "{sql}");
        assert!(sql.contains("rand(42) < 0.5 LIMIT 5000"), "{sql}");
        let sql = histogram_sql(&columns[1], -1.5, 0.25, 10);
        assert!(
            sql.starts_with(
                "SELECT LEAST(CAST(FLOOR((v - CAST('-1.5' AS DOUBLE)) / CAST('0.25' AS DOUBLE)) AS INT), 9) AS b"
            ),
            "{sql}"
        );
    }

    #[test]
    fn without_y_bars_count_rows() {
        let columns = [col("kind", SqlType::String)];
        let mut r = request(ChartKind::Bar, "kind", &[]);
        r.agg = Agg::Count;
        let sql = grouped_sql(ChartKind::Bar, Agg::Count, &choose(&r, &columns).unwrap(), None);
        assert!(sql.contains("CAST(SUM(n) AS DOUBLE) AS y0"), "{sql}");
    }

    #[test]
    fn wrong_columns_are_named_with_the_columns_there_are() {
        let columns = [col("name", SqlType::String), col("n", SqlType::BigInt)];
        let e = choose(&request(ChartKind::Bar, "nmae", &["n"]), &columns).unwrap_err();
        assert_eq!(
            e.evalue,
            "%chart: x: there is no column nmae in the result; its columns are name (string), n (bigint)"
        );
        let e = choose(&request(ChartKind::Bar, "n", &["name"]), &columns).unwrap_err();
        assert_eq!(
            e.evalue,
            "%chart: y: name is string, not a number (agg=count counts its values); the numeric columns are n (bigint)"
        );
        let e = choose(&request(ChartKind::Histogram, "name", &[]), &columns).unwrap_err();
        assert!(
            e.evalue
                .starts_with("%chart: x: a histogram needs a number, date or timestamp"),
            "{}",
            e.evalue
        );
        assert_eq!(e.ename, "ChartArguments");
        // Spark's names ignore case.
        assert!(choose(&request(ChartKind::Bar, "NAME", &["N"]), &columns).is_ok());
    }

    #[test]
    fn bins_and_times_on_the_axis() {
        assert_eq!(bin_width(0.0, 10.0, 4), 2.5);
        assert_eq!(bin_width(3.0, 3.0, 4), 1.0);
        assert_eq!(axis_value(19_000.0, Role::Date), json!("2022-01-08"));
        assert_eq!(
            axis_value(1_500_000.0, Role::Timestamp),
            json!("1970-01-01T00:00:01.500")
        );
        assert_eq!(double(0.1), "CAST('0.1' AS DOUBLE)");
        let day = Column {
            name: "day".into(),
            ty: crate::data::SqlType::Date,
        };
        assert_eq!(
            bucket_key(&day, 10.0, 2.0).unwrap(),
            "date_from_unix_date(CAST((CAST('10.0' AS DOUBLE) + LEAST(FLOOR((CAST(unix_date(`day`) AS DOUBLE) - \
             CAST('10.0' AS DOUBLE)) / CAST('2.0' AS DOUBLE)), 999) * CAST('2.0' AS DOUBLE)) AS INT))"
        );
    }
}
