//! Charts and profiles of a cell's last query: the SQL that computes them over its result
//! and the facts read back, which `render` then writes for the notebook.

pub(crate) mod analyze;
pub(crate) mod chart;
pub(crate) mod columns;
pub(crate) mod profile;
