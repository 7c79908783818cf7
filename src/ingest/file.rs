//! Reading one feed file: each record judged and spilled where the later steps need it, streamed.

use std::fs::File;
use std::path::PathBuf;

use super::error::IngestError;
use super::judged::{FilteredRow, RejectedRow};
use super::supersede::KeyWriter;
use crate::digest::hex;
use crate::evidence::{EvidenceRecord, EvidenceWriter, Partitioner};
use crate::interrupt::{self, Interrupted};
use crate::pipeline::{SourceConfig, SourceKind};
use crate::progress::Progress;
use crate::rules::date::{from_epoch_days, to_epoch_days};
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::phone::Phone;
use crate::rules::reason::Reason;
use crate::spill::{Cursor, Store, StoreWriter, put_bytes};
use residence_core::reader::feed::{
    EMPTY_FILE, FeedHeaderError, ZERO_BYTE_FILE, mapped_values, read_feed_header,
};
use residence_core::reader::hashing::HashingReader;
use residence_core::reader::{Encoding, RecordReader};
use residence_core::row::fields::MAX_FIELDS;
use residence_core::row::judge::{Judge, Verdict, record_id};
use residence_core::row::keys::{ACCEPTED, AWAITING, key_partition};
use residence_core::row::validate::{AwaitIdentity, Ctx, Outcome, Owner, Pledge};

/// A file to read.
#[derive(Clone, Debug)]
pub(crate) struct FileInput {
    pub source: SourceKind,
    pub encoding: Encoding,
    pub path: PathBuf,
    /// Path relative to the data root, with `/` separators: what outputs show.
    pub rel: String,
}

impl FileInput {
    /// The text of the record at `offset .. offset + len`, read from the file again.
    pub(crate) fn raw_at(&self, offset: u64, len: u32) -> std::io::Result<String> {
        use std::os::unix::fs::FileExt;
        let mut bytes = vec![0; len as usize];
        File::open(&self.path)?.read_exact_at(&mut bytes, offset)?;
        Ok(self.encoding.decode_lossy(&bytes))
    }
}

/// One file's share of what the rows go to: a partition of each spill store.
pub(crate) struct Sinks<'s, 'a> {
    /// Supersession keys, partitioned by hash ([`super::supersede`]).
    pub supersession: &'s Store<'a>,
    /// Accepted evidence, partitioned by (city, person) range.
    pub evidence: &'s Store<'a>,
    pub partitioner: &'s Partitioner,
    /// Rejected rows, one partition per input file.
    pub rejects: &'s Store<'a>,
    /// Filtered rows, one partition per input file.
    pub filtered: &'s Store<'a>,
    /// Shopping rows waiting for the identity step, one partition per input file.
    pub awaiting: &'s Store<'a>,
}

/// What one file leaves besides its spilled rows: counts and the few small
/// per-row lists later steps need whole.
#[derive(Debug)]
pub(crate) struct FileSummary {
    pub input: FileInput,
    pub bytes: u64,
    pub sha256: String,
    pub warnings: Vec<String>,
    pub counts: Counts,
    /// The last line read (sizes the file's superseded-row set).
    pub last_line: u32,
    /// The latest start among the file's accepted evidence (a pledge's
    /// signing day), in epoch days: the source's freshness (SPEC §8).
    pub latest: Option<i32>,
    /// Phone ownership proven by telecom rows (line, owner).
    pub owners: Vec<(u32, Owner)>,
    /// Accepted pledges: line, pledge, record id (a replaced one is listed
    /// in `filtered.parquet`).
    pub pledges: Vec<(u32, Pledge, Box<[u8]>)>,
    pub hukou: Vec<(u32, PersonId, Division)>,
}

/// Rows of a file by verdict; rows waiting for the identity step are in none yet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    pub rows: u64,
    pub accepted: u64,
    /// Filtered and rejected rows, indexed by `Reason as usize`.
    pub by_reason: [u64; Reason::ALL.len()],
}

impl Counts {
    pub(crate) fn add(&mut self, verdict: u8) {
        match verdict {
            ACCEPTED => self.accepted += 1,
            AWAITING => {}
            r => self.by_reason[usize::from(r)] += 1,
        }
    }

    pub(crate) fn remove(&mut self, verdict: u8) {
        match verdict {
            ACCEPTED => self.accepted -= 1,
            AWAITING => {}
            r => self.by_reason[usize::from(r)] -= 1,
        }
    }
}

/// A shopping row waiting for its buyer, as spilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Awaiting<'a> {
    pub line: u32,
    pub wait: AwaitIdentity,
    /// Where the record's text is in the file, to read it back if rejected.
    pub offset: u64,
    pub len: u32,
    pub record_id: &'a [u8],
}

impl<'a> Awaiting<'a> {
    pub(crate) fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.line.to_le_bytes());
        out.extend_from_slice(&self.wait.phone.to_bits().to_le_bytes());
        out.extend_from_slice(&to_epoch_days(self.wait.day).to_le_bytes());
        out.extend_from_slice(&self.wait.division.code().to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        put_bytes(out, self.record_id);
    }

    pub(crate) fn decode(c: &mut Cursor<'a>) -> Self {
        let line = c.u32();
        let phone = Phone::from_bits(c.u64());
        let day = from_epoch_days(c.i32());
        let division = Division::new_unchecked(c.u32());
        let offset = c.u64();
        let len = c.u32();
        Awaiting {
            line,
            wait: AwaitIdentity {
                phone,
                day,
                division,
            },
            offset,
            len,
            record_id: c.len_bytes(),
        }
    }
}

/// Reads and judges every record of one file (SPEC §5 steps 1 and 3–5, 7),
/// spilling each row where the later steps will look for it.
pub(crate) fn read_file(
    fi: u32,
    input: FileInput,
    source: &SourceConfig,
    ctx: &Ctx<'_>,
    sinks: &Sinks<'_, '_>,
    progress: &dyn Progress,
) -> Result<FileSummary, IngestError> {
    let read_err = |e: std::io::Error| IngestError::Read {
        path: input.path.clone(),
        source: e,
    };
    let file = File::open(&input.path).map_err(read_err)?;
    let mut hashing = HashingReader::new(file);
    let mut summary = FileSummary {
        input: input.clone(),
        bytes: 0,
        sha256: String::new(),
        warnings: Vec::new(),
        counts: Counts::default(),
        last_line: 0,
        latest: None,
        owners: Vec::new(),
        pledges: Vec::new(),
        hukou: Vec::new(),
    };
    {
        let mut reader = RecordReader::new(&mut hashing, source.encoding);
        let mapping = match read_feed_header(&mut reader, source) {
            Ok(m) => m,
            Err(FeedHeaderError::Io(e)) => return Err(read_err(e)),
            Err(FeedHeaderError::Header { line, message }) => {
                return Err(IngestError::Header {
                    path: input.path.clone(),
                    line,
                    message,
                });
            }
        };
        match mapping {
            None => summary.warnings.push(EMPTY_FILE.to_owned()),
            Some(mapping) => {
                let mut out = Out {
                    fi,
                    kind: source.kind,
                    summary: &mut summary,
                    supersession: KeyWriter::new(sinks.supersession.writer()),
                    evidence: EvidenceWriter::new(sinks.evidence.writer()),
                    partitioner: sinks.partitioner,
                    rejects: sinks.rejects.writer(),
                    filtered: sinks.filtered.writer(),
                    awaiting: sinks.awaiting.writer(),
                };
                let spill_err = |e| IngestError::Spill {
                    path: sinks.evidence.spill_path().to_owned(),
                    source: e,
                };
                match read_records(&mut reader, &mapping, ctx, &mut out, progress) {
                    Ok(()) => {}
                    Err(Stop::Read(e)) => return Err(read_err(e)),
                    Err(Stop::Spill(e)) => return Err(spill_err(e)),
                    Err(Stop::Interrupted(i)) => return Err(i.into()),
                }
                out.finish().map_err(spill_err)?;
            }
        }
    }
    let (bytes, digest) = hashing.finish();
    summary.bytes = bytes;
    summary.sha256 = hex(&digest);
    if bytes == 0 {
        summary.warnings = vec![ZERO_BYTE_FILE.to_owned()];
    }
    Ok(summary)
}

/// Why reading a file's records stopped early.
enum Stop {
    /// Reading the input failed.
    Read(std::io::Error),
    /// Writing spilled rows failed (the spill disk, not the input).
    Spill(std::io::Error),
    Interrupted(Interrupted),
}

/// Where one file's rows go.
struct Out<'o, 's, 'a> {
    fi: u32,
    kind: SourceKind,
    summary: &'o mut FileSummary,
    supersession: KeyWriter<'s, 'a>,
    evidence: EvidenceWriter<'s, 'a>,
    partitioner: &'s Partitioner,
    rejects: StoreWriter<'s, 'a>,
    filtered: StoreWriter<'s, 'a>,
    awaiting: StoreWriter<'s, 'a>,
}

impl Out<'_, '_, '_> {
    fn reject(&mut self, row: &RejectedRow<'_>) -> Result<(), Stop> {
        let p = self.fi as usize;
        row.encode(self.rejects.buffer(p));
        self.rejects.done(p).map_err(Stop::Spill)
    }

    fn filter(&mut self, row: &FilteredRow<'_>) -> Result<(), Stop> {
        let p = self.fi as usize;
        row.encode(self.filtered.buffer(p));
        self.filtered.done(p).map_err(Stop::Spill)
    }

    fn finish(self) -> std::io::Result<()> {
        self.supersession.finish()?;
        self.evidence.finish()?;
        self.rejects.finish()?;
        self.filtered.finish()?;
        self.awaiting.finish()
    }
}

/// Records between two progress reports and stop checks: a few
/// milliseconds of reading.
const REPORT_EVERY: u32 = 1 << 14;

fn read_records<R: std::io::Read>(
    reader: &mut RecordReader<R>,
    mapping: &[Option<usize>],
    ctx: &Ctx<'_>,
    out: &mut Out<'_, '_, '_>,
    progress: &dyn Progress,
) -> Result<(), Stop> {
    let kind = out.kind;
    let supersession_parts = out.supersession_parts();
    let judge = Judge::new(kind, ctx);
    let mut since_report = 0u32;
    let mut last_offset = 0u64;
    while let Some(rec) = reader.next_record().map_err(Stop::Read)? {
        let line = u32::try_from(rec.line()).unwrap_or(u32::MAX);
        out.summary.last_line = line;
        out.summary.counts.rows += 1;
        if let Some(m) = rec.malformed() {
            // Step 1: a malformed row takes no part in supersession, and
            // its fields cannot be told apart.
            out.summary.counts.add(Reason::MalformedRow as u8);
            out.reject(&RejectedRow {
                line,
                reason: Reason::MalformedRow,
                person: None,
                record_id: None,
                detail: m.detail().as_bytes(),
                raw: rec.raw_lossy().as_bytes(),
            })?;
            continue;
        }
        let mut values = [""; MAX_FIELDS];
        let values = mapped_values(&rec, mapping, &mut values);
        let judged = judge.judge(values);
        let verdict = match judged.verdict {
            Verdict::Outcome(Outcome::Evidence(e)) => {
                let person = e.person.as_u64();
                let p = out.partitioner.index(e.division.city().code(), person);
                let start = to_epoch_days(e.start);
                out.summary.latest = out.summary.latest.max(Some(start));
                out.evidence
                    .push(
                        p,
                        &EvidenceRecord {
                            person,
                            division: e.division.code(),
                            start,
                            end: to_epoch_days(e.end),
                            file: out.fi,
                            line,
                            record_id: values[0].as_bytes(),
                        },
                    )
                    .map_err(Stop::Spill)?;
                ACCEPTED
            }
            Verdict::Outcome(Outcome::Pledge(pledge)) => {
                let signed = to_epoch_days(pledge.signed_date);
                out.summary.latest = out.summary.latest.max(Some(signed));
                out.summary
                    .pledges
                    .push((line, pledge, values[0].as_bytes().into()));
                ACCEPTED
            }
            Verdict::Outcome(Outcome::Hukou { person, city }) => {
                out.summary.hukou.push((line, person, city));
                ACCEPTED
            }
            Verdict::Outcome(Outcome::Filtered(f)) => {
                out.filter(&FilteredRow {
                    line,
                    reason: f.reason,
                    facts: f.facts,
                    record_id: record_id(kind, values),
                })?;
                f.reason as u8
            }
            Verdict::Outcome(Outcome::AwaitIdentity(wait)) => {
                let p = out.fi as usize;
                Awaiting {
                    line,
                    wait,
                    offset: rec.offset(),
                    len: u32::try_from(rec.raw().len()).unwrap_or(u32::MAX),
                    record_id: values[0].as_bytes(),
                }
                .encode(out.awaiting.buffer(p));
                out.awaiting.done(p).map_err(Stop::Spill)?;
                AWAITING
            }
            Verdict::Rejected { rejection, person } => {
                out.reject(&RejectedRow {
                    line,
                    reason: rejection.reason,
                    person,
                    record_id: record_id(kind, values),
                    detail: rejection.detail.as_bytes(),
                    raw: rec.raw_lossy().as_bytes(),
                })?;
                rejection.reason as u8
            }
        };
        out.summary.counts.add(verdict);
        if let Some(o) = judged.owner {
            out.summary.owners.push((line, o));
        }
        if let Some(key) = judged.key {
            let p = key_partition(key, supersession_parts);
            out.supersession
                .push(p, key, out.fi, line, verdict)
                .map_err(Stop::Spill)?;
        }
        since_report += 1;
        if since_report == REPORT_EVERY {
            since_report = 0;
            interrupt::check().map_err(Stop::Interrupted)?;
            let offset = reader.byte_offset();
            progress.advance(offset - last_offset);
            last_offset = offset;
        }
    }
    let offset = reader.byte_offset();
    progress.advance(offset - last_offset);
    Ok(())
}

impl Out<'_, '_, '_> {
    fn supersession_parts(&self) -> usize {
        self.supersession.partitions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::phone::parse_phone;
    use chrono::NaiveDate;

    #[test]
    fn spilled_rows_round_trip() {
        let mut buf = Vec::new();
        let wait = Awaiting {
            line: 9,
            wait: AwaitIdentity {
                phone: parse_phone("0595-2222333").unwrap(),
                day: NaiveDate::from_ymd_opt(2026, 2, 3).unwrap(),
                division: Division::new_unchecked(350503),
            },
            offset: 1 << 33,
            len: 44,
            record_id: b"JD-1",
        };
        wait.encode(&mut buf);
        let mut c = Cursor::new(&buf);
        assert_eq!(Awaiting::decode(&mut c), wait);
        assert!(c.is_empty());
    }
}
