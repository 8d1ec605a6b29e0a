//! How far a running statement has got, summed over its stages: what Spark's progress
//! reports say, in the terms the progress display shows.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Progress {
    pub(crate) stages: usize,
    pub(crate) stages_done: usize,
    pub(crate) tasks: i64,
    pub(crate) tasks_done: i64,
    pub(crate) running_tasks: i64,
    pub(crate) bytes_read: i64,
    /// Rows and bytes written so far, when the statement's result goes to a file.
    pub(crate) written: Option<(u64, u64)>,
}
