//! The per-person outputs, one evidence partition at a time: workers load,
//! sort and decide each (city, person) range and encode its evidence rows;
//! the writer appends partitions in order to `evidence.parquet`,
//! `eligibility.parquet` and `spells.parquet`, and merges the decisions with
//! the published run's into `changes.parquet`. Accepted rows a later version
//! replaced go to the filtered rows of their file instead.

use std::path::Path;

use chrono::NaiveDate;

use super::counts::{Decisions, Outputs};
use super::error::EngineError;
use super::ordered::in_order;
use crate::evidence::{EvidenceRecord, PartitionRows, Partitioner};
use crate::ingest::Ingested;
use crate::ingest::judged::FilteredRow;
use crate::ingest::validate::Facts;
use crate::output::parquet::{
    self, CHANGES, ELIGIBILITY, EVIDENCE, Encoded, FileMeta, ParquetEncoder, ParquetSink, SPELLS,
};
use crate::pipeline::Pipeline;
use crate::progress::Progress;
use crate::rules::date::from_epoch_days;
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::reason::Reason;
use crate::spill::StoreWriter;
use crate::timeline::changes::{ChangeRow, Changes, PreviousDecision};
use crate::timeline::{self, EligibilityRow, PledgeRecord, SpellRow, TimelineParams, Timelines};

/// What the night is compared with for `changes.parquet`: the published
/// run's as-of and decisions, sorted by (city, person).
pub type Published = Option<(NaiveDate, Vec<PreviousDecision>)>;

/// Where the per-person outputs go and how.
pub struct Target<'a> {
    /// The folder the output files are written to (the run's incomplete folder).
    pub dir: &'a Path,
    /// Rows per row group of eligibility and spells.
    pub row_group: usize,
    /// The key-value metadata every output file carries.
    pub meta: &'a FileMeta,
}

/// Each evidence partition in (city, person) order: load and sort it, build
/// its spells and decisions, encode its evidence rows; the writer appends
/// each partition's rows to the per-person outputs in partition order.
pub fn write_partitions(
    ingested: &Ingested<'_>,
    pipeline: &Pipeline,
    as_of: NaiveDate,
    target: &Target<'_>,
    published: Published,
    progress: &dyn Progress,
) -> Result<(Outputs, Decisions), EngineError> {
    let pledges = pledges_by_partition(&ingested.pledges, &ingested.partitioner);
    let params = TimelineParams::from(&pipeline.params);
    let sources = ingested.file_sources();
    let files = &ingested.files;
    let encoder = ParquetEncoder::new(&parquet::evidence_schema(), &EVIDENCE)?;
    let row_group = target.row_group;

    let process = |p: usize| -> Result<(Encoded, Timelines), EngineError> {
        crate::interrupt::check()?;
        let chunks = ingested
            .evidence
            .take(p)
            .map_err(EngineError::spill(&ingested.evidence))?;
        let mut replaced = ingested.filtered.writer();
        let mut failed = Ok(());
        let rows = PartitionRows::load(
            &chunks,
            &sources,
            |file, line| !ingested.superseded.contains(file, line),
            |r| {
                if failed.is_ok() {
                    failed = filter_replaced(&mut replaced, r);
                }
            },
        );
        drop(chunks);
        failed
            .and_then(|()| replaced.finish())
            .map_err(EngineError::spill(&ingested.filtered))?;
        let timelines =
            timeline::build(rows.sorted(), &pledges[p], &ingested.hukou, &params, as_of);
        let mut encoded = Encoded::default();
        for start in (0..rows.len()).step_by(row_group) {
            let end = rows.len().min(start + row_group);
            encoder.encode_group(
                &parquet::evidence_columns(&rows, start..end, files)?,
                &mut encoded,
            )?;
        }
        Ok((encoded, timelines))
    };

    let dir = target.dir;
    let mut evidence = ParquetSink::create(
        &dir.join(EVIDENCE.file),
        &parquet::evidence_schema(),
        &EVIDENCE,
    )?;
    let mut people = PersonOutputs::create(dir, row_group)?;
    let mut changes = Changes::new(published);
    in_order(
        ingested.partitioner.count(),
        process,
        |(encoded, timelines): (Encoded, Timelines)| {
            evidence.write_encoded(encoded)?;
            for r in &timelines.eligibility {
                changes.feed(r.person, r.city, r.decision.status, r.decision.basis);
            }
            people.append(timelines, changes.take())?;
            progress.advance(1);
            Ok(())
        },
    )?;
    let mut outputs = Outputs::new();
    outputs.insert(EVIDENCE.file.to_owned(), evidence.finish(target.meta)?);
    let decisions = people.finish(changes.finish(), target.meta, &mut outputs)?;
    Ok((outputs, decisions))
}

/// The latest signed pledge per (person, city), grouped by the evidence
/// partition their (city, person) falls in, each group sorted by (city, person).
fn pledges_by_partition(
    pledges: &[PledgeRecord],
    partitioner: &Partitioner,
) -> Vec<Vec<PledgeRecord>> {
    let mut parts = vec![Vec::new(); partitioner.count()];
    for record in timeline::latest_pledges(pledges.iter().copied()) {
        let (city, person) = (record.pledge.city, record.pledge.person);
        parts[partitioner.index(city.code(), person.as_u64())].push(record);
    }
    parts
}

/// An accepted evidence row a later version replaced, as a filtered row of
/// its file (its end is the clipped one: that is what was kept).
fn filter_replaced(into: &mut StoreWriter<'_, '_>, r: &EvidenceRecord<'_>) -> std::io::Result<()> {
    let p = r.file as usize;
    FilteredRow {
        line: r.line,
        reason: Reason::Superseded,
        facts: Facts {
            person: Some(PersonId::from_u64(r.person)),
            city: Some(Division::new_unchecked(r.division).city()),
            start: Some(from_epoch_days(r.start)),
            end: Some(from_epoch_days(r.end)),
        },
        record_id: Some(r.record_id),
    }
    .encode(into.buffer(p));
    into.done(p)
}

/// The outputs with a row per person: eligibility, spells and changes,
/// buffered until a row group fills.
struct PersonOutputs {
    row_group: usize,
    eligibility: ParquetSink,
    spells: ParquetSink,
    changes: ParquetSink,
    eligibility_rows: Vec<EligibilityRow>,
    spell_rows: Vec<SpellRow>,
    change_rows: Vec<ChangeRow>,
    decisions: Decisions,
}

impl PersonOutputs {
    fn create(dir: &Path, row_group: usize) -> Result<Self, EngineError> {
        let sink = |output: parquet::Output, schema: &polars::prelude::Schema| {
            ParquetSink::create(&dir.join(output.file), schema, &output)
        };
        Ok(PersonOutputs {
            row_group,
            eligibility: sink(ELIGIBILITY, parquet::eligibility_frame(&[])?.schema())?,
            spells: sink(SPELLS, parquet::spells_frame(&[])?.schema())?,
            changes: sink(CHANGES, parquet::changes_frame(&[])?.schema())?,
            eligibility_rows: Vec::new(),
            spell_rows: Vec::new(),
            change_rows: Vec::new(),
            decisions: Decisions::new(),
        })
    }

    /// One partition's rows, in order; whole row groups are written as they fill.
    fn append(&mut self, t: Timelines, changes: Vec<ChangeRow>) -> Result<(), EngineError> {
        for r in &t.eligibility {
            *self
                .decisions
                .entry((
                    r.city.to_string(),
                    r.decision.status.as_str(),
                    r.decision.basis.as_str(),
                ))
                .or_default() += 1;
        }
        self.eligibility_rows.extend(t.eligibility);
        self.spell_rows.extend(t.spells);
        self.change_rows.extend(changes);
        if self.eligibility_rows.len() >= self.row_group {
            self.eligibility
                .write(&parquet::eligibility_frame(&self.eligibility_rows)?)?;
            self.eligibility_rows.clear();
        }
        if self.spell_rows.len() >= self.row_group {
            self.spells
                .write(&parquet::spells_frame(&self.spell_rows)?)?;
            self.spell_rows.clear();
        }
        if self.change_rows.len() >= self.row_group {
            self.changes
                .write(&parquet::changes_frame(&self.change_rows)?)?;
            self.change_rows.clear();
        }
        Ok(())
    }

    /// The last row groups, then the footers.
    fn finish(
        mut self,
        last_changes: Vec<ChangeRow>,
        meta: &FileMeta,
        outputs: &mut Outputs,
    ) -> Result<Decisions, EngineError> {
        self.change_rows.extend(last_changes);
        // The last row groups of the files at once, on the pool: on a small
        // night these are all the rows. Safe only here: every partition is
        // in, so no worker is left waiting on the writer (mid-run the pool
        // must not be needed, see `ordered`).
        let (eligibility, spells) = (&self.eligibility, &self.spells);
        let (last_eligibility, last_spells) = polars_core::runtime::THREAD_POOL.join(
            || {
                eligibility
                    .encoder()
                    .encode(&parquet::eligibility_frame(&self.eligibility_rows)?)
            },
            || {
                spells
                    .encoder()
                    .encode(&parquet::spells_frame(&self.spell_rows)?)
            },
        );
        self.eligibility.write_encoded(last_eligibility?)?;
        self.spells.write_encoded(last_spells?)?;
        self.changes
            .write(&parquet::changes_frame(&self.change_rows)?)?;
        outputs.insert(ELIGIBILITY.file.to_owned(), self.eligibility.finish(meta)?);
        outputs.insert(SPELLS.file.to_owned(), self.spells.finish(meta)?);
        outputs.insert(CHANGES.file.to_owned(), self.changes.finish(meta)?);
        Ok(self.decisions)
    }
}
