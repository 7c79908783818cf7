//! SPEC §5 step 6: a shopping row without `buyer_id_number` belongs to the phone's
//! owner on the delivery day — the distinct subscribers of current telecom rows
//! (any service, any city, steps 1–4 passed) whose unclipped interval contains it.

use hashbrown::HashMap;
use rayon::prelude::*;

use super::error::IngestError;
use super::file::{Awaiting, Counts, FileSummary};
use super::judged::{FilteredRow, RejectedRow};
use super::keys::ACCEPTED;
use super::supersede::Superseded;
use super::validate::{Ctx, Facts};
use crate::evidence::{EvidenceRecord, EvidenceWriter, Partitioner};
use crate::pipeline::SourceKind;
use crate::rules::date::to_epoch_days;
use crate::rules::id::PersonId;
use crate::rules::phone::Phone;
use crate::rules::reason::Reason;
use crate::spill::{Cursor, Store};
use chrono::NaiveDate;

/// Who held each phone when.
#[derive(Default)]
pub(crate) struct PhoneOwners {
    by_phone: HashMap<Phone, Vec<(PersonId, NaiveDate, NaiveDate)>>,
}

/// What the phone says about one delivery.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Buyer {
    Unique(PersonId),
    Nobody,
    Several,
}

impl PhoneOwners {
    /// From the telecom files' current rows (superseded ones do not count).
    pub(crate) fn from_files(files: &[FileSummary], superseded: &Superseded) -> Self {
        let mut by_phone: HashMap<Phone, Vec<_>> = HashMap::new();
        for (fi, file) in files.iter().enumerate() {
            if file.input.source != SourceKind::Telecom {
                continue;
            }
            for &(line, o) in &file.owners {
                if !superseded.contains(fi as u32, line) {
                    by_phone
                        .entry(o.phone)
                        .or_default()
                        .push((o.person, o.start, o.end));
                }
            }
        }
        PhoneOwners { by_phone }
    }

    pub(crate) fn buyer(&self, phone: Phone, day: NaiveDate) -> Buyer {
        let mut found: Option<PersonId> = None;
        for &(person, start, end) in self.by_phone.get(&phone).into_iter().flatten() {
            if start <= day && day <= end {
                match found {
                    None => found = Some(person),
                    Some(p) if p != person => return Buyer::Several,
                    Some(_) => {}
                }
            }
        }
        found.map_or(Buyer::Nobody, Buyer::Unique)
    }
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
                    let (reason, detail) = match owners.buyer(a.phone, a.day) {
                        Buyer::Unique(person) => {
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
                        Buyer::Nobody => (
                            Reason::UnresolvedIdentity,
                            "no telecom subscriber had this phone on the delivery day",
                        ),
                        Buyer::Several => (
                            Reason::AmbiguousIdentity,
                            "several telecom subscribers had this phone on the delivery day",
                        ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::phone::parse_phone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn buyer_is_the_distinct_owner_on_the_day() {
        let phone = parse_phone("13800138000").unwrap();
        let a = PersonId::from_u64(11010519491231002);
        let b = PersonId::from_u64(35050219900101001);
        let mut owners = PhoneOwners::default();
        owners.by_phone.insert(
            phone,
            vec![
                (a, d("2025-01-01"), d("2025-12-31")),
                (a, d("2025-06-01"), d("2026-03-31")),
                (b, d("2026-03-01"), d("2026-11-27")),
            ],
        );
        assert_eq!(owners.buyer(phone, d("2025-07-01")), Buyer::Unique(a));
        assert_eq!(owners.buyer(phone, d("2026-03-15")), Buyer::Several);
        assert_eq!(owners.buyer(phone, d("2026-05-01")), Buyer::Unique(b));
        assert_eq!(owners.buyer(phone, d("2024-05-01")), Buyer::Nobody);
        let other = parse_phone("13900139000").unwrap();
        assert_eq!(owners.buyer(other, d("2025-07-01")), Buyer::Nobody);
    }
}
