//! The text of one value in a CSV or JSON-lines export: strings as they are (line breaks
//! and all, for the format's own quoting to carry), every other type as the tables show it.

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef};
use arrow_schema::DataType;

use crate::data::SqlType;
use crate::render::value::{self, Cell};

/// The value at `row`; `None` for NULL.
pub(crate) fn text(array: &ArrayRef, row: usize, sql_type: &SqlType) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row).to_string()),
        DataType::LargeUtf8 => Some(array.as_string::<i64>().value(row).to_string()),
        DataType::Utf8View => Some(array.as_string_view().value(row).to_string()),
        _ => match value::cell(array, row, sql_type) {
            Cell::Null => None,
            Cell::Text(s) => Some(s),
        },
    }
}
