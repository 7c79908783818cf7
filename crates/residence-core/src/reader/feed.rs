//! A feed file's header (SPEC §4 "Header"): read, mapped to the source's
//! canonical fields, and the messages a header error and an empty file
//! give. The nightly run and the Python module read every feed file
//! through this, so both fail and warn in the same words.

use std::io::Read;

use super::header::{Mapping, map_header};
use super::{HeaderError, Record, RecordReader};
use crate::pipeline::SourceConfig;
use crate::pipeline::source::MAX_FIELDS;
use crate::rules::text::trim;

/// The warning for a file with bytes but no header row.
pub const EMPTY_FILE: &str = "empty file: no header, 0 rows";
/// The warning for a 0-byte file (replaces [`EMPTY_FILE`]).
pub const ZERO_BYTE_FILE: &str = "0-byte file: 0 rows";

/// Why a feed file's header cannot be used.
#[derive(Debug)]
pub enum FeedHeaderError {
    /// Reading failed.
    Io(std::io::Error),
    /// A header error (exit 2): its line and what is wrong.
    Header {
        /// 1-based line of the header record.
        line: u64,
        /// What is wrong, naming the column.
        message: String,
    },
}

/// Reads the header of `reader`'s file and maps it to `source`'s canonical
/// fields; `None` for a file without a header row (0 rows, [`EMPTY_FILE`]).
pub fn read_feed_header<R: Read>(
    reader: &mut RecordReader<R>,
    source: &SourceConfig,
) -> Result<Option<Mapping>, FeedHeaderError> {
    let names = match reader.read_header() {
        Ok(Some(names)) => names,
        Ok(None) => return Ok(None),
        Err(HeaderError::Io(e)) => return Err(FeedHeaderError::Io(e)),
        Err(HeaderError::Malformed(m)) => {
            return Err(FeedHeaderError::Header {
                line: reader.header_line(),
                message: format!("the header row is malformed: {}", m.detail()),
            });
        }
    };
    map_header(&names, source)
        .map(Some)
        .map_err(|m| FeedHeaderError::Header {
            line: reader.header_line(),
            message: format!(
                "missing required column \"{}\" (canonical field {} of source {})",
                m.header, m.field, source.kind
            ),
        })
}

/// A well-formed record's trimmed values in canonical field order (absent
/// columns empty), written into `out`.
pub fn mapped_values<'r, 'o>(
    rec: &Record<'r>,
    mapping: &[Option<usize>],
    out: &'o mut [&'r str; MAX_FIELDS],
) -> &'o [&'r str] {
    for (v, col) in out.iter_mut().zip(mapping) {
        *v = col.map_or("", |c| trim(rec.field(c)));
    }
    &out[..mapping.len()]
}
