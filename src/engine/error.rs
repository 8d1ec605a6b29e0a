//! What can stop a cell, as one error type with a name a notebook shows; it becomes the
//! kernel's [`CellError`] in one place, [`From<EngineError> for CellError`].

use crate::export::ExportError;
use crate::interpreter::CellError;
use crate::magic::MagicError;
use crate::spark::{OpenError, SparkError};

#[derive(Debug, thiserror::Error)]
pub(crate) enum EngineError {
    #[error(transparent)]
    Magic(#[from] MagicError),
    #[error("%export: the cell has no query; it writes the whole result of the cell's last query")]
    NothingToExport,
    #[error("the cell has no query; %chart and %profile draw the whole result of the cell's last query")]
    NothingToDraw,
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The user interrupted the cell.
    #[error("{}", SparkError::Cancelled)]
    Cancelled,
    /// A chart or profile of a command, which has no result to draw.
    #[error(
        "{magic} needs a query (SELECT, WITH, VALUES, TABLE…), and the cell's last statement is a command: \
         it ran once, as usual, and has no result to draw"
    )]
    NotAQuery { magic: &'static str },
    /// Spark failed a query of a chart or profile over the result.
    #[error("Spark could not compute this: {}", .0.to_string().trim())]
    PictureSql(Box<SparkError>),
    /// A chart or profile failed, as it said.
    #[error("{}", .0.evalue)]
    Picture(CellError),
    /// `%analyze` with no query in the cell.
    #[error("{}", crate::magic::analyze::NO_QUERY)]
    NothingToAnalyze,
    /// The analysed query failed when run to its end.
    #[error("Spark could not run the query to its end: {}", .0.to_string().trim())]
    AnalyzeSql(Box<SparkError>),
    /// The server sent no execution metrics for the analysed query.
    #[error(
        "%analyze: the Spark server sent no execution metrics for this query, so there is nothing to show \
         of how it ran (its rows are above)"
    )]
    NoMetrics,
    /// `_` or `_N` could not be defined as a view before the cell ran.
    #[error("the results of earlier cells (`_`, `_N`) could not be named: {}", .0.to_string().trim())]
    Earlier(Box<SparkError>),
    /// A statement failed: Spark's message as said to the user, with the lines that show
    /// where (a caret under the statement, which statement of several).
    #[error("{message}")]
    Statement {
        error: Box<SparkError>,
        message: String,
        context: Vec<String>,
    },
}

impl EngineError {
    fn name(&self) -> String {
        match self {
            EngineError::Magic(e) => e.name(),
            EngineError::NothingToExport | EngineError::NothingToDraw | EngineError::NothingToAnalyze => {
                "MagicUsage".into()
            }
            EngineError::NoMetrics => "NoMetrics".into(),
            EngineError::Export(e) => e.name(),
            EngineError::Open(e) => e.name(),
            EngineError::Cancelled => SparkError::Cancelled.name(),
            EngineError::NotAQuery { .. } => "NotAQuery".into(),
            EngineError::Picture(e) => e.ename.clone(),
            EngineError::PictureSql(e) | EngineError::Earlier(e) | EngineError::AnalyzeSql(e) => e.name(),
            EngineError::Statement { error, .. } => error.name(),
        }
    }
}

impl From<EngineError> for CellError {
    fn from(e: EngineError) -> CellError {
        let name = e.name();
        match e {
            EngineError::Statement { message, context, .. } => CellError::new(name, message, context),
            EngineError::Picture(e) => e,
            e => CellError::new(name, e.to_string(), Vec::new()),
        }
    }
}
