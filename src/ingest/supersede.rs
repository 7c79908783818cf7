//! SPEC §5 step 2: within a source, rows sharing a record id are versions of one
//! record; the last one (files in path order, rows in file order) wins.
//!
//! This runs across the whole source, not per person: a re-sent record may
//! carry a corrected ID number.
//!
//! One hash table over millions of record ids misses the cache on nearly every
//! probe, so the rows are first partitioned by the top bits of their id's hash
//! (a stable scatter that keeps row order within a partition); each partition
//! then gets a small table that fits in cache, and partitions are independent,
//! so they run in parallel.
//!
//! Memory is the constraint at scale (this runs while every row's verdict is
//! held): the scatter array holds only each row's position (8 bytes), and
//! hashes are computed again where needed rather than stored — hashing a short
//! id costs less than keeping 8 more bytes for each of tens of millions of rows.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};
use rayon::prelude::*;

use super::file::FileResult;
use super::validate::Outcome;
use crate::rules::reason::Reason;

const PARTITION_BITS: u32 = 8;
const PARTITIONS: usize = 1 << PARTITION_BITS;

/// A row's position: `file << 32 | row`.
type Position = u64;

fn position(file: usize, row: usize) -> Position {
    ((file as u64) << 32) | row as u64
}

fn split(p: Position) -> (usize, usize) {
    ((p >> 32) as usize, (p & u64::from(u32::MAX)) as usize)
}

fn partition(hash: u64) -> usize {
    (hash >> (64 - PARTITION_BITS)) as usize
}

/// Marks every row that a later row with the same record id replaces as
/// filtered `superseded`; returns how many. `files` are one source's files in
/// path order.
pub fn supersede(files: &mut [FileResult]) -> u64 {
    let hasher = DefaultHashBuilder::default();
    let id = |p: Position| {
        let (file, row) = split(p);
        files[file].ids.get_bytes(row)
    };

    // Rows per partition, counted per file in parallel.
    let counts: Vec<[usize; PARTITIONS]> = files
        .par_iter()
        .map(|file| {
            let mut counts = [0usize; PARTITIONS];
            for row in 0..file.rows.len() {
                let id = file.ids.get_bytes(row);
                if !id.is_empty() {
                    counts[partition(hasher.hash_one(id))] += 1;
                }
            }
            counts
        })
        .collect();
    let mut starts = vec![0usize; PARTITIONS + 1];
    for counts in &counts {
        for (p, n) in counts.iter().enumerate() {
            starts[p + 1] += n;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }

    // Stable scatter of positions. Zero-allocated: the OS hands out zero pages
    // lazily, so the array costs memory only as it fills. Each partition's
    // range is cut into one run per file (files in path order), so files
    // scatter in parallel into disjoint runs and the order stays stable.
    let mut scattered: Vec<Position> = vec![0; starts[PARTITIONS]];
    let mut runs: Vec<Vec<&mut [Position]>> = (0..files.len()).map(|_| Vec::new()).collect();
    let mut rest: &mut [Position] = &mut scattered;
    for p in 0..PARTITIONS {
        let (mut part, tail) = std::mem::take(&mut rest).split_at_mut(starts[p + 1] - starts[p]);
        rest = tail;
        for (fi, counts) in counts.iter().enumerate() {
            let (run, after) = std::mem::take(&mut part).split_at_mut(counts[p]);
            runs[fi].push(run);
            part = after;
        }
    }
    runs.into_par_iter().enumerate().for_each(|(fi, mut runs)| {
        let file = &files[fi];
        let mut next = [0usize; PARTITIONS];
        for row in 0..file.rows.len() {
            let id = file.ids.get_bytes(row);
            if !id.is_empty() {
                let p = partition(hasher.hash_one(id));
                runs[p][next[p]] = position(fi, row);
                next[p] += 1;
            }
        }
    });

    let replaced: Vec<(usize, usize)> = starts
        .windows(2)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|w| {
            let part = &scattered[w[0]..w[1]];
            let hashes: Vec<u64> = part.iter().map(|&p| hasher.hash_one(id(p))).collect();
            // Index into `part` of the latest row seen per record id.
            let mut latest: HashTable<u32> = HashTable::with_capacity(part.len());
            let mut replaced = Vec::new();
            for (i, &p) in part.iter().enumerate() {
                let eq =
                    |&j: &u32| hashes[j as usize] == hashes[i] && id(part[j as usize]) == id(p);
                match latest.find_mut(hashes[i], eq) {
                    Some(slot) => {
                        replaced.push(split(part[*slot as usize]));
                        *slot = i as u32;
                    }
                    None => {
                        latest.insert_unique(hashes[i], i as u32, |&j| hashes[j as usize]);
                    }
                }
            }
            replaced
        })
        .collect();
    drop(scattered);

    for &(f, r) in &replaced {
        files[f].rows[r].verdict = Ok(Outcome::Filtered(Reason::Superseded));
    }
    replaced.len() as u64
}

/// Whether a row was superseded (its reject text, ownership or pending identity then no longer count).
pub fn is_superseded(file: &FileResult, row: u32) -> bool {
    matches!(
        file.rows[row as usize].verdict,
        Ok(Outcome::Filtered(Reason::Superseded))
    )
}
