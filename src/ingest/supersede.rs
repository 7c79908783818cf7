//! SPEC §5 step 2: within a source, rows sharing a record id are versions of one
//! record; the last one (files in path order, rows in file order) wins.
//!
//! This runs across the whole source, not per person: a re-sent record may
//! carry a corrected ID number.

use hashbrown::HashTable;
use std::hash::BuildHasher;

use super::file::FileResult;
use super::validate::Outcome;
use crate::rules::reason::Reason;

/// Marks every row that a later row with the same record id replaces as
/// filtered `superseded`. `files` are one source's files in path order.
pub fn supersede(files: &mut [FileResult]) -> u64 {
    let hasher = hashbrown::DefaultHashBuilder::default();
    let rows: usize = files.iter().map(|f| f.rows.len()).sum();
    let mut last: HashTable<(u32, u32)> = HashTable::with_capacity(rows);
    let mut replaced: Vec<(u32, u32)> = Vec::new();
    for (fi, file) in files.iter().enumerate() {
        for row in 0..file.rows.len() {
            let id = file.ids.get(row);
            if id.is_empty() {
                continue;
            }
            let hash = hasher.hash_one(id);
            let here = (fi as u32, row as u32);
            let eq = |&(f, r): &(u32, u32)| files[f as usize].ids.get(r as usize) == id;
            match last.find_mut(hash, eq) {
                Some(slot) => {
                    replaced.push(*slot);
                    *slot = here;
                }
                None => {
                    last.insert_unique(hash, here, |&(f, r)| {
                        hasher.hash_one(files[f as usize].ids.get(r as usize))
                    });
                }
            }
        }
    }
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
