//! A result set as formatted cells, the one source of the HTML and the text table. The cells
//! of a large result are formatted in chunks, two at a time on threads of their own, into
//! one buffer each: a result of a hundred thousand cells costs no allocation per cell, and
//! formatting stops at the first row past the output budget, never formatting a result
//! whole just to cut it afterwards.

use std::ops::Range;

use arrow_array::RecordBatch;

use super::value;
use crate::data::{QueryResult, SqlType};

/// One column's heading.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) type_name: String,
    pub(crate) numeric: bool,
}

/// A result set as formatted cells, ready for any output format.
#[derive(Debug, Clone)]
pub struct Table {
    pub(crate) columns: Vec<Column>,
    cells: Cells,
    /// True when the result had more rows than are shown.
    pub(crate) more: bool,
    /// True when rows were dropped to keep the output a reasonable size.
    pub(crate) size_cut: bool,
}

/// Formatted cells, row after row, in one buffer.
#[derive(Debug, Clone, Default)]
struct Cells {
    text: String,
    /// Where each cell's text ends in `text`; a NULL's is empty.
    ends: Vec<usize>,
    nulls: Vec<bool>,
    /// Rows held (a result of no columns still has rows).
    rows: usize,
}

impl Cells {
    /// Appends one cell, written by `write` (which returns false for NULL).
    fn push_with(&mut self, write: impl FnOnce(&mut String) -> bool) {
        let null = !write(&mut self.text);
        self.ends.push(self.text.len());
        self.nulls.push(null);
    }

    /// The text of cell `i`; `None` for NULL.
    fn get(&self, i: usize) -> Option<&str> {
        if self.nulls[i] {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.text[start..self.ends[i]])
    }

    /// Keeps the first `rows` rows of `width` cells each.
    fn truncate(&mut self, rows: usize, width: usize) {
        let n = rows.saturating_mul(width).min(self.ends.len());
        self.text.truncate(if n == 0 { 0 } else { self.ends[n - 1] });
        self.ends.truncate(n);
        self.nulls.truncate(n);
        self.rows = self.rows.min(rows);
    }

    /// Appends the first `rows` rows of `other`, `width` cells each; into an empty buffer,
    /// `other` itself is kept, not copied.
    fn append(&mut self, mut other: Cells, rows: usize, width: usize) {
        if self.ends.is_empty() && self.rows == 0 {
            other.truncate(rows, width);
            *self = other;
            return;
        }
        let n = rows * width;
        let offset = self.text.len();
        let len = if n == 0 { 0 } else { other.ends[n - 1] };
        self.text.push_str(&other.text[..len]);
        self.ends.extend(other.ends[..n].iter().map(|e| e + offset));
        self.nulls.extend_from_slice(&other.nulls[..n]);
        self.rows += rows;
    }
}

/// One chunk of rows, formatted, with what each row adds to the outputs.
struct Chunk {
    cells: Cells,
    sizes: Vec<usize>,
}

/// Cells in one chunk: enough that starting a thread for it costs little beside formatting
/// it, few enough that little is formatted past the output budget.
const CHUNK_CELLS: usize = 16_384;

/// Cells past which a result's chunks are formatted two at a time.
const PARALLEL_CELLS: usize = 2 * CHUNK_CELLS;

/// About how many bytes one cell of `len` bytes adds to a result's outputs: its text in the
/// HTML (a long value also in a tooltip) and in the Arrow data (base64), and its shortened
/// text view. It grows with `len`.
fn output_bytes(len: usize) -> usize {
    len * 7 / 3 + len.min(80) + 12
}

/// At least what the rows of `batch` add to a result's outputs by [`output_bytes`], read
/// from the Arrow data without formatting it: text reads at least as long as its bytes (a
/// control character only grows into an escape), a date as `YYYY-MM-DD`, a timestamp as
/// `YYYY-MM-DD HH:MM:SS`, a boolean as `true`, NULL as `NULL`, anything else as one
/// character. Rows past the output budget by this bound can never be shown.
pub(crate) fn least_output_bytes(batch: &RecordBatch) -> usize {
    use arrow_array::Array;
    use arrow_array::cast::AsArray;
    use arrow_schema::DataType;
    let bytes = output_bytes;
    let null = bytes("NULL".len());
    batch
        .columns()
        .iter()
        .map(|a| {
            let least = match a.data_type() {
                DataType::Boolean => "true".len(),
                DataType::Date32 | DataType::Date64 => "YYYY-MM-DD".len(),
                DataType::Timestamp(_, _) => "YYYY-MM-DD HH:MM:SS".len(),
                _ => 1,
            };
            (0..a.len())
                .map(|r| {
                    if a.is_null(r) {
                        return null;
                    }
                    match a.data_type() {
                        DataType::Utf8 => bytes(a.as_string::<i32>().value(r).len()),
                        DataType::LargeUtf8 => bytes(a.as_string::<i64>().value(r).len()),
                        DataType::Utf8View => bytes(a.as_string_view().value(r).len()),
                        _ => bytes(least),
                    }
                })
                .sum::<usize>()
        })
        .sum()
}

/// Formats the result's rows `range` (counted across its batches).
fn format(batches: &[RecordBatch], types: &[SqlType], range: Range<usize>) -> Chunk {
    let mut chunk = Chunk {
        cells: Cells::default(),
        sizes: Vec::with_capacity(range.len()),
    };
    let mut first = 0;
    for b in batches {
        let rows = first..first + b.num_rows();
        first = rows.end;
        let (start, end) = (range.start.max(rows.start), range.end.min(rows.end));
        for r in start.saturating_sub(rows.start)..end.saturating_sub(rows.start) {
            let row_start = chunk.cells.ends.len();
            for (a, t) in b.columns().iter().zip(types) {
                chunk.cells.push_with(|out| value::write_cell(out, a, r, t));
            }
            let size = (row_start..chunk.cells.ends.len())
                .map(|i| output_bytes(chunk.cells.get(i).unwrap_or("NULL").len()))
                .sum();
            chunk.sizes.push(size);
            chunk.cells.rows += 1;
        }
    }
    chunk
}

impl Table {
    /// Every row of `result`, formatted.
    pub fn new(result: &QueryResult) -> Table {
        Table::within(result, usize::MAX)
    }

    /// The first rows of `result`, formatted, while the outputs they make may fit in about
    /// `budget` bytes.
    pub(crate) fn within(result: &QueryResult, budget: usize) -> Table {
        let columns = result
            .schema
            .fields()
            .iter()
            .zip(&result.types)
            .map(|(f, t)| Column {
                name: f.name().clone(),
                type_name: t.to_string(),
                numeric: value::is_numeric(f.data_type()),
            })
            .collect::<Vec<Column>>();
        let width = columns.len();
        let total: usize = result.batches.iter().map(RecordBatch::num_rows).sum();
        let chunk_rows = (CHUNK_CELLS / width.max(1)).max(1);
        let at_once = if total * width >= PARALLEL_CELLS { 2 } else { 1 };
        let (batches, types) = (&result.batches, &result.types);

        let mut cells = Cells::default();
        let (mut size, mut size_cut, mut next) = (0usize, false, 0);
        while next < total && !size_cut {
            let ranges: Vec<Range<usize>> = (0..at_once)
                .map(|i| (next + i * chunk_rows).min(total)..(next + (i + 1) * chunk_rows).min(total))
                .filter(|r| !r.is_empty())
                .collect();
            next = ranges.last().map_or(total, |r| r.end);
            let chunks: Vec<Chunk> = if ranges.len() == 1 {
                ranges.into_iter().map(|r| format(batches, types, r)).collect()
            } else {
                std::thread::scope(|scope| {
                    let handles: Vec<_> = ranges
                        .into_iter()
                        .map(|r| scope.spawn(move || format(batches, types, r)))
                        .collect();
                    handles
                        .into_iter()
                        .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                        .collect()
                })
            };
            for chunk in chunks {
                // The rows that fit; the first row always does.
                let mut fit = 0;
                for s in &chunk.sizes {
                    if size.saturating_add(*s) > budget && cells.rows + fit > 0 {
                        size_cut = true;
                        break;
                    }
                    size = size.saturating_add(*s);
                    fit += 1;
                }
                cells.append(chunk.cells, fit, width);
                if size_cut {
                    break;
                }
            }
        }
        Table {
            columns,
            cells,
            more: result.more || size_cut,
            size_cut,
        }
    }

    /// A table of the given cells (`None` for NULL), for tests of the formats.
    #[cfg(test)]
    pub(crate) fn of(columns: Vec<Column>, rows: &[Vec<Option<&str>>], more: bool) -> Table {
        let mut cells = Cells::default();
        for row in rows {
            for cell in row {
                cells.push_with(|out| {
                    out.push_str(cell.unwrap_or(""));
                    cell.is_some()
                });
            }
            cells.rows += 1;
        }
        Table {
            columns,
            cells,
            more,
            size_cut: false,
        }
    }

    /// The number of rows held.
    pub(crate) fn len(&self) -> usize {
        self.cells.rows
    }

    /// The cells of row `i`, `None` for NULL.
    pub(crate) fn row(&self, i: usize) -> impl Iterator<Item = Option<&str>> {
        let width = self.columns.len();
        (i * width..(i + 1) * width).map(|c| self.cells.get(c))
    }

    /// The cells of every row.
    pub(crate) fn rows(&self) -> impl Iterator<Item = impl Iterator<Item = Option<&str>>> {
        (0..self.len()).map(|i| self.row(i))
    }

    /// Keeps the first `rows` rows.
    pub(crate) fn truncate(&mut self, rows: usize) {
        self.cells.truncate(rows, self.columns.len());
    }

    pub(crate) fn row_count(&self) -> String {
        match self.len() {
            1 => "1 row".into(),
            n => format!("{} rows", crate::picture::columns::thousands(n as u64)),
        }
    }

    /// The notice shown when rows were cut at the display limit.
    pub(crate) fn notice(&self) -> Option<String> {
        let why = if self.size_cut {
            " (the output size limit of a notebook cell)"
        } else {
            ""
        };
        self.more.then(|| {
            format!(
                "first {} shown{why} — more available: %limit N shows more, %export PATH writes them all",
                self.row_count()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow_array::{ArrayRef, Int64Array, StringArray};
    use arrow_schema::{DataType, Field, Schema};

    use super::*;

    /// `n` rows of an id and a name, in batches of `per_batch`.
    fn result(n: i64, per_batch: i64) -> QueryResult {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batches = (0..n)
            .step_by(per_batch as usize)
            .map(|start| {
                let ids = start..(start + per_batch).min(n);
                let names = ids.clone().map(|i| (i % 3 != 0).then(|| format!("name-{i}")));
                let columns: Vec<ArrayRef> = vec![
                    Arc::new(Int64Array::from_iter_values(ids)),
                    Arc::new(StringArray::from_iter(names)),
                ];
                RecordBatch::try_new(schema.clone(), columns).unwrap()
            })
            .collect();
        QueryResult::new(schema, batches, false)
    }

    #[test]
    fn chunks_formatted_at_once_read_as_one_pass_would() {
        // 50,000 rows over batches of an odd size: chunks start inside batches and end
        // across them, and two are formatted at a time.
        let table = Table::new(&result(50_000, 777));
        assert_eq!(table.len(), 50_000);
        for i in [0, 1, 776, 777, 8191, 8192, 8193, 16_383, 49_999] {
            let row: Vec<Option<&str>> = table.row(i).collect();
            let name = (i % 3 != 0).then(|| format!("name-{i}"));
            assert_eq!(row, vec![Some(i.to_string().as_str()), name.as_deref()], "row {i}");
        }
    }

    #[test]
    fn formatting_stops_at_the_first_row_past_the_budget() {
        let whole = Table::new(&result(50_000, 1000));
        let sizes: Vec<usize> = whole
            .rows()
            .map(|row| row.map(|c| output_bytes(c.unwrap_or("NULL").len())).sum())
            .collect();
        let budget = sizes[..30_000].iter().sum::<usize>() + 1;
        let cut = Table::within(&result(50_000, 1000), budget);
        assert_eq!(cut.len(), 30_000);
        assert!(cut.size_cut && cut.more);
        assert_eq!(cut.row(29_999).next(), Some(Some("29999")));
        // A first row larger than the budget is still shown.
        let one = Table::within(&result(10, 10), 1);
        assert_eq!(one.len(), 1);
    }

    /// Mixed rows: text with control characters and wide characters, NULLs, dates,
    /// timestamps, booleans, numbers.
    fn mixed(n: usize) -> QueryResult {
        use arrow_array::{BooleanArray, Date32Array, Float64Array, TimestampMicrosecondArray};
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("d", DataType::Date32, true),
            Field::new(
                "t",
                DataType::Timestamp(arrow_schema::TimeUnit::Microsecond, Some("UTC".into())),
                true,
            ),
            Field::new("b", DataType::Boolean, true),
            Field::new("x", DataType::Float64, true),
        ]));
        let columns: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from_iter((0..n).map(|i| match i % 4 {
                0 => None,
                1 => Some(String::new()),
                2 => Some(format!("a\tb\u{1}{i}")),
                _ => Some("微生物 🧬".repeat(i % 7)),
            }))),
            Arc::new(Date32Array::from_iter((0..n).map(|i| (i % 5 != 0).then_some(i as i32)))),
            Arc::new(
                TimestampMicrosecondArray::from_iter((0..n).map(|i| (i % 6 != 0).then_some(i as i64 * 1_000_001)))
                    .with_timezone("UTC"),
            ),
            Arc::new(BooleanArray::from_iter(
                (0..n).map(|i| (i % 3 != 0).then_some(i % 2 == 0)),
            )),
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| (i % 7 != 0).then_some(i as f64 / 3.0)),
            )),
        ];
        let batch = RecordBatch::try_new(schema.clone(), columns).unwrap();
        QueryResult::new(schema, vec![batch], false)
    }

    #[test]
    fn the_least_output_bytes_of_rows_never_exceed_what_they_cost() {
        let result = mixed(2000);
        let table = Table::new(&result);
        for (i, row) in table.rows().enumerate() {
            let cost: usize = row.map(|c| output_bytes(c.unwrap_or("NULL").len())).sum();
            let least = least_output_bytes(&result.batches[0].slice(i, 1));
            assert!(least <= cost, "row {i}: {least} > {cost}");
        }
    }

    #[test]
    fn a_result_fetched_until_its_rows_are_over_the_budget_shows_as_the_whole_does() {
        // What the fetch keeps: batches of 100 rows until their least cost is over the
        // budget (and at least two rows are kept).
        let whole = mixed(20_000);
        let budget = 200_000;
        let (mut cost, mut rows) = (0, 0);
        while cost <= budget || rows < 2 {
            cost += least_output_bytes(&whole.batches[0].slice(rows, 100));
            rows += 100;
        }
        assert!(rows < 20_000, "the fetch stopped early");
        let kept = QueryResult::new(whole.schema.clone(), vec![whole.batches[0].slice(0, rows)], true);
        let (a, b) = (Table::within(&whole, budget), Table::within(&kept, budget));
        assert!(a.size_cut && b.size_cut);
        assert_eq!(a.len(), b.len());
        assert_eq!(super::super::html::render(&a), super::super::html::render(&b));
    }
}
