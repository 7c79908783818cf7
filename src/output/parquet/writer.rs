//! Writing a Parquet file a row group at a time: row groups encoded and
//! compressed on any thread ([`ParquetEncoder`]), appended in order by one
//! writer ([`ParquetSink`]), which ends the file with the footer every
//! analyst tool reads the same way.
//!
//! # Why not polars' `BatchedWriter`
//!
//! Polars records an Arrow schema in the footer (`ARROW:schema`) with its
//! view types (`Utf8View`), which pyarrow and pandas then read as
//! `string_view` — pandas cannot convert a list of those. Without that
//! entry every reader maps Parquet's UTF-8 byte arrays to plain `string`
//! (SPEC §7). The file writer underneath (`polars_parquet::write::FileWriter`)
//! leaves it out when given the key-value metadata itself, which is also
//! how `residence.run_id` and friends get in. Neither writer sets a row
//! group's `sorting_columns`, so [`ParquetSink::finish`] writes the footer
//! once more with them, over the first (see [`with_sorting_columns`]).

use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use polars::io::parquet::write::get_encodings;
use polars::prelude::*;
use polars_arrow::datatypes::ArrowSchema;
use polars_parquet::write::{
    CompressedPage, DynIter, DynStreamingIterator, Encoding, FileWriter, KeyValue, ParquetType,
    StatisticsOptions, Version, WriteOptions, array_to_columns, compress,
    fallible_streaming_iterator, to_parquet_schema, write_metadata_sidecar,
};
use polars_parquet_format::SortingColumn;

use super::frames::Output;
use crate::output::{OutputError, create_private};

/// Rows per Parquet row group: polars' default, so readers see the same
/// shape whether a file was written at once or partition by partition.
pub const ROW_GROUP: usize = 512 * 512;

/// Integer columns written as DELTA_BINARY_PACKED instead of plain: input
/// lines rise by one or a few from row to row, so each takes a few bits
/// instead of eight bytes (and snappy has that much less to compress).
const DELTA_COLUMNS: &[&str] = &["line"];

/// Text columns of (nearly) distinct values, written plain: the writer
/// would otherwise estimate each page's distinct values to decide against
/// a dictionary.
const PLAIN_COLUMNS: &[&str] = &["record_id", "raw"];

/// Every output's page compression.
const COMPRESSION: ParquetCompression = ParquetCompression::Snappy;

/// What every output file says of the run that wrote it (footer key-value
/// metadata `residence.run_id`, `residence.as_of`, `residence.version`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileMeta {
    /// The run's id (`residence.run_id`).
    pub run_id: String,
    /// The decision date, `YYYY-MM-DD` (`residence.as_of`).
    pub as_of: String,
    /// The tool's version (`residence.version`).
    pub version: String,
}

impl FileMeta {
    fn key_values(&self) -> Vec<KeyValue> {
        [
            ("residence.run_id", &self.run_id),
            ("residence.as_of", &self.as_of),
            ("residence.version", &self.version),
        ]
        .into_iter()
        .map(|(key, value)| KeyValue {
            key: key.to_owned(),
            value: Some(value.clone()),
        })
        .collect()
    }
}

/// Encodes and compresses Parquet row groups on any thread, for a
/// [`ParquetSink`] of the same output to write. Pages are compressed here,
/// so the one thread that writes a file only copies bytes.
pub struct ParquetEncoder {
    /// Top-level Parquet type of each column.
    types: Vec<ParquetType>,
    encodings: Vec<Vec<Encoding>>,
    /// Per column: statistics or not.
    options: Vec<WriteOptions>,
}

/// Text columns written without min/max statistics: nearly distinct values
/// no query filters a row group by, whose statistics cost a comparison per row.
const NO_STATISTICS: &[&str] = &["record_id", "raw", "detail"];

/// The Arrow schema of `output`'s file: its columns that never hold a null
/// are REQUIRED in Parquet (no definition levels to write or read).
fn arrow_schema(schema: &Schema, output: &Output) -> ArrowSchema {
    schema
        .to_arrow(CompatLevel::newest())
        .into_iter()
        .map(|(name, mut field)| {
            if output.required.contains(&name.as_str()) {
                field.is_nullable = false;
            }
            (name, field)
        })
        .collect()
}

/// Row groups encoded by [`ParquetEncoder`], waiting to be written: pages
/// per leaf column per row group.
#[derive(Default)]
pub struct Encoded {
    groups: Vec<Vec<Vec<CompressedPage>>>,
    rows: u64,
}

impl Encoded {
    /// Rows in all its row groups.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Its row groups.
    pub fn groups(&self) -> usize {
        self.groups.len()
    }
}

fn write_options() -> WriteOptions {
    WriteOptions {
        statistics: StatisticsOptions::default(),
        version: Version::V1,
        compression: COMPRESSION.into(),
        data_page_size: None,
    }
}

impl ParquetEncoder {
    /// An encoder for `output`'s rows of `schema`, with the options `polars`
    /// itself would use for a Snappy-compressed file.
    pub fn new(schema: &Schema, output: &Output) -> PolarsResult<Self> {
        let arrow = arrow_schema(schema, output);
        let types = to_parquet_schema(&arrow)?.fields().to_vec();
        let encodings = get_encodings(&arrow)
            .iter()
            .zip(schema.iter_names())
            .map(|(e, name)| {
                if DELTA_COLUMNS.contains(&name.as_str()) {
                    vec![Encoding::DeltaBinaryPacked]
                } else if PLAIN_COLUMNS.contains(&name.as_str()) {
                    vec![Encoding::Plain]
                } else {
                    e.clone()
                }
            })
            .collect();
        let options = schema
            .iter_names()
            .map(|name| {
                let mut options = write_options();
                if NO_STATISTICS.contains(&name.as_str()) {
                    options.statistics.min_value = false;
                    options.statistics.max_value = false;
                }
                options
            })
            .collect();
        Ok(ParquetEncoder {
            types,
            encodings,
            options,
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
        for (((array, type_), encoding), options) in columns
            .iter()
            .zip(&self.types)
            .zip(&self.encodings)
            .zip(&self.options)
        {
            group.extend(Self::encode_column(array, type_, encoding, *options)?);
        }
        into.groups.push(group);
        into.rows += rows as u64;
        Ok(())
    }

    /// One column's pages, compressed, per leaf column (a list has one leaf).
    fn encode_column(
        array: &ArrayRef,
        type_: &ParquetType,
        encoding: &[Encoding],
        options: WriteOptions,
    ) -> PolarsResult<Vec<Vec<CompressedPage>>> {
        array_to_columns(array, type_.clone(), options, encoding)?
            .into_iter()
            .map(|pages| {
                pages
                    .map(|page| Ok(compress(page?, Vec::new(), options.compression)?))
                    .collect()
            })
            .collect()
    }

    /// Encodes `df` as row groups of at most [`ROW_GROUP`] rows, appended to `into`.
    pub fn encode_into(&self, df: &DataFrame, into: &mut Encoded) -> PolarsResult<()> {
        for offset in (0..df.height()).step_by(ROW_GROUP) {
            let mut part = df.slice(offset as i64, ROW_GROUP);
            part.rechunk_mut();
            for batch in part.iter_chunks(CompatLevel::newest(), false) {
                self.encode_group(batch.columns(), into)?;
            }
        }
        Ok(())
    }

    /// Encodes `df` (at most [`ROW_GROUP`] rows) as exactly one row group.
    pub fn encode_group_of(&self, df: &DataFrame, into: &mut Encoded) -> PolarsResult<()> {
        assert!(
            df.height() <= ROW_GROUP,
            "one row group holds at most {ROW_GROUP} rows"
        );
        let mut df = df.clone();
        df.rechunk_mut();
        let columns: Vec<ArrayRef> = df
            .columns()
            .iter()
            .map(|c| {
                c.as_materialized_series()
                    .to_arrow(0, CompatLevel::newest())
            })
            .collect();
        self.encode_group(&columns, into)
    }

    /// Encodes `df` as row groups of at most [`ROW_GROUP`] rows.
    pub fn encode(&self, df: &DataFrame) -> PolarsResult<Encoded> {
        let mut encoded = Encoded::default();
        self.encode_into(df, &mut encoded)?;
        Ok(encoded)
    }
}

/// A Parquet output written a row group at a time, in the order given
/// (owner-only: the outputs hold ID numbers).
pub struct ParquetSink {
    path: PathBuf,
    writer: FileWriter<BufWriter<File>>,
    encoder: ParquetEncoder,
    sorting: Vec<SortingColumn>,
    rows: u64,
}

impl ParquetSink {
    /// Creates `path` for `output`'s rows of `schema`, sorted by its
    /// `sorted_by` columns (declared in every row group's metadata).
    pub fn create(path: &Path, schema: &Schema, output: &Output) -> Result<Self, OutputError> {
        let sorted_by = output.sorted_by;
        let err = |e| OutputError::Polars {
            path: path.to_owned(),
            source: e,
        };
        let sorting = sorted_by
            .iter()
            .map(|name| {
                let at = schema.index_of(name).unwrap_or_else(|| {
                    panic!(
                        "sort column {name} is not in the schema of {}",
                        path.display()
                    )
                });
                // Top-level index; every sort column comes before the one
                // list column, so it is the leaf index too.
                SortingColumn::new(at as i32, false, false)
            })
            .collect();
        let file = create_private(path)?;
        let writer = FileWriter::try_new(
            BufWriter::with_capacity(1 << 20, file),
            arrow_schema(schema, output),
            write_options(),
        )
        .map_err(err)?;
        Ok(ParquetSink {
            path: path.to_owned(),
            writer,
            encoder: ParquetEncoder::new(schema, output).map_err(err)?,
            sorting,
            rows: 0,
        })
    }

    fn err(&self) -> impl FnOnce(PolarsError) -> OutputError + '_ {
        move |e| OutputError::Polars {
            path: self.path.clone(),
            source: e,
        }
    }

    /// Appends row groups [`Self::encoder`] encoded, possibly on another thread.
    pub fn write_encoded(&mut self, encoded: Encoded) -> Result<(), OutputError> {
        self.rows += encoded.rows;
        for group in &encoded.groups {
            let columns = DynIter::new(group.iter().map(|pages| {
                Ok(DynStreamingIterator::new(
                    fallible_streaming_iterator::convert(pages.iter().map(PolarsResult::Ok)),
                ))
            }));
            // u64::MAX: the writer counts the rows from the pages.
            self.writer
                .write(u64::MAX, columns)
                .map_err(|e| OutputError::Polars {
                    path: self.path.clone(),
                    source: e,
                })?;
        }
        Ok(())
    }

    /// The encoder for this file's row groups, to encode on another thread.
    pub fn encoder(&self) -> &ParquetEncoder {
        &self.encoder
    }

    /// Encodes `df` into row groups and appends them.
    pub fn write(&mut self, df: &DataFrame) -> Result<(), OutputError> {
        let encoded = self.encoder.encode(df).map_err(self.err())?;
        self.write_encoded(encoded)
    }

    /// Writes the footer (the run's metadata, the sort order), flushes and
    /// syncs the file; returns the rows written.
    pub fn finish(mut self, meta: &FileMeta) -> Result<u64, OutputError> {
        let polars = |e: polars_parquet::parquet::error::ParquetError| OutputError::Polars {
            path: self.path.clone(),
            source: e.into(),
        };
        // Given the key-value metadata, the writer adds no ARROW:schema.
        let total = self
            .writer
            .end(Some(meta.key_values()))
            .map_err(self_err(&self.path))?;
        let (mut out, metadata) = self.writer.into_inner_and_metadata();
        let io = OutputError::io(&self.path);
        with_sorting_columns(&mut out, total, metadata, &self.sorting).map_err(|e| match e {
            FooterError::Io(e) => io(e),
            FooterError::Parquet(e) => polars(e),
        })?;
        let file = out.into_inner().map_err(|e| OutputError::Io {
            path: self.path.clone(),
            source: e.into_error(),
        })?;
        file.sync_all().map_err(OutputError::io(&self.path))?;
        Ok(self.rows)
    }
}

fn self_err(path: &Path) -> impl FnOnce(PolarsError) -> OutputError + '_ {
    move |e| OutputError::Polars {
        path: path.to_owned(),
        source: e,
    }
}

enum FooterError {
    Io(std::io::Error),
    Parquet(polars_parquet::parquet::error::ParquetError),
}

/// Rewrites the footer `FileWriter::end` just wrote (the file is `total`
/// bytes long) with `sorting` as every row group's `sorting_columns`.
///
/// The footer is the file's last bytes: the Thrift metadata, its length
/// and `PAR1`. `write_metadata_sidecar` writes `PAR1` and then exactly
/// those bytes for given metadata (the same code writes both), so the old
/// footer's length is known, and the new one replaces it; nothing before
/// it (pages, indexes) moves.
fn with_sorting_columns(
    out: &mut BufWriter<File>,
    total: u64,
    mut metadata: polars_parquet_format::FileMetaData,
    sorting: &[SortingColumn],
) -> Result<(), FooterError> {
    if sorting.is_empty() {
        return out.flush().map_err(FooterError::Io);
    }
    let mut old = Vec::new();
    write_metadata_sidecar(&mut old, &metadata).map_err(FooterError::Parquet)?;
    for group in &mut metadata.row_groups {
        group.sorting_columns = Some(sorting.to_vec());
    }
    let mut new = Vec::new();
    write_metadata_sidecar(&mut new, &metadata).map_err(FooterError::Parquet)?;
    // Both start with the 4-byte magic the file already has at its start.
    let cut = total - (old.len() as u64 - 4);
    let mut rewrite = || -> std::io::Result<()> {
        out.seek(SeekFrom::Start(cut))?; // flushes the buffer first
        out.get_ref().set_len(cut)?;
        out.write_all(&new[4..])?;
        out.flush()
    };
    rewrite().map_err(FooterError::Io)
}
