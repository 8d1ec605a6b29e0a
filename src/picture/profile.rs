//! `%profile`: a per-column summary of a query's whole result, computed by Spark in three
//! passes at most, each one aggregation over the result: every column's counts, range,
//! moments and quartiles; the histograms of all numbers and times (bin counts as
//! conditional counts, once the ranges are known); the most frequent values of all text
//! columns (each row exploded into one (column, value) pair per text column). Measured on
//! 10 million rows, this beats two passes that explode every column (the explode
//! multiplies the rows) and quartiles at Spark's default accuracy (ten times the work for
//! a rank error of 0.01% instead of 0.1%).

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

/// The first pass: every column's figures in one aggregation.
pub(crate) fn stats_sql(columns: &[Column]) -> String {
    let mut select = vec!["COUNT(*) AS total".to_string()];
    for (i, c) in columns.iter().enumerate() {
        let q = c.sql();
        let k = kind(c);
        select.push(format!("COUNT({q}) AS n{i}"));
        if is_float(c) {
            select.push(format!("COUNT_IF(isnan({q})) AS nan{i}"));
        }
        if k != Kind::Other {
            select.push(format!("APPROX_COUNT_DISTINCT({q}) AS d{i}"));
            let v = if is_float(c) { c.number() } else { q.clone() };
            let text = |e: String| match c.role() {
                Role::Timestamp => format!("date_format({e}, \"yyyy-MM-dd HH:mm:ss\")"),
                _ => format!("CAST({e} AS STRING)"),
            };
            select.push(format!("{} AS min{i}", text(format!("MIN({v})"))));
            select.push(format!("{} AS max{i}", text(format!("MAX({v})"))));
        }
        if k == Kind::Number {
            let v = c.number();
            select.push(format!("AVG({v}) AS mean{i}, STDDEV({v}) AS sd{i}"));
            for (j, p) in ["q1", "q2", "q3"].iter().enumerate() {
                select.push(format!(
                    "APPROX_PERCENTILE({v}, ARRAY(0.25D, 0.5D, 0.75D), {ACCURACY})[{j}] AS {p}_{i}"
                ));
            }
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

/// The second pass: each binned column's count per bin, as `h{column}_{bin}`. `ranges`
/// holds each binned column's (index, low, bin width).
pub(crate) fn histograms_sql(columns: &[Column], ranges: &[(usize, f64, f64)]) -> Option<String> {
    let mut select = Vec::new();
    for (i, lo, width) in ranges {
        if let Some(v) = columns.get(*i).and_then(Column::continuous) {
            let bin = format!(
                "LEAST(CAST(FLOOR(({v} - {}) / {}) AS INT), {})",
                super::chart::double(*lo),
                super::chart::double(*width),
                BINS - 1
            );
            select.extend((0..BINS).map(|j| format!("COUNT_IF({bin} = {j}) AS h{i}_{j}")));
        }
    }
    (!select.is_empty()).then(|| format!("SELECT {} FROM {RESULT_NAME}", select.join(", ")))
}

/// The third pass: the most frequent values of text and boolean columns, as
/// (column, value, count) rows. Values seen once are left out before they are ranked:
/// ranking every value of a unique column was most of the profile's time, and a column
/// with no row here has every value distinct (exactly: the grouping is exact).
pub(crate) fn top_sql(columns: &[Column]) -> Option<String> {
    let pairs: Vec<String> = columns
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!(kind(c), Kind::Text | Kind::Boolean))
        .map(|(i, c)| format!("named_struct('i', {i}, 'v', CAST({} AS STRING))", c.sql()))
        .collect();
    if pairs.is_empty() {
        return None;
    }
    Some(format!(
        "SELECT i, v, n FROM (SELECT i, v, n, ROW_NUMBER() OVER (PARTITION BY i ORDER BY n DESC, v) AS rk FROM \
         (SELECT e.i AS i, e.v AS v, COUNT(*) AS n FROM (SELECT explode(array({})) AS e FROM {RESULT_NAME}) \
         WHERE e.v IS NOT NULL GROUP BY e.i, e.v HAVING COUNT(*) > 1)) WHERE rk <= {TOP} ORDER BY i, n DESC, v",
        pairs.join(", ")
    ))
}

/// Profiles the whole result `over` runs SQL on.
pub(crate) async fn compute(over: &mut dyn Over, columns: &[Column]) -> Result<Profile, CellError> {
    let binned = columns
        .iter()
        .any(|c| matches!(kind(c), Kind::Number | Kind::Time) && c.continuous().is_some());
    let top = top_sql(columns);
    over.plan("%profile", 1 + usize::from(binned) + usize::from(top.is_some()));
    let stats = over.query(&stats_sql(columns)).await?;
    let a = Answer::new(&stats);
    let total = a.count("total", 0);
    let mut profiles = Vec::new();
    let mut ranges = Vec::new();
    for (i, c) in columns.iter().enumerate() {
        let k = kind(c);
        let count = a.count(&format!("n{i}"), 0);
        let nan = a.count(&format!("nan{i}"), 0);
        let number = |name: &str| a.number(&format!("{name}{i}"), 0);
        let lo = number("lo");
        let hi = number("hi");
        if let (Some(lo), Some(hi)) = (lo, hi)
            && lo.is_finite()
            && hi.is_finite()
        {
            ranges.push((i, lo, super::chart::bin_width(lo, hi, BINS)));
        }
        profiles.push(ColumnProfile {
            name: c.name.clone(),
            type_name: c.ty.to_string(),
            count,
            nulls: total.saturating_sub(count),
            nan,
            distinct: (k != Kind::Other).then(|| a.count(&format!("d{i}"), 0)),
            min: a.text(&format!("min{i}"), 0),
            max: a.text(&format!("max{i}"), 0),
            mean: number("mean"),
            stddev: number("sd"),
            quartiles: (k == Kind::Number).then(|| {
                [
                    a.number(&format!("q1_{i}"), 0),
                    a.number(&format!("q2_{i}"), 0),
                    a.number(&format!("q3_{i}"), 0),
                ]
            }),
            length: match (a.number(&format!("lmin{i}"), 0), a.number(&format!("lmax{i}"), 0)) {
                (Some(l), Some(h)) => Some((l as u64, h as u64)),
                _ => None,
            },
            top: Vec::new(),
            unique: false,
            histogram: Vec::new(),
            range: None,
        });
    }
    // Which passes remain, now that the ranges are known.
    over.plan(
        "%profile",
        over.passes() + usize::from(!ranges.is_empty()) + usize::from(top.is_some()),
    );
    if let Some(sql) = histograms_sql(columns, &ranges) {
        let bins = over.query(&sql).await?;
        let a = Answer::new(&bins);
        for (i, lo, width) in &ranges {
            if let Some(p) = profiles.get_mut(*i) {
                p.histogram = (0..BINS).map(|j| a.count(&format!("h{i}_{j}"), 0)).collect();
                let role = columns[*i].role();
                p.range = Some((
                    super::chart::axis_value(*lo, role),
                    super::chart::axis_value(lo + width * BINS as f64, role),
                ));
            }
        }
    }
    if let Some(sql) = top {
        let values = over.query(&sql).await?;
        let a = Answer::new(&values);
        for r in 0..a.rows() {
            let i = a.count("i", r) as usize;
            if let (Some(p), Some(v)) = (profiles.get_mut(i), a.text("v", r)) {
                p.top.push((v, a.count("n", r)));
            }
        }
        for (p, c) in profiles.iter_mut().zip(columns) {
            if matches!(kind(c), Kind::Text | Kind::Boolean) && p.count > 0 && p.top.is_empty() {
                p.unique = true;
            }
        }
    }
    Ok(Profile {
        rows: total,
        columns: profiles,
        passes: over.passes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_pass_each_for_the_figures_the_bins_and_the_top_values() {
        let columns = [
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
        ];
        let sql = stats_sql(&columns);
        assert!(
            sql.starts_with("SELECT COUNT(*) AS total, COUNT(`a b`) AS n0, COUNT_IF(isnan(`a b`)) AS nan0"),
            "{sql}"
        );
        assert!(sql.contains("MIN(LENGTH(`n``ame`)) AS lmin1"), "{sql}");
        assert!(
            sql.contains("COUNT(`tags`) AS n2") && !sql.contains("APPROX_COUNT_DISTINCT(`tags`)"),
            "{sql}"
        );
        assert!(sql.contains("[2] AS q3_0"));
        assert!(sql.contains("ARRAY(0.25D, 0.5D, 0.75D), 1000)[0] AS q1_0"), "{sql}");
        let sql = top_sql(&columns).unwrap();
        assert!(
            sql.contains("explode(array(named_struct('i', 1, 'v', CAST(`n``ame` AS STRING))))"),
            "{sql}"
        );
        assert!(sql.contains("GROUP BY e.i, e.v HAVING COUNT(*) > 1)"), "{sql}");
        let sql = histograms_sql(&columns, &[(0, 1.0, 0.5)]).unwrap();
        assert!(
            sql.starts_with("SELECT COUNT_IF(LEAST(CAST(FLOOR((NULLIF(CAST(`a b` AS DOUBLE)"),
            "{sql}"
        );
        assert!(sql.contains("9) = 9) AS h0_9 FROM __kbase_result"), "{sql}");
        assert!(top_sql(&columns[2..]).is_none() && histograms_sql(&columns, &[]).is_none());
    }
}
