//! The look of what a magic computes over a whole result: charts (Vega-Lite), profiles
//! and query analyses, each drawn from the facts `picture/` read back from Spark.

pub(crate) mod analyze;
pub(crate) mod chart;
pub(crate) mod profile;
