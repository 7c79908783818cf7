//! SPEC §5 step 2: within a source, rows sharing a record id are versions of one
//! record; the last one (files in path order, rows in file order) wins.
//!
//! This runs across the whole source, not per person: a re-sent record may
//! carry a corrected ID number.
//!
//! One hash table over millions of record ids misses the cache on nearly every
//! probe, so the ids' hashes are first partitioned by their top bits (a stable
//! scatter that keeps row order within a partition); each partition then gets a
//! small table that fits in cache, and partitions are independent, so they run
//! in parallel.

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rayon::prelude::*;

use super::file::FileResult;
use super::validate::Outcome;
use crate::rules::reason::Reason;

const PARTITION_BITS: u32 = 8;

/// A row that has a record id: `[hash of the id, file << 32 | row]`. A plain
/// array so that `vec![[0; 2]; n]` is zero-allocated (the OS hands out zero
/// pages lazily): the scatter array only costs memory as it fills, while the
/// per-file hashes it is filled from are freed.
type Entry = [u64; 2];

fn hash(e: &Entry) -> u64 {
    e[0]
}

fn position(e: &Entry) -> (u32, u32) {
    ((e[1] >> 32) as u32, e[1] as u32)
}

/// The rows of one file that have a record id, with their hashes.
fn entries<'a>(
    file: &'a FileResult,
    fi: usize,
    hashes: &'a [u64],
) -> impl Iterator<Item = Entry> + 'a {
    hashes
        .iter()
        .copied()
        .enumerate()
        .filter(move |&(row, _)| !file.ids.get(row).is_empty())
        .map(move |(row, hash)| [hash, ((fi as u64) << 32) | row as u64])
}

/// Marks every row that a later row with the same record id replaces as
/// filtered `superseded`; returns how many. `files` are one source's files in
/// path order.
pub fn supersede(files: &mut [FileResult]) -> u64 {
    let hasher = hashbrown::DefaultHashBuilder::default();
    // Per file, each row's id hash (8 bytes a row; rows without an id are
    // skipped below), computed in parallel.
    let hashes: Vec<Vec<u64>> = files
        .par_iter()
        .map(|file| {
            (0..file.rows.len())
                .map(|row| hasher.hash_one(file.ids.get(row)))
                .collect()
        })
        .collect();
    // Stable scatter into partitions by the hash's top bits.
    let partition = |e: &Entry| (hash(e) >> (64 - PARTITION_BITS)) as usize;
    let mut starts = vec![0usize; (1 << PARTITION_BITS) + 1];
    for (fi, h) in hashes.iter().enumerate() {
        for e in entries(&files[fi], fi, h) {
            starts[partition(&e) + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut next = starts.clone();
    let mut scattered: Vec<Entry> = vec![[0; 2]; starts[starts.len() - 1]];
    for (fi, h) in hashes.into_iter().enumerate() {
        for e in entries(&files[fi], fi, &h) {
            let p = partition(&e);
            scattered[next[p]] = e;
            next[p] += 1;
        }
    }

    let files_ref = &*files;
    let id = |e: &Entry| {
        let (file, row) = position(e);
        files_ref[file as usize].ids.get(row as usize)
    };
    let replaced: Vec<(u32, u32)> = starts
        .windows(2)
        .collect::<Vec<_>>()
        .into_par_iter()
        .flat_map_iter(|w| {
            let part = &scattered[w[0]..w[1]];
            // Index into `part` of the latest row seen per record id.
            let mut latest: HashTable<u32> = HashTable::with_capacity(part.len());
            let mut replaced = Vec::new();
            for (i, e) in part.iter().enumerate() {
                let eq = |&j: &u32| {
                    let other = &part[j as usize];
                    hash(other) == hash(e) && id(other) == id(e)
                };
                match latest.find_mut(hash(e), eq) {
                    Some(slot) => {
                        replaced.push(position(&part[*slot as usize]));
                        *slot = i as u32;
                    }
                    None => {
                        latest.insert_unique(hash(e), i as u32, |&j| hash(&part[j as usize]));
                    }
                }
            }
            replaced
        })
        .collect();

    for &(f, r) in &replaced {
        files[f as usize].rows[r as usize].verdict = Ok(Outcome::Filtered(Reason::Superseded));
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
