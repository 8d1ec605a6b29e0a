//! Cell magics: lines beginning with `%` at the top of a cell, read here before the SQL is
//! split into statements. Their lines are blanked (not removed) in the SQL the engine runs,
//! so byte offsets and the line numbers of error carets still count from the top of the cell.

pub(crate) mod analyze;

use crate::interpreter::{Completion, Match};
use crate::render::help::Entry;

/// The magics, with what `%help` says of each.
pub(crate) const MAGICS: [Entry; 7] = [
    Entry {
        usage: "%help",
        what: "lists the magics and the settings, with an example each",
        example: "%help",
    },
    Entry {
        usage: "%limit N",
        what: "shows up to N rows of each result of this cell (instead of KBASE_SPARK_MAX_ROWS)",
        example: "%limit 5000",
    },
    Entry {
        usage: "%export PATH [--overwrite]",
        what: "writes the whole result of the cell's last query to PATH (relative to the kernel's \
               working directory); the format follows the extension: .parquet, .csv, .arrow, .jsonl",
        example: "%export results/genomes.parquet",
    },
    Entry {
        usage: "%chart KIND x=COL y=COL[,COL…] [color=COL] [agg=sum|avg|count|min|max] [bins=N]",
        what: "draws the whole result of the cell's last query, computed by Spark: KIND is bar, line, \
               area (grouped by x, agg of each y, default sum; no y counts rows), scatter (a random \
               sample when large) or histogram (x only, bins=N, default 20); quote odd names: x=\"my col\"",
        example: "%chart bar x=species y=reads agg=avg",
    },
    Entry {
        usage: "%profile",
        what: "a per-column summary of the whole result of the cell's last query, computed by Spark: \
               type, count, nulls, distinct (approximate), min, max, mean, stddev, quartiles, \
               most frequent values, small histograms",
        example: "%profile",
    },
    analyze::ENTRY,
    Entry {
        usage: "%%sql",
        what: "accepted as a cell's first line and ignored, as in other SQL kernels",
        example: "%%sql",
    },
];

/// The settings, with what `%help` says of each.
pub(crate) const SETTINGS: [Entry; 4] = [
    Entry {
        usage: "KBASE_SPARK_MAX_ROWS",
        what: "rows shown per result before it is cut (environment of the kernel; default 1000)",
        example: "KBASE_SPARK_MAX_ROWS=200",
    },
    Entry {
        usage: "KBASE_SPARK_CONF",
        what: "Spark settings applied when the session starts, a JSON object of strings",
        example: r#"KBASE_SPARK_CONF={"spark.sql.session.timeZone": "UTC"}"#,
    },
    Entry {
        usage: "SET key = value",
        what: "changes a Spark setting for the rest of the session",
        example: "SET spark.sql.ansi.enabled = true",
    },
    Entry {
        usage: "DECLARE VARIABLE name = value",
        what: "a session variable, usable by name in later cells (and a papermill parameter)",
        example: "DECLARE OR REPLACE VARIABLE min_reads = 100",
    },
];

/// The most rows `%limit` may ask to show; a notebook holds no more than a few MB per cell
/// anyway (larger results are cut by size).
pub(crate) const MAX_LIMIT: usize = 1_000_000;

const EXPORT_OPTIONS: [&str; 1] = ["--overwrite"];

/// What `%export` was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ExportRequest {
    pub(crate) path: String,
    pub(crate) overwrite: bool,
}

/// The kinds of chart `%chart` draws.
pub(crate) const CHART_KINDS: [&str; 5] = ["bar", "line", "area", "scatter", "histogram"];
const CHART_KEYS: [&str; 5] = ["x=", "y=", "color=", "agg=", "bins="];
/// The most bins a histogram may have.
pub(crate) const MAX_BINS: usize = 500;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChartKind {
    Bar,
    Line,
    Area,
    Scatter,
    Histogram,
}

impl ChartKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ChartKind::Bar => "bar",
            ChartKind::Line => "line",
            ChartKind::Area => "area",
            ChartKind::Scatter => "scatter",
            ChartKind::Histogram => "histogram",
        }
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

/// The magics of one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Magics {
    pub(crate) help: bool,
    pub(crate) limit: Option<usize>,
    pub(crate) export: Option<ExportRequest>,
    pub(crate) chart: Option<ChartRequest>,
    pub(crate) profile: bool,
    pub(crate) analyze: bool,
}

impl Magics {
    /// True when the cell's last statement is drawn (a chart or a profile), not shown.
    pub(crate) fn picture(&self) -> bool {
        self.chart.is_some() || self.profile
    }
}

/// A cell with its magics read: the magics and the SQL, magic lines blanked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MagicCell {
    pub(crate) magics: Magics,
    pub(crate) sql: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum MagicError {
    #[error("there is no magic {name}; the magics are {}. %help says more.", known())]
    Unknown { name: String },
    #[error("{magic}: {problem}. Usage: {usage}")]
    Usage {
        magic: &'static str,
        problem: String,
        usage: &'static str,
    },
}

impl MagicError {
    pub(crate) fn name(&self) -> String {
        match self {
            MagicError::Unknown { .. } => "UnknownMagic".into(),
            MagicError::Usage { .. } => "MagicUsage".into(),
        }
    }
}

fn known() -> String {
    MAGICS
        .iter()
        .map(|m| m.example.split(' ').next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(", ")
}

fn usage(magic: &'static str, problem: impl Into<String>) -> MagicError {
    let usage = MAGICS
        .iter()
        .find(|m| m.usage.split(' ').next() == Some(magic))
        .map_or("", |m| m.usage);
    MagicError::Usage {
        magic,
        problem: problem.into(),
        usage,
    }
}

/// Splits a magic's arguments at white space; single or double quotes keep a path with
/// spaces in one piece.
fn arguments(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = s.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        let Some(first) = chars.next() else {
            return Ok(out);
        };
        let mut word = String::new();
        if first == '"' || first == '\'' {
            loop {
                match chars.next() {
                    Some(c) if c == first => break,
                    Some(c) => word.push(c),
                    None => return Err(format!("the quote {first} is not closed")),
                }
            }
        } else {
            word.push(first);
            while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
                word.push(c);
            }
        }
        out.push(word);
    }
}

/// Reads the magics at the top of `code`.
/// The cell with its magic lines blanked (same bytes, same lines), valid magics or not: what
/// typing help reads, so that `%…` lines are not taken for SQL.
pub(crate) fn blanked(code: &str) -> String {
    let mut sql = String::with_capacity(code.len());
    let mut in_magics = true;
    for line in code.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim();
        in_magics = in_magics && (trimmed.is_empty() || trimmed.starts_with('%'));
        if in_magics {
            sql.extend(body.bytes().map(|_| ' '));
            sql.push_str(&line[body.len()..]);
        } else {
            sql.push_str(line);
        }
    }
    sql
}

pub(crate) fn parse(code: &str) -> Result<MagicCell, MagicError> {
    let mut magics = Magics::default();
    // Magic lines are blanked, not removed: same length, so offsets and line numbers stay put.
    let sql = blanked(code);
    let mut first = true;
    for line in code.lines() {
        let trimmed = line.trim();
        if !(trimmed.is_empty() || trimmed.starts_with('%')) {
            break;
        }
        if trimmed.is_empty() {
            continue;
        }
        let was_first = std::mem::replace(&mut first, false);
        let (name, rest) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        match name {
            "%%sql" if was_first => {}
            "%%sql" => return Err(usage("%%sql", "it must be the cell's first line")),
            "%help" => magics.help = true,
            "%limit" => {
                let args = arguments(rest).map_err(|p| usage("%limit", p))?;
                let [n] = &args[..] else {
                    return Err(usage("%limit", "give one number of rows"));
                };
                let n = n
                    .replace('_', "")
                    .parse::<usize>()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        usage(
                            "%limit",
                            format!("N must be a whole number from 1 to {MAX_LIMIT}, not {n}"),
                        )
                    })?;
                if magics.limit.replace(n).is_some() {
                    return Err(usage("%limit", "it is given twice"));
                }
            }
            "%export" => {
                let args = arguments(rest).map_err(|p| usage("%export", p))?;
                let mut path = None;
                let mut overwrite = false;
                for a in args {
                    if a == "--overwrite" {
                        overwrite = true;
                    } else if a.starts_with("--") {
                        return Err(usage("%export", format!("unknown option {a}")));
                    } else if path.replace(a).is_some() {
                        return Err(usage("%export", "give one path (quote a path with spaces)"));
                    }
                }
                let path = path.ok_or_else(|| usage("%export", "give the path of the file to write"))?;
                if magics.export.replace(ExportRequest { path, overwrite }).is_some() {
                    return Err(usage("%export", "it is given twice; export to one file per cell"));
                }
            }
            "%chart" => {
                let chart = chart(rest)?;
                if magics.chart.replace(chart).is_some() {
                    return Err(usage("%chart", "it is given twice; draw one chart per cell"));
                }
            }
            "%profile" => {
                if !rest.trim().is_empty() {
                    return Err(usage("%profile", format!("it takes no arguments, not {}", rest.trim())));
                }
                magics.profile = true;
            }
            "%analyze" => analyze::parse(rest, &mut magics)?,
            other => {
                return Err(MagicError::Unknown { name: other.into() });
            }
        }
    }
    analyze::conflict(&magics)?;
    if magics.chart.is_some() && magics.profile {
        return Err(usage(
            "%chart",
            "%chart and %profile cannot share a cell; use one cell for each",
        ));
    }
    if magics.picture() && magics.export.is_some() {
        return Err(usage(
            "%export",
            "it cannot share a cell with %chart or %profile; use one cell for each",
        ));
    }
    Ok(MagicCell { magics, sql })
}

/// Splits `%chart`'s arguments into words; quotes (", ' or `, doubled inside to stand for
/// themselves) may appear anywhere in a word, so `x="sample id"` and `y=`a`,b` work. An
/// unquoted `=` or `,` comes back as `\u{1}` and `\u{2}`, so that a quoted one stays data.
fn chart_words(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut word: Option<String> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' | '\'' | '`' => {
                let w = word.get_or_insert_with(String::new);
                loop {
                    match chars.next() {
                        Some(q) if q == c && chars.peek() == Some(&c) => {
                            chars.next();
                            w.push(c);
                        }
                        Some(q) if q == c => break,
                        Some(q) => w.push(q),
                        None => return Err(format!("the quote {c} is not closed")),
                    }
                }
            }
            c if c.is_whitespace() => out.extend(word.take()),
            '=' => word.get_or_insert_with(String::new).push('\u{1}'),
            ',' => word.get_or_insert_with(String::new).push('\u{2}'),
            c => word.get_or_insert_with(String::new).push(c),
        }
    }
    out.extend(word);
    Ok(out)
}

/// Reads `%chart KIND key=value…`.
fn chart(rest: &str) -> Result<ChartRequest, MagicError> {
    let bad = |p: String| usage("%chart", p);
    let words = chart_words(rest).map_err(bad)?;
    let Some((kind, options)) = words.split_first() else {
        return Err(bad(format!("give the kind of chart: {}", CHART_KINDS.join(", "))));
    };
    let kind = chart_kind(kind)?;
    let (mut x, mut y, mut color, mut agg, mut bins) = (None, None, None, None, None);
    for option in options {
        let Some((key, value)) = option.split_once('\u{1}') else {
            return Err(bad(format!(
                "{} is not key=value; the keys are x, y, color, agg, bins",
                option.replace('\u{2}', ",")
            )));
        };
        let text = decoded;
        let one = |v: &str| -> Result<String, MagicError> {
            if v.is_empty() || v.contains('\u{2}') {
                Err(bad(format!("{key}= takes one column, not {:?}", text(v))))
            } else {
                Ok(text(v))
            }
        };
        let twice = match key {
            "x" => x.replace(one(value)?).is_some(),
            "color" => color.replace(one(value)?).is_some(),
            "y" => {
                let columns: Vec<String> = value.split('\u{2}').map(text).collect();
                if columns.iter().any(String::is_empty) {
                    return Err(bad(format!(
                        "y= takes columns separated by commas, not {:?}",
                        text(value)
                    )));
                }
                y.replace(columns).is_some()
            }
            "agg" => agg.replace(chart_agg(value)?).is_some(),
            "bins" => bins.replace(chart_bins(value)?).is_some(),
            other => {
                return Err(bad(format!(
                    "there is no key {}; the keys are x, y, color, agg, bins",
                    text(other)
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

/// The chart kind a word names (`hist` is short for `histogram`).
fn chart_kind(word: &str) -> Result<ChartKind, MagicError> {
    Ok(match word {
        "bar" => ChartKind::Bar,
        "line" => ChartKind::Line,
        "area" => ChartKind::Area,
        "scatter" => ChartKind::Scatter,
        "histogram" | "hist" => ChartKind::Histogram,
        other => {
            return Err(usage(
                "%chart",
                format!(
                    "there is no chart kind {}; the kinds are {}",
                    decoded(other),
                    CHART_KINDS.join(", ")
                ),
            ));
        }
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
            return Err(usage(
                "%chart",
                format!("agg= is one of sum, avg, count, min, max, not {}", decoded(other)),
            ));
        }
    })
}

/// The number of bins `bins=` asks for.
fn chart_bins(value: &str) -> Result<usize, MagicError> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=MAX_BINS).contains(n))
        .ok_or_else(|| {
            usage(
                "%chart",
                format!("bins= is a whole number from 1 to {MAX_BINS}, not {}", decoded(value)),
            )
        })
}

/// An option's text as typed, its `=` and `,` marks turned back into themselves.
fn decoded(v: &str) -> String {
    v.replace('\u{1}', "=").replace('\u{2}', ",")
}

/// Refuses options that do not go together for `kind`.
fn check_chart(kind: ChartKind, y: bool, color: bool, agg: Option<Agg>, bins: bool) -> Result<(), MagicError> {
    let bad = |p: String| usage("%chart", p);
    match kind {
        ChartKind::Histogram => {
            if y || color || agg.is_some() {
                return Err(bad(
                    "a histogram takes x= (and bins=) only; it counts the rows in each bin".into(),
                ));
            }
        }
        _ if bins => return Err(bad("bins= is for histograms".into())),
        ChartKind::Scatter => {
            if !y {
                return Err(bad("a scatter chart needs y=COL".into()));
            }
            if agg.is_some() {
                return Err(bad(
                    "a scatter chart draws rows as they are; agg= is for bar, line and area".into(),
                ));
            }
        }
        _ => {
            if !y && agg.is_some_and(|a| a != Agg::Count) {
                return Err(bad(format!("agg={} needs y=COL", agg.map_or("", Agg::name))));
            }
        }
    }
    Ok(())
}

/// Completes a magic's name or an option of `%export` when the cursor (code points) is on a
/// magic line at the top of the cell; `None` elsewhere, for SQL completion to answer.
pub(crate) fn complete(code: &str, cursor: usize) -> Option<Completion> {
    let before: String = code.chars().take(cursor).collect();
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let earlier = &before[..line_start];
    if !earlier
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('%'))
    {
        return None;
    }
    let line = &before[line_start..];
    let trimmed = line.trim_start();
    if !trimmed.starts_with('%') {
        return None;
    }
    let word_start = line
        .rfind(char::is_whitespace)
        .map_or(line.len() - trimmed.len(), |i| i + 1);
    let word = &line[word_start..];
    let (candidates, kind): (Vec<&str>, &str) = if word_start == line.len() - trimmed.len() {
        (
            MAGICS.iter().filter_map(|m| m.usage.split(' ').next()).collect(),
            "magic",
        )
    } else if trimmed.starts_with("%export") && word.starts_with('-') {
        (EXPORT_OPTIONS.to_vec(), "option")
    } else if let Some(args) = trimmed.strip_prefix("%chart ") {
        if args.trim_start().len() == word.len() {
            (CHART_KINDS.to_vec(), "chart kind")
        } else if !word.contains('=') {
            (CHART_KEYS.to_vec(), "option")
        } else {
            return Some(Completion {
                matches: Vec::new(),
                start: cursor,
                end: cursor,
            });
        }
    } else {
        return Some(Completion {
            matches: Vec::new(),
            start: cursor,
            end: cursor,
        });
    };
    let start = before[..line_start + word_start].chars().count();
    Some(Completion {
        matches: candidates
            .into_iter()
            .filter(|c| c.starts_with(word))
            .map(|c| Match {
                text: c.to_string(),
                kind: kind.to_string(),
            })
            .collect(),
        start,
        end: cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_lines_are_blanked_so_lines_still_count_from_the_top() {
        let code = "%%sql\n%limit 5\n\n%export 'out dir/x.csv' --overwrite\nSELECT 1;\n%not_a_magic";
        let cell = parse(code).unwrap();
        assert_eq!(cell.magics.limit, Some(5));
        assert_eq!(
            cell.magics.export,
            Some(ExportRequest {
                path: "out dir/x.csv".into(),
                overwrite: true
            })
        );
        assert_eq!(cell.sql.len(), code.len());
        assert_eq!(cell.sql.lines().nth(4), Some("SELECT 1;"));
        assert!(cell.sql.lines().take(4).all(|l| l.trim().is_empty()));
        // A `%` line after the SQL began is SQL.
        assert!(cell.sql.ends_with("%not_a_magic"));
    }

    #[test]
    fn a_cell_without_magics_is_unchanged() {
        let code = "SELECT 10 % 3\n% 2";
        assert_eq!(parse(code).unwrap().sql, code);
        assert_eq!(parse(code).unwrap().magics, Magics::default());
    }

    #[test]
    fn unknown_magics_name_the_known_ones() {
        let e = parse("%lmit 5\nSELECT 1").unwrap_err();
        assert_eq!(e.name(), "UnknownMagic");
        assert_eq!(
            e.to_string(),
            "there is no magic %lmit; the magics are %help, %limit, %export, %chart, %profile, %analyze, %%sql. %help says more."
        );
        assert_eq!(parse("%%bash\nls").unwrap_err().name(), "UnknownMagic");
    }

    #[test]
    fn wrong_arguments_say_what_is_wrong_in_one_line() {
        let cases = [
            ("%limit", "%limit: give one number of rows. Usage: %limit N"),
            (
                "%limit ten",
                "%limit: N must be a whole number from 1 to 1000000, not ten. Usage: %limit N",
            ),
            (
                "%limit 0",
                "%limit: N must be a whole number from 1 to 1000000, not 0. Usage: %limit N",
            ),
            (
                "%export",
                "%export: give the path of the file to write. Usage: %export PATH [--overwrite]",
            ),
            (
                "%export a.csv --force",
                "%export: unknown option --force. Usage: %export PATH [--overwrite]",
            ),
            (
                "%export 'a.csv",
                "%export: the quote ' is not closed. Usage: %export PATH [--overwrite]",
            ),
            ("SELECT 1", ""),
            ("%help\n%%sql", "%%sql: it must be the cell's first line. Usage: %%sql"),
        ];
        for (code, message) in cases {
            let got = parse(code).err().map(|e| e.to_string()).unwrap_or_default();
            assert_eq!(got, message, "{code}");
            assert!(!got.contains('\n'));
        }
        assert_eq!(parse("%limit 10_000").unwrap().magics.limit, Some(10_000));
    }

    #[test]
    fn tab_completes_magic_names_and_options() {
        let texts = |c: &Completion| c.matches.iter().map(|m| m.text.clone()).collect::<Vec<_>>();
        let c = complete("%li", 3).unwrap();
        assert_eq!((texts(&c), c.start, c.end), (vec!["%limit".to_string()], 0, 3));
        assert_eq!(c.matches[0].kind, "magic");
        let c = complete("%", 1).unwrap();
        assert_eq!(
            texts(&c),
            ["%help", "%limit", "%export", "%chart", "%profile", "%analyze", "%%sql"]
        );
        let c = complete("%chart hi", 9).unwrap();
        assert_eq!((texts(&c), c.start), (vec!["histogram".to_string()], 7));
        let c = complete("%chart bar co", 13).unwrap();
        assert_eq!(texts(&c), ["color="]);
        let c = complete("%%sql\n%export x.parquet --o", 26).unwrap();
        assert_eq!((texts(&c), c.start), (vec!["--overwrite".to_string()], 24));
        assert!(complete("SELECT 1\n%li", 12).is_none());
        assert!(complete("SELECT sel", 10).is_none());
    }

    fn chart_of(line: &str) -> ChartRequest {
        parse(&format!("{line}\nSELECT 1")).unwrap().magics.chart.unwrap()
    }

    #[test]
    fn chart_arguments_take_quoted_odd_names() {
        let c = chart_of(r#"%chart bar x="sample id" y=`a``b`,'c,d',e agg=avg color=größe"#);
        assert_eq!(c.kind, ChartKind::Bar);
        assert_eq!(c.x, "sample id");
        assert_eq!(c.y, ["a`b", "c,d", "e"]);
        assert_eq!(c.color.as_deref(), Some("größe"));
        assert_eq!(c.agg, Agg::Avg);
        let c = chart_of("%chart histogram x=len bins=7");
        assert_eq!((c.kind, c.x.as_str(), c.bins), (ChartKind::Histogram, "len", 7));
        // Without y, a bar chart counts rows.
        let c = chart_of("%chart bar x=kind");
        assert_eq!((c.agg, c.y.len()), (Agg::Count, 0));
        assert_eq!(chart_of("%chart line x=t y=v").agg, Agg::Sum);
        assert_eq!(chart_of(r#"%chart bar x="a=b" y=v"#).x, "a=b");
        assert!(parse("%profile\nSELECT 1").unwrap().magics.profile);
    }

    #[test]
    fn wrong_chart_arguments_say_what_is_wrong_in_one_line() {
        let usage = "Usage: %chart KIND x=COL y=COL[,COL…] [color=COL] [agg=sum|avg|count|min|max] [bins=N]";
        let cases = [
            ("%chart", "give the kind of chart: bar, line, area, scatter, histogram"),
            (
                "%chart pie x=a",
                "there is no chart kind pie; the kinds are bar, line, area, scatter, histogram",
            ),
            ("%chart histogram", "a histogram chart needs x=COL"),
            ("%chart bar y=a", "a bar chart needs x=COL"),
            (
                "%chart histogram x=a y=b",
                "a histogram takes x= (and bins=) only; it counts the rows in each bin",
            ),
            ("%chart bar x=a bins=3", "bins= is for histograms"),
            (
                "%chart histogram x=a bins=0",
                "bins= is a whole number from 1 to 500, not 0",
            ),
            (
                "%chart bar x=a agg=median",
                "agg= is one of sum, avg, count, min, max, not median",
            ),
            ("%chart bar x=a agg=avg", "agg=avg needs y=COL"),
            ("%chart scatter x=a", "a scatter chart needs y=COL"),
            ("%chart bar x=a x=b", "x= is given twice"),
            ("%chart bar x=a,b", "x= takes one column, not \"a,b\""),
            (
                "%chart bar x=a size=3",
                "there is no key size; the keys are x, y, color, agg, bins",
            ),
            (
                "%chart bar a",
                "a is not key=value; the keys are x, y, color, agg, bins",
            ),
            ("%chart bar x='a", "the quote ' is not closed"),
        ];
        for (line, problem) in cases {
            let got = parse(&format!("{line}\nSELECT 1")).unwrap_err().to_string();
            assert_eq!(got, format!("%chart: {problem}. {usage}"), "{line}");
            assert!(!got.contains('\n'));
        }
        assert_eq!(
            parse("%profile now\nSELECT 1").unwrap_err().to_string(),
            "%profile: it takes no arguments, not now. Usage: %profile"
        );
        assert!(parse("%chart bar x=a\n%profile\nSELECT 1").is_err());
        assert!(parse("%chart bar x=a\n%export a.csv\nSELECT 1").is_err());
    }
}
