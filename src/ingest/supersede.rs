//! SPEC §5 step 2: within a source, rows sharing a record id are versions of one
//! record; the last one (files in path order, rows in file order) wins.
//!
//! This runs across the whole source, not per person: a re-sent record may
//! carry a corrected ID number.
//!
//! While the files are read, every row with a record id spills an entry: a
//! 128-bit hash of (source, record id) and its position (file, line) and
//! verdict, partitioned by hash ([`KeyWriter`]). The position is usually one
//! byte, the line's distance from the entry before it in the same chunk.
//! Each partition then fits a small hash table of its own, and partitions are
//! independent, so they run in parallel and the memory needed is one
//! partition's, whatever the night's size. What comes out is small: the
//! replaced rows, kept as one bit per input line.

use hashbrown::HashTable;
use rayon::prelude::*;

use super::error::IngestError;
use crate::spill::{Cursor, Store, StoreWriter};
use residence_core::row::keys::{position_tag, split_tag};

/// The position byte of an entry whose file and line follow in full (the
/// first of every chunk, a new file, or a line 255 or more further on);
/// below it, the line's distance from the entry before, in the same file.
const FULL_POSITION: u8 = 255;

/// Spills supersession entries to a store's partitions: each a 16-byte key,
/// a verdict byte and a position byte, plus the file and line in full when
/// the position byte says so.
pub(crate) struct KeyWriter<'s, 'a> {
    writer: StoreWriter<'s, 'a>,
    /// (file, line) of each partition's last entry.
    last: Vec<(u32, u32)>,
}

impl<'s, 'a> KeyWriter<'s, 'a> {
    pub(crate) fn new(writer: StoreWriter<'s, 'a>) -> Self {
        let last = vec![(0, 0); writer.partitions()];
        KeyWriter { writer, last }
    }

    pub(crate) fn partitions(&self) -> usize {
        self.last.len()
    }

    /// Appends the entry of the row at (`file`, `line`) to partition `p`.
    #[inline]
    pub(crate) fn push(
        &mut self,
        p: usize,
        key: u128,
        file: u32,
        line: u32,
        verdict: u8,
    ) -> std::io::Result<()> {
        let out = self.writer.buffer(p);
        let (last_file, last_line) = self.last[p];
        let near = match line.checked_sub(last_line) {
            Some(d) if !out.is_empty() && file == last_file && d < u32::from(FULL_POSITION) => {
                Some(d as u8)
            }
            _ => None,
        };
        out.extend_from_slice(&key.to_le_bytes());
        out.push(verdict);
        match near {
            Some(d) => out.push(d),
            None => {
                out.push(FULL_POSITION);
                out.extend_from_slice(&file.to_le_bytes());
                out.extend_from_slice(&line.to_le_bytes());
            }
        }
        self.last[p] = (file, line);
        self.writer.done(p)
    }

    /// Hands over what is left in the buffers.
    pub(crate) fn finish(self) -> std::io::Result<()> {
        self.writer.finish()
    }
}

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

    /// True when a later version replaced row `line` (1-based) of file `file`.
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
pub fn replaced(store: &Store<'_>) -> Result<Vec<u64>, IngestError> {
    let per_part: Vec<Result<Vec<u64>, IngestError>> = (0..store.partitions())
        .into_par_iter()
        .map(|p| {
            crate::interrupt::check()?;
            let chunks = store.take(p).map_err(|e| IngestError::Spill {
                path: store.spill_path().to_owned(),
                source: e,
            })?;
            Ok(replaced_in(&chunks))
        })
        .collect();
    let mut all = Vec::new();
    for part in per_part {
        all.extend(part?);
    }
    Ok(all)
}

/// One partition's entries, as [`KeyWriter`] wrote them.
fn replaced_in(chunks: &[Vec<u8>]) -> Vec<u64> {
    // Entries take 18 bytes but for the first of each chunk or file.
    let entries: usize = chunks.iter().map(|c| c.len() / 18).sum();
    // The key is already a uniform hash: its low half is the table's hash.
    let mut latest: HashTable<(u128, u64)> = HashTable::with_capacity(entries);
    let mut replaced = Vec::new();
    for chunk in chunks {
        let mut c = Cursor::new(chunk);
        // Every chunk starts with a full position, so this needs no reset.
        let (mut file, mut line) = (0u32, 0u32);
        while !c.is_empty() {
            let key = u128::from(c.u64()) | (u128::from(c.u64()) << 64);
            let verdict = c.u8();
            match c.u8() {
                FULL_POSITION => {
                    file = c.u32();
                    line = c.u32();
                }
                d => line = line.wrapping_add(u32::from(d)),
            }
            let tag = position_tag(file, line, verdict);
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
    use crate::ingest::keys::ACCEPTED;
    use crate::spill::{Budget, SpillDir};

    #[test]
    fn the_last_version_wins_whatever_the_arrival_order() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path().join("s"));
        let budget = Budget::new(usize::MAX);
        let store = Store::new("s", 2, &dir, &budget);
        // Key 1 in file 0 line 5, file 1 line 2, file 0 line 9; key 2 once.
        // Line 300 is too far from line 9 for the one-byte distance.
        let entries = [
            (1u128, 1, 2, ACCEPTED),
            (1, 0, 9, 3),
            (2, 0, 3, ACCEPTED),
            (1, 0, 5, ACCEPTED),
            (3, 0, 300, ACCEPTED),
            (3, 0, 301, 4),
        ];
        let mut w = KeyWriter::new(store.writer());
        for (key, file, line, verdict) in entries {
            w.push((key % 2) as usize, key, file, line, verdict)
                .unwrap();
        }
        w.finish().unwrap();
        let mut tags = replaced(&store).unwrap();
        tags.sort_unstable();
        let mut superseded = Superseded::new(&[400, 3]);
        let marked = mark(&tags, &mut superseded);
        assert_eq!(
            marked,
            vec![(0, 5, ACCEPTED), (0, 9, 3), (0, 300, ACCEPTED)]
        );
        assert!(superseded.contains(0, 5) && superseded.contains(0, 9));
        assert!(!superseded.contains(1, 2) && !superseded.contains(0, 3));
        assert!(!superseded.contains(7, 1), "unknown files hold nothing");
    }
}
