//! Cell magics: lines beginning with `%` at the top of a cell, read here before the SQL is
//! split into statements. Their lines are blanked (not removed) in the SQL the engine runs,
//! so byte offsets and the line numbers of error carets still count from the top of the cell.

use super::assist::{Completion, Match};
use crate::render::help::Entry;

/// The magics, with what `%help` says of each.
pub(crate) const MAGICS: [Entry; 4] = [
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

/// The magics of one cell.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Magics {
    pub(crate) help: bool,
    pub(crate) limit: Option<usize>,
    pub(crate) export: Option<ExportRequest>,
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
            other => {
                return Err(MagicError::Unknown { name: other.into() });
            }
        }
    }
    Ok(MagicCell { magics, sql })
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
            "there is no magic %lmit; the magics are %help, %limit, %export, %%sql. %help says more."
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
        assert_eq!(texts(&c), ["%help", "%limit", "%export", "%%sql"]);
        let c = complete("%%sql\n%export x.parquet --o", 26).unwrap();
        assert_eq!((texts(&c), c.start), (vec!["--overwrite".to_string()], 24));
        assert!(complete("SELECT 1\n%li", 12).is_none());
        assert!(complete("SELECT sel", 10).is_none());
    }
}
