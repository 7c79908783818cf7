//! Timelines: sorted evidence → spells per (person, city) → one decision per
//! (person, city) in scope (SPEC §6).
//!
//! Evidence arrives as plain column slices sorted by city, person, start,
//! end ([`SortedEvidence`]), so every (person, city) group is a contiguous run
//! and the merge is a single pass; the spell and decision rules themselves
//! live in [`crate::rules`]. The caller hands the pledges and hukou of the
//! same persons, so nothing here needs the whole night: the nightly run calls
//! it per (city, person) range, Spark's tasks per run of persons.

pub mod changes;

use chrono::NaiveDate;
use hashbrown::HashMap;

use crate::pipeline::SourceKind;
use crate::row::validate::Pledge;
use crate::rules::date::EpochDays;
use crate::rules::decision::{self, Decision, LastSpell, PledgeDates, decide, pledge_counts};
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::spell::{Interval, Spell, merge_spells, months, union_len};

/// One spell of one person in one city.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpellRow {
    /// The person.
    pub person: PersonId,
    /// The city (`XXXX00`).
    pub city: Division,
    /// 1 = earliest.
    pub spell_no: u32,
    /// First day of evidence.
    pub start: NaiveDate,
    /// Last day of evidence, clipped to as-of.
    pub end: NaiveDate,
    /// Whole months from start to end (SPEC §6 `months(spell)`).
    pub months: u32,
    /// Days inside the union of its intervals.
    pub covered_days: u32,
    /// Evidence intervals merged into it.
    pub evidence_count: u32,
    /// Set of [`crate::pipeline::SourceKind`] bits.
    pub sources: u16,
}

/// The decision for one (person, city).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EligibilityRow {
    /// The person.
    pub person: PersonId,
    /// The city (`XXXX00`).
    pub city: Division,
    /// Status, basis and eligible dates (SPEC §6).
    pub decision: Decision,
    /// The person's last spell there (S), if any evidence exists.
    pub last_spell: Option<SpellRow>,
    /// `declared_since` of the counting pledge.
    pub pledge_since: Option<NaiveDate>,
    /// Days of the last spell covered by evidence from a strong source.
    pub strong_days: u32,
    /// The division of the last evidence row in that city, in the
    /// evidence order (SPEC §7 `county`); `None` without evidence.
    pub county: Option<Division>,
}

/// Spells and decisions of one evidence partition ([`build`]).
pub struct Timelines {
    /// Sorted by city, person, spell_no.
    pub spells: Vec<SpellRow>,
    /// Sorted by city, person.
    pub eligibility: Vec<EligibilityRow>,
}

/// A pledge with its position, for "the latest signed; on a tie the later row".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PledgeRecord {
    /// The accepted pledge.
    pub pledge: Pledge,
    /// (file index, line) — later rows compare greater.
    pub order: (u32, u32),
}

/// The parameters of SPEC §6 that timelines and decisions use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimelineParams {
    /// Whole months a spell needs for `eligible`.
    pub min_months: u32,
    /// Largest gap in days between intervals of one spell.
    pub max_gap_days: u32,
    /// A spell is active when it ends at most this many days before as-of.
    pub recency_days: u32,
    /// A pledge counts for this many days after its signing.
    pub pledge_valid_days: u32,
}

impl From<&crate::pipeline::Params> for TimelineParams {
    fn from(p: &crate::pipeline::Params) -> Self {
        TimelineParams {
            min_months: p.min_months,
            max_gap_days: p.max_gap_days,
            recency_days: p.recency_days,
            pledge_valid_days: p.pledge_valid_days,
        }
    }
}

/// Evidence intervals as columns, sorted by city, person, start, end (then
/// source and record id, which the rules do not look at).
#[derive(Clone, Copy, Debug)]
pub struct SortedEvidence<'a> {
    /// The person: the first 17 digits of the ID number ([`PersonId::as_u64`]).
    pub person: &'a [u64],
    /// The city code (`XXXX00`).
    pub city: &'a [u32],
    /// The division code of the row (as given, or resolved from the address).
    pub division: &'a [u32],
    /// `SourceKind as u32`.
    pub source: &'a [u32],
    /// First day, in days since 1970-01-01.
    pub start: &'a [i32],
    /// Last day (clipped to as-of), in days since 1970-01-01.
    pub end: &'a [i32],
}

impl SortedEvidence<'_> {
    /// Rows.
    pub fn len(&self) -> usize {
        self.person.len()
    }

    /// True without rows.
    pub fn is_empty(&self) -> bool {
        self.person.is_empty()
    }
}

/// The latest signed pledge per (person, city) (on a tie the later row),
/// sorted by (city, person).
pub fn latest_pledges(pledges: impl IntoIterator<Item = PledgeRecord>) -> Vec<PledgeRecord> {
    let mut best: HashMap<(PersonId, Division), PledgeRecord> = HashMap::new();
    for p in pledges {
        let key = (p.pledge.person, p.pledge.city);
        let rank = |r: &PledgeRecord| (r.pledge.signed_date, r.order);
        best.entry(key)
            .and_modify(|cur| {
                if rank(&p) > rank(cur) {
                    *cur = p;
                }
            })
            .or_insert(p);
    }
    let mut out: Vec<PledgeRecord> = best.into_values().collect();
    out.sort_unstable_by_key(|r| (r.pledge.city, r.pledge.person));
    out
}

/// Builds spells and decisions for sorted evidence and the latest pledges
/// ([`latest_pledges`]) of the same persons; `hukou` gives each person's
/// household registration city.
pub fn build(
    rows: SortedEvidence<'_>,
    pledges: &[PledgeRecord],
    hukou: &HashMap<PersonId, Division>,
    params: &TimelineParams,
    as_of: NaiveDate,
) -> Timelines {
    let (person, city, source, start, end) =
        (rows.person, rows.city, rows.source, rows.start, rows.end);
    let decision_params = decision::Params {
        min_months: params.min_months,
        recency_days: params.recency_days,
        pledge_valid_days: params.pledge_valid_days,
    };
    let mut pledge_map: HashMap<(PersonId, Division), PledgeRecord> = pledges
        .iter()
        .map(|r| ((r.pledge.person, r.pledge.city), *r))
        .collect();
    let counting = |p: &PledgeRecord| {
        pledge_counts(as_of, p.pledge.signed_date, params.pledge_valid_days).then_some(
            PledgeDates {
                declared_since: p.pledge.declared_since,
                signed_date: p.pledge.signed_date,
            },
        )
    };

    // The strong sources as a set of `SourceKind::bit`s.
    let strong = SourceKind::ALL
        .into_iter()
        .filter(|s| s.is_strong())
        .fold(0u16, |m, s| m | s.bit());
    let mut spells = Vec::new();
    let mut eligibility = Vec::new();
    let mut intervals: Vec<Interval> = Vec::new();
    let mut merged: Vec<Spell> = Vec::new();
    let mut days = EpochDays::new();
    let n = rows.len();
    let mut i = 0;
    while i < n {
        let (p, c) = (person[i], city[i]);
        let mut j = i;
        intervals.clear();
        while j < n && person[j] == p && city[j] == c {
            intervals.push(Interval {
                start: days.date(start[j]),
                end: days.date(end[j]),
            });
            j += 1;
        }
        let (p, c) = (PersonId::from_u64(p), Division::new_unchecked(c));
        merge_spells(&intervals, params.max_gap_days, &mut merged);
        for (k, s) in merged.iter().enumerate() {
            let first = i + s.first;
            let mask = source[first..first + s.evidence_count as usize]
                .iter()
                // The column holds `SourceKind as u32`, so `1 << b` is `SourceKind::bit`.
                .fold(0u16, |m, &b| m | (1 << b));
            spells.push(SpellRow {
                person: p,
                city: c,
                spell_no: k as u32 + 1,
                start: s.start,
                end: s.end,
                months: months(s.start, s.end),
                covered_days: s.covered_days,
                evidence_count: s.evidence_count,
                sources: mask,
            });
        }
        let last = *spells.last().expect("a group has at least one interval");
        let last_spell = merged.last().expect("a group has at least one interval");
        let strong_days = union_len(
            (i + last_spell.first..i + last_spell.first + last_spell.evidence_count as usize)
                .filter(|&k| strong & (1 << source[k]) != 0)
                .map(|k| (i64::from(start[k]), i64::from(end[k]))),
        );
        let pledge = pledge_map.remove(&(p, c)).and_then(|r| counting(&r));
        let decision = decide(
            as_of,
            &decision_params,
            Some(LastSpell {
                start: last.start,
                end: last.end,
                months: last.months,
            }),
            pledge,
            hukou.get(&p) == Some(&c),
        );
        eligibility.push(EligibilityRow {
            person: p,
            city: c,
            decision,
            last_spell: Some(last),
            pledge_since: pledge.map(|d| d.declared_since),
            strong_days,
            county: Some(Division::new_unchecked(rows.division[j - 1])),
        });
        i = j;
    }

    // People with a counting pledge and no evidence in that city.
    for ((p, c), record) in pledge_map {
        if let Some(pledge) = counting(&record) {
            eligibility.push(EligibilityRow {
                person: p,
                city: c,
                decision: decide(
                    as_of,
                    &decision_params,
                    None,
                    Some(pledge),
                    hukou.get(&p) == Some(&c),
                ),
                last_spell: None,
                pledge_since: Some(pledge.declared_since),
                strong_days: 0,
                county: None,
            });
        }
    }
    eligibility.sort_by_key(|r| (r.city, r.person));
    Timelines {
        spells,
        eligibility,
    }
}
