//! Reading chosen fields of JSON payloads without parsing them.
//!
//! A [`FieldTable`] holds the dotted paths a processor reads; [`Collected`]
//! reads a payload's raw bytes (or a parsed tree) and gives the leaf values at
//! those paths, skipping everything else unparsed. The filter matches event
//! patterns on them; the aggregate takes its group keys and metric values
//! from them. [`FieldReader`] puts the two together for one record.

mod collect;
mod fields;
mod leaf;
mod nesting;
mod reader;
mod special;
mod valid;

pub use collect::ScanError;
pub use collect::{Collected, Step};
pub use fields::{FieldId, FieldTable};
pub use leaf::{Leaf, Number};
pub use nesting::{MAX_NESTING, TOO_DEEP, too_deep_at};
pub use reader::FieldReader;
pub use special::special_byte_at;
pub(crate) use valid::surely_valid;
pub use valid::{string_end, value_end};

/// What the fuzz targets hold to a reference (cargo fuzz builds with
/// `--cfg fuzzing`): what [`surely_valid`] vouches for, serde_json must read.
#[cfg(fuzzing)]
pub mod fuzzing {
    pub use super::valid::surely_valid;
}
