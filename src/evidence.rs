//! The evidence table: the one table between the ingest and timeline stages.
//!
//! Compact columns (ids as integers, dates as Date) so that it sorts fast and
//! could be persisted for incremental nightly runs; [`crate::output`] turns it
//! into the published `evidence.parquet` schema.
//!
//! Record ids stay in the per-file arenas ingest already holds (the table
//! keeps each row's file and row number), like a dictionary-encoded column:
//! copying them into a text column as well would hold every id twice while
//! the table is built. Persisting the table means materialising them
//! ([`EvidenceSlice::record_ids`]).

use polars::prelude::*;

use crate::ingest::file::IdArena;
use crate::pipeline::SourceKind;

pub const PERSON: &str = "person";
pub const CITY: &str = "city";
pub const DIVISION: &str = "division";
pub const SOURCE: &str = "source";
pub const START: &str = "start";
pub const END: &str = "end";
pub const FILE: &str = "file";
pub const ROW: &str = "row";
pub const LINE: &str = "line";

/// Accepted evidence, one row per interval, sorted by city, person, start,
/// end, source, record_id. Columns: person (u64: the first 17 digits of the ID
/// number), city, division (u32 codes), source (u32: [`SourceKind`] as u32;
/// polars' u8 needs a feature we do not build), start, end (Date), file (u32:
/// index of the input file), row (u32: row in that file, for its record id),
/// line (u32).
pub struct EvidenceTable {
    pub df: DataFrame,
    /// Record ids per input file, indexed by (file, row).
    pub ids: Vec<IdArena>,
}

impl EvidenceTable {
    /// Rows `offset .. offset + len` (ids shared, not copied).
    pub fn slice(&self, offset: usize, len: usize) -> EvidenceSlice<'_> {
        EvidenceSlice {
            df: self.df.slice(offset as i64, len),
            ids: &self.ids,
        }
    }
}

/// A run of the table's rows, for writing it in batches.
pub struct EvidenceSlice<'a> {
    pub df: DataFrame,
    pub ids: &'a [IdArena],
}

impl EvidenceSlice<'_> {
    /// The rows' record ids, in order, as a text column.
    pub fn record_ids(&self, name: &str) -> PolarsResult<Column> {
        let file = self.df.column(FILE)?.u32()?;
        let row = self.df.column(ROW)?.u32()?;
        let mut b = StringChunkedBuilder::new(name.into(), self.df.height());
        for (f, r) in file.into_no_null_iter().zip(row.into_no_null_iter()) {
            b.append_value(self.ids[f as usize].get(r as usize));
        }
        Ok(b.finish().into_column())
    }
}

/// The table's columns as plain vectors, filled in place in sorted order.
struct Columns {
    person: Vec<u64>,
    city: Vec<u32>,
    division: Vec<u32>,
    source: Vec<u32>,
    start: Vec<i32>,
    end: Vec<i32>,
    file: Vec<u32>,
    row: Vec<u32>,
    line: Vec<u32>,
}

/// Mutable views of the same rows of every column.
struct ColumnsMut<'a> {
    person: &'a mut [u64],
    city: &'a mut [u32],
    division: &'a mut [u32],
    source: &'a mut [u32],
    start: &'a mut [i32],
    end: &'a mut [i32],
    file: &'a mut [u32],
    row: &'a mut [u32],
    line: &'a mut [u32],
}

impl Columns {
    /// Zero-allocated: pages cost memory only once written.
    fn zeroed(n: usize) -> Self {
        Columns {
            person: vec![0; n],
            city: vec![0; n],
            division: vec![0; n],
            source: vec![0; n],
            start: vec![0; n],
            end: vec![0; n],
            file: vec![0; n],
            row: vec![0; n],
            line: vec![0; n],
        }
    }

    fn rows(&mut self, from: usize) -> ColumnsMut<'_> {
        ColumnsMut {
            person: &mut self.person[from..],
            city: &mut self.city[from..],
            division: &mut self.division[from..],
            source: &mut self.source[from..],
            start: &mut self.start[from..],
            end: &mut self.end[from..],
            file: &mut self.file[from..],
            row: &mut self.row[from..],
            line: &mut self.line[from..],
        }
    }
}

impl<'a> ColumnsMut<'a> {
    fn split_at(self, mid: usize) -> (ColumnsMut<'a>, ColumnsMut<'a>) {
        let (person, person2) = self.person.split_at_mut(mid);
        let (city, city2) = self.city.split_at_mut(mid);
        let (division, division2) = self.division.split_at_mut(mid);
        let (source, source2) = self.source.split_at_mut(mid);
        let (start, start2) = self.start.split_at_mut(mid);
        let (end, end2) = self.end.split_at_mut(mid);
        let (file, file2) = self.file.split_at_mut(mid);
        let (row, row2) = self.row.split_at_mut(mid);
        let (line, line2) = self.line.split_at_mut(mid);
        (
            ColumnsMut {
                person,
                city,
                division,
                source,
                start,
                end,
                file,
                row,
                line,
            },
            ColumnsMut {
                person: person2,
                city: city2,
                division: division2,
                source: source2,
                start: start2,
                end: end2,
                file: file2,
                row: row2,
                line: line2,
            },
        )
    }

    /// Writes the rows the keys stand for, splitting the work across the pool.
    fn fill(self, keys: &[SortKey]) {
        const SERIAL: usize = 1 << 16;
        if keys.len() > SERIAL {
            let mid = keys.len() / 2;
            let (a, b) = self.split_at(mid);
            rayon::join(|| a.fill(&keys[..mid]), || b.fill(&keys[mid..]));
            return;
        }
        for (i, k) in keys.iter().enumerate() {
            let (city, person, start, end, source) = unpack(k.key);
            self.person[i] = person;
            self.city[i] = city;
            self.division[i] = k.division;
            self.source[i] = source;
            self.start[i] = start;
            self.end[i] = end;
            self.file[i] = k.file;
            self.row[i] = k.row;
            self.line[i] = k.line;
        }
    }
}

impl EvidenceTable {
    /// Builds the table from sorted keys, consuming them from the end a round
    /// at a time: each round's keys are cut off and their memory returned, so
    /// the keys shrink as the table grows instead of both being held whole.
    pub fn from_sorted_keys(
        mut keys: Vec<SortKey>,
        ids: Vec<IdArena>,
        pool: &rayon::ThreadPool,
    ) -> EvidenceTable {
        let height = keys.len();
        let mut columns = Columns::zeroed(height);
        let round = (height / 8).max(1 << 20);
        while !keys.is_empty() {
            let from = keys.len().saturating_sub(round);
            let rows = columns.rows(from);
            pool.install(|| rows.fill(&keys[from..]));
            keys.truncate(from);
            keys.shrink_to_fit();
        }
        let Columns {
            person,
            city,
            division,
            source,
            start,
            end,
            file,
            row,
            line,
        } = columns;
        let date = |name: &str, v: Vec<i32>| {
            Int32Chunked::from_vec(name.into(), v)
                .into_date()
                .into_column()
        };
        let u32s = |name: &str, v: Vec<u32>| UInt32Chunked::from_vec(name.into(), v).into_column();
        let columns = vec![
            UInt64Chunked::from_vec(PERSON.into(), person).into_column(),
            u32s(CITY, city),
            u32s(DIVISION, division),
            u32s(SOURCE, source),
            date(START, start),
            date(END, end),
            u32s(FILE, file),
            u32s(ROW, row),
            u32s(LINE, line),
        ];
        let df = DataFrame::new(height, columns).expect("columns have equal length");
        EvidenceTable { df, ids }
    }
}

/// Where an accepted evidence row sits among the ingested files, with its sort key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SortKey {
    /// city, person, start, end, source packed so that integer order is SPEC §7's
    /// evidence order up to the record id (see [`pack`]).
    pub key: u128,
    pub file: u32,
    /// Row in the file: where its record id is.
    pub row: u32,
    // The rest of the row, so the files' row verdicts can be freed before the sort.
    pub division: u32,
    pub line: u32,
}

// Bit layout, high to low: city (20 bits: codes < 10^6), person (57: 17 digits <
// 2^57), start (22), end (22: days from 0000-01-01, four-digit years), source (4).
const DAY_BITS: u32 = 22;
const DAY_OFFSET: i32 = 719_528; // 0000-01-01 .. 1970-01-01

/// Packs the evidence order's leading keys into one integer, so the sort of
/// millions of rows compares integers and only looks at record ids on a tie.
pub fn pack(city: u32, person: u64, start: i32, end: i32, source: SourceKind) -> u128 {
    let day = |d: i32| (d.saturating_add(DAY_OFFSET).max(0) as u128) & ((1 << DAY_BITS) - 1);
    (u128::from(city) << (4 + 2 * DAY_BITS + 57))
        | (u128::from(person) << (4 + 2 * DAY_BITS))
        | (day(start) << (4 + DAY_BITS))
        | (day(end) << 4)
        | source as u128
}

/// The inverse of [`pack`]: (city, person, start, end, source as u32).
pub fn unpack(key: u128) -> (u32, u64, i32, i32, u32) {
    let day = |bits: u128| (bits & ((1 << DAY_BITS) - 1)) as i32 - DAY_OFFSET;
    (
        (key >> (4 + 2 * DAY_BITS + 57)) as u32,
        ((key >> (4 + 2 * DAY_BITS)) & ((1 << 57) - 1)) as u64,
        day(key >> (4 + DAY_BITS)),
        day(key >> 4),
        (key & 0xF) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_order_is_tuple_order() {
        let rows = [
            (350500, 11010519491231002u64, -3, 10, SourceKind::Utility),
            (350500, 11010519491231002, -3, 10, SourceKind::Lease),
            (
                350500,
                11010519491231002,
                -3,
                11,
                SourceKind::BusinessLicense,
            ),
            (
                350500,
                11010519491231002,
                20_000,
                20_001,
                SourceKind::BusinessLicense,
            ),
            (
                350500,
                99999999999999999,
                -700_000,
                2_900_000,
                SourceKind::Telecom,
            ),
            (350200, 99999999999999999, 5, 6, SourceKind::Utility),
            (350600, 0, 0, 0, SourceKind::BusinessLicense),
        ];
        let mut by_tuple = rows.to_vec();
        by_tuple.sort_by_key(|&(c, p, s, e, k)| (c, p, s, e, k));
        let mut by_key = rows.to_vec();
        by_key.sort_by_key(|&(c, p, s, e, k)| pack(c, p, s, e, k));
        assert_eq!(by_tuple, by_key);
        for &(c, p, s, e, k) in &rows {
            assert_eq!(unpack(pack(c, p, s, e, k)), (c, p, s, e, k as u32));
        }
    }
}
