//! Routes to eligibility (SPEC §9): for a `pending` or `inactive` (person,
//! city), each way to become eligible — a counting pledge, the last spell
//! extended, or earlier spells joined by evidence in the gaps — with the
//! periods evidence must reach or cover and the day the person would be
//! eligible from. Pure: dates in, routes out; the property test below
//! decides again with the pure rules to check every promise.

use chrono::{Days, NaiveDate};

use crate::rules::date::add_months;

/// The way a route makes the person eligible; sorts in SPEC §9's order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RouteKind {
    /// A counting pledge: nothing is missing, its own date.
    Pledge,
    /// The last spell continued.
    Extend,
    /// An earlier spell joined to the last by evidence in the gaps.
    Join,
}

impl RouteKind {
    /// The kind as the JSON writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteKind::Pledge => "pledge",
            RouteKind::Extend => "extend",
            RouteKind::Join => "join",
        }
    }
}

/// A period evidence must reach or cover (both ends included).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
}

/// One route to eligibility.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    /// `pledge`, `extend` or `join`.
    pub kind: RouteKind,
    /// The periods evidence must reach or cover, earliest first.
    pub missing: Vec<Period>,
    /// The day the person would be eligible from; on or before the as-of:
    /// at once, when that evidence arrives.
    pub eligible: NaiveDate,
}

/// The parameters the routes depend on (SPEC §6).
#[derive(Clone, Copy, Debug)]
pub struct RouteParams {
    /// `min_months`.
    pub min_months: u32,
    /// `recency_days`.
    pub recency_days: u32,
}

/// `start + min_months months - 1 day` (SPEC §6).
fn threshold(start: NaiveDate, min_months: u32) -> NaiveDate {
    let after = add_months(start, min_months);
    after.checked_sub_days(Days::new(1)).unwrap_or(after)
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// The routes of a `pending` or `inactive` (person, city) with these spells
/// (`(start, end)`, earliest first) and the counting pledge's
/// `declared_since`, sorted by `eligible`, then kind.
pub fn routes(
    as_of: NaiveDate,
    p: RouteParams,
    spells: &[(NaiveDate, NaiveDate)],
    pledge_since: Option<NaiveDate>,
) -> Vec<Route> {
    let recent_from = as_of
        .checked_sub_days(Days::new(u64::from(p.recency_days)))
        .unwrap_or(NaiveDate::MIN);
    let mut out = Vec::new();
    if let Some(since) = pledge_since {
        out.push(Route {
            kind: RouteKind::Pledge,
            missing: Vec::new(),
            eligible: threshold(since, p.min_months),
        });
    }
    // Evidence from `start` on, reaching at least `needed_from(start)`.
    let extension = |spell_start: NaiveDate, last_end: NaiveDate| {
        let reach = threshold(spell_start, p.min_months).max(recent_from);
        (reach > last_end).then(|| Period {
            start: next_day(last_end),
            end: reach,
        })
    };
    if let Some(&(start, end)) = spells.last() {
        out.push(Route {
            kind: RouteKind::Extend,
            missing: extension(start, end).into_iter().collect(),
            eligible: threshold(start, p.min_months),
        });
    }
    // Joined with the last spell, the one just before it always makes a
    // spell of `min_months` by the extend route's end at the latest; being
    // the latest such spell, it needs the least evidence.
    if let [.., (p_start, p_end), (_, s_end)] = spells {
        let (p_start, p_end, s_end) = (*p_start, *p_end, *s_end);
        let s_start = spells[spells.len() - 1].0;
        let mut missing = vec![Period {
            start: next_day(p_end),
            end: s_start.pred_opt().unwrap_or(s_start),
        }];
        missing.extend(extension(p_start, s_end));
        out.push(Route {
            kind: RouteKind::Join,
            missing,
            eligible: threshold(p_start, p.min_months),
        });
    }
    out.sort_by_key(|r| (r.eligible, r.kind));
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::rules::decision::{self, LastSpell, PledgeDates, Status, decide};
    use crate::rules::spell::{Interval, Spell, merge_spells, months};

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("date")
    }

    const P: RouteParams = RouteParams {
        min_months: 6,
        recency_days: 62,
    };
    const MAX_GAP: u32 = 31;
    const VALID: u32 = 365;

    fn period(a: NaiveDate, b: NaiveDate) -> Period {
        Period { start: a, end: b }
    }

    #[test]
    fn a_five_month_spell_still_active_is_four_days_short() {
        // Sample P08: utility 2026-04-10 .. 2026-10-05, as of 2026-11-27.
        let r = routes(
            ymd(2026, 11, 27),
            P,
            &[(ymd(2026, 4, 10), ymd(2026, 10, 5))],
            None,
        );
        assert_eq!(
            r,
            [Route {
                kind: RouteKind::Extend,
                missing: vec![period(ymd(2026, 10, 6), ymd(2026, 10, 9))],
                eligible: ymd(2026, 10, 9),
            }]
        );
    }

    #[test]
    fn a_pledge_alone_is_one_route_with_nothing_missing() {
        // Sample P09: pledge declared since 2026-09-01, no evidence.
        let r = routes(ymd(2026, 11, 27), P, &[], Some(ymd(2026, 9, 1)));
        assert_eq!(
            r,
            [Route {
                kind: RouteKind::Pledge,
                missing: vec![],
                eligible: ymd(2027, 2, 28),
            }]
        );
    }

    #[test]
    fn gap_filling_joins_the_spells_before_the_last_one_is_long_enough() {
        // Sample P05: 2026-01-01 .. 04-30, then 06-02 .. 11-27.
        let r = routes(
            ymd(2026, 11, 27),
            P,
            &[
                (ymd(2026, 1, 1), ymd(2026, 4, 30)),
                (ymd(2026, 6, 2), ymd(2026, 11, 27)),
            ],
            None,
        );
        assert_eq!(
            r,
            [
                Route {
                    kind: RouteKind::Join,
                    missing: vec![period(ymd(2026, 5, 1), ymd(2026, 6, 1))],
                    eligible: ymd(2026, 6, 30),
                },
                Route {
                    kind: RouteKind::Extend,
                    missing: vec![period(ymd(2026, 11, 28), ymd(2026, 12, 1))],
                    eligible: ymd(2026, 12, 1),
                },
            ]
        );
    }

    #[test]
    fn an_old_spell_must_reach_the_recency_window() {
        // Sample P18: insurance 2025-09-01 .. 2026-06-30, inactive.
        let r = routes(
            ymd(2026, 11, 27),
            P,
            &[(ymd(2025, 9, 1), ymd(2026, 6, 30))],
            None,
        );
        assert_eq!(
            r,
            [Route {
                kind: RouteKind::Extend,
                missing: vec![period(ymd(2026, 7, 1), ymd(2026, 9, 26))],
                eligible: ymd(2026, 2, 28),
            }]
        );
    }

    /// The decision's date (eligible_since, else eligible_on) for these
    /// intervals, clipped to the as-of as the pipeline clips evidence (an
    /// interval starting after it is filtered), and this pledge.
    fn decided(
        as_of: NaiveDate,
        intervals: &[Interval],
        pledge: Option<NaiveDate>,
    ) -> (decision::Decision, Vec<Spell>) {
        let mut clipped: Vec<Interval> = intervals
            .iter()
            .filter(|i| i.start <= as_of)
            .map(|i| Interval {
                start: i.start,
                end: i.end.min(as_of),
            })
            .collect();
        clipped.sort();
        let mut spells = Vec::new();
        merge_spells(&clipped, MAX_GAP, &mut spells);
        let last = spells.last().map(|s| LastSpell {
            start: s.start,
            end: s.end,
            months: months(s.start, s.end),
        });
        let pledge = pledge.map(|d| PledgeDates {
            declared_since: d,
            signed_date: d,
        });
        let params = decision::Params {
            min_months: P.min_months,
            recency_days: P.recency_days,
            pledge_valid_days: VALID,
        };
        (decide(as_of, &params, last, pledge, false), spells)
    }

    fn day(base: NaiveDate, n: u32) -> NaiveDate {
        base + Days::new(u64::from(n))
    }

    proptest! {
        #[test]
        fn evidence_for_each_missing_period_gives_the_promised_date(
            raw in prop::collection::vec((0u32..900, 0u32..200), 0..8),
            pledge in prop::option::of(0u32..900),
            as_of in 600u32..900,
        ) {
            let base = ymd(2024, 1, 1);
            let as_of = day(base, as_of);
            let intervals: Vec<Interval> = raw
                .iter()
                .map(|&(s, len)| Interval { start: day(base, s), end: day(base, s + len) })
                .collect();
            // A counting pledge is signed within a year of the as-of, on or after declared_since.
            let pledge = pledge.map(|d| day(base, d)).filter(|d| *d <= as_of && (as_of - *d).num_days() <= i64::from(VALID));
            let (now, spells) = decided(as_of, &intervals, pledge);
            prop_assume!(matches!(now.status, Status::Pending | Status::Inactive));
            let spans: Vec<(NaiveDate, NaiveDate)> = spells.iter().map(|s| (s.start, s.end)).collect();
            let found = routes(as_of, P, &spans, pledge);
            prop_assert!(!found.is_empty() || now.status == Status::Inactive && spans.is_empty());
            for (i, route) in found.iter().enumerate() {
                let mut more = intervals.clone();
                more.extend(route.missing.iter().map(|m| Interval { start: m.start, end: m.end }));
                let (then, _) = decided(as_of, &more, pledge);
                let date = then.eligible_since.or(then.eligible_on);
                prop_assert!(date.is_some(), "route {route:?} leaves {then:?}");
                if i == 0 {
                    prop_assert_eq!(date, Some(route.eligible), "first route {:?}", route);
                } else {
                    prop_assert!(date <= Some(route.eligible), "route {route:?} gives {date:?}");
                }
            }
        }
    }
}
