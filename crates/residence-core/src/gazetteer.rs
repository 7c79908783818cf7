//! The gazetteer CSV (`divisions.csv`: code, name, parent_code) read into a
//! [`Gazetteer`], from any reader: the caller opens the file.

use std::io::Read;

use crate::reader::{Encoding, HeaderError, RecordReader};
use crate::rules::address::Gazetteer;
use crate::rules::division::Division;
use crate::rules::text::trim;

/// Why the gazetteer cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum GazetteerError {
    /// Reading failed.
    #[error("cannot read it")]
    Io(#[source] std::io::Error),
    /// The text is not a gazetteer: the message says where and why.
    #[error("{0}")]
    Invalid(String),
}

/// Reads the gazetteer CSV (UTF-8; columns `code`, `name`, `parent_code`).
pub fn read_gazetteer(input: impl Read) -> Result<Gazetteer, GazetteerError> {
    let fail = |message: String| GazetteerError::Invalid(message);
    let mut reader = RecordReader::new(input, Encoding::Utf8);
    let header = match reader.read_header() {
        Ok(Some(h)) => h,
        Ok(None) => return Err(fail("the file is empty".to_owned())),
        Err(HeaderError::Io(e)) => return Err(GazetteerError::Io(e)),
        Err(HeaderError::Malformed(m)) => {
            let line = reader.header_line();
            return Err(fail(format!("line {line}: malformed header: {m}")));
        }
    };
    let header_line = reader.header_line();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(format!("line {header_line}: missing column \"{name}\"")))
    };
    let (code, name, parent) = (col("code")?, col("name")?, col("parent_code")?);
    let mut entries = Vec::new();
    while let Some(rec) = reader.next_record().map_err(GazetteerError::Io)? {
        let line = rec.line();
        if let Some(m) = rec.malformed() {
            return Err(fail(format!("line {line}: {}", m.detail())));
        }
        let division = six_digits(trim(rec.field(code))).ok_or_else(|| {
            fail(format!(
                "line {line}: invalid code \"{}\" (six digits expected)",
                rec.field(code)
            ))
        })?;
        let parent = six_digits(trim(rec.field(parent)));
        entries.push((division, trim(rec.field(name)).to_owned(), parent));
    }
    Ok(Gazetteer::new(entries))
}

/// A gazetteer code: six digits. Unlike a feed's division it may be a bare
/// province (`350000`), which locates no city and is ignored for addresses.
fn six_digits(s: &str) -> Option<Division> {
    (s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok().map(Division::new_unchecked))
        .flatten()
}
