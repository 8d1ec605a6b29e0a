//! What can go wrong with an export, each said for the user with a name of its own.

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExportError {
    #[error("%export: {0}")]
    Path(String),
    #[error("%export could not write {path}: {detail}")]
    Write { path: String, detail: String },
    #[error(
        "%export: {format} cannot hold column {column} of type {sql_type}: {detail}. Try .arrow, or cast the column"
    )]
    Unsupported {
        format: &'static str,
        column: String,
        sql_type: String,
        detail: String,
    },
    #[error(
        "%export: the statement's result has no columns (a command such as CREATE or INSERT gives none), so there is nothing to write; the statement did run"
    )]
    NoColumns,
}

impl ExportError {
    pub(crate) fn name(&self) -> String {
        match self {
            ExportError::Path(_) => "ExportPathError".into(),
            ExportError::Write { .. } => "ExportWriteError".into(),
            ExportError::Unsupported { .. } => "ExportUnsupportedType".into(),
            ExportError::NoColumns => "ExportNoColumns".into(),
        }
    }
}
