//! Evidence intervals between the ingest and timeline stages: how one is
//! encoded while it waits in the spill, how the (city, person) space is cut
//! into ordered partitions, and one partition loaded back sorted, as columns.
//!
//! Partitions are ranges of (city, person), in that order, so processing them
//! one after another and concatenating what each yields gives every output in
//! its global sort order without a final merge. The person ranges come from a
//! sample of the input's ID numbers (see `ingest::sample`); a poor sample makes
//! partitions uneven, never wrong.

use std::io;

use crate::pipeline::SourceKind;
use crate::spill::{Cursor, StoreWriter, put_bytes};

/// One accepted evidence interval as ingest spills it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvidenceRecord<'a> {
    /// The first 17 digits of the ID number.
    pub person: u64,
    /// As given, or resolved from the address.
    pub division: u32,
    /// Days since 1970-01-01.
    pub start: i32,
    /// Clipped to the as-of date.
    pub end: i32,
    /// Index of the input file (which also gives the source).
    pub file: u32,
    /// 1-based line of the record's first line in its file.
    pub line: u32,
    /// The record id, trimmed (`order_id` for shopping).
    pub record_id: &'a [u8],
}

// A spilled record is a flags byte and each field as a difference from the
// record before it in the same chunk: consecutive rows of a feed are mostly
// one person's, in one division, a few lines and days apart, with record ids
// that share a long prefix. That takes a typical record from 49 bytes to
// about 10, which is fewer pages to fault in at 100k persons and less spill
// to copy through the page cache at 1M. The small forms are fixed widths
// chosen by the flags (no varints: they cost more to encode than they
// save). The first record of every chunk is marked RESET and differs from
// zeros, so a chunk decodes on its own and chunks may be concatenated.
const RESET: u8 = 1;
const SAME_PERSON: u8 = 2;
const SAME_DIVISION: u8 = 4;
/// Same file as the record before, at most 255 lines later: one byte.
const NEAR_LINE: u8 = 8;
/// Start within ±32767 days of the one before and end within 65535 days of
/// start: two bytes each.
const NEAR_DATES: u8 = 16;

/// The record a chunk's next record is encoded against.
#[derive(Debug, Default)]
struct Last {
    person: u64,
    division: u32,
    file: u32,
    line: u32,
    start: i32,
    id: Vec<u8>,
}

impl Last {
    /// Back to zeros, keeping the id buffer's allocation.
    fn reset(&mut self) {
        let mut id = std::mem::take(&mut self.id);
        id.clear();
        *self = Last {
            id,
            ..Last::default()
        };
    }
}

/// Length of the common prefix of `a` and `b`, eight bytes at a time.
fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 8 <= n {
        let word = |s: &[u8]| u64::from_le_bytes(s[i..i + 8].try_into().expect("8 bytes"));
        let diff = word(a) ^ word(b);
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    i + a[i..n]
        .iter()
        .zip(&b[i..n])
        .take_while(|(x, y)| x == y)
        .count()
}

/// Spills evidence records to a store's partitions, each encoded against
/// the one before it in its partition's current chunk.
pub struct EvidenceWriter<'s, 'a> {
    writer: StoreWriter<'s, 'a>,
    last: Vec<Last>,
}

impl<'s, 'a> EvidenceWriter<'s, 'a> {
    /// A writer onto every partition of `writer`'s store.
    pub fn new(writer: StoreWriter<'s, 'a>) -> Self {
        let last = (0..writer.partitions()).map(|_| Last::default()).collect();
        EvidenceWriter { writer, last }
    }

    /// Appends `r` to partition `p`.
    pub fn push(&mut self, p: usize, r: &EvidenceRecord<'_>) -> io::Result<()> {
        let out = self.writer.buffer(p);
        encode(r, &mut self.last[p], out);
        self.writer.done(p)
    }

    /// Hands over what is left in the buffers.
    pub fn finish(self) -> io::Result<()> {
        self.writer.finish()
    }
}

/// Appends `r` to a chunk whose previous record is `last` (none if `out`
/// is empty: a new chunk starts from zeros).
#[inline]
fn encode(r: &EvidenceRecord<'_>, last: &mut Last, out: &mut Vec<u8>) {
    let reset = out.is_empty();
    if reset {
        last.reset();
    }
    let line_delta = r.line.wrapping_sub(last.line);
    let start_delta = i16::try_from(i64::from(r.start) - i64::from(last.start));
    let length = u16::try_from(i64::from(r.end) - i64::from(r.start));
    let same_person = !reset && r.person == last.person;
    let same_division = !reset && r.division == last.division;
    let near_line = !reset && r.file == last.file && r.line >= last.line && line_delta <= 255;
    let shared = common_prefix(&last.id, r.record_id).min(255);
    let suffix = &r.record_id[shared..];

    out.reserve(1 + 8 + 4 + 8 + 8 + 1 + 10 + suffix.len());
    let mut flags = if reset { RESET } else { 0 };
    flags |= if same_person { SAME_PERSON } else { 0 };
    flags |= if same_division { SAME_DIVISION } else { 0 };
    flags |= if near_line { NEAR_LINE } else { 0 };
    flags |= if start_delta.is_ok() && length.is_ok() {
        NEAR_DATES
    } else {
        0
    };
    out.push(flags);
    if !same_person {
        out.extend_from_slice(&r.person.to_le_bytes());
    }
    if !same_division {
        out.extend_from_slice(&r.division.to_le_bytes());
    }
    if near_line {
        out.push(line_delta as u8);
    } else {
        out.extend_from_slice(&r.file.to_le_bytes());
        out.extend_from_slice(&r.line.to_le_bytes());
    }
    match (start_delta, length) {
        (Ok(d), Ok(l)) => {
            out.extend_from_slice(&d.to_le_bytes());
            out.extend_from_slice(&l.to_le_bytes());
        }
        _ => {
            out.extend_from_slice(&r.start.to_le_bytes());
            out.extend_from_slice(&r.end.to_le_bytes());
        }
    }
    out.push(shared as u8);
    put_bytes(out, suffix);
    last.person = r.person;
    last.division = r.division;
    last.file = r.file;
    last.line = r.line;
    last.start = r.start;
    last.id.truncate(shared);
    last.id.extend_from_slice(suffix);
}

/// Reads back what [`EvidenceWriter`] spilled, record by record.
#[derive(Debug, Default)]
pub struct EvidenceReader {
    last: Last,
}

impl EvidenceReader {
    /// The next record of `c`; its record id lives in the reader until the next call.
    #[inline]
    pub fn next(&mut self, c: &mut Cursor<'_>) -> EvidenceRecord<'_> {
        let flags = c.u8();
        let last = &mut self.last;
        if flags & RESET != 0 {
            last.reset();
        }
        if flags & SAME_PERSON == 0 {
            last.person = c.u64();
        }
        if flags & SAME_DIVISION == 0 {
            last.division = c.u32();
        }
        if flags & NEAR_LINE != 0 {
            last.line += u32::from(c.u8());
        } else {
            last.file = c.u32();
            last.line = c.u32();
        }
        let end = if flags & NEAR_DATES != 0 {
            last.start += i32::from(c.i16());
            last.start + i32::from(c.u16())
        } else {
            last.start = c.i32();
            c.i32()
        };
        let shared = usize::from(c.u8());
        last.id.truncate(shared);
        last.id.extend_from_slice(c.len_bytes());
        EvidenceRecord {
            person: last.person,
            division: last.division,
            start: last.start,
            end,
            file: last.file,
            line: last.line,
            record_id: &last.id,
        }
    }
}

/// Cuts (city, person) into ordered ranges: for each city in scope (in code
/// order), the person ranges between consecutive splitters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partitioner {
    cities: Vec<u32>,
    splitters: Vec<u64>,
}

impl Partitioner {
    /// Partitions for `cities` (none: one catch-all city), cut at the person values `splitters`.
    pub fn new(mut cities: Vec<u32>, mut splitters: Vec<u64>) -> Self {
        cities.sort_unstable();
        cities.dedup();
        if cities.is_empty() {
            cities.push(0);
        }
        splitters.sort_unstable();
        splitters.dedup();
        Partitioner { cities, splitters }
    }

    /// `parts` person ranges per city with about as many sampled people in each.
    pub fn from_sample(cities: Vec<u32>, mut sample: Vec<u64>, parts: usize) -> Self {
        sample.sort_unstable();
        let parts = parts.max(1);
        let splitters = (1..parts)
            .filter_map(|k| sample.get(k * sample.len() / parts).copied())
            .collect();
        Partitioner::new(cities, splitters)
    }

    /// Number of partitions: cities × (splitters + 1).
    pub fn count(&self) -> usize {
        self.cities.len() * (self.splitters.len() + 1)
    }

    /// The partition of (city, person). Cities outside the list (which ingest
    /// filters out of scope) fall to the nearest one.
    #[inline]
    pub fn index(&self, city: u32, person: u64) -> usize {
        let c = self
            .cities
            .partition_point(|&x| x < city)
            .min(self.cities.len() - 1);
        let p = self.splitters.partition_point(|&s| s <= person);
        c * (self.splitters.len() + 1) + p
    }
}

/// One partition's evidence, sorted by city, person, start, end, source,
/// record_id, one vector per column (`source` holds `SourceKind as u32`).
#[derive(Debug, Default)]
pub struct PartitionRows {
    /// [`crate::rules::id::PersonId::as_u64`] of each row's person.
    pub person: Vec<u64>,
    /// City code (`XXXX00`) of each row's division.
    pub city: Vec<u32>,
    /// Division code as given, or resolved from the address.
    pub division: Vec<u32>,
    /// `SourceKind as u32`.
    pub source: Vec<u32>,
    /// First day, in epoch days.
    pub start: Vec<i32>,
    /// Last day, clipped to as-of, in epoch days.
    pub end: Vec<i32>,
    /// Index of the input file.
    pub file: Vec<u32>,
    /// 1-based line of the record's first line in its file.
    pub line: Vec<u32>,
    ids: Vec<u8>,
    id_ends: Vec<u32>,
}

impl PartitionRows {
    /// Decodes the partition's spilled records, keeps those `keep(file, line)`
    /// accepts (the superseded ones are not) and hands the others to
    /// `dropped`, and sorts the kept ones.
    pub fn load(
        chunks: &[Vec<u8>],
        sources: &[SourceKind],
        keep: impl Fn(u32, u32) -> bool,
        mut dropped: impl FnMut(&EvidenceRecord<'_>),
    ) -> PartitionRows {
        // A guess, not a bound: a record takes about 10 bytes when it mostly
        // repeats the one before (see `encode`) and up to about 45 when not,
        // so the columns start between and grow if they must.
        let cap = chunks.iter().map(|c| c.len()).sum::<usize>() / 16;
        let mut keys: Vec<(u128, u32)> = Vec::with_capacity(cap);
        let mut division = Vec::with_capacity(cap);
        let mut file = Vec::with_capacity(cap);
        let mut line = Vec::with_capacity(cap);
        let mut ids: Vec<u8> = Vec::with_capacity(cap * 24);
        let mut id_ends: Vec<u32> = Vec::with_capacity(cap);
        let mut reader = EvidenceReader::default();
        for chunk in chunks {
            let mut c = Cursor::new(chunk);
            while !c.is_empty() {
                let r = reader.next(&mut c);
                if !keep(r.file, r.line) {
                    dropped(&r);
                    continue;
                }
                let city = r.division / 100 * 100;
                let source = sources[r.file as usize];
                keys.push((
                    pack(city, r.person, r.start, r.end, source),
                    keys.len() as u32,
                ));
                division.push(r.division);
                file.push(r.file);
                line.push(r.line);
                ids.extend_from_slice(r.record_id);
                id_ends.push(ids.len() as u32);
            }
        }
        let id = |i: u32| {
            let i = i as usize;
            let start = if i == 0 { 0 } else { id_ends[i - 1] as usize };
            &ids[start..id_ends[i] as usize]
        };
        // Integers first; then only the short runs of equal keys (two insurance
        // records of one month, say) compare record ids. (source, record_id) is
        // unique once superseded versions are gone, so the order is total.
        keys.sort_unstable_by_key(|k| k.0);
        for run in keys.chunk_by_mut(|a, b| a.0 == b.0) {
            if run.len() > 1 {
                run.sort_unstable_by(|a, b| id(a.1).cmp(id(b.1)));
            }
        }

        // One tight pass per column: the key's columns decode in order, the
        // rest are gathered by the sorted index.
        let unpacked = |f: fn(u128) -> u64| keys.iter().map(move |&(k, _)| f(k));
        let gather = |v: &[u32]| {
            keys.iter()
                .map(|&(_, i)| v[i as usize])
                .collect::<Vec<u32>>()
        };
        let mut sorted_ids = Vec::with_capacity(ids.len());
        let mut sorted_ends = Vec::with_capacity(keys.len());
        for &(_, i) in &keys {
            sorted_ids.extend_from_slice(id(i));
            sorted_ends.push(sorted_ids.len() as u32);
        }
        PartitionRows {
            person: unpacked(|k| unpack(k).1).collect(),
            city: unpacked(|k| u64::from(unpack(k).0))
                .map(|c| c as u32)
                .collect(),
            source: unpacked(|k| u64::from(unpack(k).4))
                .map(|s| s as u32)
                .collect(),
            start: unpacked(|k| unpack(k).2 as u64).map(|d| d as i32).collect(),
            end: unpacked(|k| unpack(k).3 as u64).map(|d| d as i32).collect(),
            division: gather(&division),
            file: gather(&file),
            line: gather(&line),
            ids: sorted_ids,
            id_ends: sorted_ends,
        }
    }

    /// The rows as the core's timeline reads them.
    pub fn sorted(&self) -> residence_core::timeline::SortedEvidence<'_> {
        residence_core::timeline::SortedEvidence {
            person: &self.person,
            city: &self.city,
            division: &self.division,
            source: &self.source,
            start: &self.start,
            end: &self.end,
        }
    }

    /// Rows.
    pub fn len(&self) -> usize {
        self.person.len()
    }

    /// True when no rows are held.
    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
    }

    /// The record ids of rows `range`: their bytes and each one's end in them.
    pub fn record_ids(&self, range: std::ops::Range<usize>) -> (&[u8], Vec<u32>) {
        let start = if range.start == 0 {
            0
        } else {
            self.id_ends[range.start - 1]
        };
        let end = range.end.checked_sub(1).map_or(0, |i| self.id_ends[i]);
        let ends = self.id_ends[range].iter().map(|&e| e - start).collect();
        (&self.ids[start as usize..end as usize], ends)
    }

    /// Row `i`'s record id (ingest only spills ids that were text).
    pub fn record_id(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            self.id_ends[i - 1] as usize
        };
        std::str::from_utf8(&self.ids[start..self.id_ends[i] as usize]).unwrap_or_default()
    }
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
pub(crate) mod tests {
    use super::*;

    /// Records one after another in one chunk, as an [`EvidenceWriter`] buffer holds them.
    pub(crate) fn encode_chunk(records: &[EvidenceRecord<'_>]) -> Vec<u8> {
        let mut last = Last::default();
        let mut chunk = Vec::new();
        for r in records {
            encode(r, &mut last, &mut chunk);
        }
        chunk
    }

    /// A record's fields, owning its id.
    type Owned = (u64, u32, i32, i32, u32, u32, Vec<u8>);

    fn decode_all(bytes: &[u8]) -> Vec<Owned> {
        let mut reader = EvidenceReader::default();
        let mut c = Cursor::new(bytes);
        let mut out = Vec::new();
        while !c.is_empty() {
            let r = reader.next(&mut c);
            out.push(owned(&r));
        }
        out
    }

    fn owned(r: &EvidenceRecord<'_>) -> Owned {
        (
            r.person,
            r.division,
            r.start,
            r.end,
            r.file,
            r.line,
            r.record_id.to_vec(),
        )
    }

    #[test]
    fn a_run_of_similar_records_takes_few_bytes() {
        let ids: Vec<String> = (0..100)
            .map(|i| format!("SB35010000000000700{i:02}"))
            .collect();
        let records: Vec<EvidenceRecord<'_>> = ids
            .iter()
            .enumerate()
            .map(|(i, id)| EvidenceRecord {
                person: 35050219900101001,
                division: 350502,
                start: 19_000 + 30 * i as i32,
                end: 19_029 + 30 * i as i32,
                file: 3,
                line: 70_000 + i as u32,
                record_id: id.as_bytes(),
            })
            .collect();
        let chunk = encode_chunk(&records);
        // 49 bytes a record before this encoding (4,900 here). Now the first
        // in full, then a flag, a line, two dates, the shared length and a
        // 1-2 byte id tail behind its length: 9-10 bytes each.
        assert!(chunk.len() <= 50 + 99 * 10, "{} bytes", chunk.len());
        let back = decode_all(&chunk);
        assert_eq!(back, records.iter().map(owned).collect::<Vec<_>>());
    }

    proptest::proptest! {
        /// Any records, cut into chunks anywhere, each encoded on its own
        /// (a new writer buffer starts from zeros), read back in order after
        /// the chunks are concatenated (as a spill file holds them), and
        /// each chunk on its own too.
        #[test]
        fn records_round_trip_across_chunks(
            raw in proptest::collection::vec(
                (0u64..4, 0u32..3, -800_000i32..800_000, -5i32..70_000, 0u32..3, 0u32..700,
                 "[A-C]{0,3}[0-9]{0,3}", proptest::bool::weighted(0.2)),
                1..120,
            ),
            cuts in proptest::collection::vec(0usize..120, 0..6),
        ) {
            // Some ids share a prefix longer than the 255 bytes a record can
            // point back to.
            let ids: Vec<String> = raw
                .iter()
                .map(|(.., id, long)| if *long { "L".repeat(300) + id } else { id.clone() })
                .collect();
            let records: Vec<EvidenceRecord<'_>> = raw
                .iter()
                .zip(&ids)
                .map(|((p, d, start, len, file, line, ..), id)| EvidenceRecord {
                    person: [0, 1, 35050219900101001, (1 << 57) - 1][*p as usize],
                    division: [110101, 350502, 350503][*d as usize],
                    start: *start,
                    end: start + len,
                    file: *file,
                    line: *line,
                    record_id: id.as_bytes(),
                })
                .collect();
            let mut bounds: Vec<usize> = cuts.into_iter().filter(|&c| c < records.len()).collect();
            bounds.extend([0, records.len()]);
            bounds.sort_unstable();
            bounds.dedup();
            let chunks: Vec<Vec<u8>> = bounds
                .windows(2)
                .map(|w| encode_chunk(&records[w[0]..w[1]]))
                .collect();
            let expected: Vec<_> = records.iter().map(owned).collect();
            proptest::prop_assert_eq!(decode_all(&chunks.concat()), expected.clone());
            for (w, chunk) in bounds.windows(2).zip(&chunks) {
                proptest::prop_assert_eq!(decode_all(chunk), expected[w[0]..w[1]].to_vec());
            }
        }
    }

    #[test]
    fn partitions_are_ordered_ranges_of_city_then_person() {
        let p = Partitioner::from_sample(vec![350500, 350200], (0..1000).collect(), 4);
        assert_eq!(p.count(), 8);
        let mut last = 0;
        for city in [350200, 350500] {
            for person in (0..2000).step_by(7) {
                let i = p.index(city, person);
                assert!(i >= last, "partition index falls along (city, person)");
                last = i;
            }
        }
        assert_eq!(p.index(350200, 0), 0);
        assert_eq!(p.index(350500, u64::MAX), 7);
        // About a quarter of the sample in each range.
        let sizes: Vec<usize> = (0..4)
            .map(|k| (0..1000).filter(|&x| p.index(350200, x) == k).count())
            .collect();
        assert_eq!(sizes, vec![250, 250, 250, 250]);
    }

    #[test]
    fn a_loaded_partition_is_sorted_without_the_rows_it_drops() {
        let sources = [SourceKind::Utility, SourceKind::Lease];
        let rec = |person, start, file, line, id: &'static str| EvidenceRecord {
            person,
            division: 350503,
            start,
            end: start + 10,
            file,
            line,
            record_id: id.as_bytes(),
        };
        let chunk = encode_chunk(&[
            rec(2, 5, 0, 2, "b"),
            rec(1, 9, 1, 2, "z"),
            rec(2, 5, 0, 3, "a"),
            rec(1, 9, 0, 4, "y"),
            rec(1, 1, 0, 5, "gone"),
        ]);
        let mut dropped = Vec::new();
        let rows = PartitionRows::load(
            &[chunk],
            &sources,
            |file, line| (file, line) != (0, 5),
            |r| dropped.push((r.file, r.line, r.person, r.record_id.to_vec())),
        );
        assert_eq!(dropped, [(0, 5, 1, b"gone".to_vec())]);
        assert_eq!(rows.person, vec![1, 1, 2, 2]);
        // Lease sorts before utility; equal keys fall back to the record id.
        let (lease, utility) = (SourceKind::Lease as u32, SourceKind::Utility as u32);
        assert_eq!(rows.source, vec![lease, utility, utility, utility]);
        let ids: Vec<&str> = (0..rows.len()).map(|i| rows.record_id(i)).collect();
        assert_eq!(ids, vec!["z", "y", "a", "b"]);
        assert_eq!(rows.city, vec![350500; 4]);
        assert_eq!(rows.line, vec![2, 4, 3, 2]);
    }

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
