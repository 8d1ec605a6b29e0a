//! How far a running statement has got, summed over its stages: what Spark's progress
//! reports say, in the terms the progress display shows.

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub stages: usize,
    pub stages_done: usize,
    pub tasks: i64,
    pub tasks_done: i64,
    pub running_tasks: i64,
    pub bytes_read: i64,
}
