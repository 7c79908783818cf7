//! The four Parquet outputs of SPEC §7: schemas, column order, and writing.
//!
//! Identifiers are text (an 18-character person id, 6-digit division codes) so
//! analysts join them as they appear in the feeds; dates are Parquet DATE and
//! `sources` is a LIST of text.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::io::parquet::write::BatchedWriter;
use polars::prelude::*;

use crate::evidence::PartitionRows;
use crate::ingest::{FileReport, RejectRecord};
use crate::pipeline::SourceKind;
use crate::rules::date::to_epoch_days;
use crate::rules::id::PersonId;
use crate::timeline::{EligibilityRow, SpellRow};

fn person_column(name: &str, people: impl ExactSizeIterator<Item = PersonId>) -> Column {
    let mut b = StringChunkedBuilder::new(name.into(), people.len());
    // Sorted outputs repeat each person over consecutive rows: build the text once.
    let mut last: Option<(PersonId, [u8; 18])> = None;
    for p in people {
        let canonical = match last {
            Some((q, text)) if q == p => text,
            _ => {
                let text = p.canonical();
                last = Some((p, text));
                text
            }
        };
        // The canonical form is ASCII digits and X.
        b.append_value(std::str::from_utf8(&canonical).unwrap_or_default());
    }
    b.finish().into_column()
}

fn code_column(name: &str, codes: impl ExactSizeIterator<Item = u32>) -> Column {
    let mut b = StringChunkedBuilder::new(name.into(), codes.len());
    for c in codes {
        // Six digits by hand: `format!` per row was a visible share of the run.
        let mut digits = [b'0'; 6];
        let mut v = c;
        for d in digits.iter_mut().rev() {
            *d = b'0' + (v % 10) as u8;
            v /= 10;
        }
        b.append_value(std::str::from_utf8(&digits).unwrap_or_default());
    }
    b.finish().into_column()
}

fn date_column(name: &str, dates: impl Iterator<Item = Option<NaiveDate>>) -> Column {
    let days: Int32Chunked = dates.map(|d| d.map(to_epoch_days)).collect();
    days.with_name(name.into()).into_date().into_column()
}

fn int_column(name: &str, values: impl Iterator<Item = u32>) -> Column {
    let v: Vec<i32> = values
        .map(|x| i32::try_from(x).unwrap_or(i32::MAX))
        .collect();
    Int32Chunked::from_vec(name.into(), v).into_column()
}

fn str_column<'a>(name: &str, values: impl Iterator<Item = &'a str>) -> Column {
    let v: StringChunked = values.map(Some).collect();
    v.with_name(name.into()).into_column()
}

fn sources_column(name: &str, masks: impl ExactSizeIterator<Item = u16>) -> Column {
    let n = masks.len();
    let mut b = ListStringChunkedBuilder::new(name.into(), n, n * 2);
    for m in masks {
        b.append_values_iter(SourceKind::names_in(m));
    }
    b.finish().into_column()
}

/// `eligibility.parquet`, sorted by city, person_id.
pub fn eligibility_frame(rows: &[EligibilityRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&SpellRow) -> u32| rows.iter().map(move |r| r.last_spell.as_ref().map_or(0, f));
    let columns = vec![
        person_column("person_id", rows.iter().map(|r| r.person)),
        code_column("city", rows.iter().map(|r| r.city.code())),
        str_column("status", rows.iter().map(|r| r.decision.status.as_str())),
        str_column("basis", rows.iter().map(|r| r.decision.basis.as_str())),
        date_column(
            "spell_start",
            rows.iter().map(|r| r.last_spell.map(|s| s.start)),
        ),
        date_column(
            "spell_end",
            rows.iter().map(|r| r.last_spell.map(|s| s.end)),
        ),
        int_column("months_of_evidence", s(|s| s.months)),
        int_column("covered_days", s(|s| s.covered_days)),
        int_column("evidence_count", s(|s| s.evidence_count)),
        sources_column(
            "sources",
            rows.iter().map(|r| r.last_spell.map_or(0, |s| s.sources)),
        ),
        date_column(
            "eligible_since",
            rows.iter().map(|r| r.decision.eligible_since),
        ),
        date_column("eligible_on", rows.iter().map(|r| r.decision.eligible_on)),
        date_column("pledge_since", rows.iter().map(|r| r.pledge_since)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// `spells.parquet`, sorted by city, person_id, spell_no.
pub fn spells_frame(rows: &[SpellRow]) -> PolarsResult<DataFrame> {
    let columns = vec![
        person_column("person_id", rows.iter().map(|r| r.person)),
        code_column("city", rows.iter().map(|r| r.city.code())),
        int_column("spell_no", rows.iter().map(|r| r.spell_no)),
        date_column("start", rows.iter().map(|r| Some(r.start))),
        date_column("end", rows.iter().map(|r| Some(r.end))),
        int_column("months", rows.iter().map(|r| r.months)),
        int_column("covered_days", rows.iter().map(|r| r.covered_days)),
        int_column("evidence_count", rows.iter().map(|r| r.evidence_count)),
        sources_column("sources", rows.iter().map(|r| r.sources)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// Gathers a small dictionary by index: the views share the dictionary's bytes,
/// so a repeated file path costs 16 bytes a row, not a copy of the path.
fn gather_text(name: &str, dictionary: &[&str], idx: IdxCa) -> PolarsResult<Column> {
    let dict: StringChunked = dictionary.iter().map(|s| Some(*s)).collect();
    Ok(dict.take(&idx)?.with_name(name.into()).into_column())
}

/// Codes as 6-digit text through a dictionary of the distinct codes (a city
/// column is one value repeated millions of times; a division column a few dozen).
fn code_dictionary_column(name: &str, codes: &[u32]) -> PolarsResult<Column> {
    let mut distinct: hashbrown::HashMap<u32, IdxSize> = hashbrown::HashMap::new();
    let mut dictionary: Vec<u32> = Vec::new();
    // Runs of one code are the rule (one city per partition, a person's
    // division over their rows): look the table up only when the code changes.
    let mut last: Option<(u32, IdxSize)> = None;
    let idx: Vec<IdxSize> = codes
        .iter()
        .map(|&c| match last {
            Some((code, i)) if code == c => i,
            _ => {
                let i = *distinct.entry(c).or_insert_with(|| {
                    dictionary.push(c);
                    (dictionary.len() - 1) as IdxSize
                });
                last = Some((c, i));
                i
            }
        })
        .collect();
    let text: StringChunked = code_column("", dictionary.into_iter()).str()?.clone();
    Ok(text
        .take(&IdxCa::from_vec("".into(), idx))?
        .with_name(name.into())
        .into_column())
}

/// One sorted partition's rows of `evidence.parquet` (sorted by city,
/// person_id, start, end, source, record_id).
pub fn evidence_frame(rows: &PartitionRows, files: &[FileReport]) -> PolarsResult<DataFrame> {
    let n = rows.len();
    let person_id = person_column(
        "person_id",
        rows.person.iter().map(|&p| PersonId::from_u64(p)),
    );
    let source_names: Vec<&str> = SourceKind::ALL.iter().map(|s| s.name()).collect();
    let source_idx = IdxCa::from_vec(
        "".into(),
        rows.source.iter().map(|&s| s as IdxSize).collect(),
    );
    let file_names: Vec<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let file_idx = IdxCa::from_vec("".into(), rows.file.iter().map(|&f| f as IdxSize).collect());
    let mut record_id = StringChunkedBuilder::new("record_id".into(), n);
    for i in 0..n {
        record_id.append_value(rows.record_id(i));
    }
    let days = |name: &str, v: &[i32]| {
        Int32Chunked::from_slice(name.into(), v)
            .into_date()
            .into_column()
    };
    let line = Int64Chunked::from_vec(
        "line".into(),
        rows.line.iter().map(|&l| i64::from(l)).collect(),
    );
    let columns = vec![
        person_id,
        code_dictionary_column("city", &rows.city)?,
        code_dictionary_column("division", &rows.division)?,
        gather_text("source", &source_names, source_idx)?,
        record_id.finish().into_column(),
        days("start", &rows.start),
        days("end", &rows.end),
        gather_text("input_file", &file_names, file_idx)?,
        line.into_column(),
    ];
    DataFrame::new(n, columns)
}

/// `rejects.parquet`, sorted by source, input_file, line.
pub fn rejects_frame(rejects: &[RejectRecord], files: &[FileReport]) -> PolarsResult<DataFrame> {
    let line: Int64Chunked = rejects.iter().map(|r| Some(i64::from(r.line))).collect();
    let columns = vec![
        str_column("source", rejects.iter().map(|r| r.source.name())),
        str_column(
            "input_file",
            rejects.iter().map(|r| files[r.file as usize].path.as_str()),
        ),
        line.with_name("line".into()).into_column(),
        str_column("reason", rejects.iter().map(|r| r.reason.code())),
        str_column("detail", rejects.iter().map(|r| r.detail.as_str())),
        str_column("raw", rejects.iter().map(|r| r.raw.as_str())),
    ];
    DataFrame::new(rejects.len(), columns)
}

/// Rows per Parquet row group: polars' default, so readers see the same
/// shape whether a file was written at once or partition by partition.
pub const ROW_GROUP: usize = 512 * 512;

/// An output file being written (owner-only: the outputs hold ID numbers).
pub struct OutFile {
    path: PathBuf,
    writer: BufWriter<File>,
}

impl OutFile {
    pub fn create(path: &Path) -> Result<Self, super::OutputError> {
        let file = super::create_private(path)?;
        Ok(OutFile {
            path: path.to_owned(),
            writer: BufWriter::with_capacity(1 << 20, file),
        })
    }

    /// Flushes and syncs the file.
    pub fn close(self) -> Result<(), super::OutputError> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| super::OutputError::Io {
                path: self.path.clone(),
                source: e.into_error(),
            })?;
        file.sync_all().map_err(super::OutputError::io(&self.path))
    }
}

/// Encodes frames into Parquet row groups on any thread, for a
/// [`ParquetSink`] of the same schema to write. (It is a polars batched
/// writer over nothing: only its encoder is used.)
pub struct ParquetEncoder {
    writer: BatchedWriter<std::io::Sink>,
}

/// Row groups encoded by [`ParquetEncoder::encode`], waiting to be written
/// (pages are compressed as they are written).
pub struct Encoded {
    groups: Vec<RowGroupIterColumns<'static, PolarsError>>,
    rows: u64,
}

fn parquet_writer<W: std::io::Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w).with_compression(ParquetCompression::Snappy)
}

impl ParquetEncoder {
    /// An encoder for `schema` (take it from an empty frame of the output).
    pub fn new(schema: &Schema) -> PolarsResult<Self> {
        Ok(ParquetEncoder {
            writer: parquet_writer(std::io::sink()).batched(schema)?,
        })
    }

    /// Encodes `df` as row groups of at most [`ROW_GROUP`] rows.
    pub fn encode(&self, df: &DataFrame) -> PolarsResult<Encoded> {
        let mut groups = Vec::new();
        for offset in (0..df.height()).step_by(ROW_GROUP) {
            let mut part = df.slice(offset as i64, ROW_GROUP);
            part.rechunk_mut();
            for g in self.writer.encode_and_compress(&part) {
                groups.push(g?);
            }
        }
        Ok(Encoded {
            groups,
            rows: df.height() as u64,
        })
    }
}

/// A Parquet file written a row group at a time, in the order given.
pub struct ParquetSink<'f> {
    path: &'f Path,
    writer: BatchedWriter<&'f mut BufWriter<File>>,
    encoder: ParquetEncoder,
    rows: u64,
}

impl<'f> ParquetSink<'f> {
    /// Starts a file with `schema` (take it from an empty frame of the output).
    pub fn new(file: &'f mut OutFile, schema: &Schema) -> Result<Self, super::OutputError> {
        let path = &file.path;
        let err = |e| super::OutputError::Polars {
            path: path.clone(),
            source: e,
        };
        let writer = parquet_writer(&mut file.writer)
            .batched(schema)
            .map_err(err)?;
        let encoder = ParquetEncoder::new(schema).map_err(err)?;
        Ok(ParquetSink {
            path,
            writer,
            encoder,
            rows: 0,
        })
    }

    fn err(&self) -> impl FnOnce(PolarsError) -> super::OutputError + '_ {
        move |e| super::OutputError::Polars {
            path: self.path.to_owned(),
            source: e,
        }
    }

    pub fn write_encoded(&mut self, encoded: Encoded) -> Result<(), super::OutputError> {
        self.rows += encoded.rows;
        let err = |e| super::OutputError::Polars {
            path: self.path.to_owned(),
            source: e,
        };
        self.writer.write_row_groups(encoded.groups).map_err(err)
    }

    pub fn write(&mut self, df: &DataFrame) -> Result<(), super::OutputError> {
        let encoded = self.encoder.encode(df).map_err(self.err())?;
        self.write_encoded(encoded)
    }

    /// Writes the footer; returns the rows written.
    pub fn finish(self) -> Result<u64, super::OutputError> {
        self.writer.finish().map_err(self.err())?;
        Ok(self.rows)
    }
}
