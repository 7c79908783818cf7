//! `persons.idx`: which row groups of `filtered.parquet` and
//! `rejects.parquet` hold a given person.
//!
//! Those two files are sorted by source, input file and line, so a person's
//! rows are spread over the whole file and row-group statistics cannot
//! find them; `residence explain` must answer in well under a second at a
//! million persons. The index is a list of (person, file, row group)
//! entries sorted by person, found by binary search with a few reads.
//!
//! Layout: the 8-byte magic `RESIDX2\n`, the entry count (u64 LE), the
//! run id (UTF-8, zero-padded to [`RUN_ID`] bytes), then the entries,
//! [`ENTRY`] bytes each: person (the 17 digits as u64 LE), file (0
//! filtered, 1 rejects), row group (u32 LE). A reader checks the run id
//! and that the file's length is what the count says.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use super::OutputError;

/// The index's file name in a run folder.
pub const FILE: &str = "persons.idx";

const MAGIC: &[u8; 8] = b"RESIDX2\n";
/// Bytes kept for the run id.
pub const RUN_ID: usize = 64;
const HEADER: u64 = 16 + RUN_ID as u64;
/// Bytes per entry.
pub const ENTRY: usize = 13;

/// Which file an entry points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Indexed {
    /// A row group of `filtered.parquet`.
    Filtered = 0,
    /// A row group of `rejects.parquet`.
    Rejects = 1,
}

/// One person's rows are (also) in this row group of this file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Entry {
    /// The person's first 17 digits ([`crate::rules::id::PersonId::as_u64`]).
    pub person: u64,
    /// Which file the row group is in.
    pub file: Indexed,
    /// Index of the row group in that file.
    pub row_group: u32,
}

impl Entry {
    fn encode(&self) -> [u8; ENTRY] {
        let mut b = [0u8; ENTRY];
        b[..8].copy_from_slice(&self.person.to_le_bytes());
        b[8] = self.file as u8;
        b[9..].copy_from_slice(&self.row_group.to_le_bytes());
        b
    }

    fn decode(b: &[u8; ENTRY]) -> Option<Entry> {
        let file = match b[8] {
            0 => Indexed::Filtered,
            1 => Indexed::Rejects,
            _ => return None,
        };
        Some(Entry {
            person: u64::from_le_bytes(b[..8].try_into().ok()?),
            file,
            row_group: u32::from_le_bytes(b[9..].try_into().ok()?),
        })
    }
}

/// Sorts and deduplicates `entries` and writes them, with the run's id, to
/// `path` (owner-only, synced); returns how many were written.
pub fn write(path: &Path, run_id: &str, mut entries: Vec<Entry>) -> Result<u64, OutputError> {
    entries.sort_unstable();
    entries.dedup();
    let io = OutputError::io(path);
    let file = super::create_private(path)?;
    let mut out = std::io::BufWriter::new(file);
    let result = (|| {
        out.write_all(MAGIC)?;
        out.write_all(&(entries.len() as u64).to_le_bytes())?;
        let mut id = [0u8; RUN_ID];
        let n = run_id.len().min(RUN_ID);
        id[..n].copy_from_slice(&run_id.as_bytes()[..n]);
        out.write_all(&id)?;
        for e in &entries {
            out.write_all(&e.encode())?;
        }
        out.into_inner().map_err(|e| e.into_error())?.sync_all()
    })();
    result.map_err(io)?;
    Ok(entries.len() as u64)
}

/// The entries of `person`, found by binary search over the file, which
/// must be the index of run `run_id` and whole.
pub fn lookup(path: &Path, run_id: &str, person: u64) -> std::io::Result<Vec<Entry>> {
    let mut f = File::open(path)?;
    let mut header = [0u8; HEADER as usize];
    f.read_exact(&mut header)
        .map_err(|_| std::io::Error::other("not a residence person index (too short)"))?;
    if &header[..8] != MAGIC {
        return Err(std::io::Error::other("not a residence person index"));
    }
    let count = u64::from_le_bytes(header[8..16].try_into().expect("8 bytes"));
    let id = &header[16..];
    let id = String::from_utf8_lossy(&id[..id.iter().position(|&b| b == 0).unwrap_or(RUN_ID)]);
    if id != run_id {
        return Err(std::io::Error::other(format!(
            "the index of run {id}, not of run {run_id}"
        )));
    }
    let len = f.metadata()?.len();
    if Some(len)
        != count
            .checked_mul(ENTRY as u64)
            .and_then(|b| b.checked_add(HEADER))
    {
        return Err(std::io::Error::other(format!(
            "{len} bytes do not hold the {count} entries its header counts"
        )));
    }
    let mut read = |i: u64| -> std::io::Result<Entry> {
        let mut b = [0u8; ENTRY];
        f.seek(SeekFrom::Start(HEADER + i * ENTRY as u64))?;
        f.read_exact(&mut b)?;
        Entry::decode(&b).ok_or_else(|| std::io::Error::other("a corrupt index entry"))
    };
    // The first entry of the person (or past it).
    let (mut lo, mut hi) = (0, count);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if read(mid)?.person < person {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let mut found = Vec::new();
    while lo < count {
        let e = read(lo)?;
        if e.person != person {
            break;
        }
        found.push(e);
        lo += 1;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_found_by_person() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let e = |person, file, row_group| Entry {
            person,
            file,
            row_group,
        };
        let entries = vec![
            e(30, Indexed::Filtered, 2),
            e(10, Indexed::Rejects, 0),
            e(30, Indexed::Filtered, 0),
            e(20, Indexed::Filtered, 1),
            e(30, Indexed::Filtered, 2),
            e(30, Indexed::Rejects, 5),
        ];
        assert_eq!(write(&path, "r1", entries).unwrap(), 5);
        assert_eq!(
            lookup(&path, "r1", 30).unwrap(),
            [
                e(30, Indexed::Filtered, 0),
                e(30, Indexed::Filtered, 2),
                e(30, Indexed::Rejects, 5)
            ]
        );
        assert_eq!(
            lookup(&path, "r1", 10).unwrap(),
            [e(10, Indexed::Rejects, 0)]
        );
        assert!(lookup(&path, "r1", 25).unwrap().is_empty());
        assert!(lookup(&path, "r1", 99).unwrap().is_empty());
        assert!(lookup(&path, "r1", 0).unwrap().is_empty());
        assert!(lookup(&path, "r2", 30).is_err(), "another run's index");
        assert_eq!(
            std::fs::metadata(&path).unwrap().len(),
            HEADER + 5 * ENTRY as u64
        );
    }

    #[test]
    fn an_index_whose_count_disagrees_with_its_length_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let entry = Entry {
            person: 7,
            file: Indexed::Filtered,
            row_group: 0,
        };
        write(&path, "r1", vec![entry]).unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[8..16].copy_from_slice(&0u64.to_le_bytes());
        std::fs::write(&path, &bytes).unwrap();
        let err = lookup(&path, "r1", 7).unwrap_err();
        assert!(err.to_string().contains("do not hold"), "{err}");
    }
}
