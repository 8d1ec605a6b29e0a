//! What charts and profiles need of the engine: SQL run over the result of the cell's last
//! statement (named `__kbase_result`), under the cell's tag and its interrupt, counted.
//! The engine implements it on a live session; pictures never see the session.

use futures::future::BoxFuture;

use crate::data::QueryResult;
use crate::interpreter::CellError;

pub(crate) trait Over: Send {
    /// Runs `sql` over the result and returns its rows.
    fn query<'a>(&'a mut self, sql: &'a str) -> BoxFuture<'a, Result<QueryResult, CellError>>;

    /// How many queries ran over the result (each one pass of Spark over it, or less).
    fn passes(&self) -> usize;

    /// Names the magic and how many passes it plans, which its progress displays show.
    fn plan(&mut self, magic: &'static str, passes: usize);

    /// Counts passes from here on, leaving out the look at the result's columns.
    fn count_from_zero(&mut self);
}
