//! `%chart KIND key=value…`: the cell's last result drawn, computed by Spark over the whole
//! result (`picture/chart.rs`). What is asked is read here; the columns are checked against
//! the result later. It cannot share a cell with `%profile`.

use super::{Choices, Line, Magic, MagicError, Magics, Word, words};
use crate::render::help::Entry;

pub(crate) const MAGIC: Magic = Magic {
    name: "%chart",
    help: Entry {
        usage: "%chart KIND x=COL y=COL[,COL…] [color=COL] [agg=sum|avg|count|min|max] [bins=N]",
        what: "draws the whole result of the cell's last query, computed by Spark: KIND is bar, line, \
               area (grouped by x, agg of each y, default sum; no y counts rows), scatter (a random \
               sample when large) or histogram (x only, bins=N, default 20); quote odd names: x=\"my col\"",
        example: "%chart bar x=species y=reads agg=avg",
    },
    parse,
    conflicts,
    complete,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChartKind {
    Bar,
    Line,
    Area,
    Scatter,
    Histogram,
}

/// The kinds of chart, by name.
const KINDS: [(&str, ChartKind); 5] = [
    ("bar", ChartKind::Bar),
    ("line", ChartKind::Line),
    ("area", ChartKind::Area),
    ("scatter", ChartKind::Scatter),
    ("histogram", ChartKind::Histogram),
];

/// The keys of the options, as completion offers them.
const KEYS: [&str; 5] = ["x=", "y=", "color=", "agg=", "bins="];

/// The most bins a histogram may have.
pub(crate) const MAX_BINS: usize = 500;

impl ChartKind {
    pub(crate) fn name(self) -> &'static str {
        KINDS.iter().find(|(_, k)| *k == self).map_or("", |(name, _)| name)
    }
}

/// How bar, line and area charts combine the rows of one x value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Agg {
    Sum,
    Avg,
    Count,
    Min,
    Max,
}

impl Agg {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Agg::Sum => "sum",
            Agg::Avg => "avg",
            Agg::Count => "count",
            Agg::Min => "min",
            Agg::Max => "max",
        }
    }
}

/// What `%chart` was asked to draw; the columns are checked against the result later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChartRequest {
    pub(crate) kind: ChartKind,
    pub(crate) x: String,
    pub(crate) y: Vec<String>,
    pub(crate) color: Option<String>,
    pub(crate) agg: Agg,
    pub(crate) bins: usize,
}

fn parse(line: &Line<'_>, magics: &mut Magics) -> Result<(), MagicError> {
    let chart = chart(line.args)?;
    if magics.chart.replace(chart).is_some() {
        return Err(MAGIC.usage("it is given twice; draw one chart per cell"));
    }
    Ok(())
}

fn conflicts(magics: &Magics) -> Result<(), MagicError> {
    if magics.chart.is_some() && magics.profile {
        return Err(MAGIC.usage("%chart and %profile cannot share a cell; use one cell for each"));
    }
    Ok(())
}

fn complete(first: bool, word: &str) -> Option<Choices> {
    if first {
        Some((KINDS.iter().map(|(name, _)| *name).collect(), "chart kind"))
    } else if !word.contains('=') {
        Some((KEYS.to_vec(), "option"))
    } else {
        None
    }
}

fn kind_names() -> String {
    KINDS.iter().map(|(name, _)| *name).collect::<Vec<_>>().join(", ")
}

/// Reads `%chart KIND key=value…`.
fn chart(rest: &str) -> Result<ChartRequest, MagicError> {
    let bad = |p: String| MAGIC.usage(p);
    let words = words(rest).map_err(bad)?;
    let Some((kind, options)) = words.split_first() else {
        return Err(bad(format!("give the kind of chart: {}", kind_names())));
    };
    let kind = KINDS
        .iter()
        .find(|(name, _)| *name == kind.text)
        .map(|(_, k)| *k)
        .ok_or_else(|| {
            bad(format!(
                "there is no chart kind {}; the kinds are {}",
                kind.text,
                kind_names()
            ))
        })?;
    let (mut x, mut y, mut color, mut agg, mut bins) = (None, None, None, None, None);
    for option in options {
        let Some((key, value)) = option.split_once('=') else {
            return Err(bad(format!(
                "{} is not key=value; the keys are x, y, color, agg, bins",
                option.text
            )));
        };
        let one = |v: &Word| -> Result<String, MagicError> {
            if v.text.is_empty() || v.split(',').len() > 1 {
                Err(bad(format!("{key}= takes one column, not {:?}", v.text)))
            } else {
                Ok(v.text.clone())
            }
        };
        let twice = match key {
            "x" => x.replace(one(&value)?).is_some(),
            "color" => color.replace(one(&value)?).is_some(),
            "y" => {
                let columns: Vec<String> = value.split(',').into_iter().map(String::from).collect();
                if columns.iter().any(String::is_empty) {
                    return Err(bad(format!(
                        "y= takes columns separated by commas, not {:?}",
                        value.text
                    )));
                }
                y.replace(columns).is_some()
            }
            "agg" => agg.replace(chart_agg(&value.text)?).is_some(),
            "bins" => bins.replace(chart_bins(&value.text)?).is_some(),
            other => {
                return Err(bad(format!(
                    "there is no key {other}; the keys are x, y, color, agg, bins"
                )));
            }
        };
        if twice {
            return Err(bad(format!("{key}= is given twice")));
        }
    }
    let x = x.ok_or_else(|| bad(format!("a {} chart needs x=COL", kind.name())))?;
    check_chart(kind, y.is_some(), color.is_some(), agg, bins.is_some())?;
    // Without y, bar, line and area charts count rows.
    let agg = agg.unwrap_or(if y.is_none() { Agg::Count } else { Agg::Sum });
    Ok(ChartRequest {
        kind,
        x,
        y: y.unwrap_or_default(),
        color,
        agg,
        bins: bins.unwrap_or(20),
    })
}

/// The aggregate `agg=` names.
fn chart_agg(value: &str) -> Result<Agg, MagicError> {
    Ok(match value {
        "sum" => Agg::Sum,
        "avg" | "mean" => Agg::Avg,
        "count" => Agg::Count,
        "min" => Agg::Min,
        "max" => Agg::Max,
        other => {
            return Err(MAGIC.usage(format!("agg= is one of sum, avg, count, min, max, not {other}")));
        }
    })
}

/// The number of bins `bins=` asks for.
fn chart_bins(value: &str) -> Result<usize, MagicError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_BINS).contains(n))
        .ok_or_else(|| MAGIC.usage(format!("bins= is a whole number from 1 to {MAX_BINS}, not {value}")))
}

/// Refuses options that do not go together for `kind`.
fn check_chart(kind: ChartKind, y: bool, color: bool, agg: Option<Agg>, bins: bool) -> Result<(), MagicError> {
    let bad = |p: &str| MAGIC.usage(p);
    match kind {
        ChartKind::Histogram => {
            if y || color || agg.is_some() {
                return Err(bad(
                    "a histogram takes x= (and bins=) only; it counts the rows in each bin",
                ));
            }
        }
        _ if bins => return Err(bad("bins= is for histograms")),
        ChartKind::Scatter => {
            if !y {
                return Err(bad("a scatter chart needs y=COL"));
            }
            if agg.is_some() {
                return Err(bad(
                    "a scatter chart draws rows as they are; agg= is for bar, line and area",
                ));
            }
        }
        _ => {
            if !y && agg.is_some_and(|a| a != Agg::Count) {
                return Err(MAGIC.usage(format!("agg={} needs y=COL", agg.map_or("", Agg::name))));
            }
        }
    }
    Ok(())
}
