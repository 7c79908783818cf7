//! Reading one feed file: each record validated into a compact verdict, streamed.

use std::fs::File;
use std::path::PathBuf;

use super::IngestError;
use super::fields::{Fields, MAX_FIELDS};
use super::hashing::{HashingReader, hex};
use super::header::map_header;
use super::reader::{Encoding, HeaderError, RecordReader};
use super::validate::{Ctx, Outcome, Owner, validate};
use crate::pipeline::{SourceConfig, SourceKind};
use crate::rules::id::parse_id_number;
use crate::rules::reason::Reason;
use crate::rules::text::trim;

/// A file to read.
#[derive(Clone, Debug)]
pub struct FileInput {
    pub source: SourceKind,
    pub encoding: Encoding,
    pub path: PathBuf,
    /// Path relative to the data root, with `/` separators: what outputs show.
    pub rel: String,
}

impl FileInput {
    /// The text of the record at `offset .. offset + len`, read from the file again.
    pub fn raw_at(&self, offset: u64, len: u32) -> std::io::Result<String> {
        use std::os::unix::fs::FileExt;
        let mut bytes = vec![0; len as usize];
        File::open(&self.path)?.read_exact_at(&mut bytes, offset)?;
        Ok(self.encoding.decode_lossy(&bytes))
    }
}

/// A row's verdict: an outcome, or the reason it was rejected.
pub type Verdict = Result<Outcome, Reason>;

#[derive(Clone, Debug)]
pub struct Row {
    pub line: u32,
    pub verdict: Verdict,
}

/// A rejected row's detail and text (kept only for rejected rows).
#[derive(Clone, Debug)]
pub struct RejectText {
    pub row: u32,
    pub detail: String,
    pub raw: String,
}

/// Record ids of a file's rows, one per row (empty: the row has none), in one buffer.
/// Offsets are 32-bit (4 bytes a row, not 8): one file may hold up to 4 GiB of
/// record ids, some 300 million rows.
#[derive(Default, Debug)]
pub struct IdArena {
    bytes: String,
    ends: Vec<u32>,
}

impl IdArena {
    pub fn with_capacity(ids: usize, bytes: usize) -> Self {
        IdArena {
            bytes: String::with_capacity(bytes),
            ends: Vec::with_capacity(ids),
        }
    }

    /// Appends a row's id; an error once the file's ids pass 4 GiB.
    pub fn push(&mut self, id: &str) -> std::io::Result<()> {
        self.bytes.push_str(id);
        let end = u32::try_from(self.bytes.len()).map_err(|_| {
            std::io::Error::other("file too large: its record ids exceed 4 GiB; split the file")
        })?;
        self.ends.push(end);
        Ok(())
    }

    fn span(&self, row: usize) -> std::ops::Range<usize> {
        let start = if row == 0 {
            0
        } else {
            self.ends[row - 1] as usize
        };
        start..self.ends[row] as usize
    }

    pub fn get(&self, row: usize) -> &str {
        &self.bytes[self.span(row)]
    }

    /// The id's bytes, without `str`'s char-boundary checks: for hashing and
    /// comparing ids, millions of times during supersession.
    pub fn get_bytes(&self, row: usize) -> &[u8] {
        &self.bytes.as_bytes()[self.span(row)]
    }
}

/// Everything one file yields.
#[derive(Debug)]
pub struct FileResult {
    pub input: FileInput,
    pub bytes: u64,
    pub sha256: String,
    pub warnings: Vec<String>,
    pub rows: Vec<Row>,
    pub ids: IdArena,
    /// Texts of rejected rows, in row order.
    pub rejects: Vec<RejectText>,
    /// Phone ownership proven by telecom rows (row index, owner).
    pub owners: Vec<(u32, Owner)>,
    /// Shopping rows awaiting the identity step: row, and where the record's
    /// text is in the file (offset, length), to read it back if that step rejects it.
    pub awaiting: Vec<(u32, u64, u32)>,
}

/// Reads and judges every record of one file (SPEC §5 steps 1 and 3–5, 7).
pub fn read_file(
    input: FileInput,
    source: &SourceConfig,
    ctx: &Ctx<'_>,
    progress: &dyn Fn(u64),
) -> Result<FileResult, IngestError> {
    let io_err = |e: std::io::Error| IngestError::Io {
        path: input.path.clone(),
        source: e,
    };
    let file = File::open(&input.path).map_err(io_err)?;
    // Reserve for the most rows the file can hold (a row is at least ~40 bytes):
    // unused capacity is never touched, so it costs address space, not memory,
    // and the vectors never reallocate and copy while they fill.
    let size = file.metadata().map(|m| m.len()).unwrap_or(0) as usize;
    let max_rows = size / 40 + 16;
    let mut hashing = HashingReader::new(file);
    let mut result = FileResult {
        input: input.clone(),
        bytes: 0,
        sha256: String::new(),
        warnings: Vec::new(),
        rows: Vec::with_capacity(max_rows),
        ids: IdArena::with_capacity(max_rows, size / 4),
        rejects: Vec::new(),
        owners: Vec::new(),
        awaiting: Vec::new(),
    };
    {
        let mut reader = RecordReader::new(&mut hashing, source.encoding);
        let header = match reader.read_header() {
            Ok(h) => h,
            Err(HeaderError::Io(e)) => return Err(io_err(e)),
            Err(HeaderError::Malformed(m)) => {
                return Err(IngestError::Header {
                    path: input.path.clone(),
                    message: format!("line 1: header row is malformed: {}", m.detail()),
                });
            }
        };
        match header {
            None => result
                .warnings
                .push("empty file: no header, 0 rows".to_owned()),
            Some(names) => {
                let mapping = map_header(&names, source).map_err(|m| IngestError::Header {
                    path: input.path.clone(),
                    message: format!(
                        "line 1: missing required column {:?} (canonical field {} of source {})",
                        m.header, m.field, source.kind
                    ),
                })?;
                read_records(
                    &mut reader,
                    &mapping,
                    source.kind,
                    ctx,
                    &mut result,
                    progress,
                )
                .map_err(io_err)?;
            }
        }
    }
    let (bytes, digest) = hashing.finish();
    result.bytes = bytes;
    result.sha256 = hex(&digest);
    if bytes == 0 {
        result.warnings = vec!["0-byte file: 0 rows".to_owned()];
    }
    Ok(result)
}

fn read_records<R: std::io::Read>(
    reader: &mut RecordReader<R>,
    mapping: &[Option<usize>],
    kind: SourceKind,
    ctx: &Ctx<'_>,
    out: &mut FileResult,
    progress: &dyn Fn(u64),
) -> std::io::Result<()> {
    let names = kind.fields();
    let mut since_progress = 0u64;
    let mut last_offset = 0u64;
    while let Some(rec) = reader.next_record()? {
        let row = out.rows.len() as u32;
        let line = u32::try_from(rec.line()).unwrap_or(u32::MAX);
        if let Some(m) = rec.malformed() {
            // Step 1: a malformed row takes no part in supersession.
            out.ids.push("")?;
            out.rows.push(Row {
                line,
                verdict: Err(Reason::MalformedRow),
            });
            out.rejects.push(RejectText {
                row,
                detail: m.detail(),
                raw: rec.raw_lossy(),
            });
            continue;
        }
        let mut values = [""; MAX_FIELDS];
        for (v, col) in values.iter_mut().zip(mapping) {
            if let Some(c) = col {
                *v = trim(rec.field(*c));
            }
        }
        let values = &values[..mapping.len()];
        // The supersession key: the record id, or for hukou the normalised ID number.
        if kind == SourceKind::Hukou {
            let canonical = parse_id_number(values[0], ctx.as_of).map(|p| p.canonical());
            let key = canonical
                .as_ref()
                .map_or("", |c| std::str::from_utf8(c).unwrap_or(""));
            out.ids.push(key)?;
        } else {
            out.ids.push(values[0])?;
        }
        let fields = Fields {
            values,
            names,
            as_of: ctx.as_of,
        };
        let mut owner = None;
        let verdict = match validate(kind, &fields, ctx, &mut owner) {
            Ok(outcome) => {
                if matches!(outcome, Outcome::AwaitIdentity(_)) {
                    let len = u32::try_from(rec.raw().len()).unwrap_or(u32::MAX);
                    out.awaiting.push((row, rec.offset(), len));
                }
                Ok(outcome)
            }
            Err(rejection) => {
                out.rejects.push(RejectText {
                    row,
                    detail: rejection.detail,
                    raw: rec.raw_lossy(),
                });
                Err(rejection.reason)
            }
        };
        if let Some(o) = owner {
            out.owners.push((row, o));
        }
        out.rows.push(Row { line, verdict });
        since_progress += 1;
        if since_progress == 1 << 16 {
            since_progress = 0;
            let offset = reader.byte_offset();
            progress(offset - last_offset);
            last_offset = offset;
        }
    }
    let offset = reader.byte_offset();
    progress(offset - last_offset);
    Ok(())
}
