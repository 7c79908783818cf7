//! SPEC §5 step 2: within a source, rows sharing a record id are versions of one
//! record; the last one (files in path order, rows in file order) wins.
//!
//! This runs across the whole source, not per person: a re-sent record may
//! carry a corrected ID number.
//!
//! While the files are read, every row with a record id spills a 24-byte
//! entry: a 128-bit hash of (source, record id) and its position tag (file,
//! line, verdict; see [`super::file::position_tag`]), partitioned by hash.
//! Each partition then fits a small hash table of its own, and partitions are
//! independent, so they run in parallel and the memory needed is one
//! partition's, whatever the night's size. What comes out is small: the
//! replaced rows, kept as one bit per input line.

use hashbrown::HashTable;
use rayon::prelude::*;

use super::file::split_tag;
use crate::spill::{Cursor, Store};

/// The rows a later version replaced, by file and line.
#[derive(Debug, Default)]
pub struct Superseded {
    /// One bit per line of each file.
    files: Vec<Vec<u64>>,
}

impl Superseded {
    /// Room for `last_lines[f]` lines in file `f`.
    pub fn new(last_lines: &[u32]) -> Self {
        Superseded {
            files: last_lines
                .iter()
                .map(|&n| vec![0; n as usize / 64 + 1])
                .collect(),
        }
    }

    fn insert(&mut self, file: u32, line: u32) {
        let bits = &mut self.files[file as usize];
        let word = &mut bits[line as usize / 64];
        *word |= 1 << (line % 64);
    }

    #[inline]
    pub fn contains(&self, file: u32, line: u32) -> bool {
        self.files
            .get(file as usize)
            .and_then(|bits| bits.get(line as usize / 64))
            .is_some_and(|w| w & (1 << (line % 64)) != 0)
    }
}

/// The position tags of every row a later row with the same key replaces.
/// Consumes the store's partitions.
pub fn replaced(store: &Store<'_>) -> std::io::Result<Vec<u64>> {
    let per_part: Vec<std::io::Result<Vec<u64>>> = (0..store.partitions())
        .into_par_iter()
        .map(|p| Ok(replaced_in(&store.take(p)?)))
        .collect();
    let mut all = Vec::new();
    for part in per_part {
        all.extend(part?);
    }
    Ok(all)
}

/// One partition's entries: (key, tag) pairs of 24 bytes.
fn replaced_in(chunks: &[Vec<u8>]) -> Vec<u64> {
    let entries: usize = chunks.iter().map(|c| c.len() / 24).sum();
    // The key is already a uniform hash: its low half is the table's hash.
    let mut latest: HashTable<(u128, u64)> = HashTable::with_capacity(entries);
    let mut replaced = Vec::new();
    for chunk in chunks {
        let mut c = Cursor::new(chunk);
        while !c.is_empty() {
            let key = u128::from(c.u64()) | (u128::from(c.u64()) << 64);
            let tag = c.u64();
            let hash = key as u64;
            match latest.find_mut(hash, |&(k, _)| k == key) {
                Some(slot) => {
                    // Entries arrive in no particular order: the greater
                    // position wins, the other is replaced.
                    if tag > slot.1 {
                        replaced.push(slot.1);
                        slot.1 = tag;
                    } else {
                        replaced.push(tag);
                    }
                }
                None => {
                    latest.insert_unique(hash, (key, tag), |&(k, _)| k as u64);
                }
            }
        }
    }
    replaced
}

/// Marks the replaced rows; returns (file, line, verdict) of each.
pub fn mark(replaced: &[u64], superseded: &mut Superseded) -> Vec<(u32, u32, u8)> {
    replaced
        .iter()
        .map(|&tag| {
            let (file, line, verdict) = split_tag(tag);
            superseded.insert(file, line);
            (file, line, verdict)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::file::{ACCEPTED, position_tag};
    use crate::spill::{Budget, SpillDir};

    #[test]
    fn the_last_version_wins_whatever_the_arrival_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path().join("s"));
        let budget = Budget::new(usize::MAX);
        let store = Store::new("s", 2, &dir, &budget);
        // Key 1 in file 0 line 5, file 1 line 2, file 0 line 9; key 2 once.
        let entries = [
            (1u128, position_tag(1, 2, ACCEPTED)),
            (1, position_tag(0, 9, 3)),
            (2, position_tag(0, 3, ACCEPTED)),
            (1, position_tag(0, 5, ACCEPTED)),
        ];
        let mut w = store.writer();
        for (key, tag) in entries {
            let p = (key % 2) as usize;
            w.buffer(p).extend_from_slice(&key.to_le_bytes());
            w.buffer(p).extend_from_slice(&tag.to_le_bytes());
            w.done(p).unwrap();
        }
        w.finish().unwrap();
        let mut tags = replaced(&store).unwrap();
        tags.sort_unstable();
        let mut superseded = Superseded::new(&[10, 3]);
        let marked = mark(&tags, &mut superseded);
        assert_eq!(marked, vec![(0, 5, ACCEPTED), (0, 9, 3)]);
        assert!(superseded.contains(0, 5) && superseded.contains(0, 9));
        assert!(!superseded.contains(1, 2) && !superseded.contains(0, 3));
        assert!(!superseded.contains(7, 1), "unknown files hold nothing");
    }
}
