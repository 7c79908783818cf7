//! Spill storage: append-only partitions of encoded records that stay in memory
//! up to a budget shared by the whole run and go to disk beyond it.
//!
//! This is what keeps a run's memory bounded as the night grows. Every
//! per-row intermediate (supersession keys, evidence intervals, rejected
//! rows, rows waiting for the phone identity step) is appended to a
//! partition of a [`Store`] while the feeds are read, and each partition is
//! later taken back whole and processed on its own. Records are framed by
//! their writer; a chunk never splits a record, and the order of records
//! within a partition is not kept (every consumer sorts or hashes).
//!
//! Spill files live in a private folder (owner-only: they hold ID numbers)
//! that is removed when the run ends.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Bytes a writer gathers per partition before handing a chunk to the store.
const CHUNK: usize = 64 * 1024;

/// How many bytes of spilled records may stay in memory, shared by every store of a run.
#[derive(Debug)]
pub struct Budget {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes, none of them used yet.
    pub fn new(limit: usize) -> Self {
        Budget {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    fn try_take(&self, n: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |u| {
                (u + n <= self.limit).then_some(u + n)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.used.fetch_sub(n, Ordering::AcqRel);
    }

    /// Bytes held in memory now.
    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// The folder spill files go to: created (owner-only) on first use, removed on drop.
#[derive(Debug)]
pub struct SpillDir {
    path: PathBuf,
    created: Mutex<bool>,
    written: AtomicU64,
}

impl SpillDir {
    /// A spill folder at `path`; nothing is created before the first spill.
    pub fn new(path: PathBuf) -> Self {
        SpillDir {
            path,
            created: Mutex::new(false),
            written: AtomicU64::new(0),
        }
    }

    /// Where spill files go.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn create_file(&self, name: &str) -> io::Result<File> {
        {
            let mut created = self.created.lock().unwrap_or_else(|e| e.into_inner());
            if !*created {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder.create(&self.path)?;
                *created = true;
            }
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        options.open(self.path.join(name))
    }

    /// Bytes written to disk so far.
    pub fn bytes_written(&self) -> u64 {
        self.written.load(Ordering::Acquire)
    }

    /// Whether anything was written to disk.
    pub fn used_disk(&self) -> bool {
        *self.created.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for SpillDir {
    fn drop(&mut self) {
        if self.used_disk() {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[derive(Default)]
struct Part {
    memory: Vec<Vec<u8>>,
    memory_bytes: usize,
    file: Option<(File, PathBuf)>,
    file_bytes: u64,
}

/// A set of partitions of records.
pub struct Store<'a> {
    name: &'static str,
    dir: &'a SpillDir,
    budget: &'a Budget,
    parts: Vec<Mutex<Part>>,
}

impl<'a> Store<'a> {
    /// `partitions` empty partitions, spilling beyond `budget` to files `{name}-{p}` in `dir`.
    pub fn new(
        name: &'static str,
        partitions: usize,
        dir: &'a SpillDir,
        budget: &'a Budget,
    ) -> Self {
        Store {
            name,
            dir,
            budget,
            parts: (0..partitions)
                .map(|_| Mutex::new(Part::default()))
                .collect(),
        }
    }

    /// Number of partitions.
    pub fn partitions(&self) -> usize {
        self.parts.len()
    }

    /// The spill folder, for errors: a failure here is the spill disk's.
    pub fn spill_path(&self) -> &Path {
        self.dir.path()
    }

    /// A buffered writer; one per thread of work (say, per input file).
    /// Its cost does not grow with the partitions it leaves untouched: a
    /// store with a partition per input file gets a writer per file, and
    /// one buffer per partition each would make a night quadratic in its files.
    pub fn writer(&self) -> StoreWriter<'_, 'a> {
        let buffers = if self.parts.len() <= DENSE_PARTITIONS {
            Buffers::Dense((0..self.parts.len()).map(|_| Vec::new()).collect())
        } else {
            Buffers::Sparse(hashbrown::HashMap::new())
        };
        StoreWriter {
            store: self,
            buffers,
        }
    }

    fn put(&self, p: usize, chunk: Vec<u8>) -> io::Result<()> {
        if chunk.is_empty() {
            return Ok(());
        }
        // A writer's last, part-filled chunks would otherwise hold their
        // whole capacity (many small files touch every partition).
        let mut chunk = chunk;
        if chunk.len() < chunk.capacity() / 2 {
            chunk.shrink_to_fit();
        }
        let mut part = self.parts[p].lock().unwrap_or_else(|e| e.into_inner());
        if self.budget.try_take(chunk.capacity()) {
            part.memory_bytes += chunk.capacity();
            part.memory.push(chunk);
            return Ok(());
        }
        if part.file.is_none() {
            let name = format!("{}-{p}", self.name);
            let file = self.dir.create_file(&name)?;
            part.file = Some((file, self.dir.path().join(name)));
        }
        let (file, _) = part.file.as_mut().expect("opened above");
        file.write_all(&chunk)?;
        part.file_bytes += chunk.len() as u64;
        self.dir
            .written
            .fetch_add(chunk.len() as u64, Ordering::AcqRel);
        Ok(())
    }

    /// Takes partition `p` out of the store: its chunks (the part that went to
    /// disk read back as one), with their memory returned to the budget.
    pub fn take(&self, p: usize) -> io::Result<Vec<Vec<u8>>> {
        let part = std::mem::take(&mut *self.parts[p].lock().unwrap_or_else(|e| e.into_inner()));
        self.budget.give_back(part.memory_bytes);
        let mut chunks = part.memory;
        if let Some((mut file, path)) = part.file {
            use std::io::Seek;
            file.seek(io::SeekFrom::Start(0))?;
            let mut bytes = Vec::with_capacity(part.file_bytes as usize);
            file.read_to_end(&mut bytes)?;
            drop(file);
            std::fs::remove_file(&path)?;
            chunks.push(bytes);
        }
        Ok(chunks)
    }
}

/// Stores with at most this many partitions give each writer a buffer per
/// partition up front; beyond it, a writer keeps buffers only for the
/// partitions it writes to.
const DENSE_PARTITIONS: usize = 4096;

/// A writer's buffers, by partition.
enum Buffers {
    /// One per partition of the store (few partitions, most of them written).
    Dense(Vec<Vec<u8>>),
    /// Only the partitions written to (a partition per input file).
    Sparse(hashbrown::HashMap<usize, Vec<u8>>),
}

/// Buffers records per partition and hands full chunks to the store.
pub struct StoreWriter<'s, 'a> {
    store: &'s Store<'a>,
    buffers: Buffers,
}

impl StoreWriter<'_, '_> {
    /// Number of partitions of the store.
    pub fn partitions(&self) -> usize {
        self.store.parts.len()
    }

    /// The buffer to append one whole record of partition `p` to; call
    /// [`Self::done`] after appending.
    #[inline]
    pub fn buffer(&mut self, p: usize) -> &mut Vec<u8> {
        let b = match &mut self.buffers {
            Buffers::Dense(v) => &mut v[p],
            Buffers::Sparse(m) => {
                assert!(p < self.store.parts.len(), "partition {p} out of range");
                m.entry(p).or_default()
            }
        };
        if b.capacity() == 0 {
            b.reserve_exact(CHUNK + 256);
        }
        b
    }

    /// Ends a record of partition `p`: a full buffer goes to the store.
    #[inline]
    pub fn done(&mut self, p: usize) -> io::Result<()> {
        let b = match &mut self.buffers {
            Buffers::Dense(v) => &mut v[p],
            Buffers::Sparse(m) => m.entry(p).or_default(),
        };
        if b.len() >= CHUNK {
            let full = std::mem::take(b);
            self.store.put(p, full)?;
        }
        Ok(())
    }

    /// Hands over what is left in the buffers.
    pub fn finish(self) -> io::Result<()> {
        match self.buffers {
            Buffers::Dense(v) => {
                for (p, b) in v.into_iter().enumerate() {
                    self.store.put(p, b)?;
                }
            }
            Buffers::Sparse(m) => {
                for (p, b) in m {
                    self.store.put(p, b)?;
                }
            }
        }
        Ok(())
    }
}

/// Appends `bytes` behind their length as a LEB128 varint: one byte for the
/// usual record id or detail (under 128 bytes), and no limit, so a long id
/// or a huge rejected row is kept whole. [`Cursor::len_bytes`] reads it back.
#[inline]
pub fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    if bytes.len() <= 8 {
        // A short tail (the usual record id suffix): a byte loop is
        // cheaper than a call to memcpy.
        for &b in bytes {
            out.push(b);
        }
    } else {
        out.extend_from_slice(bytes);
    }
}

/// Appends `n` as a LEB128 varint: 7 bits a byte, low bits first.
/// [`Cursor::varint`] reads it back.
#[inline]
fn put_varint(out: &mut Vec<u8>, mut n: u64) {
    while n >= 0x80 {
        out.push(n as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// One `Cursor` method per integer type, reading it little-endian.
macro_rules! le_readers {
    ($($t:ident),*) => {$(
        #[doc = concat!("Reads the next `", stringify!($t), "`, little-endian.")]
        #[inline]
        pub fn $t(&mut self) -> $t {
            $t::from_le_bytes(self.take())
        }
    )*};
}

/// Reads little-endian fields off the front of a record buffer.
pub struct Cursor<'a> {
    /// The bytes not read yet.
    pub bytes: &'a [u8],
}

impl<'a> Cursor<'a> {
    /// A cursor at the start of `bytes`.
    pub fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes }
    }

    /// True when every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    #[inline]
    fn take<const N: usize>(&mut self) -> [u8; N] {
        let (head, tail) = self.bytes.split_at(N);
        self.bytes = tail;
        head.try_into().expect("split_at gives N bytes")
    }

    /// Reads one byte.
    #[inline]
    pub fn u8(&mut self) -> u8 {
        self.take::<1>()[0]
    }

    le_readers!(u16, i16, u32, i32, u64);

    /// What [`put_bytes`] wrote.
    #[inline]
    pub fn len_bytes(&mut self) -> &'a [u8] {
        let n = self.varint();
        self.bytes(n as usize)
    }

    /// What [`put_varint`] wrote.
    #[inline]
    fn varint(&mut self) -> u64 {
        let mut n = 0u64;
        let mut shift = 0;
        loop {
            let b = self.u8();
            n |= u64::from(b & 0x7F).wrapping_shl(shift);
            if b < 0x80 {
                return n;
            }
            shift += 7;
        }
    }

    /// The next `n` bytes; panics when fewer are left.
    #[inline]
    pub fn bytes(&mut self, n: usize) -> &'a [u8] {
        let (head, tail) = self.bytes.split_at(n);
        self.bytes = tail;
        head
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(store: &Store<'_>, records: u32) {
        let mut w = store.writer();
        for i in 0..records {
            let p = (i % 3) as usize;
            w.buffer(p).extend_from_slice(&i.to_le_bytes());
            w.done(p).unwrap();
        }
        w.finish().unwrap();
    }

    fn read_back(store: &Store<'_>) -> Vec<u32> {
        let mut all = Vec::new();
        for p in 0..store.partitions() {
            for chunk in store.take(p).unwrap() {
                let mut c = Cursor::new(&chunk);
                while !c.is_empty() {
                    let v = c.u32();
                    assert_eq!(v % 3, p as u32, "record in the wrong partition");
                    all.push(v);
                }
            }
        }
        all.sort_unstable();
        all
    }

    #[test]
    fn lengths_round_trip_at_every_varint_width() {
        // 70_000 is past the old 16-bit prefix, which cut ids at 65_535 bytes.
        let lens = [0, 1, 127, 128, 16_383, 16_384, 70_000, 2_097_152];
        let mut buf = Vec::new();
        for (i, &n) in lens.iter().enumerate() {
            put_bytes(&mut buf, &vec![i as u8; n]);
        }
        assert_eq!(
            buf.len() - lens.iter().sum::<usize>(),
            1 + 1 + 1 + 2 + 2 + 3 + 3 + 4
        );
        let mut c = Cursor::new(&buf);
        for (i, &n) in lens.iter().enumerate() {
            assert_eq!(c.len_bytes(), &vec![i as u8; n][..], "length {n}");
        }
        assert!(c.is_empty());
    }

    #[test]
    fn records_come_back_from_memory_and_from_disk() {
        let tmp = tempfile::tempdir().unwrap();
        for limit in [usize::MAX, 100_000, 0] {
            let dir = SpillDir::new(tmp.path().join(format!("spill-{limit}")));
            let budget = Budget::new(limit);
            let store = Store::new("t", 3, &dir, &budget);
            fill(&store, 200_000);
            assert_eq!(read_back(&store), (0..200_000).collect::<Vec<_>>());
            assert_eq!(budget.used(), 0, "taking returns memory to the budget");
            assert_eq!(dir.used_disk(), limit != usize::MAX);
            assert_eq!(dir.bytes_written() > 0, limit != usize::MAX);
            let path = dir.path().to_owned();
            drop(dir);
            assert!(!path.exists(), "the spill folder is removed");
        }
    }

    #[cfg(unix)]
    #[test]
    fn spill_files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path().join("spill"));
        let budget = Budget::new(0);
        let store = Store::new("t", 3, &dir, &budget);
        fill(&store, 10);
        let mode = std::fs::metadata(dir.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        let file = std::fs::read_dir(dir.path())
            .unwrap()
            .next()
            .unwrap()
            .unwrap();
        assert_eq!(file.metadata().unwrap().permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn a_store_with_a_partition_per_file_gives_sparse_writers_that_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = SpillDir::new(tmp.path().join("spill"));
        let budget = Budget::new(usize::MAX);
        let n = DENSE_PARTITIONS * 2 + 1;
        let store = Store::new("t", n, &dir, &budget);
        for p in (0..n).step_by(7) {
            let mut w = store.writer();
            assert!(matches!(w.buffers, Buffers::Sparse(_)));
            w.buffer(p).extend_from_slice(&(p as u32).to_le_bytes());
            w.done(p).unwrap();
            if let Buffers::Sparse(m) = &w.buffers {
                assert_eq!(m.len(), 1, "only the partition written to");
            }
            w.finish().unwrap();
        }
        for p in 0..n {
            let got: Vec<u8> = store.take(p).unwrap().concat();
            let want = if p % 7 == 0 {
                (p as u32).to_le_bytes().to_vec()
            } else {
                Vec::new()
            };
            assert_eq!(got, want, "partition {p}");
        }
    }
}
