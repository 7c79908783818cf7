//! The four Parquet outputs of SPEC §7: schemas, column order, and writing.
//!
//! Identifiers are text (an 18-character person id, 6-digit division codes) so
//! analysts join them as they appear in the feeds; dates are Parquet DATE and
//! `sources` is a LIST of text.

use std::fs::File;
use std::io::BufWriter;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::io::parquet::write::{BatchedWriter, get_encodings};
use polars::prelude::*;
use polars_arrow::array::{DictionaryArray, MutableBinaryViewArray, PrimitiveArray, Utf8ViewArray};
use polars_arrow::datatypes::IntegerType;
use polars_parquet::write::{
    CompressedPage, Encoding, ParquetType, StatisticsOptions, Version, WriteOptions,
    array_to_columns, compress, to_parquet_schema,
};

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
        b.append_value(std::str::from_utf8(&six_digits(c)).unwrap_or_default());
    }
    b.finish().into_column()
}

/// A division or city code as its six digits, by hand: `format!` per row
/// was a visible share of the run.
fn six_digits(code: u32) -> [u8; 6] {
    let mut digits = [b'0'; 6];
    let mut v = code;
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    digits
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

/// The columns of `evidence.parquet` (sorted by city, person_id, start,
/// end, source, record_id).
pub fn evidence_schema() -> Schema {
    let text = |name: &str| Field::new(name.into(), DataType::String);
    let date = |name: &str| Field::new(name.into(), DataType::Date);
    Schema::from_iter([
        text("person_id"),
        text("city"),
        text("division"),
        text("source"),
        text("record_id"),
        date("start"),
        date("end"),
        text("input_file"),
        Field::new("line".into(), DataType::Int64),
    ])
}

/// Rows `range` of a sorted partition as the Arrow columns of one
/// `evidence.parquet` row group, in [`evidence_schema`] order.
///
/// The text columns with few distinct values per row group (person, city,
/// division, source, file) come from codes the engine already holds, so
/// they are built as dictionaries keyed on the codes. Polars would write
/// the same dictionary pages, but only after hashing every row's text to
/// find them, which was a tenth of a run.
pub fn evidence_columns(
    rows: &PartitionRows,
    range: Range<usize>,
    files: &[FileReport],
) -> PolarsResult<Vec<ArrayRef>> {
    let n = range.len();
    let person = dictionary_column(&rows.person[range.clone()], |&p| {
        let text = PersonId::from_u64(p).canonical();
        // The canonical form is ASCII digits and X.
        std::str::from_utf8(&text).unwrap_or_default().to_owned()
    })?;
    let city = dictionary_column(&rows.city[range.clone()], |&c| six_digit_text(c))?;
    let division = dictionary_column(&rows.division[range.clone()], |&c| six_digit_text(c))?;
    let source = dictionary_column(&rows.source[range.clone()], |&s| {
        SourceKind::ALL
            .get(s as usize)
            .map_or("", |k| k.name())
            .to_owned()
    })?;
    let mut record_id = MutableBinaryViewArray::<str>::with_capacity(n);
    for i in range.clone() {
        record_id.push_value(rows.record_id(i));
    }
    let record_id: Utf8ViewArray = record_id.into();
    let date = |v: &[i32]| PrimitiveArray::<i32>::from_slice(v).to(ArrowDataType::Date32);
    let input_file = dictionary_column(&rows.file[range.clone()], |&f| {
        files
            .get(f as usize)
            .map_or("", |f| f.path.as_str())
            .to_owned()
    })?;
    let line: Vec<i64> = rows.line[range.clone()]
        .iter()
        .map(|&l| i64::from(l))
        .collect();
    Ok(vec![
        person,
        city,
        division,
        source,
        record_id.boxed(),
        date(&rows.start[range.clone()]).boxed(),
        date(&rows.end[range]).boxed(),
        input_file,
        PrimitiveArray::<i64>::from_vec(line).boxed(),
    ])
}

/// A text column of one row group from per-row codes and the text of a code:
/// dictionary values in order of first appearance (as polars' own cast
/// orders them), keys per row. Like polars, a column whose values are
/// mostly distinct is written plain.
fn dictionary_column<K: Copy + Eq + std::hash::Hash>(
    codes: &[K],
    text: impl Fn(&K) -> String,
) -> PolarsResult<ArrayRef> {
    let mut index: hashbrown::HashMap<K, u32> = hashbrown::HashMap::new();
    let mut distinct: Vec<K> = Vec::new();
    // Runs of one code are the rule (one city per partition, a person's
    // rows together): look the table up only when the code changes.
    let mut last: Option<(K, u32)> = None;
    let keys: Vec<u32> = codes
        .iter()
        .map(|&c| match last {
            Some((code, k)) if code == c => k,
            _ => {
                let k = *index.entry(c).or_insert_with(|| {
                    distinct.push(c);
                    (distinct.len() - 1) as u32
                });
                last = Some((c, k));
                k
            }
        })
        .collect();
    let values: Vec<String> = distinct.iter().map(text).collect();
    if keys.len() > 128 && values.len() * 4 > keys.len() * 3 {
        let mut plain = MutableBinaryViewArray::<str>::with_capacity(keys.len());
        for &k in &keys {
            plain.push_value(values[k as usize].as_str());
        }
        return Ok(Utf8ViewArray::from(plain).boxed());
    }
    let values = Utf8ViewArray::from_slice_values(&values);
    let dtype = ArrowDataType::Dictionary(
        IntegerType::UInt32,
        Box::new(ArrowDataType::Utf8View),
        false,
    );
    Ok(DictionaryArray::try_new(dtype, PrimitiveArray::from_vec(keys), values.boxed())?.boxed())
}

fn six_digit_text(code: u32) -> String {
    String::from_utf8_lossy(&six_digits(code)).into_owned()
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

/// Encodes and compresses Parquet row groups on any thread, for a
/// [`ParquetSink`] of the same schema to write. Pages are compressed here,
/// so the one thread that writes a file only copies bytes.
pub struct ParquetEncoder {
    /// Top-level Parquet type of each column.
    types: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    options: WriteOptions,
}

/// Row groups encoded by [`ParquetEncoder`], waiting to be written: pages
/// per leaf column per row group.
#[derive(Default)]
pub struct Encoded {
    groups: Vec<Vec<Vec<CompressedPage>>>,
    rows: u64,
}

impl ParquetEncoder {
    /// An encoder for `schema`, with the options `polars` itself would use
    /// for a Snappy-compressed file.
    pub fn new(schema: &Schema) -> PolarsResult<Self> {
        let arrow = schema.to_arrow(CompatLevel::newest());
        let types = to_parquet_schema(&arrow)?.fields().to_vec();
        let encodings = get_encodings(&arrow).iter().cloned().collect();
        Ok(ParquetEncoder {
            types,
            encodings,
            options: WriteOptions {
                statistics: StatisticsOptions::default(),
                version: Version::V1,
                compression: COMPRESSION.into(),
                data_page_size: None,
            },
        })
    }

    /// Encodes one row group from its columns, in schema order.
    ///
    /// Sequential on purpose: it runs on the partition workers, which block
    /// while the writer catches up, and nested parallel work there could
    /// leave a worker's loop stacked under another's wait (a deadlock).
    pub fn encode_group(&self, columns: &[ArrayRef], into: &mut Encoded) -> PolarsResult<()> {
        let rows = columns.first().map_or(0, |c| c.len());
        let mut group = Vec::with_capacity(columns.len());
        for ((array, type_), encoding) in columns.iter().zip(&self.types).zip(&self.encodings) {
            group.extend(self.encode_column(array, type_, encoding)?);
        }
        into.groups.push(group);
        into.rows += rows as u64;
        Ok(())
    }

    /// One column's pages, compressed, per leaf column (a list has one leaf).
    fn encode_column(
        &self,
        array: &ArrayRef,
        type_: &ParquetType,
        encoding: &[Encoding],
    ) -> PolarsResult<Vec<Vec<CompressedPage>>> {
        array_to_columns(array, type_.clone(), self.options, encoding)?
            .into_iter()
            .map(|pages| {
                pages
                    .map(|page| Ok(compress(page?, Vec::new(), self.options.compression)?))
                    .collect()
            })
            .collect()
    }

    /// Encodes `df` as row groups of at most [`ROW_GROUP`] rows.
    pub fn encode(&self, df: &DataFrame) -> PolarsResult<Encoded> {
        let mut encoded = Encoded::default();
        for offset in (0..df.height()).step_by(ROW_GROUP) {
            let mut part = df.slice(offset as i64, ROW_GROUP);
            part.rechunk_mut();
            for batch in part.iter_chunks(CompatLevel::newest(), false) {
                self.encode_group(batch.columns(), &mut encoded)?;
            }
        }
        Ok(encoded)
    }
}

/// Every output's page compression: the encoder compresses the pages, the
/// file writer records it.
const COMPRESSION: ParquetCompression = ParquetCompression::Snappy;

fn parquet_writer<W: std::io::Write>(w: W) -> ParquetWriter<W> {
    ParquetWriter::new(w).with_compression(COMPRESSION)
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
        for group in &encoded.groups {
            // u64::MAX: the writer counts the rows from the pages.
            self.writer.write_row_group(u64::MAX, group).map_err(&err)?;
        }
        Ok(())
    }

    /// The encoder for this file's row groups, to encode on another thread.
    pub fn encoder(&self) -> &ParquetEncoder {
        &self.encoder
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::EvidenceRecord;

    fn texts(array: &ArrayRef) -> Vec<String> {
        let series = Series::from_arrow("x".into(), array.clone()).expect("series");
        let series = series.cast(&DataType::String).expect("as text");
        series
            .str()
            .expect("text")
            .iter()
            .map(|v| v.unwrap_or("<null>").to_owned())
            .collect()
    }

    #[test]
    fn dictionary_values_come_in_order_of_first_appearance() {
        let codes = [5u32, 5, 3, 5, 7, 3];
        let array = dictionary_column(&codes, |c| format!("v{c}")).expect("column");
        let dict = array
            .as_any()
            .downcast_ref::<DictionaryArray<u32>>()
            .expect("a dictionary");
        assert_eq!(dict.keys().values().as_slice(), &[0, 0, 1, 0, 2, 1]);
        assert_eq!(texts(&array), ["v5", "v5", "v3", "v5", "v7", "v3"]);
    }

    #[test]
    fn mostly_distinct_text_is_written_plain() {
        let codes: Vec<u32> = (0..200).collect();
        let array = dictionary_column(&codes, |c| c.to_string()).expect("column");
        assert!(array.as_any().downcast_ref::<Utf8ViewArray>().is_some());
        assert_eq!(texts(&array)[199], "199");
        // Few rows are always a dictionary, as polars does.
        let array = dictionary_column(&codes[..100], |c| c.to_string()).expect("column");
        assert!(
            array
                .as_any()
                .downcast_ref::<DictionaryArray<u32>>()
                .is_some()
        );
    }

    #[test]
    fn evidence_row_groups_read_back_as_written() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let ids = ["11010519491231002X", "130503196704010016"];
        let person = |i: u32| {
            crate::rules::id::parse_id_number(ids[(i / 5) as usize], as_of).expect("valid id")
        };
        let division = |i: u32| {
            if i.is_multiple_of(2) {
                350_502
            } else {
                350_503
            }
        };
        let ids: Vec<String> = (0..10).map(|i| format!("R{i}")).collect();
        let records: Vec<EvidenceRecord<'_>> = (0..10u32)
            .map(|i| EvidenceRecord {
                person: person(i).as_u64(),
                division: division(i),
                start: i as i32,
                end: i as i32 + 30,
                file: i % 2,
                line: i + 2,
                record_id: ids[i as usize].as_bytes(),
            })
            .collect();
        let chunk = crate::evidence::tests::encode_chunk(&records);
        let sources = [SourceKind::Utility, SourceKind::Lease];
        let rows = PartitionRows::load(&[chunk], &sources, |_, _| true);
        let file = |path: &str| FileReport {
            source: None,
            path: path.to_owned(),
            bytes: 0,
            sha256: String::new(),
            rows: 0,
            accepted: 0,
            filtered: Default::default(),
            rejected: Default::default(),
            latest: None,
            warnings: Vec::new(),
        };
        let files = [file("utility/a.csv"), file("lease/b.csv")];
        let encoder = ParquetEncoder::new(&evidence_schema()).expect("encoder");
        let mut encoded = Encoded::default();
        for range in [0..4, 4..10] {
            let columns = evidence_columns(&rows, range, &files).expect("columns");
            encoder
                .encode_group(&columns, &mut encoded)
                .expect("encode");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("evidence.parquet");
        let mut out = OutFile::create(&path).expect("create");
        let mut sink = ParquetSink::new(&mut out, &evidence_schema()).expect("sink");
        sink.write_encoded(encoded).expect("write");
        assert_eq!(sink.finish().expect("finish"), 10);
        out.close().expect("close");

        let df = ParquetReader::new(File::open(&path).expect("open"))
            .finish()
            .expect("read");
        assert_eq!(df.schema().as_ref(), &evidence_schema());
        let text = |name: &str| -> Vec<String> {
            let c = df.column(name).expect("column").cast(&DataType::String);
            c.expect("text")
                .str()
                .expect("text")
                .iter()
                .map(|v| v.unwrap_or("<null>").to_owned())
                .collect()
        };
        let int = |name: &str| -> Vec<i64> {
            let c = df.column(name).expect("column").cast(&DataType::Int64);
            let c = c.expect("integers");
            c.i64()
                .expect("i64")
                .iter()
                .map(|v| v.unwrap_or(-1))
                .collect()
        };
        let (people, record_ids, divisions) =
            (text("person_id"), text("record_id"), text("division"));
        let (sources_read, files_read, cities) = (text("source"), text("input_file"), text("city"));
        let (starts, ends, lines) = (int("start"), int("end"), int("line"));
        let mut seen: Vec<u32> = Vec::new();
        for row in 0..df.height() {
            let i: u32 = record_ids[row][1..].parse().expect("R<i>");
            seen.push(i);
            let canonical = person(i).canonical();
            assert_eq!(people[row].as_bytes(), &canonical[..], "row {row}");
            assert_eq!(divisions[row], division(i).to_string());
            assert_eq!(cities[row], "350500");
            assert_eq!(sources_read[row], ["utility", "lease"][(i % 2) as usize]);
            assert_eq!(files_read[row], files[(i % 2) as usize].path);
            assert_eq!((starts[row], ends[row]), (i64::from(i), i64::from(i) + 30));
            assert_eq!(lines[row], i64::from(i) + 2);
        }
        // Every record once.
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        // Each person's rows together, across the row-group boundary.
        assert_eq!(people.windows(2).filter(|w| w[0] != w[1]).count(), 1);
    }
}
