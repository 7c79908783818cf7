//! Every row of one person in a run's outputs: the row groups that can hold
//! them, found by statistics or `persons.idx`. Every file read must belong
//! to the run (its footer's run id), and so must the index.

use std::collections::BTreeSet;

use polars::prelude::*;

use super::columns::strs;
use crate::output::person_index::{self, Indexed};
use crate::views::lookup::{rows_in_groups, rows_of_person};
use crate::views::{Run, ViewError};

/// Every row of the person in the run's outputs.
pub(super) struct Found {
    pub(super) eligibility: DataFrame,
    pub(super) spells: DataFrame,
    pub(super) evidence: DataFrame,
    pub(super) declarations: DataFrame,
    pub(super) filtered: DataFrame,
    pub(super) rejects: DataFrame,
}

impl Found {
    pub(super) fn is_empty(&self) -> bool {
        [
            &self.eligibility,
            &self.spells,
            &self.evidence,
            &self.declarations,
            &self.filtered,
            &self.rejects,
        ]
        .iter()
        .all(|df| df.height() == 0)
    }

    /// Cities with a decision, evidence or a pledge, in code order; else
    /// the hukou city; else none (only filtered or rejected rows).
    pub(super) fn cities(&self) -> Vec<String> {
        let mut set = BTreeSet::new();
        for df in [&self.eligibility, &self.evidence] {
            set.extend(strs(df, "city").into_iter().flatten());
        }
        let d = &self.declarations;
        let (sources, cities) = (strs(d, "source"), strs(d, "city"));
        let of = |kind: &str| -> Vec<String> {
            sources
                .iter()
                .zip(&cities)
                .filter(|(s, _)| s.as_deref() == Some(kind))
                .filter_map(|(_, c)| c.clone())
                .collect()
        };
        set.extend(of("pledge"));
        if set.is_empty() {
            set.extend(of("hukou"));
        }
        set.into_iter().collect()
    }
}

pub(super) fn gather(run: &Run, id: &str, person: u64) -> Result<Found, ViewError> {
    let rid = run.run_id.as_str();
    let read = |file: &str| rows_of_person(&run.path(file), rid, id);
    let path = run.path(person_index::FILE);
    let index = person_index::lookup(&path, rid, person)
        .map_err(|e| ViewError::Damaged(format!("{}: {e}", path.display())))?;
    let groups = |file: Indexed| -> Vec<usize> {
        index
            .iter()
            .filter(|e| e.file == file)
            .map(|e| e.row_group as usize)
            .collect()
    };
    let filtered = rows_in_groups(
        &run.path("filtered.parquet"),
        rid,
        &groups(Indexed::Filtered),
        id,
    )?;
    let rejects = rows_in_groups(
        &run.path("rejects.parquet"),
        rid,
        &groups(Indexed::Rejects),
        id,
    )?;
    Ok(Found {
        eligibility: read("eligibility.parquet")?,
        spells: read("spells.parquet")?,
        evidence: read("evidence.parquet")?,
        declarations: read("declarations.parquet")?,
        filtered,
        rejects,
    })
}
