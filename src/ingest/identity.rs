//! SPEC §5 step 6 over the night's spilled rows: the phone owners from the
//! current telecom rows, then every awaiting shopping row decided (the rule
//! itself is the core's, [`residence_core::row::identity`]).

use rayon::prelude::*;
pub(crate) use residence_core::row::identity::{Buyer, PhoneOwners};

use super::error::IngestError;
use super::file::{Awaiting, Counts, FileSummary};
use super::judged::{FilteredRow, RejectedRow};
use super::supersede::Superseded;
use crate::evidence::{EvidenceRecord, EvidenceWriter, Partitioner};
use crate::pipeline::SourceKind;
use crate::rules::date::to_epoch_days;
use crate::rules::reason::Reason;
use crate::spill::{Cursor, Store};
use residence_core::row::keys::ACCEPTED;
use residence_core::row::validate::{Ctx, Facts};

/// Who held each phone when, from the telecom files' current rows
/// (superseded ones do not count).
pub(crate) fn phone_owners(files: &[FileSummary], superseded: &Superseded) -> PhoneOwners {
    let mut owners = PhoneOwners::default();
    for (fi, file) in files.iter().enumerate() {
        if file.input.source != SourceKind::Telecom {
            continue;
        }
        for &(line, o) in &file.owners {
            if !superseded.contains(fi as u32, line) {
                owners.add(o);
            }
        }
    }
    owners
}

/// Where resolved rows go.
pub(crate) struct Sinks<'s, 'a> {
    pub evidence: &'s Store<'a>,
    pub partitioner: &'s Partitioner,
    pub rejects: &'s Store<'a>,
    pub filtered: &'s Store<'a>,
}

/// What the identity step added to one file.
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    pub counts: Counts,
    /// The latest delivery day accepted, in epoch days.
    pub latest: Option<i32>,
}

/// Decides every current shopping row awaiting its buyer, then applies step
/// 7's filters: accepted rows join the evidence, rejected ones the file's
/// rejects. Returns what each file gained. The text of a rejected row is
/// read back from its file (rejects are rare; keeping every awaiting row's
/// text would not be).
pub(crate) fn resolve_buyers(
    awaiting: &Store<'_>,
    files: &[FileSummary],
    superseded: &Superseded,
    owners: &PhoneOwners,
    ctx: &Ctx<'_>,
    sinks: &Sinks<'_, '_>,
) -> Result<Vec<Resolved>, IngestError> {
    (0..files.len())
        .into_par_iter()
        .map(|fi| {
            crate::interrupt::check()?;
            let file = &files[fi];
            let read = |e| IngestError::Read {
                path: file.input.path.clone(),
                source: e,
            };
            let spill = |e| IngestError::Spill {
                path: awaiting.spill_path().to_owned(),
                source: e,
            };
            let mut resolved = Resolved::default();
            let counts = &mut resolved.counts;
            let chunks = awaiting.take(fi).map_err(spill)?;
            if chunks.iter().all(|c| c.is_empty()) {
                return Ok(resolved);
            }
            let mut evidence = EvidenceWriter::new(sinks.evidence.writer());
            let mut rejects = sinks.rejects.writer();
            let mut filtered = sinks.filtered.writer();
            let mut filter = |row: FilteredRow<'_>| {
                row.encode(filtered.buffer(fi));
                filtered.done(fi)
            };
            for chunk in &chunks {
                let mut c = Cursor::new(chunk);
                while !c.is_empty() {
                    let row = Awaiting::decode(&mut c);
                    let a = row.wait;
                    if superseded.contains(fi as u32, row.line) {
                        // Replaced before its buyer was looked for.
                        filter(FilteredRow {
                            line: row.line,
                            reason: Reason::Superseded,
                            facts: Facts {
                                city: Some(a.division.city()),
                                start: Some(a.day),
                                end: Some(a.day),
                                ..Facts::default()
                            },
                            record_id: Some(row.record_id),
                        })
                        .map_err(spill)?;
                        continue;
                    }
                    let buyer = owners.buyer(a.phone, a.day);
                    let (reason, detail) = match (buyer, buyer.rejection()) {
                        (_, Some(rejection)) => rejection,
                        (Buyer::Unique(person), None) => {
                            match ctx.interval(person, a.division, a.day, Some(a.day)) {
                                Ok(e) => {
                                    let start = to_epoch_days(e.start);
                                    resolved.latest = resolved.latest.max(Some(start));
                                    let person = e.person.as_u64();
                                    let p =
                                        sinks.partitioner.index(e.division.city().code(), person);
                                    evidence
                                        .push(
                                            p,
                                            &EvidenceRecord {
                                                person,
                                                division: e.division.code(),
                                                start,
                                                end: to_epoch_days(e.end),
                                                file: fi as u32,
                                                line: row.line,
                                                record_id: row.record_id,
                                            },
                                        )
                                        .map_err(spill)?;
                                    counts.add(ACCEPTED);
                                }
                                Err(f) => {
                                    counts.add(f.reason as u8);
                                    filter(FilteredRow {
                                        line: row.line,
                                        reason: f.reason,
                                        // The row's person column is empty: its
                                        // person_id stays null (SPEC §7), though
                                        // the phone named an owner.
                                        facts: Facts {
                                            person: None,
                                            ..f.facts
                                        },
                                        record_id: Some(row.record_id),
                                    })
                                    .map_err(spill)?;
                                }
                            }
                            continue;
                        }
                        (Buyer::Nobody | Buyer::Several, None) => {
                            unreachable!("a buyer that is not unique is a rejection")
                        }
                    };
                    counts.add(reason as u8);
                    let raw = file.input.raw_at(row.offset, row.len).map_err(read)?;
                    RejectedRow {
                        line: row.line,
                        reason,
                        person: None,
                        record_id: Some(row.record_id),
                        detail: detail.as_bytes(),
                        raw: raw.as_bytes(),
                    }
                    .encode(rejects.buffer(fi));
                    rejects.done(fi).map_err(spill)?;
                }
            }
            evidence.finish().map_err(spill)?;
            rejects.finish().map_err(spill)?;
            filtered.finish().map_err(spill)?;
            Ok(resolved)
        })
        .collect()
}
