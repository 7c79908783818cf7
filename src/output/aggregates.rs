//! The figures `residence report` draws, counted once while the run writes
//! its outputs and kept in the manifest's `aggregates` section, so the
//! report reads kilobytes whatever the night's size (SPEC §9).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::pipeline::SourceKind;
use crate::rules::decision::{Basis, Status};
use crate::timeline::EligibilityRow;
use crate::timeline::changes::ChangeRow;

/// Months of evidence at or beyond this share the histogram's last column.
pub const MONTHS_TOP: usize = 36;

/// Persons of one (city, county, status, basis).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct DecisionCell {
    /// The city (`XXXX00`).
    pub city: String,
    /// The division of the latest evidence; `None` for a pledge alone.
    pub county: Option<String>,
    /// `eligible`, `pending`, `inactive` or `not_applicable`.
    pub status: String,
    /// `evidence`, `pledge` or `none`.
    pub basis: String,
    /// Persons.
    pub persons: u64,
}

/// `changes.parquet` rows of one (before, now); `None` is new or gone.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ChangeCell {
    /// `status/basis` in the published run; `None` for a new person.
    pub before: Option<String>,
    /// `status/basis` tonight; `None` for a person no longer decided for.
    pub now: Option<String>,
    /// Persons.
    pub persons: u64,
}

/// The manifest's `aggregates`.
#[derive(Serialize, Deserialize, Debug, Clone, Default, PartialEq)]
pub struct Aggregates {
    /// Persons per city, county, status and basis.
    pub decisions: Vec<DecisionCell>,
    /// Accepted evidence rows per source and the month they start (`YYYY-MM`).
    pub evidence_by_month: BTreeMap<String, BTreeMap<String, u64>>,
    /// Persons with a last spell by its whole months; the last entry counts
    /// [`MONTHS_TOP`] or more.
    pub months_of_evidence: Vec<u64>,
    /// Persons with a last spell: `[eligible, other statuses]` ×
    /// `[weak sources only, partly strong, all strong]`.
    pub strong: [[u64; 3]; 2],
    /// `changes.parquet` by (before, now).
    pub changes: Vec<ChangeCell>,
}

/// Evidence rows per (source, month number `year * 12 + month0`), counted
/// by a worker over its partition's columns.
pub type EvidenceMonths = hashbrown::HashMap<(u32, i32), u64>;

/// The month number (`year * 12 + month0`) of epoch day `days` (days since
/// 1970-01-01), by integer arithmetic (H. Hinnant's civil-from-days): a
/// night counts tens of millions of rows.
pub fn month_number(days: i32) -> i32 {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month0 = if mp < 10 { mp + 2 } else { mp - 10 };
    let year = yoe + era * 400 + i64::from(month0 <= 1);
    (year * 12 + month0) as i32
}

/// Counts a partition's evidence rows by source and starting month.
pub fn count_evidence(source: &[u32], start: &[i32], into: &mut EvidenceMonths) {
    // Rows come sorted by person and start: the month repeats, cache it.
    let mut last = (i32::MIN, 0);
    for (&s, &d) in source.iter().zip(start) {
        let m = if d == last.0 {
            last.1
        } else {
            let m = month_number(d);
            last = (d, m);
            m
        };
        *into.entry((s, m)).or_default() += 1;
    }
}

/// Adds up the aggregates while the outputs are written.
#[derive(Default)]
pub struct Tally {
    decisions: BTreeMap<(String, Option<String>, &'static str, &'static str), u64>,
    evidence: EvidenceMonths,
    months: Vec<u64>,
    strong: [[u64; 3]; 2],
    changes: BTreeMap<(Option<String>, Option<String>), u64>,
}

fn pair(v: Option<(Status, Basis)>) -> Option<String> {
    v.map(|(s, b)| format!("{}/{}", s.as_str(), b.as_str()))
}

impl Tally {
    /// One decided (person, city).
    pub fn eligibility(&mut self, r: &EligibilityRow) {
        let key = (
            r.city.to_string(),
            r.county.map(|c| c.to_string()),
            r.decision.status.as_str(),
            r.decision.basis.as_str(),
        );
        *self.decisions.entry(key).or_default() += 1;
        if let Some(s) = &r.last_spell {
            if self.months.is_empty() {
                self.months = vec![0; MONTHS_TOP + 1];
            }
            self.months[(s.months as usize).min(MONTHS_TOP)] += 1;
            let row = usize::from(r.decision.status != Status::Eligible);
            let kind = if r.strong_days == 0 {
                0
            } else if r.strong_days >= s.covered_days {
                2
            } else {
                1
            };
            self.strong[row][kind] += 1;
        }
    }

    /// One row of `changes.parquet`.
    pub fn change(&mut self, c: &ChangeRow) {
        *self
            .changes
            .entry((pair(c.previous), pair(c.current)))
            .or_default() += 1;
    }

    /// A partition's evidence counts.
    pub fn evidence(&mut self, counts: EvidenceMonths) {
        for (k, n) in counts {
            *self.evidence.entry(k).or_default() += n;
        }
    }

    /// The manifest's section.
    pub fn finish(self) -> Aggregates {
        let mut evidence_by_month: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for ((source, month), n) in self.evidence {
            let name = SourceKind::ALL
                .get(source as usize)
                .map_or("", |k| k.name())
                .to_owned();
            let label = format!(
                "{:04}-{:02}",
                month.div_euclid(12),
                month.rem_euclid(12) + 1
            );
            *evidence_by_month
                .entry(name)
                .or_default()
                .entry(label)
                .or_default() += n;
        }
        Aggregates {
            decisions: self
                .decisions
                .into_iter()
                .map(|((city, county, status, basis), persons)| DecisionCell {
                    city,
                    county,
                    status: status.to_owned(),
                    basis: basis.to_owned(),
                    persons,
                })
                .collect(),
            evidence_by_month,
            months_of_evidence: if self.months.is_empty() {
                vec![0; MONTHS_TOP + 1]
            } else {
                self.months
            },
            strong: self.strong,
            changes: self
                .changes
                .into_iter()
                .map(|((before, now), persons)| ChangeCell {
                    before,
                    now,
                    persons,
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Datelike, NaiveDate};
    use proptest::prelude::*;

    use super::*;
    use crate::rules::date::from_epoch_days;

    proptest! {
        #[test]
        fn month_numbers_agree_with_chrono(days in -200_000i32..200_000) {
            let d = from_epoch_days(days);
            prop_assert_eq!(month_number(days), d.year() * 12 + d.month0() as i32);
        }
    }

    #[test]
    fn evidence_is_counted_by_source_and_starting_month() {
        let day = |y, m, d| {
            crate::rules::date::to_epoch_days(NaiveDate::from_ymd_opt(y, m, d).expect("date"))
        };
        let mut counts = EvidenceMonths::default();
        count_evidence(
            &[0, 0, 1, 0],
            &[
                day(2026, 1, 31),
                day(2026, 1, 31),
                day(2026, 1, 1),
                day(2026, 2, 1),
            ],
            &mut counts,
        );
        let mut tally = Tally::default();
        tally.evidence(counts);
        let a = tally.finish();
        let first = SourceKind::ALL[0].name();
        let second = SourceKind::ALL[1].name();
        assert_eq!(a.evidence_by_month[first]["2026-01"], 2);
        assert_eq!(a.evidence_by_month[first]["2026-02"], 1);
        assert_eq!(a.evidence_by_month[second]["2026-01"], 1);
        assert_eq!(a.months_of_evidence.len(), MONTHS_TOP + 1);
    }
}
