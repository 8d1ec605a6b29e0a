//! A view of a result as the live grid asks for it (sort keys, conditions, a range of rows),
//! checked and typed: every value the user typed is already a typed literal here, never
//! text to paste into SQL. Neutral ground between the grid's protocol (which builds it) and
//! the Spark layer (which turns it into Spark Connect relations).

/// A literal of the type its column needs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Literal {
    Long(i64),
    Double(f64),
    Boolean(bool),
    Text(String),
    /// Text Spark casts to the column's type (`type_name`, the kernel's own name for it:
    /// `date`, `timestamp`, `decimal(10,2)`), after the kernel checked that it reads as one.
    Cast {
        text: String,
        type_name: String,
    },
}

/// One condition on the rows.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    /// The text column holds `value` somewhere (case-sensitive, as `contains`).
    Contains {
        column: String,
        value: String,
    },
    Equals {
        column: String,
        value: Literal,
    },
    /// At least `value` (inclusive).
    AtLeast {
        column: String,
        value: Literal,
    },
    /// At most `value` (inclusive).
    AtMost {
        column: String,
        value: Literal,
    },
    IsNull {
        column: String,
    },
    NotNull {
        column: String,
    },
    /// Any of `columns` holds `text`, ignoring case.
    Search {
        columns: Vec<String>,
        text: String,
    },
}

/// One sort key; Spark's null ordering (first ascending, last descending).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SortKey {
    pub(crate) column: String,
    pub(crate) descending: bool,
}

/// Which rows, in which order: every condition holds; ties keep the result's own order.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct View {
    pub(crate) sort: Vec<SortKey>,
    pub(crate) conditions: Vec<Condition>,
}

/// What one grid request computes over a result.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum GridQuery {
    /// `limit` rows of the view from row `offset` (0-based).
    Page { view: View, offset: u32, limit: u32 },
    /// How many rows the view holds.
    Count { view: View },
}
