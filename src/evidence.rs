//! The evidence table: the one table between the ingest and timeline stages.
//!
//! Compact columns (ids as integers, dates as Date) so that it sorts fast and
//! could be persisted for incremental nightly runs; [`crate::output`] turns it
//! into the published `evidence.parquet` schema.

use polars::prelude::*;

use crate::ingest::validate::Evidence;
use crate::pipeline::SourceKind;
use crate::rules::date::to_epoch_days;

pub const PERSON: &str = "person";
pub const CITY: &str = "city";
pub const DIVISION: &str = "division";
pub const SOURCE: &str = "source";
pub const RECORD_ID: &str = "record_id";
pub const START: &str = "start";
pub const END: &str = "end";
pub const FILE: &str = "file";
pub const LINE: &str = "line";

/// Accepted evidence, one row per interval. Columns: person (u64: the first 17
/// digits of the ID number), city, division (u32 codes), source (u32:
/// [`SourceKind`] as u32; polars' u8 needs a feature we do not build), record_id (str), start, end (Date), file (u32: index of
/// the input file), line (u32).
pub struct EvidenceTable {
    pub df: DataFrame,
}

/// Column-wise builder, filled row by row during ingest.
pub struct EvidenceBuilder {
    person: Vec<u64>,
    city: Vec<u32>,
    division: Vec<u32>,
    source: Vec<u32>,
    record_id: StringChunkedBuilder,
    start: Vec<i32>,
    end: Vec<i32>,
    file: Vec<u32>,
    line: Vec<u32>,
}

impl EvidenceBuilder {
    pub fn with_capacity(n: usize) -> Self {
        EvidenceBuilder {
            person: Vec::with_capacity(n),
            city: Vec::with_capacity(n),
            division: Vec::with_capacity(n),
            source: Vec::with_capacity(n),
            record_id: StringChunkedBuilder::new(RECORD_ID.into(), n),
            start: Vec::with_capacity(n),
            end: Vec::with_capacity(n),
            file: Vec::with_capacity(n),
            line: Vec::with_capacity(n),
        }
    }

    pub fn push(
        &mut self,
        e: &Evidence,
        source: SourceKind,
        record_id: &str,
        file: u32,
        line: u32,
    ) {
        self.person.push(e.person.as_u64());
        self.city.push(e.division.city().code());
        self.division.push(e.division.code());
        self.source.push(source as u32);
        self.record_id.append_value(record_id);
        self.start.push(to_epoch_days(e.start));
        self.end.push(to_epoch_days(e.end));
        self.file.push(file);
        self.line.push(line);
    }

    pub fn finish(self) -> EvidenceTable {
        let height = self.person.len();
        let date = |name: &str, v: Vec<i32>| {
            Int32Chunked::from_vec(name.into(), v)
                .into_date()
                .into_column()
        };
        let columns = vec![
            UInt64Chunked::from_vec(PERSON.into(), self.person).into_column(),
            UInt32Chunked::from_vec(CITY.into(), self.city).into_column(),
            UInt32Chunked::from_vec(DIVISION.into(), self.division).into_column(),
            UInt32Chunked::from_vec(SOURCE.into(), self.source).into_column(),
            self.record_id.finish().into_column(),
            date(START, self.start),
            date(END, self.end),
            UInt32Chunked::from_vec(FILE.into(), self.file).into_column(),
            UInt32Chunked::from_vec(LINE.into(), self.line).into_column(),
        ];
        let df = DataFrame::new(height, columns).expect("columns have equal length");
        EvidenceTable { df }
    }
}

impl EvidenceTable {
    /// Sorts by city, person, start, end, source, record_id (SPEC §7's evidence
    /// order, which is also the order the spell merge needs).
    pub fn sort(&mut self) -> PolarsResult<()> {
        self.df.sort_in_place(
            [CITY, PERSON, START, END, SOURCE, RECORD_ID],
            SortMultipleOptions::default()
                .with_multithreaded(true)
                .with_maintain_order(false),
        )?;
        self.df.rechunk_mut();
        Ok(())
    }

    pub fn height(&self) -> usize {
        self.df.height()
    }
}
