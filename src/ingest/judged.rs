//! Rows that did not become evidence, as spilled per input file: rejected
//! rows (for `rejects.parquet`) and filtered rows (for `filtered.parquet`),
//! each with what was known of it.

use chrono::NaiveDate;

use crate::rules::date::{from_epoch_days, to_epoch_days};
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::reason::Reason;
use crate::spill::{Cursor, put_bytes};
use residence_core::row::validate::Facts;

const PERSON: u8 = 1;
const CITY: u8 = 2;
const START: u8 = 4;
const END: u8 = 8;
const RECORD_ID: u8 = 16;

/// `bit` when `present`.
fn flag(present: bool, bit: u8) -> u8 {
    if present { bit } else { 0 }
}

/// A filtered row: its line, reason, what is known of it, its record id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FilteredRow<'a> {
    /// 1-based line of the record's first line in its file.
    pub line: u32,
    /// Why it does not count (a filter reason).
    pub reason: Reason,
    /// What was known of the row when it stopped.
    pub facts: Facts,
    /// `None` for hukou rows, which have no record id.
    pub record_id: Option<&'a [u8]>,
}

impl<'a> FilteredRow<'a> {
    /// Line, reason, a byte of which parts follow, the parts, the record id.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let f = &self.facts;
        let flags = flag(f.person.is_some(), PERSON)
            | flag(f.city.is_some(), CITY)
            | flag(f.start.is_some(), START)
            | flag(f.end.is_some(), END)
            | flag(self.record_id.is_some(), RECORD_ID);
        out.extend_from_slice(&self.line.to_le_bytes());
        out.push(self.reason as u8);
        out.push(flags);
        if let Some(p) = f.person {
            out.extend_from_slice(&p.as_u64().to_le_bytes());
        }
        if let Some(c) = f.city {
            out.extend_from_slice(&c.code().to_le_bytes());
        }
        for d in [f.start, f.end].into_iter().flatten() {
            out.extend_from_slice(&to_epoch_days(d).to_le_bytes());
        }
        if let Some(id) = self.record_id {
            put_bytes(out, id);
        }
    }

    /// Reads back one row [`Self::encode`] wrote.
    pub fn decode(c: &mut Cursor<'a>) -> Self {
        let line = c.u32();
        let reason = Reason::ALL[usize::from(c.u8())];
        let flags = c.u8();
        let has = |bit: u8| flags & bit != 0;
        let person = has(PERSON).then(|| PersonId::from_u64(c.u64()));
        let city = has(CITY).then(|| Division::new_unchecked(c.u32()));
        let mut day = |bit| has(bit).then(|| from_epoch_days(c.i32()));
        let (start, end): (Option<NaiveDate>, Option<NaiveDate>) = (day(START), day(END));
        let record_id = has(RECORD_ID).then(|| c.len_bytes());
        FilteredRow {
            line,
            reason,
            facts: Facts {
                person,
                city,
                start,
                end,
            },
            record_id,
        }
    }

    /// Skips one encoded row, returning its line (to order a file's rows
    /// without decoding them).
    pub fn skip(c: &mut Cursor<'_>) -> u32 {
        let line = c.u32();
        let _reason = c.u8();
        let flags = c.u8();
        let fixed = [(PERSON, 8), (CITY, 4), (START, 4), (END, 4)]
            .iter()
            .filter(|(bit, _)| flags & bit != 0)
            .map(|(_, n)| n)
            .sum();
        c.bytes(fixed);
        if flags & RECORD_ID != 0 {
            c.len_bytes();
        }
        line
    }
}

/// Filtered rows decoded as columns, ready to become `filtered.parquet`
/// row groups: what [`FilteredRow`]s hold, plus their file and source.
#[derive(Default)]
pub struct FilteredRows {
    /// Index of the input file.
    pub file: Vec<u32>,
    /// `SourceKind as u8`.
    pub source: Vec<u8>,
    /// 1-based line of each row in its file.
    pub line: Vec<u32>,
    /// `Reason as u8` of each row (`superseded` when a later version replaced it).
    pub reason: Vec<u8>,
    /// [`PersonId::as_u64`] of each row's person, when known.
    pub person: Vec<Option<u64>>,
    /// City code.
    pub city: Vec<Option<u32>>,
    /// Epoch days.
    pub start: Vec<Option<i32>>,
    /// Epoch days.
    pub end: Vec<Option<i32>>,
    ids: Vec<u8>,
    /// End of each row's record id in `ids`, and whether it has one.
    id_ends: Vec<(u32, bool)>,
}

impl FilteredRows {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.line.len()
    }

    /// True when no rows are held.
    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    /// Empties the rows, keeping the room they took.
    pub fn clear(&mut self) {
        self.file.clear();
        self.source.clear();
        self.line.clear();
        self.reason.clear();
        self.person.clear();
        self.city.clear();
        self.start.clear();
        self.end.clear();
        self.ids.clear();
        self.id_ends.clear();
    }

    /// Decodes one encoded [`FilteredRow`] of file `file` of `source` onto
    /// the columns, as stored (no dates are built); `replaced`: a later
    /// version replaced it, whatever its reason was.
    pub fn push_encoded(&mut self, file: u32, source: u8, c: &mut Cursor<'_>, replaced: bool) {
        let line = c.u32();
        let reason = c.u8();
        let flags = c.u8();
        self.file.push(file);
        self.source.push(source);
        self.line.push(line);
        self.reason.push(if replaced {
            Reason::Superseded as u8
        } else {
            reason
        });
        self.person.push((flags & PERSON != 0).then(|| c.u64()));
        self.city.push((flags & CITY != 0).then(|| c.u32()));
        self.start.push((flags & START != 0).then(|| c.i32()));
        self.end.push((flags & END != 0).then(|| c.i32()));
        if flags & RECORD_ID != 0 {
            self.ids.extend_from_slice(c.len_bytes());
        }
        self.id_ends
            .push((self.ids.len() as u32, flags & RECORD_ID != 0));
    }

    /// The record ids of rows `range`: their bytes, each one's end in them,
    /// and whether each row has one (a hukou row has none).
    pub fn record_ids(&self, range: std::ops::Range<usize>) -> (&[u8], Vec<u32>, Vec<bool>) {
        let start = if range.start == 0 {
            0
        } else {
            self.id_ends[range.start - 1].0
        };
        let end = range.end.checked_sub(1).map_or(0, |i| self.id_ends[i].0);
        let ends = self.id_ends[range.clone()]
            .iter()
            .map(|&(e, _)| e - start)
            .collect();
        let present = self.id_ends[range].iter().map(|&(_, p)| p).collect();
        (&self.ids[start as usize..end as usize], ends, present)
    }
}

/// A rejected row: its line, reason, person (when its person column holds
/// a valid ID), record id, the detail and the raw text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RejectedRow<'a> {
    /// 1-based line of the record's first line in its file.
    pub line: u32,
    /// Why it was rejected.
    pub reason: Reason,
    /// The row's person, when its person column holds a valid ID.
    pub person: Option<PersonId>,
    /// The record id as outputs show it; `None` for hukou, an empty one, or a malformed row.
    pub record_id: Option<&'a [u8]>,
    /// What was wrong, in English, as UTF-8 (the rejects' `detail`).
    pub detail: &'a [u8],
    /// The record's text as UTF-8, without its final line break (the rejects' `raw`).
    pub raw: &'a [u8],
}

impl<'a> RejectedRow<'a> {
    /// Line, reason, a byte of which parts follow, person, record id, detail, raw.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let flags = flag(self.person.is_some(), PERSON) | flag(self.record_id.is_some(), RECORD_ID);
        out.extend_from_slice(&self.line.to_le_bytes());
        out.push(self.reason as u8);
        out.push(flags);
        if let Some(p) = self.person {
            out.extend_from_slice(&p.as_u64().to_le_bytes());
        }
        if let Some(id) = self.record_id {
            put_bytes(out, id);
        }
        put_bytes(out, self.detail);
        put_bytes(out, self.raw);
    }

    /// Reads back one row [`Self::encode`] wrote.
    pub fn decode(c: &mut Cursor<'a>) -> Self {
        let line = c.u32();
        let reason = Reason::ALL[usize::from(c.u8())];
        let flags = c.u8();
        let person = (flags & PERSON != 0).then(|| PersonId::from_u64(c.u64()));
        let record_id = (flags & RECORD_ID != 0).then(|| c.len_bytes());
        let detail = c.len_bytes();
        RejectedRow {
            line,
            reason,
            person,
            record_id,
            detail,
            raw: c.len_bytes(),
        }
    }

    /// The row as `filtered.parquet` shows it once a later version
    /// replaced it: what was known is its person and record id.
    pub fn superseded(&self) -> FilteredRow<'a> {
        FilteredRow {
            line: self.line,
            reason: Reason::Superseded,
            facts: Facts {
                person: self.person,
                ..Facts::default()
            },
            record_id: self.record_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn rows_round_trip_with_and_without_each_part() {
        let person = PersonId::from_u64(11010519491231002);
        let full = FilteredRow {
            line: 7,
            reason: Reason::OutOfScope,
            facts: Facts {
                person: Some(person),
                city: Some(Division::new_unchecked(350200)),
                start: Some(day("2026-01-01")),
                end: Some(day("2026-01-31")),
            },
            record_id: Some(b"R7"),
        };
        let bare = FilteredRow {
            line: 8,
            reason: Reason::Superseded,
            facts: Facts {
                end: Some(day("2026-02-01")),
                ..Facts::default()
            },
            record_id: None,
        };
        let rejected = RejectedRow {
            line: 9,
            reason: Reason::InvalidDate,
            person: Some(person),
            record_id: Some(b"R9"),
            detail: b"pay_month: not a month",
            raw: b"R9,a,\"b\"",
        };
        let mut buf = Vec::new();
        full.encode(&mut buf);
        bare.encode(&mut buf);
        rejected.encode(&mut buf);
        let mut c = Cursor::new(&buf);
        assert_eq!(FilteredRow::decode(&mut c), full);
        assert_eq!(FilteredRow::decode(&mut c), bare);
        assert_eq!(RejectedRow::decode(&mut c), rejected);
        assert!(c.is_empty());
        let s = rejected.superseded();
        assert_eq!(
            (s.reason, s.facts.person, s.record_id),
            (Reason::Superseded, Some(person), Some(&b"R9"[..]))
        );
    }
}
