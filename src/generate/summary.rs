//! The generator's prediction of the pipeline's manifest counts.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::model::{REASONS, SOURCES, Tally};

/// Per source: records written and what the pipeline will do with them.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Default)]
pub struct SourceCounts {
    /// Records written (blank lines and headers not counted).
    pub rows: u64,
    /// Records the pipeline will accept.
    pub accepted: u64,
    /// Filter reason code → rows (only non-zero).
    pub filtered: BTreeMap<String, u64>,
    /// Reject reason code → rows (only non-zero).
    pub rejected: BTreeMap<String, u64>,
}

/// What `generate` wrote: `OUT/generate-summary.json`.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
pub struct Summary {
    /// Persons in the population.
    pub persons: u64,
    /// Seed the night was generated from.
    pub seed: u64,
    /// The decision date, `YYYY-MM-DD`.
    pub as_of: String,
    /// Share of records given a defect.
    pub dirty_rate: f64,
    /// The mix written (summaries written before profiles read as `default`).
    #[serde(default)]
    pub profile: super::Profile,
    /// Records in all sources.
    pub rows: u64,
    /// Bytes of all CSV files written.
    pub bytes: u64,
    /// Per source name: what was written and what the pipeline will make of it.
    pub sources: BTreeMap<String, SourceCounts>,
}

pub(crate) fn counts(t: &Tally) -> SourceCounts {
    let mut c = SourceCounts {
        rows: t.rows,
        accepted: t.accepted,
        ..SourceCounts::default()
    };
    for (r, &n) in REASONS.iter().zip(t.reasons.iter()) {
        if n == 0 {
            continue;
        }
        let map = if r.is_filter() {
            &mut c.filtered
        } else {
            &mut c.rejected
        };
        map.insert(r.code().to_string(), n);
    }
    c
}

pub(crate) fn sources(tallies: &[Tally]) -> BTreeMap<String, SourceCounts> {
    SOURCES
        .iter()
        .zip(tallies)
        .map(|(s, t)| (s.name().to_string(), counts(t)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::model::Outcome;
    use crate::rules::reason::Reason;

    #[test]
    fn splits_filters_from_rejects() {
        let mut t = Tally::default();
        t.add(Outcome::Accepted);
        t.add(Outcome::Not(Reason::Superseded));
        t.add(Outcome::Not(Reason::InvalidDate));
        t.add(Outcome::Not(Reason::InvalidDate));
        let c = counts(&t);
        assert_eq!(c.rows, 4);
        assert_eq!(c.accepted, 1);
        assert_eq!(c.filtered.get("superseded"), Some(&1));
        assert_eq!(c.rejected.get("invalid_date"), Some(&2));
        assert_eq!(c.rejected.len(), 1);
    }
}
