//! The quality gate of SPEC §8: which checks a night fails, from its figures
//! and the published night's. Pure: the run gathers the figures, this
//! decides, the manifest and the message report what it decided.

use std::fmt;

/// One source's figures for the gate.
#[derive(Clone, Debug, PartialEq)]
pub struct SourceFigures {
    /// The source's name in the pipeline (`social_insurance`).
    pub name: String,
    /// The pipeline requires it (SPEC §2): no folder or no rows fails.
    pub required: bool,
    /// Its folder exists under the feed root.
    pub present: bool,
    /// Its rows tonight, over all its files.
    pub rows: u64,
    /// Of those, the rejected rows (filtered rows do not count).
    pub rejected: u64,
    /// The highest rejected share that passes (`max_reject_rate`, 0.05 unless set).
    pub max_reject_rate: f64,
    /// The largest fall in rows since the published night that passes (`max_row_drop`, 0.5).
    pub max_row_drop: f64,
    /// Its rows in the published night; `None` when there is none or it
    /// did not read this source.
    pub previous_rows: Option<u64>,
}

impl SourceFigures {
    /// Rejected rows ÷ all rows (0 for a source without rows).
    pub fn reject_rate(&self) -> f64 {
        if self.rows == 0 {
            0.0
        } else {
            self.rejected as f64 / self.rows as f64
        }
    }
}

/// One city's eligible persons tonight and in the published night.
#[derive(Clone, Debug, PartialEq)]
pub struct CityFigures {
    /// The city's division code (`350500`).
    pub city: String,
    /// Its persons decided `eligible` tonight.
    pub eligible: u64,
    /// Its eligible persons in the published night; `None` when there is none or it has no
    /// figure for this city.
    pub previous_eligible: Option<u64>,
}

/// Everything the gate judges.
#[derive(Clone, Debug, PartialEq)]
pub struct GateInput {
    /// Each source the pipeline declares, in the order findings are reported.
    pub sources: Vec<SourceFigures>,
    /// Each city in scope (the pipeline's `jurisdictions`).
    pub cities: Vec<CityFigures>,
    /// The largest fall in a city's eligible persons that passes (`max_eligible_drop`, 0.2).
    pub max_eligible_drop: f64,
    /// `--allow-drift`: drift is reported but does not fail the night.
    pub allow_drift: bool,
}

/// The kinds of check, as the manifest names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Check {
    /// A required source has no folder or no rows.
    Completeness,
    /// A source rejects more than its `max_reject_rate`.
    Rejects,
    /// A source's rows fell more than `max_row_drop` since the published night.
    RowDrift,
    /// A city's eligible persons fell more than `max_eligible_drop`.
    EligibleDrift,
}

impl Check {
    /// The check's name in the manifest and the message (`row_drift`).
    pub fn code(self) -> &'static str {
        match self {
            Check::Completeness => "completeness",
            Check::Rejects => "rejects",
            Check::RowDrift => "row_drift",
            Check::EligibleDrift => "eligible_drift",
        }
    }

    /// Drift checks can be accepted with `--allow-drift`.
    pub fn is_drift(self) -> bool {
        matches!(self, Check::RowDrift | Check::EligibleDrift)
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A check that did not hold, with its subject (a source or a city) and
/// what was measured against what was allowed.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Which check did not hold.
    pub check: Check,
    /// The source's name, or the city's code for eligible drift.
    pub subject: String,
    /// What was measured against what was allowed, in English.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.check, self.subject, self.message)
    }
}

/// What the gate decided.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Verdict {
    /// Checks that fail the night (exit 3).
    pub failures: Vec<Finding>,
    /// Drift that `--allow-drift` accepted: reported, not failing.
    pub accepted: Vec<Finding>,
}

impl Verdict {
    /// True when no check fails the night (accepted drift does not).
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// `now` fell below `(1 - max_drop) × before`.
fn dropped(now: u64, before: u64, max_drop: f64) -> bool {
    (now as f64) < (1.0 - max_drop) * before as f64
}

/// Judges a night (SPEC §8). Findings come per source in the input's order
/// (completeness, rejects, drift), then per city.
pub fn judge(input: &GateInput) -> Verdict {
    let mut findings = Vec::new();
    for s in &input.sources {
        if s.required && !s.present {
            findings.push(Finding {
                check: Check::Completeness,
                subject: s.name.clone(),
                message: "required source has no folder".to_owned(),
            });
        } else if s.required && s.rows == 0 {
            findings.push(Finding {
                check: Check::Completeness,
                subject: s.name.clone(),
                message: "required source has no rows".to_owned(),
            });
        }
        // Strictly greater fails.
        if s.reject_rate() > s.max_reject_rate {
            findings.push(Finding {
                check: Check::Rejects,
                subject: s.name.clone(),
                message: format!(
                    "{} of {} rows rejected ({:.4}), above max_reject_rate {}",
                    s.rejected,
                    s.rows,
                    s.reject_rate(),
                    s.max_reject_rate
                ),
            });
        }
        if let Some(before) = s.previous_rows
            && dropped(s.rows, before, s.max_row_drop)
        {
            findings.push(Finding {
                check: Check::RowDrift,
                subject: s.name.clone(),
                message: format!(
                    "{} rows against {before} in the published run, below {:.0}% of them (max_row_drop {})",
                    s.rows,
                    (1.0 - s.max_row_drop) * 100.0,
                    s.max_row_drop
                ),
            });
        }
    }
    for c in &input.cities {
        if let Some(before) = c.previous_eligible
            && dropped(c.eligible, before, input.max_eligible_drop)
        {
            findings.push(Finding {
                check: Check::EligibleDrift,
                subject: c.city.clone(),
                message: format!(
                    "{} eligible persons against {before} in the published run, below {:.0}% of them (max_eligible_drop {})",
                    c.eligible,
                    (1.0 - input.max_eligible_drop) * 100.0,
                    input.max_eligible_drop
                ),
            });
        }
    }
    let (accepted, failures) = findings
        .into_iter()
        .partition(|f| input.allow_drift && f.check.is_drift());
    Verdict { failures, accepted }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(name: &str, rows: u64, rejected: u64, previous: Option<u64>) -> SourceFigures {
        SourceFigures {
            name: name.to_owned(),
            required: true,
            present: true,
            rows,
            rejected,
            max_reject_rate: 0.05,
            max_row_drop: 0.5,
            previous_rows: previous,
        }
    }

    fn input(sources: Vec<SourceFigures>, cities: Vec<CityFigures>) -> GateInput {
        GateInput {
            sources,
            cities,
            max_eligible_drop: 0.2,
            allow_drift: false,
        }
    }

    fn checks(v: &Verdict) -> Vec<(Check, &str)> {
        v.failures
            .iter()
            .map(|f| (f.check, f.subject.as_str()))
            .collect()
    }

    #[test]
    fn a_healthy_night_passes() {
        let v = judge(&input(
            vec![source("lease", 100, 5, Some(150))],
            vec![CityFigures {
                city: "350500".into(),
                eligible: 80,
                previous_eligible: Some(100),
            }],
        ));
        assert!(v.passed(), "{v:?}");
        assert!(v.accepted.is_empty());
    }

    #[test]
    fn reject_rate_fails_only_when_strictly_greater() {
        assert!(judge(&input(vec![source("lease", 100, 5, None)], vec![])).passed());
        let v = judge(&input(vec![source("lease", 100, 6, None)], vec![]));
        assert_eq!(checks(&v), [(Check::Rejects, "lease")]);
        assert!(v.failures[0].message.contains("6 of 100 rows rejected"));
    }

    #[test]
    fn completeness_needs_a_folder_and_rows_for_required_sources() {
        let mut absent = source("lease", 0, 0, None);
        absent.present = false;
        let empty = source("utility", 0, 0, None);
        let mut optional = source("pledge", 0, 0, None);
        optional.required = false;
        optional.present = false;
        let v = judge(&input(vec![absent, empty, optional], vec![]));
        assert_eq!(
            checks(&v),
            [
                (Check::Completeness, "lease"),
                (Check::Completeness, "utility")
            ]
        );
        assert_eq!(v.failures[0].message, "required source has no folder");
        assert_eq!(v.failures[1].message, "required source has no rows");
    }

    #[test]
    fn drift_compares_with_the_published_night() {
        // Exactly half the rows is not below half.
        assert!(judge(&input(vec![source("lease", 50, 0, Some(100))], vec![])).passed());
        let city = |now, before| CityFigures {
            city: "350500".into(),
            eligible: now,
            previous_eligible: before,
        };
        let v = judge(&input(
            vec![source("lease", 49, 0, Some(100))],
            vec![city(79, Some(100))],
        ));
        assert_eq!(
            checks(&v),
            [(Check::RowDrift, "lease"), (Check::EligibleDrift, "350500")]
        );
        // No published night: nothing to compare.
        assert!(
            judge(&input(
                vec![source("lease", 1, 0, None)],
                vec![city(0, None)]
            ))
            .passed()
        );
        // 80 of 100 is exactly the allowed drop.
        assert!(judge(&input(vec![], vec![city(80, Some(100))])).passed());
    }

    #[test]
    fn allow_drift_accepts_drift_only() {
        let mut i = input(vec![source("lease", 10, 9, Some(100))], vec![]);
        i.allow_drift = true;
        let v = judge(&i);
        assert_eq!(checks(&v), [(Check::Rejects, "lease")]);
        assert_eq!(v.accepted.len(), 1);
        assert_eq!(v.accepted[0].check, Check::RowDrift);
    }
}
