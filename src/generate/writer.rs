//! Part files: `OUT/<source>/part-NNNN.csv`, each with the header, chunks
//! appended in chunk order, a new part begun after about `PART_ROWS` records
//! (and, for the agency profile, after half the chunks, so every source has
//! two files or more; its first utility file starts with a BOM and one 0-byte
//! file joins the night).
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::GenerateError;
use super::feeds::ChunkOut;
use super::model::{SOURCES, Source, Tally};
use super::profile::Profile;

/// Records per part file after which the next chunk starts a new one.
pub(crate) const PART_ROWS: u64 = 1_000_000;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> GenerateError + '_ {
    move |source| GenerateError::Io {
        path: path.to_path_buf(),
        source,
    }
}

struct Part {
    source: Source,
    dir: PathBuf,
    next: u32,
    rows: u64,
    open: Option<(PathBuf, BufWriter<File>)>,
    bytes: u64,
    limit: u64,
    /// Chunks per part at most.
    chunk_limit: u64,
    chunks: u64,
    /// The first part starts with a UTF-8 BOM.
    bom: bool,
    /// Lines end in CR LF (the header too).
    crlf: bool,
}

impl Part {
    fn file(&mut self) -> Result<&mut BufWriter<File>, GenerateError> {
        if self.open.is_none() {
            let path = self.dir.join(format!("part-{:04}.csv", self.next));
            let bom = self.bom && self.next == 0;
            self.next += 1;
            self.rows = 0;
            self.chunks = 0;
            let mut w = BufWriter::with_capacity(1 << 20, File::create(&path).map_err(io(&path))?);
            if bom {
                w.write_all("\u{feff}".as_bytes()).map_err(io(&path))?;
                self.bytes += 3;
            }
            let mut header = self.source.header_line();
            if self.crlf {
                header.insert(header.len() - 1, '\r');
            }
            w.write_all(header.as_bytes()).map_err(io(&path))?;
            self.bytes += header.len() as u64;
            self.open = Some((path, w));
        }
        match self.open.as_mut() {
            Some((_, w)) => Ok(w),
            None => Err(GenerateError::Invalid("part file not open".into())),
        }
    }

    fn close(&mut self) -> Result<(), GenerateError> {
        if let Some((path, mut w)) = self.open.take() {
            w.flush().map_err(io(&path))?;
            w.into_inner().map_err(|e| GenerateError::Io {
                path: path.clone(),
                source: e.into_error(),
            })?;
        }
        Ok(())
    }

    fn write(&mut self, buf: &[u8], rows: u64) -> Result<(), GenerateError> {
        if rows == 0 {
            return Ok(());
        }
        let w = self.file()?;
        let res = w.write_all(buf);
        if let Err(e) = res {
            let path = self
                .open
                .as_ref()
                .map(|(p, _)| p.clone())
                .unwrap_or_default();
            return Err(GenerateError::Io { path, source: e });
        }
        self.bytes += buf.len() as u64;
        self.rows += rows;
        self.chunks += 1;
        if self.rows >= self.limit || self.chunks >= self.chunk_limit {
            self.close()?;
        }
        Ok(())
    }
}

/// The ten sources' part writers and the running tallies.
pub(crate) struct Writers {
    parts: Vec<Part>,
    pub tallies: Vec<Tally>,
    /// A 0-byte file to leave in the night.
    empty: Option<PathBuf>,
}

impl Writers {
    /// Creates `OUT/<source>/` and removes part files of an earlier run there.
    pub(crate) fn create(
        out: &Path,
        part_rows: u64,
        profile: Profile,
        chunks: u64,
    ) -> Result<Writers, GenerateError> {
        let mut parts = Vec::with_capacity(SOURCES.len());
        for s in SOURCES {
            let dir = out.join(s.name());
            fs::create_dir_all(&dir).map_err(io(&dir))?;
            for entry in fs::read_dir(&dir).map_err(io(&dir))? {
                let entry = entry.map_err(io(&dir))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with("part-") && name.ends_with(".csv") {
                    let path = entry.path();
                    fs::remove_file(&path).map_err(io(&path))?;
                }
            }
            parts.push(Part {
                source: s,
                dir,
                next: 0,
                rows: 0,
                open: None,
                bytes: 0,
                limit: part_rows.max(1),
                chunk_limit: chunks.div_ceil(profile.min_files()).max(1),
                chunks: 0,
                bom: profile.bom(s),
                crlf: profile.row_style(s).crlf,
            });
        }
        let empty = profile.empty_file().map(|f| out.join(f));
        Ok(Writers {
            parts,
            tallies: vec![Tally::default(); SOURCES.len()],
            empty,
        })
    }

    /// Appends chunks (in the given order) to the part files.
    pub(crate) fn write(&mut self, chunks: &[ChunkOut]) -> Result<(), GenerateError> {
        for c in chunks {
            for (i, part) in self.parts.iter_mut().enumerate() {
                part.write(&c.bufs[i], c.tallies[i].rows)?;
                self.tallies[i].merge(&c.tallies[i]);
            }
        }
        Ok(())
    }

    /// Closes every part (a source without records still gets a header-only
    /// `part-0000.csv`); returns the bytes written.
    pub(crate) fn finish(mut self) -> Result<(u64, Vec<Tally>), GenerateError> {
        let mut bytes = 0;
        for part in &mut self.parts {
            if part.next == 0 {
                part.file()?;
            }
            part.close()?;
            bytes += part.bytes;
        }
        if let Some(path) = &self.empty {
            File::create(path).map_err(io(path))?;
        }
        Ok((bytes, self.tallies))
    }
}
