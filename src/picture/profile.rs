//! `%profile`: a per-column summary of a query's whole result, computed by Spark in three
//! passes at most, each one query over the result, shaped so that Spark runs it fast:
//! 1. the figures Spark computes in compiled code (whole-stage code generation): counts,
//!    nulls and NaN, the range of numbers and times, mean and deviation, text lengths;
//! 2. the sketches, which Spark runs interpreted (an object hash aggregate): approximate
//!    distinct counts and quartiles, and the range of texts (a text's minimum keeps a text,
//!    which compiled aggregation cannot);
//! 3. one grouping: each row exploded into one (column, key) pair per text or boolean
//!    column (its value) and per binned column (its bin, once the first pass has given the
//!    ranges), so the most frequent values and every histogram come from one scan.
//!
//! Measured on 3 million rows: one aggregation with the figures and the sketches together
//! runs all of them interpreted and takes four times as long as the first two passes apart;
//! a separate pass for the histograms costs a scan of the result more than its bins do in
//! the grouping.
use super::columns::{Answer, Column, Role};
use super::over::Over;
use crate::data::SqlType;
use crate::interpreter::CellError;
use crate::render::picture::profile::{ColumnProfile, Profile};
use crate::spark::derived::RESULT_NAME;

/// Bins of a profile's histograms.
pub(crate) const BINS: usize = 10;
/// Most frequent values shown per text column.
pub(crate) const TOP: usize = 5;
/// The quartiles' accuracy (Spark's `approx_percentile`): a rank error of 1/1000.
pub(crate) const ACCURACY: u32 = 1000;

/// What the profile computes of a column, by its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Number,
    Time,
    Text,
    Boolean,
    /// Binary, arrays, maps, structs…: counted only.
    Other,
}

fn kind(c: &Column) -> Kind {
    match (c.role(), &c.ty) {
        (Role::Quantitative, _) => Kind::Number,
        (Role::Date | Role::Timestamp, _) => Kind::Time,
        (_, SqlType::String | SqlType::CollatedString(_) | SqlType::Char(_) | SqlType::VarChar(_)) => Kind::Text,
        (_, SqlType::Boolean) => Kind::Boolean,
        _ => Kind::Other,
    }
}

fn is_float(c: &Column) -> bool {
    matches!(c.ty, SqlType::Float | SqlType::Double)
}

/// The first pass: every column's figures that compiled aggregation computes.
pub(crate) fn figures_sql(columns: &[Column]) -> String {
    let mut select = vec!["COUNT(*) AS total".to_string()];
    for (i, c) in columns.iter().enumerate() {
        let q = c.sql();
        let k = kind(c);
        select.push(format!("COUNT({q}) AS n{i}"));
        if is_float(c) {
            select.push(format!("COUNT_IF(isnan({q})) AS nan{i}"));
        }
        if !matches!(k, Kind::Other | Kind::Text) {
            let v = if is_float(c) { c.number() } else { q.clone() };
            select.push(format!("{} AS min{i}", as_text(c, format!("MIN({v})"))));
            select.push(format!("{} AS max{i}", as_text(c, format!("MAX({v})"))));
        }
        if k == Kind::Number {
            let v = c.number();
            select.push(format!("AVG({v}) AS mean{i}, STDDEV({v}) AS sd{i}"));
        }
        if k == Kind::Text {
            select.push(format!("MIN(LENGTH({q})) AS lmin{i}, MAX(LENGTH({q})) AS lmax{i}"));
        }
        if let Some(v) = c.continuous().filter(|_| matches!(k, Kind::Number | Kind::Time)) {
            select.push(format!("MIN({v}) AS lo{i}, MAX({v}) AS hi{i}"));
        }
    }
    format!("SELECT {} FROM {RESULT_NAME}", select.join(", "))
}

/// A minimum or maximum of `c` as the profile shows it.
fn as_text(c: &Column, e: String) -> String {
    match c.role() {
        Role::Timestamp => format!("date_format({e}, \"yyyy-MM-dd HH:mm:ss\")"),
        _ => format!("CAST({e} AS STRING)"),
    }
}

/// The second pass: the approximate distinct counts, the quartiles of numbers and the range
/// of texts; none when no column has any.
pub(crate) fn sketches_sql(columns: &[Column]) -> Option<String> {
    let mut select = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let q = c.sql();
        let k = kind(c);
        if k != Kind::Other {
            select.push(format!("APPROX_COUNT_DISTINCT({q}) AS d{i}"));
        }
        if k == Kind::Number {
            let v = c.number();
            for (j, p) in ["q1", "q2", "q3"].iter().enumerate() {
                select.push(format!(
                    "APPROX_PERCENTILE({v}, ARRAY(0.25D, 0.5D, 0.75D), {ACCURACY})[{j}] AS {p}_{i}"
                ));
            }
        }
        if k == Kind::Text {
            select.push(format!("{} AS min{i}", as_text(c, format!("MIN({q})"))));
            select.push(format!("{} AS max{i}", as_text(c, format!("MAX({q})"))));
        }
    }
    (!select.is_empty()).then(|| format!("SELECT {} FROM {RESULT_NAME}", select.join(", ")))
}

/// Whether the grouping finds the most frequent values of `c`.
fn counts_values(c: &Column) -> bool {
    matches!(kind(c), Kind::Text | Kind::Boolean)
}

/// Whether `c` gets a histogram, once its range is known.
fn binned(c: &Column) -> bool {
    matches!(kind(c), Kind::Number | Kind::Time) && c.continuous().is_some()
}

/// The third pass, one grouping for both: each binned column's row count per bin, and the
/// most frequent values of text and boolean columns, as (column, key, count) rows, a bin's
/// key its number. `ranges` holds each binned column's (index, low, bin width). Values
/// seen once are left out before they are ranked: ranking every value of a unique column
/// was most of the profile's time, and a column with no row here has every value distinct
/// (exactly: the grouping is exact). No ORDER BY: the few rows are put in order here, which
/// spares Spark a job that samples them for a sort.
pub(crate) fn groups_sql(columns: &[Column], ranges: &[(usize, f64, f64)]) -> Option<String> {
    let mut pairs = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        if counts_values(c) {
            pairs.push(format!("named_struct('i', {i}, 'v', CAST({} AS STRING))", c.sql()));
        }
    }
    let mut bins = Vec::new();
    for (i, lo, width) in ranges {
        if let Some(v) = columns.get(*i).and_then(Column::continuous) {
            let bin = format!(
                "LEAST(CAST(FLOOR(({v} - {}) / {}) AS INT), {})",
                super::chart::double(*lo),
                super::chart::double(*width),
                BINS - 1
            );
            pairs.push(format!("named_struct('i', {i}, 'v', CAST({bin} AS STRING))"));
            bins.push(i.to_string());
        }
    }
    if pairs.is_empty() {
        return None;
    }
    // Every bin is kept, values only when seen more than once.
    let keep = if bins.is_empty() {
        "COUNT(*) > 1".to_string()
    } else {
        format!("COUNT(*) > 1 OR e.i IN ({})", bins.join(", "))
    };
    Some(format!(
        "SELECT i, v, n FROM (SELECT i, v, n, ROW_NUMBER() OVER (PARTITION BY i ORDER BY n DESC, v) AS rk FROM \
         (SELECT e.i AS i, e.v AS v, COUNT(*) AS n FROM (SELECT explode(array({})) AS e FROM {RESULT_NAME}) \
         WHERE e.v IS NOT NULL GROUP BY e.i, e.v HAVING {keep})) WHERE rk <= {}",
        pairs.join(", "),
        BINS.max(TOP)
    ))
}

/// Profiles the whole result `over` runs SQL on.
pub(crate) async fn compute(over: &mut dyn Over, columns: &[Column]) -> Result<Profile, CellError> {
    let sketches = sketches_sql(columns);
    let values = columns.iter().any(counts_values);
    let grouping = values || columns.iter().any(binned);
    over.plan("%profile", 1 + usize::from(sketches.is_some()) + usize::from(grouping));
    let figures = over.query(&figures_sql(columns)).await?;
    let (total, mut profiles, ranges) = read_figures(&Answer::new(&figures), columns);
    // Which passes remain, now that the ranges are known.
    let groups = groups_sql(columns, &ranges);
    over.plan(
        "%profile",
        over.passes() + usize::from(sketches.is_some()) + usize::from(groups.is_some()),
    );
    if let Some(sql) = sketches {
        let answer = over.query(&sql).await?;
        read_sketches(&Answer::new(&answer), columns, &mut profiles);
    }
    if let Some(sql) = groups {
        let answer = over.query(&sql).await?;
        read_groups(&Answer::new(&answer), columns, &ranges, &mut profiles);
    }
    Ok(Profile {
        rows: total,
        columns: profiles,
        passes: over.passes(),
    })
}

/// A numeric column's histogram range: its index, its low end and its bins' width.
type Range = (usize, f64, f64);

/// The first pass: the row count, each column's compiled figures, and the
/// ranges the histograms will bin.
fn read_figures(a: &Answer, columns: &[Column]) -> (u64, Vec<ColumnProfile>, Vec<Range>) {
    let total = a.count("total", 0);
    let mut profiles = Vec::new();
    let mut ranges = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let number = |name: &str| a.number(&format!("{name}{i}"), 0);
        if let (Some(lo), Some(hi)) = (number("lo"), number("hi"))
            && lo.is_finite()
            && hi.is_finite()
        {
            ranges.push((i, lo, super::chart::bin_width(lo, hi, BINS)));
        }
        let count = a.count(&format!("n{i}"), 0);
        profiles.push(ColumnProfile {
            name: c.name.clone(),
            type_name: c.ty.to_string(),
            count,
            nulls: total.saturating_sub(count),
            nan: a.count(&format!("nan{i}"), 0),
            distinct: None,
            min: a.text(&format!("min{i}"), 0),
            max: a.text(&format!("max{i}"), 0),
            mean: number("mean"),
            stddev: number("sd"),
            quartiles: None,
            length: match (number("lmin"), number("lmax")) {
                (Some(l), Some(h)) => Some((l as u64, h as u64)),
                _ => None,
            },
            top: Vec::new(),
            unique: false,
            histogram: Vec::new(),
            range: None,
        });
    }
    (total, profiles, ranges)
}

/// The second pass: distinct counts, quartiles and the texts' range.
fn read_sketches(a: &Answer, columns: &[Column], profiles: &mut [ColumnProfile]) {
    for (i, (p, c)) in profiles.iter_mut().zip(columns).enumerate() {
        let k = kind(c);
        p.distinct = (k != Kind::Other).then(|| a.count(&format!("d{i}"), 0));
        p.quartiles = (k == Kind::Number).then(|| {
            [
                a.number(&format!("q1_{i}"), 0),
                a.number(&format!("q2_{i}"), 0),
                a.number(&format!("q3_{i}"), 0),
            ]
        });
        if k == Kind::Text {
            p.min = a.text(&format!("min{i}"), 0);
            p.max = a.text(&format!("max{i}"), 0);
        }
    }
}

/// The third pass: the most frequent values and the histograms' bins.
fn read_groups(a: &Answer, columns: &[Column], ranges: &[Range], profiles: &mut [ColumnProfile]) {
    let mut rows: Vec<(usize, String, u64)> = (0..a.rows())
        .filter_map(|r| Some((a.count("i", r) as usize, a.text("v", r)?, a.count("n", r))))
        .collect();
    rows.sort_by(|x, y| x.0.cmp(&y.0).then(y.2.cmp(&x.2)).then_with(|| x.1.cmp(&y.1)));
    for (i, lo, width) in ranges {
        if let (Some(p), Some(c)) = (profiles.get_mut(*i), columns.get(*i)) {
            p.histogram = vec![0; BINS];
            let role = c.role();
            p.range = Some((
                super::chart::axis_value(*lo, role),
                super::chart::axis_value(lo + width * BINS as f64, role),
            ));
        }
    }
    for (i, v, n) in rows {
        let (Some(p), Some(c)) = (profiles.get_mut(i), columns.get(i)) else {
            continue;
        };
        if counts_values(c) {
            if p.top.len() < TOP {
                p.top.push((v, n));
            }
        } else if let Some(bin) = v.parse::<usize>().ok().and_then(|b| p.histogram.get_mut(b)) {
            *bin = n;
        }
    }
    for (p, c) in profiles.iter_mut().zip(columns) {
        if counts_values(c) && p.count > 0 && p.top.is_empty() {
            p.unique = true;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn columns() -> [Column; 3] {
        [
            Column {
                name: "a b".into(),
                ty: SqlType::Double,
            },
            Column {
                name: "n`ame".into(),
                ty: SqlType::String,
            },
            Column {
                name: "tags".into(),
                ty: SqlType::Array(Box::new(SqlType::String)),
            },
        ]
    }

    #[test]
    fn the_first_pass_holds_only_what_spark_compiles() {
        let columns = columns();
        let sql = figures_sql(&columns);
        assert!(
            sql.starts_with("SELECT COUNT(*) AS total, COUNT(`a b`) AS n0, COUNT_IF(isnan(`a b`)) AS nan0"),
            "{sql}"
        );
        assert!(sql.contains("MIN(LENGTH(`n``ame`)) AS lmin1"), "{sql}");
        assert!(sql.contains("COUNT(`tags`) AS n2"), "{sql}");
        // A sketch, or a text's minimum, would make Spark run every figure interpreted.
        for slow in ["APPROX_", "MIN(`n``ame`)", "MAX(`n``ame`)"] {
            assert!(!sql.contains(slow), "{slow} in {sql}");
        }
        assert_eq!(sql.matches("FROM __kbase_result").count(), 1, "{sql}");
    }

    #[test]
    fn the_sketches_and_the_texts_range_go_in_the_second_pass() {
        let columns = columns();
        let sql = sketches_sql(&columns).unwrap();
        assert!(sql.contains("APPROX_COUNT_DISTINCT(`a b`) AS d0"), "{sql}");
        assert!(sql.contains("[2] AS q3_0"), "{sql}");
        assert!(sql.contains("ARRAY(0.25D, 0.5D, 0.75D), 1000)[0] AS q1_0"), "{sql}");
        assert!(sql.contains("CAST(MIN(`n``ame`) AS STRING) AS min1"), "{sql}");
        assert!(!sql.contains("APPROX_COUNT_DISTINCT(`tags`)"), "{sql}");
        assert_eq!(sql.matches("FROM __kbase_result").count(), 1, "{sql}");
        assert!(sketches_sql(&columns[2..]).is_none());
    }

    #[test]
    fn one_grouping_finds_the_top_values_and_the_bins() {
        let columns = columns();
        let sql = groups_sql(&columns, &[(0, 1.0, 0.5)]).unwrap();
        assert!(
            sql.contains(
                "explode(array(named_struct('i', 1, 'v', CAST(`n``ame` AS STRING)), \
                 named_struct('i', 0, 'v', CAST(LEAST(CAST(FLOOR((NULLIF(CAST(`a b` AS DOUBLE)"
            ),
            "{sql}"
        );
        assert!(
            sql.contains("HAVING COUNT(*) > 1 OR e.i IN (0))) WHERE rk <= 10"),
            "{sql}"
        );
        assert_eq!(sql.matches("FROM __kbase_result").count(), 1, "{sql}");
        assert!(!sql.contains("ORDER BY i"), "{sql}");
        let sql = groups_sql(&columns, &[]).unwrap();
        assert!(sql.contains("HAVING COUNT(*) > 1)) WHERE rk"), "{sql}");
        assert!(groups_sql(&columns[2..], &[]).is_none());
    }
}
