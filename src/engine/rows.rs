//! The rows that did not become evidence, input file by input file (sources
//! in name order, paths in order, each file by line): `rejects.parquet` and
//! `filtered.parquet`.
//!
//! Runs after the evidence partitions, which add the accepted rows a later
//! version replaced to their file's filtered rows. A rejected or filtered
//! row that a later version replaced becomes a `superseded` filtered row.
//! Consecutive small files are taken together, so row groups are not cut at
//! every file; one file's filtered rows are sorted through an index of
//! their places in the spilled chunks and decoded a row group at a time.

use std::ops::Range;
use std::path::Path;

use super::counts::Outputs;
use super::error::EngineError;
use super::ordered::in_order;
use crate::ingest::judged::{FilteredRow, FilteredRows, RejectedRow};
use crate::ingest::{FileReport, Ingested, RejectRecord};
use crate::output::parquet::{
    self, Encoded, FILTERED, FileMeta, ParquetEncoder, ParquetSink, REJECTS, ROW_GROUP,
};
use crate::output::person_index::{self, Entry, Indexed};
use crate::pipeline::SourceKind;
use crate::progress::Progress;
use crate::spill::Cursor;

/// Writes `rejects.parquet` and `filtered.parquet` into `dir`.
pub fn write_rows(
    ingested: &Ingested<'_>,
    dir: &Path,
    meta: &FileMeta,
    progress: &dyn Progress,
) -> Result<Outputs, EngineError> {
    let units = units(&ingested.files, ROW_GROUP as u64);
    crate::progress::begin(
        progress,
        "writing rejected and filtered rows",
        units.len() as u64,
    );
    let rejects_schema = parquet::rejects_frame(&[], &[])?.schema().clone();
    let filtered_schema = parquet::filtered_schema();
    let mut rejects = ParquetSink::create(&dir.join(REJECTS.file), &rejects_schema, &REJECTS)?;
    let mut filtered = ParquetSink::create(&dir.join(FILTERED.file), &filtered_schema, &FILTERED)?;
    let encoders = (
        ParquetEncoder::new(&rejects_schema, &REJECTS)?,
        ParquetEncoder::new(&filtered_schema, &FILTERED)?,
    );
    // Row groups written so far, to make the units' row-group numbers global.
    let (mut rejects_groups, mut filtered_groups) = (0u32, 0u32);
    let mut index: Vec<Entry> = Vec::new();
    in_order(
        units.len(),
        |u| unit(ingested, units[u].clone(), &encoders),
        |done: Unit| {
            for mut e in done.index {
                e.row_group += match e.file {
                    Indexed::Rejects => rejects_groups,
                    Indexed::Filtered => filtered_groups,
                };
                index.push(e);
            }
            rejects_groups += done.rejects.groups() as u32;
            filtered_groups += done.filtered.groups() as u32;
            rejects.write_encoded(done.rejects)?;
            filtered.write_encoded(done.filtered)?;
            progress.advance(1);
            Ok(())
        },
    )?;
    let mut outputs = Outputs::new();
    outputs.insert(REJECTS.file.to_owned(), rejects.finish(meta)?);
    outputs.insert(FILTERED.file.to_owned(), filtered.finish(meta)?);
    outputs.insert(
        person_index::FILE.to_owned(),
        person_index::write(&dir.join(person_index::FILE), &meta.run_id, index)?,
    );
    Ok(outputs)
}

/// A unit's encoded row groups, and its persons' places in them (row
/// groups counted within the unit).
struct Unit {
    rejects: Encoded,
    filtered: Encoded,
    index: Vec<Entry>,
}

/// Records that `person` has a row in row group `row_group` of `file`,
/// unless the entry before says so already (a person's rows come together).
fn note(index: &mut Vec<Entry>, person: Option<u64>, file: Indexed, row_group: usize) {
    let Some(person) = person else { return };
    let entry = Entry {
        person,
        file,
        row_group: row_group as u32,
    };
    if index.last() != Some(&entry) {
        index.push(entry);
    }
}

/// Consecutive files taken together: each range holds one file, or as many
/// small files as make about `rows` rejected and filtered rows.
fn units(files: &[FileReport], rows: u64) -> Vec<Range<usize>> {
    let mut units = Vec::new();
    let (mut start, mut gathered) = (0, 0u64);
    for (i, f) in files.iter().enumerate() {
        let n = f.filtered.values().sum::<u64>() + f.rejected.values().sum::<u64>();
        if gathered > 0 && gathered + n > rows {
            units.push(start..i);
            (start, gathered) = (i, 0);
        }
        gathered += n;
    }
    if start < files.len() {
        units.push(start..files.len());
    }
    units
}

/// One file's filtered rows: the spilled chunks and, sorted by line, where
/// each row starts (chunk, offset).
struct FileRows {
    file: u32,
    source: SourceKind,
    chunks: Vec<Vec<u8>>,
    places: Vec<(u32, u32, u32)>,
}

/// Encodes the rejected and filtered rows of the files in `range`.
fn unit(
    ingested: &Ingested<'_>,
    range: Range<usize>,
    (rejects_encoder, filtered_encoder): &(ParquetEncoder, ParquetEncoder),
) -> Result<Unit, EngineError> {
    crate::interrupt::check()?;
    let sources = ingested.file_sources();
    let files = &ingested.files;
    let mut rejected: Vec<RejectRecord> = Vec::new();
    let mut filtered: Vec<FileRows> = Vec::new();
    for fi in range {
        let (file, source) = (fi as u32, sources[fi]);
        let replaced = |line| ingested.superseded.contains(file, line);
        let mut chunks = ingested
            .filtered
            .take(fi)
            .map_err(EngineError::spill(&ingested.filtered))?;
        // Rejected rows a later version replaced are filtered rows now.
        let mut now_filtered = Vec::new();
        let from = rejected.len();
        for chunk in ingested
            .rejects
            .take(fi)
            .map_err(EngineError::spill(&ingested.rejects))?
        {
            let mut c = Cursor::new(&chunk);
            while !c.is_empty() {
                let r = RejectedRow::decode(&mut c);
                if replaced(r.line) {
                    r.superseded().encode(&mut now_filtered);
                } else {
                    rejected.push(RejectRecord {
                        source,
                        file,
                        line: r.line,
                        reason: r.reason,
                        detail: String::from_utf8_lossy(r.detail).into_owned(),
                        raw: String::from_utf8_lossy(r.raw).into_owned(),
                        person: r.person,
                    });
                }
            }
        }
        rejected[from..].sort_unstable_by_key(|r| r.line);
        chunks.push(now_filtered);
        let mut places = Vec::new();
        for (k, chunk) in chunks.iter().enumerate() {
            let mut c = Cursor::new(chunk);
            while !c.is_empty() {
                let offset = (chunk.len() - c.bytes.len()) as u32;
                places.push((FilteredRow::skip(&mut c), k as u32, offset));
            }
        }
        // Rows come in runs in line order (one reader per file, one worker
        // per partition, each writing in the order it read): the stable
        // sort merges runs in about linear time. Lines are unique in a file.
        if !places.is_sorted() {
            places.sort();
        }
        filtered.push(FileRows {
            file,
            source,
            chunks,
            places,
        });
    }

    let mut index = Vec::new();
    let mut rejects = Encoded::default();
    for batch in rejected.chunks(ROW_GROUP) {
        let group = rejects.groups();
        for r in batch {
            note(
                &mut index,
                r.person.map(|p| p.as_u64()),
                Indexed::Rejects,
                group,
            );
        }
        rejects_encoder.encode_group_of(&parquet::rejects_frame(batch, files)?, &mut rejects)?;
    }
    let mut encoded = Encoded::default();
    let mut batch = FilteredRows::default();
    let mut flush = |batch: &mut FilteredRows| -> Result<(), EngineError> {
        let group = encoded.groups();
        for &p in &batch.person {
            note(&mut index, p, Indexed::Filtered, group);
        }
        let columns = parquet::filtered_columns(batch, 0..batch.len(), files)?;
        filtered_encoder.encode_group(&columns, &mut encoded)?;
        batch.clear();
        Ok(())
    };
    for f in &filtered {
        for &(line, k, offset) in &f.places {
            let mut c = Cursor::new(&f.chunks[k as usize][offset as usize..]);
            // The verdict at reading, unless a later version replaced the row.
            let replaced = ingested.superseded.contains(f.file, line);
            batch.push_encoded(f.file, f.source as u8, &mut c, replaced);
            if batch.len() == ROW_GROUP {
                flush(&mut batch)?;
            }
        }
    }
    if !batch.is_empty() {
        flush(&mut batch)?;
    }
    Ok(Unit {
        rejects,
        filtered: encoded,
        index,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::reason::Reason;

    fn file(filtered: u64, rejected: u64) -> FileReport {
        FileReport {
            filtered: [(Reason::OutOfScope, filtered)].into_iter().collect(),
            rejected: [(Reason::InvalidDate, rejected)].into_iter().collect(),
            ..FileReport::default()
        }
    }

    #[test]
    fn small_files_go_together_and_big_ones_alone() {
        let files = [
            file(3, 1),
            file(2, 0),
            file(10, 5),
            file(1, 0),
            file(0, 0),
            file(2, 2),
        ];
        assert_eq!(units(&files, 6), [0..2, 2..3, 3..6]);
        assert_eq!(units(&files, 100), vec![0..files.len()]);
        assert!(units(&[], 6).is_empty());
    }
}
