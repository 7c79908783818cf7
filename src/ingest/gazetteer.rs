//! Loading the gazetteer (`divisions.csv`: code, name, parent_code) used to place addresses.

use std::path::Path;

use super::IngestError;
use super::reader::{Encoding, RecordReader};
use crate::rules::address::Gazetteer;
use crate::rules::division::Division;
use crate::rules::text::trim;

pub fn load_gazetteer(path: &Path) -> Result<Gazetteer, IngestError> {
    let fail = |message: String| IngestError::Gazetteer {
        path: path.to_owned(),
        message,
    };
    let file = std::fs::File::open(path).map_err(|e| IngestError::Io {
        path: path.to_owned(),
        source: e,
    })?;
    let mut reader = RecordReader::new(std::io::BufReader::new(file), Encoding::Utf8);
    let header = reader
        .read_header()
        .map_err(|e| fail(format!("line 1: unreadable header: {e:?}")))?
        .ok_or_else(|| fail("empty file".to_owned()))?;
    let col = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| fail(format!("line 1: missing column {name:?}")))
    };
    let (code, name, parent) = (col("code")?, col("name")?, col("parent_code")?);
    let mut entries = Vec::new();
    while let Some(rec) = reader.next_record().map_err(|e| IngestError::Io {
        path: path.to_owned(),
        source: e,
    })? {
        let line = rec.line();
        if let Some(m) = rec.malformed() {
            return Err(fail(format!("line {line}: {}", m.detail())));
        }
        let division = six_digits(trim(rec.field(code)))
            .ok_or_else(|| fail(format!("line {line}: invalid code {:?}", rec.field(code))))?;
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
