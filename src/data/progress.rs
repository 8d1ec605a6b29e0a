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

/// What a statement is doing, as far as its progress reports tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No stage yet: Spark is analysing and planning the statement.
    Planning,
    /// Stages are known, but no task has started: the executors are busy or not there yet.
    Waiting,
    /// Tasks run or have run.
    Running,
}

impl Progress {
    pub(crate) fn phase(&self) -> Phase {
        if self.stages == 0 {
            Phase::Planning
        } else if self.tasks_done == 0 && self.running_tasks == 0 {
            Phase::Waiting
        } else {
            Phase::Running
        }
    }

    /// How much of the work known so far is done, from 0 to 1: a running task counts as
    /// half done, so that a long stage of few tasks moves while it runs.
    pub(crate) fn fraction(&self) -> f64 {
        if self.tasks <= 0 {
            return 0.0;
        }
        let running = self.running_tasks.clamp(0, (self.tasks - self.tasks_done).max(0));
        ((self.tasks_done as f64 + running as f64 / 2.0) / self.tasks as f64).clamp(0.0, 1.0)
    }
}
