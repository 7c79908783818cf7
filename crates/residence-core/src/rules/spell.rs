//! Residence spells: merging sorted evidence intervals and counting whole months.

use chrono::{Datelike, NaiveDate};

use super::date::checked_add_months;

/// A closed date interval: both ends are days of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    /// First day.
    pub start: NaiveDate,
    /// Last day; never before `start`.
    pub end: NaiveDate,
}

/// One run of evidence; its intervals are `intervals[first .. first + evidence_count]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spell {
    /// First day of its first interval.
    pub start: NaiveDate,
    /// Last day of evidence: the latest end among its intervals.
    pub end: NaiveDate,
    /// Days inside the union of its intervals.
    pub covered_days: u32,
    /// How many intervals it merges.
    pub evidence_count: u32,
    /// Index of its first interval in the sorted input.
    pub first: usize,
}

#[inline]
fn day_no(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce())
}

/// Merges intervals sorted by (start, end) into spells (SPEC §6): the next interval joins the
/// current spell when it starts no later than `max_gap_days + 1` days after the spell's end.
/// `out` is cleared first; nothing else is allocated.
pub fn merge_spells(sorted: &[Interval], max_gap_days: u32, out: &mut Vec<Spell>) {
    debug_assert!(
        sorted.is_sorted(),
        "intervals must be sorted by (start, end)"
    );
    debug_assert!(sorted.iter().all(|iv| iv.start <= iv.end));
    out.clear();
    let reach = i64::from(max_gap_days) + 1;

    let mut iter = sorted.iter().enumerate();
    let Some((_, head)) = iter.next() else {
        return;
    };
    let mut cur = Spell {
        start: head.start,
        end: head.end,
        covered_days: 0,
        evidence_count: 1,
        first: 0,
    };
    // Days are counted in i64 so a pathological span cannot overflow before clamping.
    let mut covered = day_no(head.end) - day_no(head.start) + 1;
    let mut cur_end = day_no(head.end);

    for (i, iv) in iter {
        let (s, e) = (day_no(iv.start), day_no(iv.end));
        if s <= cur_end + reach {
            // Starts are sorted, so the union's uncovered part of [s, e] lies after cur_end.
            if e > cur_end {
                covered += e - s.max(cur_end + 1) + 1;
                cur_end = e;
                cur.end = iv.end;
            }
            cur.evidence_count += 1;
        } else {
            cur.covered_days = clamp_u32(covered);
            out.push(cur);
            cur = Spell {
                start: iv.start,
                end: iv.end,
                covered_days: 0,
                evidence_count: 1,
                first: i,
            };
            covered = e - s + 1;
            cur_end = e;
        }
    }
    cur.covered_days = clamp_u32(covered);
    out.push(cur);
}

fn clamp_u32(v: i64) -> u32 {
    u32::try_from(v.max(0)).unwrap_or(u32::MAX)
}

/// The largest m with `add_months(start, m) <= end + 1 day`; 0 when even m = 0 fails.
pub fn months(start: NaiveDate, end: NaiveDate) -> u32 {
    let target = day_no(end) + 1;
    // Past chrono's range a date cannot fit; saturating there would inflate the count.
    let fits = |m: u32| checked_add_months(start, m).is_some_and(|d| day_no(d) <= target);
    if !fits(0) {
        return 0;
    }
    // `add_months(start, m)` lies in calendar month ym(start) + m, so the answer is the
    // month difference to `end` or its neighbours; adjust instead of walking day by day.
    let diff = (i64::from(end.year()) * 12 + i64::from(end.month0()))
        - (i64::from(start.year()) * 12 + i64::from(start.month0()));
    let mut m = u32::try_from(diff.max(0)).unwrap_or(u32::MAX);
    while m > 0 && !fits(m) {
        m -= 1;
    }
    // The answer exceeds the month difference to `end` by at most one.
    for _ in 0..2 {
        match m.checked_add(1) {
            Some(next) if fits(next) => m = next,
            _ => break,
        }
    }
    m
}

/// Days inside the union of intervals sorted by start: how many days of a
/// spell some subset of its evidence covers (`strong_days`).
pub fn union_days(sorted: impl IntoIterator<Item = Interval>) -> u32 {
    union_len(
        sorted
            .into_iter()
            .map(|iv| (day_no(iv.start), day_no(iv.end))),
    )
}

/// [`union_days`] over day numbers: closed integer intervals sorted by start.
pub fn union_len(sorted: impl IntoIterator<Item = (i64, i64)>) -> u32 {
    let mut covered = 0i64;
    let mut reached: Option<i64> = None;
    for (s, e) in sorted {
        let from = reached.map_or(s, |r| s.max(r + 1));
        if e >= from {
            covered += e - from + 1;
        }
        reached = Some(reached.map_or(e, |r| r.max(e)));
    }
    clamp_u32(covered)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::date::{add_months, from_epoch_days};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn iv(s: NaiveDate, e: NaiveDate) -> Interval {
        Interval { start: s, end: e }
    }

    #[test]
    fn union_days_counts_overlaps_once() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let iv = |a, b| Interval {
            start: d(a),
            end: d(b),
        };
        assert_eq!(union_days([]), 0);
        assert_eq!(union_days([iv("2026-01-01", "2026-01-31")]), 31);
        // Overlapping, nested, touching and apart.
        let ivs = [
            iv("2026-01-01", "2026-01-10"),
            iv("2026-01-05", "2026-01-20"),
            iv("2026-01-06", "2026-01-07"),
            iv("2026-01-21", "2026-01-21"),
            iv("2026-02-01", "2026-02-02"),
        ];
        assert_eq!(union_days(ivs), 21 + 2);
    }

    proptest::proptest! {
        /// Against a day-by-day count.
        #[test]
        fn union_days_counts_what_a_set_of_days_counts(
            mut raw in proptest::collection::vec((0i64..120, 0i64..30), 0..20)
        ) {
            raw.sort_unstable();
            let base = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
            let at = |n: i64| base + chrono::Days::new(n as u64);
            let ivs: Vec<Interval> = raw.iter().map(|&(s, len)| Interval { start: at(s), end: at(s + len) }).collect();
            let days: BTreeSet<i64> = raw.iter().flat_map(|&(s, len)| s..=s + len).collect();
            proptest::prop_assert_eq!(union_days(ivs) as usize, days.len());
        }
    }

    #[test]
    fn empty_input_gives_no_spells() {
        let mut out = vec![Spell {
            start: ymd(2026, 1, 1),
            end: ymd(2026, 1, 1),
            covered_days: 1,
            evidence_count: 1,
            first: 0,
        }];
        merge_spells(&[], 31, &mut out);
        assert!(out.is_empty());
    }

    #[test]
    fn gap_boundary() {
        let a = iv(ymd(2026, 1, 1), ymd(2026, 1, 31));
        // 31 days of gap (Feb 1 ..= Mar 3) still joins with max_gap 31.
        let joins = iv(ymd(2026, 3, 4), ymd(2026, 3, 10));
        let breaks = iv(ymd(2026, 3, 5), ymd(2026, 3, 10));
        let mut out = Vec::new();

        merge_spells(&[a, joins], 31, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].start, a.start);
        assert_eq!(out[0].end, joins.end);
        assert_eq!(out[0].covered_days, 31 + 7);
        assert_eq!(out[0].evidence_count, 2);

        merge_spells(&[a, breaks], 31, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[1].first, 1);
        assert_eq!(out[1].covered_days, 6);
    }

    #[test]
    fn overlaps_and_containment() {
        let ivs = [
            iv(ymd(2026, 1, 1), ymd(2026, 1, 31)),
            iv(ymd(2026, 1, 10), ymd(2026, 1, 20)),
            iv(ymd(2026, 1, 15), ymd(2026, 2, 10)),
            iv(ymd(2026, 2, 11), ymd(2026, 2, 11)),
        ];
        let mut out = Vec::new();
        merge_spells(&ivs, 0, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].end, ymd(2026, 2, 11));
        assert_eq!(out[0].covered_days, 31 + 11);
        assert_eq!(out[0].evidence_count, 4);
    }

    #[test]
    fn months_examples() {
        let s = ymd(2026, 8, 31);
        assert_eq!(months(s, ymd(2027, 2, 26)), 5);
        assert_eq!(months(s, ymd(2027, 2, 27)), 6);
        assert_eq!(months(s, ymd(2027, 2, 28)), 6);
        assert_eq!(months(ymd(2026, 1, 1), ymd(2026, 6, 30)), 6);
        assert_eq!(months(ymd(2026, 1, 1), ymd(2026, 6, 29)), 5);
        assert_eq!(months(ymd(2026, 1, 1), ymd(2026, 1, 1)), 0);
        assert_eq!(months(ymd(2026, 1, 1), ymd(2026, 1, 31)), 1);
        assert_eq!(months(ymd(2026, 1, 31), ymd(2026, 2, 27)), 1);
        assert_eq!(months(ymd(2026, 1, 31), ymd(2026, 2, 26)), 0);
        assert_eq!(months(ymd(2026, 3, 1), ymd(2026, 1, 1)), 0);
        assert_eq!(months(ymd(2026, 1, 1), ymd(2027, 12, 31)), 24);
        assert_eq!(months(NaiveDate::MAX, NaiveDate::MAX), 0);
        assert!(months(ymd(2026, 1, 1), NaiveDate::MAX) > 0);
    }

    fn intervals() -> impl Strategy<Value = (Vec<Interval>, u32)> {
        (
            prop::collection::vec((0i32..400, 0i32..60), 0..25),
            0u32..40,
        )
            .prop_map(|(raw, gap)| {
                let base = 20_000; // 2024-10-04
                let mut v: Vec<Interval> = raw
                    .into_iter()
                    .map(|(s, len)| iv(from_epoch_days(base + s), from_epoch_days(base + s + len)))
                    .collect();
                v.sort();
                (v, gap)
            })
    }

    proptest! {
        #[test]
        fn merge_properties((ivs, gap) in intervals()) {
            let mut out = Vec::new();
            merge_spells(&ivs, gap, &mut out);

            let total: u32 = out.iter().map(|s| s.evidence_count).sum();
            prop_assert_eq!(total as usize, ivs.len());
            prop_assert_eq!(out.is_empty(), ivs.is_empty());

            let mut next_first = 0;
            for (k, sp) in out.iter().enumerate() {
                prop_assert_eq!(sp.first, next_first);
                next_first += sp.evidence_count as usize;
                let mine = &ivs[sp.first..sp.first + sp.evidence_count as usize];
                let mut days = BTreeSet::new();
                for x in mine {
                    prop_assert!(sp.start <= x.start && x.end <= sp.end);
                    let (a, b) = (day_no(x.start), day_no(x.end));
                    days.extend(a..=b);
                }
                prop_assert_eq!(sp.start, mine[0].start);
                prop_assert_eq!(sp.end, mine.iter().map(|x| x.end).max().unwrap());
                let span = day_no(sp.end) - day_no(sp.start) + 1;
                let longest = mine.iter().map(|x| day_no(x.end) - day_no(x.start) + 1).max().unwrap();
                prop_assert!(i64::from(sp.covered_days) <= span);
                prop_assert!(i64::from(sp.covered_days) >= longest);
                prop_assert_eq!(sp.covered_days as usize, days.len());
                if k > 0 {
                    let prev = &out[k - 1];
                    prop_assert!(prev.end < sp.start);
                    prop_assert!(day_no(sp.start) - day_no(prev.end) - 1 > i64::from(gap));
                }
            }
            prop_assert_eq!(next_first, ivs.len());
        }

        #[test]
        fn months_is_the_largest_fit(s in -25_567i32..84_000, len in -40i32..4_000) {
            let start = from_epoch_days(s);
            let end = from_epoch_days(s + len);
            let m = months(start, end);
            let target = day_no(end) + 1;
            if day_no(start) <= target {
                prop_assert!(day_no(add_months(start, m)) <= target);
            } else {
                prop_assert_eq!(m, 0);
            }
            prop_assert!(day_no(add_months(start, m + 1)) > target);
        }
    }
}
