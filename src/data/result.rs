//! The first rows of one statement's result, with the Spark SQL type of each column.

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;

use super::sql_type::SqlType;

#[derive(Debug, Clone)]
pub struct QueryResult {
    pub(crate) schema: SchemaRef,
    /// The Spark SQL type of each column of `schema`, in order.
    pub(crate) types: Vec<SqlType>,
    /// At most the rows asked for.
    pub(crate) batches: Vec<RecordBatch>,
    /// True when the result had more rows than were kept.
    pub(crate) more: bool,
    /// True when the statement was a command the server ran at once (DDL, SET, SHOW…), as
    /// opposed to a query; a command without columns reads `OK`.
    pub(crate) command: bool,
}

impl QueryResult {
    /// A query's result whose column types are read from its Arrow schema (when Spark did
    /// not say).
    pub fn new(schema: SchemaRef, batches: Vec<RecordBatch>, more: bool) -> QueryResult {
        let types = schema
            .fields()
            .iter()
            .map(|f| SqlType::from_arrow(f.data_type()))
            .collect();
        QueryResult {
            schema,
            types,
            batches,
            more,
            command: false,
        }
    }

    /// Each column's name with its Spark type.
    pub(crate) fn columns(&self) -> impl Iterator<Item = (&String, &SqlType)> {
        self.schema.fields().iter().map(|f| f.name()).zip(&self.types)
    }

    pub(crate) fn num_rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

/// What a batch's rows cost to show, at least, in bytes of output; given by whatever shows
/// them, so the fetch need not know how.
pub(crate) type RowsCost = fn(&RecordBatch) -> usize;

/// A budget of output bytes for a result's rows: once the rows kept cost more, no further
/// rows can be shown, and the rest of the result is not fetched.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    pub(crate) bytes: usize,
    pub(crate) cost: RowsCost,
}
