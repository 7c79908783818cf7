//! `changes.parquet` (SPEC §7): each (person, city) whose status or basis
//! differs from the published run's, found by merging two streams sorted by
//! (city, person) — the published decisions and tonight's as they are made.

use chrono::NaiveDate;

use crate::rules::decision::{Basis, Status};
use crate::rules::division::Division;
use crate::rules::id::PersonId;

/// One decision of the published run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreviousDecision {
    /// The city (`XXXX00`).
    pub city: Division,
    /// The person.
    pub person: PersonId,
    /// Its status in the published run.
    pub status: Status,
    /// Its basis in the published run.
    pub basis: Basis,
}

/// A (person, city) whose decision changed. `previous` is `None` for a new
/// person, `current` for one no longer decided for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChangeRow {
    /// The person.
    pub person: PersonId,
    /// The city (`XXXX00`).
    pub city: Division,
    /// The published run's as-of, when the person was in it.
    pub previous_as_of: Option<NaiveDate>,
    /// Status and basis in the published run; `None` for a new person.
    pub previous: Option<(Status, Basis)>,
    /// Status and basis tonight; `None` when no longer decided for.
    pub current: Option<(Status, Basis)>,
}

/// Merges tonight's decisions, fed in (city, person) order, with the
/// published run's (sorted the same way).
pub struct Changes {
    previous: Vec<PreviousDecision>,
    as_of: Option<NaiveDate>,
    next: usize,
    rows: Vec<ChangeRow>,
}

impl Changes {
    /// Against the published decisions of the run with `as_of`; `None`:
    /// no published run, no changes.
    pub fn new(previous: Option<(NaiveDate, Vec<PreviousDecision>)>) -> Self {
        let (as_of, previous) = match previous {
            Some((d, p)) => (Some(d), p),
            None => (None, Vec::new()),
        };
        debug_assert!(previous.is_sorted_by_key(|p| (p.city, p.person)));
        Changes {
            previous,
            as_of,
            next: 0,
            rows: Vec::new(),
        }
    }

    /// Tonight's decision for (person, city); calls come in (city, person) order.
    pub fn feed(&mut self, person: PersonId, city: Division, status: Status, basis: Basis) {
        let Some(as_of) = self.as_of else { return };
        let key = (city, person);
        while let Some(p) = self.previous.get(self.next) {
            let prev = (p.city, p.person);
            if prev > key {
                break;
            }
            self.next += 1;
            if prev < key {
                self.gone(*p);
                continue;
            }
            if (p.status, p.basis) != (status, basis) {
                self.rows.push(ChangeRow {
                    person,
                    city,
                    previous_as_of: Some(as_of),
                    previous: Some((p.status, p.basis)),
                    current: Some((status, basis)),
                });
            }
            return;
        }
        self.rows.push(ChangeRow {
            person,
            city,
            previous_as_of: None,
            previous: None,
            current: Some((status, basis)),
        });
    }

    fn gone(&mut self, p: PreviousDecision) {
        self.rows.push(ChangeRow {
            person: p.person,
            city: p.city,
            previous_as_of: self.as_of,
            previous: Some((p.status, p.basis)),
            current: None,
        });
    }

    /// The changes so far that no later call can precede: every row before
    /// tonight's last decision, for writing as the run goes.
    pub fn take(&mut self) -> Vec<ChangeRow> {
        std::mem::take(&mut self.rows)
    }

    /// The remaining changes, once every decision of tonight was fed.
    pub fn finish(mut self) -> Vec<ChangeRow> {
        while let Some(&p) = self.previous.get(self.next) {
            self.next += 1;
            self.gone(p);
        }
        self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prev(city: u32, person: u64, status: Status, basis: Basis) -> PreviousDecision {
        PreviousDecision {
            city: Division::new_unchecked(city),
            person: PersonId::from_u64(person),
            status,
            basis,
        }
    }

    #[test]
    fn a_first_night_has_no_changes() {
        let mut c = Changes::new(None);
        c.feed(
            PersonId::from_u64(1),
            Division::new_unchecked(350500),
            Status::Eligible,
            Basis::Evidence,
        );
        assert!(c.finish().is_empty());
    }

    #[test]
    fn new_changed_unchanged_and_gone() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let previous = vec![
            prev(350500, 1, Status::Pending, Basis::Evidence),
            prev(350500, 2, Status::Eligible, Basis::Evidence),
            prev(350500, 4, Status::Eligible, Basis::Pledge),
            prev(350600, 1, Status::Inactive, Basis::None),
        ];
        let mut c = Changes::new(Some((as_of, previous)));
        let city = Division::new_unchecked(350500);
        // 1 becomes eligible, 2 is unchanged, 3 is new, 4 and (350600, 1) are gone.
        c.feed(
            PersonId::from_u64(1),
            city,
            Status::Eligible,
            Basis::Evidence,
        );
        c.feed(
            PersonId::from_u64(2),
            city,
            Status::Eligible,
            Basis::Evidence,
        );
        let early = c.take();
        c.feed(PersonId::from_u64(3), city, Status::Pending, Basis::Pledge);
        let mut rows = early;
        rows.extend(c.finish());
        type Decided = Option<(Status, Basis)>;
        let got: Vec<(u32, u64, Decided, Decided)> = rows
            .iter()
            .map(|r| (r.city.code(), r.person.as_u64(), r.previous, r.current))
            .collect();
        assert_eq!(
            got,
            [
                (
                    350500,
                    1,
                    Some((Status::Pending, Basis::Evidence)),
                    Some((Status::Eligible, Basis::Evidence))
                ),
                (350500, 3, None, Some((Status::Pending, Basis::Pledge))),
                (350500, 4, Some((Status::Eligible, Basis::Pledge)), None),
                (350600, 1, Some((Status::Inactive, Basis::None)), None),
            ]
        );
        assert_eq!(rows[1].previous_as_of, None);
        assert_eq!(rows[2].previous_as_of, Some(as_of));
    }
}
