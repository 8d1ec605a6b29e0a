//! Charts and profiles of a cell's last query: the SQL that computes them over its result
//! and the facts read back, which `render` then writes for the notebook.

pub(crate) mod analyze;
pub(crate) mod chart;
pub(crate) mod columns;
pub(crate) mod over;
pub(crate) mod profile;

use crate::interpreter::{Bundle, CellError};
use crate::magic;
use crate::render;
use over::Over;

/// The chart or profile the magics ask for, of the result `over` runs SQL on.
pub(crate) async fn draw(over: &mut dyn Over, magics: &magic::Magics) -> Result<Bundle, CellError> {
    let schema = over
        .query(&format!("SELECT * FROM {} LIMIT 0", crate::spark::derived::RESULT_NAME))
        .await?;
    over.count_from_zero();
    let columns = columns::of(&schema);
    if let Some(request) = &magics.chart {
        let chart = chart::draw(over, request, &columns).await?;
        return Ok(render::picture::chart::bundle(&chart));
    }
    let profile = profile::compute(over, &columns).await?;
    Ok(render::picture::profile::bundle(&profile))
}
