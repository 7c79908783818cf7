//! One record as the reader hands it out, and why a record (or the header) is malformed.

use std::fmt;
use std::io;

use crate::pipeline::Encoding;

/// Why a record is a `malformed_row`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Malformed {
    /// A quoted field still open at the end of the file.
    UnclosedQuote,
    /// Not as many fields as the header has.
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the record.
        found: usize,
    },
    /// Bytes invalid in the declared encoding.
    InvalidEncoding,
}

impl Malformed {
    /// Human-readable reject detail. Encoding-neutral; see
    /// [`Record::malformed_detail`] for the variant naming the encoding.
    pub fn detail(&self) -> String {
        self.detail_in(None)
    }

    fn detail_in(&self, encoding: Option<Encoding>) -> String {
        match self {
            Malformed::UnclosedQuote => "quoted field still open at end of file".to_owned(),
            Malformed::FieldCount { expected, found } => {
                format!("expected {expected} fields, found {found}")
            }
            Malformed::InvalidEncoding => match encoding {
                Some(e) => format!("bytes invalid in {}", e.label()),
                None => "bytes invalid in the declared encoding".to_owned(),
            },
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail())
    }
}

/// Failure to read a feed's header record.
#[derive(Debug, thiserror::Error)]
pub enum HeaderError {
    /// The file cannot be read.
    #[error("cannot read header: {0}")]
    Io(#[from] io::Error),
    /// The header record itself is malformed.
    #[error("malformed header: {}", .0.detail())]
    Malformed(Malformed),
}

/// One record, borrowing the reader's buffers until the next call.
#[derive(Debug)]
pub struct Record<'a> {
    pub(super) line: u64,
    /// Byte offset of the record's first byte in the file.
    pub(super) offset: u64,
    pub(super) raw: &'a [u8],
    /// Decoded fields, concatenated; empty when malformed.
    pub(super) text: &'a str,
    /// End offset of each field in `text`; empty when malformed.
    pub(super) ends: &'a [usize],
    /// Bytes between one field's end and the next one's start in `text`.
    pub(super) sep: usize,
    pub(super) nfields: usize,
    pub(super) malformed: Option<Malformed>,
    pub(super) encoding: Encoding,
}

impl<'a> Record<'a> {
    /// 1-based line on which the record starts (the header is line 1).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The record's bytes exactly as in the file, without its final line
    /// break (LF or CRLF).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// [`Self::raw`] decoded in the file's encoding, invalid sequences
    /// replaced by U+FFFD (for reject output).
    pub fn raw_lossy(&self) -> String {
        self.encoding.decode_lossy(self.raw)
    }

    /// Byte offset of the record's first byte in the file: with `raw().len()`,
    /// enough to read its text again later instead of keeping it.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Why the record is malformed; `None` for a well-formed one.
    pub fn malformed(&self) -> Option<Malformed> {
        self.malformed
    }

    /// Reject detail naming the file's encoding ("bytes invalid in gb18030").
    pub fn malformed_detail(&self) -> Option<String> {
        self.malformed.map(|m| m.detail_in(Some(self.encoding)))
    }

    /// Number of fields found (equal to the header's length unless the
    /// record is malformed).
    pub fn len(&self) -> usize {
        self.nfields
    }

    /// True when [`Self::len`] is 0.
    pub fn is_empty(&self) -> bool {
        self.nfields == 0
    }

    /// Decoded field `i`, not trimmed; `""` when out of range or malformed.
    pub fn field(&self, i: usize) -> &'a str {
        let Some(&end) = self.ends.get(i) else {
            return "";
        };
        let start = if i == 0 {
            0
        } else {
            self.ends.get(i - 1).map_or(0, |&e| e + self.sep)
        };
        self.text.get(start..end).unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_details() {
        assert_eq!(
            Malformed::UnclosedQuote.detail(),
            "quoted field still open at end of file"
        );
        let fc = Malformed::FieldCount {
            expected: 7,
            found: 5,
        };
        assert_eq!(fc.detail(), "expected 7 fields, found 5");
        assert_eq!(
            Malformed::InvalidEncoding.detail(),
            "bytes invalid in the declared encoding"
        );
        assert_eq!(
            HeaderError::Malformed(Malformed::UnclosedQuote).to_string(),
            "malformed header: quoted field still open at end of file"
        );
    }
}
