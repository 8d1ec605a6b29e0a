//! Cell magics: lines beginning with `%` at the top of a cell, read here before the SQL is
//! split into statements. Their lines are blanked (not removed) in the SQL the engine runs,
//! so byte offsets and the line numbers of error carets still count from the top of the cell.
//!
//! Each magic is defined once, in a file of its own (its name, its `%help` entry, how its
//! line is read, the magics it cannot share a cell with, how its line completes); `MAGICS`
//! lists them, and `%help`, the unknown-magic message and Tab completion read that list.

pub(crate) mod analyze;
pub(crate) mod chart;
pub(crate) mod export;
mod help;
mod limit;
mod profile;
mod sql;

use crate::interpreter::{Completion, Match};
use crate::render::help::Entry;

/// One magic: everything about it but what it changes about running a cell (the engine's).
pub(crate) struct Magic {
    /// How the magic is written, `%` included.
    pub(crate) name: &'static str,
    /// What `%help` says of it; its `usage` begins with `name`.
    pub(crate) help: Entry,
    /// Reads the magic's line into the cell's magics.
    parse: fn(&Line<'_>, &mut Magics) -> Result<(), MagicError>,
    /// Refuses the other magics of the cell it cannot go with.
    conflicts: fn(&Magics) -> Result<(), MagicError>,
    /// What the word at the cursor may become, given whether it is the line's first argument.
    complete: fn(first: bool, word: &str) -> Option<Choices>,
}

/// Words that complete a magic's argument, and what kind of thing they are.
type Choices = (Vec<&'static str>, &'static str);

impl Magic {
    /// The error for a wrong use of this magic, with its usage.
    fn usage(&self, problem: impl Into<String>) -> MagicError {
        MagicError::Usage {
            magic: self.name,
            problem: problem.into(),
            usage: self.help.usage,
        }
    }
}

/// One magic line: its arguments, and whether it is the cell's first line.
pub(crate) struct Line<'a> {
    pub(crate) args: &'a str,
    pub(crate) first: bool,
}

/// For a magic that goes with every other.
fn no_conflicts(_: &Magics) -> Result<(), MagicError> {
    Ok(())
}

/// For a magic whose arguments do not complete.
fn no_completion(_: bool, _: &str) -> Option<Choices> {
    None
}

/// The magics, in the order `%help` lists them.
pub(crate) const MAGICS: [Magic; 7] = [
    help::MAGIC,
    limit::MAGIC,
    export::MAGIC,
    chart::MAGIC,
    profile::MAGIC,
    analyze::MAGIC,
    sql::MAGIC,
];

/// What `%help` says of each magic.
pub(crate) fn help_entries() -> Vec<Entry> {
    MAGICS.iter().map(|m| m.help).collect()
}

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

/// The magics of one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Magics {
    pub(crate) help: bool,
    pub(crate) limit: Option<usize>,
    pub(crate) export: Option<export::ExportRequest>,
    pub(crate) chart: Option<chart::ChartRequest>,
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
    MAGICS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// One word of a magic's arguments, its quotes taken away; where an `=` or a `,` was typed
/// outside quotes is kept, so that a quoted one stays part of a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    pub(crate) text: String,
    /// Byte offsets in `text` of the `=` and `,` typed outside quotes.
    separators: Vec<usize>,
}

impl Word {
    /// The text before the first `sep` typed outside quotes, and the word after it.
    pub(crate) fn split_once(&self, sep: char) -> Option<(&str, Word)> {
        let at = self
            .separators
            .iter()
            .copied()
            .find(|&i| self.text[i..].starts_with(sep))?;
        let rest = Word {
            text: self.text[at + 1..].to_string(),
            separators: self
                .separators
                .iter()
                .filter(|&&i| i > at)
                .map(|i| i - at - 1)
                .collect(),
        };
        Some((&self.text[..at], rest))
    }

    /// The text cut at every `sep` typed outside quotes.
    pub(crate) fn split(&self, sep: char) -> Vec<&str> {
        let mut parts = Vec::new();
        let mut start = 0;
        for &i in &self.separators {
            if self.text[i..].starts_with(sep) {
                parts.push(&self.text[start..i]);
                start = i + 1;
            }
        }
        parts.push(&self.text[start..]);
        parts
    }
}

/// Splits a magic's arguments into words at white space. A quote (", ' or `) at the start of
/// a word or right after an `=` or `,` keeps what it encloses in one piece (a doubled quote
/// inside stands for itself), so `'out dir/x.csv'`, `x="sample id"` and `y=`a`,b` work;
/// elsewhere a quote is a plain character, as in `joe's.csv`.
pub(crate) fn words(s: &str) -> Result<Vec<Word>, String> {
    let mut out = Vec::new();
    let mut word: Option<Word> = None;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            out.extend(word.take());
            continue;
        }
        let w = word.get_or_insert_with(|| Word {
            text: String::new(),
            separators: Vec::new(),
        });
        let opens = w.text.is_empty() || w.separators.last().is_some_and(|&i| i + 1 == w.text.len());
        match c {
            '"' | '\'' | '`' if opens => loop {
                match chars.next() {
                    Some(q) if q == c && chars.peek() == Some(&c) => {
                        chars.next();
                        w.text.push(c);
                    }
                    Some(q) if q == c => break,
                    Some(q) => w.text.push(q),
                    None => return Err(format!("the quote {c} is not closed")),
                }
            },
            '=' | ',' => {
                w.separators.push(w.text.len());
                w.text.push(c);
            }
            c => w.text.push(c),
        }
    }
    out.extend(word);
    Ok(out)
}

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

/// Reads the magics at the top of `code`.
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
        let first = std::mem::replace(&mut first, false);
        let (name, args) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        let Some(magic) = MAGICS.iter().find(|m| m.name == name) else {
            return Err(MagicError::Unknown { name: name.into() });
        };
        (magic.parse)(&Line { args, first }, &mut magics)?;
    }
    // The later magics of the list are the more particular ones: they speak first.
    for magic in MAGICS.iter().rev() {
        (magic.conflicts)(&magics)?;
    }
    Ok(MagicCell { magics, sql })
}

/// Completes a magic's name or an argument of its line when the cursor (code points) is on a
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
    let name_start = line.len() - trimmed.len();
    let word_start = line.rfind(char::is_whitespace).map_or(name_start, |i| i + 1);
    let word = &line[word_start..];
    let choices = if word_start == name_start {
        Some((MAGICS.iter().map(|m| m.name).collect(), "magic"))
    } else {
        let (name, args) = trimmed.split_once(char::is_whitespace).unwrap_or((trimmed, ""));
        let first = args.trim_start().len() == word.len();
        MAGICS
            .iter()
            .find(|m| m.name == name)
            .and_then(|m| (m.complete)(first, word))
    };
    let Some((candidates, kind)) = choices else {
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
    use super::chart::{Agg, ChartKind, ChartRequest};
    use super::export::ExportRequest;
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
    fn each_magic_is_named_once_and_its_usage_begins_with_its_name() {
        for (i, m) in MAGICS.iter().enumerate() {
            assert_eq!(m.help.usage.split(' ').next(), Some(m.name));
            assert_eq!(m.help.example.split(' ').next(), Some(m.name));
            assert!(MAGICS[..i].iter().all(|o| o.name != m.name), "{}", m.name);
        }
        assert_eq!(help_entries().len(), MAGICS.len());
    }

    #[test]
    fn one_tokenizer_keeps_quoted_separators_and_plain_apostrophes() {
        let texts = |s: &str| words(s).unwrap().into_iter().map(|w| w.text).collect::<Vec<_>>();
        assert_eq!(texts(" 'out dir/x.csv'  --overwrite"), ["out dir/x.csv", "--overwrite"]);
        assert_eq!(texts("joe's.csv"), ["joe's.csv"]);
        let w = &words(r#"y="a=b",c"#).unwrap()[0];
        let (key, value) = w.split_once('=').unwrap();
        assert_eq!((key, value.split(',')), ("y", vec!["a=b", "c"]));
        assert_eq!(words("\"a b").unwrap_err(), "the quote \" is not closed");
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
            (
                "%chart hist x=a",
                "there is no chart kind hist; the kinds are bar, line, area, scatter, histogram",
            ),
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
