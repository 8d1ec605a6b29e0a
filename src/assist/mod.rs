//! Assistance while typing: completion (Tab) and inspection (Shift+Tab) from the session's
//! own catalog, and what is known of that catalog.

pub(crate) mod catalog;
pub(crate) mod completion;
pub(crate) mod inspect;
pub(crate) mod names;
#[cfg(test)]
mod tests;
