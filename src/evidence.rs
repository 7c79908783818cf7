//! Evidence intervals between the ingest and timeline stages: how one is
//! encoded while it waits in the spill, how the (city, person) space is cut
//! into ordered partitions, and one partition loaded back sorted, as columns.
//!
//! Partitions are ranges of (city, person), in that order, so processing them
//! one after another and concatenating what each yields gives every output in
//! its global sort order without a final merge. The person ranges come from a
//! sample of the input's ID numbers (see `ingest::sample`); a poor sample makes
//! partitions uneven, never wrong.

use crate::pipeline::SourceKind;
use crate::spill::{Cursor, put_bytes};

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
    pub line: u32,
    pub record_id: &'a [u8],
}

impl<'a> EvidenceRecord<'a> {
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.person.to_le_bytes());
        out.extend_from_slice(&self.division.to_le_bytes());
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.end.to_le_bytes());
        out.extend_from_slice(&self.file.to_le_bytes());
        out.extend_from_slice(&self.line.to_le_bytes());
        put_bytes(out, self.record_id);
    }

    pub fn decode(c: &mut Cursor<'a>) -> Self {
        let person = c.u64();
        let division = c.u32();
        let start = c.i32();
        let end = c.i32();
        let file = c.u32();
        let line = c.u32();
        EvidenceRecord {
            person,
            division,
            start,
            end,
            file,
            line,
            record_id: c.len_bytes(),
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
    pub person: Vec<u64>,
    pub city: Vec<u32>,
    pub division: Vec<u32>,
    pub source: Vec<u32>,
    pub start: Vec<i32>,
    pub end: Vec<i32>,
    pub file: Vec<u32>,
    pub line: Vec<u32>,
    ids: Vec<u8>,
    id_ends: Vec<u32>,
}

impl PartitionRows {
    /// Decodes the partition's spilled records, keeps those `keep(file, line)`
    /// accepts (the superseded ones are not), and sorts them.
    pub fn load(
        chunks: &[Vec<u8>],
        sources: &[SourceKind],
        keep: impl Fn(u32, u32) -> bool,
    ) -> PartitionRows {
        // Records are at least 29 bytes (28 fixed, a 1-byte id length):
        // enough room, never a reallocation.
        let cap = chunks.iter().map(|c| c.len()).sum::<usize>() / 29;
        let mut keys: Vec<(u128, u32)> = Vec::with_capacity(cap);
        let mut division = Vec::with_capacity(cap);
        let mut file = Vec::with_capacity(cap);
        let mut line = Vec::with_capacity(cap);
        let mut ids: Vec<u8> = Vec::with_capacity(cap * 24);
        let mut id_ends: Vec<u32> = Vec::with_capacity(cap);
        for chunk in chunks {
            let mut c = Cursor::new(chunk);
            while !c.is_empty() {
                let r = EvidenceRecord::decode(&mut c);
                if !keep(r.file, r.line) {
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

    pub fn len(&self) -> usize {
        self.person.len()
    }

    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
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
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_through_their_encoding() {
        let r = EvidenceRecord {
            person: 35050219900101001,
            division: 350502,
            start: -5,
            end: 20_000,
            file: 3,
            line: 70_000,
            record_id: "SB-1 二".as_bytes(),
        };
        let mut buf = Vec::new();
        r.encode(&mut buf);
        r.encode(&mut buf);
        let mut c = Cursor::new(&buf);
        assert_eq!(EvidenceRecord::decode(&mut c), r);
        assert_eq!(EvidenceRecord::decode(&mut c), r);
        assert!(c.is_empty());
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
        let mut chunk = Vec::new();
        for r in [
            rec(2, 5, 0, 2, "b"),
            rec(1, 9, 1, 2, "z"),
            rec(2, 5, 0, 3, "a"),
            rec(1, 9, 0, 4, "y"),
            rec(1, 1, 0, 5, "gone"),
        ] {
            r.encode(&mut chunk);
        }
        let rows = PartitionRows::load(&[chunk], &sources, |file, line| (file, line) != (0, 5));
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
