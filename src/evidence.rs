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
    pub fn height(&self) -> usize {
        self.df.height()
    }

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

/// Column-wise builder, filled row by row in the table's sorted order.
pub struct EvidenceBuilder {
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

impl EvidenceBuilder {
    pub fn with_capacity(n: usize) -> Self {
        EvidenceBuilder {
            person: Vec::with_capacity(n),
            city: Vec::with_capacity(n),
            division: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            file: Vec::with_capacity(n),
            row: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
        }
    }

    /// Appends the row a sort key stands for.
    pub fn push(&mut self, k: &SortKey) {
        let (city, person, start, end, source) = unpack(k.key);
        self.person.push(person);
        self.city.push(city);
        self.division.push(k.division);
        self.source.push(source);
        self.start.push(start);
        self.end.push(end);
        self.file.push(k.file);
        self.row.push(k.row);
        self.line.push(k.line);
    }

    /// Joins builders filled in parallel over consecutive slices of the order.
    /// Column by column, each part's copy freed as soon as it is moved, so the
    /// join costs one extra column of memory, not a second table.
    pub fn concat(mut parts: Vec<EvidenceBuilder>, ids: Vec<IdArena>) -> EvidenceTable {
        let height: usize = parts.iter().map(|p| p.person.len()).sum();
        fn join<T: Copy>(
            parts: &mut [EvidenceBuilder],
            height: usize,
            column: fn(&mut EvidenceBuilder) -> &mut Vec<T>,
        ) -> Vec<T> {
            let mut all = Vec::with_capacity(height);
            for p in parts {
                all.extend_from_slice(&std::mem::take(column(p)));
            }
            all
        }
        let date = |name: &str, v: Vec<i32>| {
            Int32Chunked::from_vec(name.into(), v)
                .into_date()
                .into_column()
        };
        let u32s = |name: &str, v: Vec<u32>| UInt32Chunked::from_vec(name.into(), v).into_column();
        let columns = vec![
            UInt64Chunked::from_vec(PERSON.into(), join(&mut parts, height, |p| &mut p.person))
                .into_column(),
            u32s(CITY, join(&mut parts, height, |p| &mut p.city)),
            u32s(DIVISION, join(&mut parts, height, |p| &mut p.division)),
            u32s(SOURCE, join(&mut parts, height, |p| &mut p.source)),
            date(START, join(&mut parts, height, |p| &mut p.start)),
            date(END, join(&mut parts, height, |p| &mut p.end)),
            u32s(FILE, join(&mut parts, height, |p| &mut p.file)),
            u32s(ROW, join(&mut parts, height, |p| &mut p.row)),
            u32s(LINE, join(&mut parts, height, |p| &mut p.line)),
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
