//! Every row of one person in a run's outputs: the row groups that can hold
//! them, found by statistics or `persons.idx`.

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
    pub(super) filtered: DataFrame,
    pub(super) rejects: DataFrame,
}

impl Found {
    pub(super) fn is_empty(&self) -> bool {
        [
            &self.eligibility,
            &self.spells,
            &self.evidence,
            &self.filtered,
            &self.rejects,
        ]
        .iter()
        .all(|df| df.height() == 0)
    }

    /// Cities with a decision or evidence, in code order.
    pub(super) fn cities(&self) -> Vec<String> {
        let mut set = BTreeSet::new();
        for df in [&self.eligibility, &self.evidence] {
            set.extend(strs(df, "city").into_iter().flatten());
        }
        set.into_iter().collect()
    }
}

pub(super) fn gather(run: &Run, id: &str, person: u64) -> Result<Found, ViewError> {
    let read = |file: &str| rows_of_person(&run.dir.join(file), id);
    let path = run.dir.join(person_index::FILE);
    // A run written before the index: read those files whole.
    let (filtered, rejects) = if path.exists() {
        let index = person_index::lookup(&path, person).map_err(|source| ViewError::Read {
            path: path.clone(),
            source,
        })?;
        let groups = |file: Indexed| -> Vec<usize> {
            index
                .iter()
                .filter(|e| e.file == file)
                .map(|e| e.row_group as usize)
                .collect()
        };
        (
            rows_in_groups(
                &run.dir.join("filtered.parquet"),
                &groups(Indexed::Filtered),
                id,
            )?,
            rows_in_groups(
                &run.dir.join("rejects.parquet"),
                &groups(Indexed::Rejects),
                id,
            )?,
        )
    } else {
        let file = run.dir.join("filtered.parquet");
        let filtered = if file.exists() {
            rows_of_person(&file, id)?
        } else {
            DataFrame::empty()
        };
        (filtered, read("rejects.parquet")?)
    };
    Ok(Found {
        eligibility: read("eligibility.parquet")?,
        spells: read("spells.parquet")?,
        evidence: read("evidence.parquet")?,
        filtered,
        rejects,
    })
}
