//! The per (person, city) eligibility decision of SPEC §6.

use chrono::{Days, NaiveDate};

use super::date::add_months;

/// A (person, city)'s eligibility status (SPEC §6), as `status` in the outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `eligible`: six or more months of active evidence, or a pledge old enough.
    Eligible,
    /// `pending`: active evidence or a counting pledge, not yet enough.
    Pending,
    /// `inactive`: neither active evidence nor a counting pledge.
    Inactive,
    /// `not_applicable`: the person's hukou is in the city.
    NotApplicable,
}

impl Status {
    /// Every status, in declaration order.
    pub const ALL: [Status; 4] = [
        Status::Eligible,
        Status::Pending,
        Status::Inactive,
        Status::NotApplicable,
    ];

    /// The status an output names.
    pub fn from_name(name: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The status in Chinese, for case officers.
    pub fn chinese(self) -> &'static str {
        match self {
            Status::Eligible => "符合条件",
            Status::Pending => "尚未满足",
            Status::Inactive => "证据已中断",
            Status::NotApplicable => "本市户籍，不适用",
        }
    }

    /// The status as outputs name it (`not_applicable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Eligible => "eligible",
            Status::Pending => "pending",
            Status::Inactive => "inactive",
            Status::NotApplicable => "not_applicable",
        }
    }
}

/// What a decision rests on (SPEC §6), as `basis` in the outputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Basis {
    /// `evidence`: the person's last spell in the city.
    Evidence,
    /// `pledge`: a counting personal pledge (承诺).
    Pledge,
    /// `none`: `inactive` and `not_applicable` decisions.
    None,
}

impl Basis {
    /// Every basis, in declaration order.
    pub const ALL: [Basis; 3] = [Basis::Evidence, Basis::Pledge, Basis::None];

    /// The basis an output names.
    pub fn from_name(name: &str) -> Option<Basis> {
        Basis::ALL.into_iter().find(|b| b.as_str() == name)
    }

    /// The basis in Chinese, for case officers.
    pub fn chinese(self) -> &'static str {
        match self {
            Basis::Evidence => "居住证据",
            Basis::Pledge => "个人承诺",
            Basis::None => "无",
        }
    }

    /// The basis as outputs name it (`evidence`).
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Evidence => "evidence",
            Basis::Pledge => "pledge",
            Basis::None => "none",
        }
    }
}

/// The pipeline's decision parameters (SPEC §6).
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Whole months of evidence a spell needs to be eligible (`min_months`, 6).
    pub min_months: u32,
    /// A spell is active when it ends at most this many days before as-of (`recency_days`, 62).
    pub recency_days: u32,
    /// A pledge counts for this many days after its signing (`pledge_valid_days`, 365).
    pub pledge_valid_days: u32,
}

/// The person's last spell in the city.
#[derive(Clone, Copy, Debug)]
pub struct LastSpell {
    /// First day of the spell.
    pub start: NaiveDate,
    /// Last day of the spell (already clipped to as-of).
    pub end: NaiveDate,
    /// Whole months the spell spans ([`crate::rules::spell::months`]).
    pub months: u32,
}

/// The dates of the pledge that counts (SPEC §6).
#[derive(Clone, Copy, Debug)]
pub struct PledgeDates {
    /// The day the person declares living in the city since (`declared_since`).
    pub declared_since: NaiveDate,
    /// The day the pledge was signed (`signed_date`).
    pub signed_date: NaiveDate,
}

/// `as_of - signed_date <= pledge_valid_days`, literally: a signing after `as_of` would count,
/// but such pledges are filtered `after_as_of` before they get here.
pub fn pledge_counts(as_of: NaiveDate, signed_date: NaiveDate, pledge_valid_days: u32) -> bool {
    (as_of - signed_date).num_days() <= i64::from(pledge_valid_days)
}

/// The outcome of [`decide`] for one (person, city).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// `eligible`, `pending`, `inactive` or `not_applicable`.
    pub status: Status,
    /// The evidence, the pledge, or neither.
    pub basis: Basis,
    /// For `eligible`: the day the six months were complete; otherwise `None`.
    pub eligible_since: Option<NaiveDate>,
    /// For `pending`: the day it would be eligible if evidence goes on; otherwise `None`.
    pub eligible_on: Option<NaiveDate>,
}

/// `start + min_months months - 1 day`: the day the six months are complete.
fn threshold(start: NaiveDate, min_months: u32) -> NaiveDate {
    let after = add_months(start, min_months);
    after.checked_sub_days(Days::new(1)).unwrap_or(after)
}

/// SPEC §6 steps 1–5. `counting_pledge` must already be the latest pledge that counts
/// (see [`pledge_counts`]).
pub fn decide(
    as_of: NaiveDate,
    params: &Params,
    last: Option<LastSpell>,
    counting_pledge: Option<PledgeDates>,
    hukou_here: bool,
) -> Decision {
    let decision = |status, basis, eligible_since, eligible_on| Decision {
        status,
        basis,
        eligible_since,
        eligible_on,
    };

    if hukou_here {
        return decision(Status::NotApplicable, Basis::None, None, None);
    }

    let recent_from = as_of
        .checked_sub_days(Days::new(u64::from(params.recency_days)))
        .unwrap_or(NaiveDate::MIN);
    let active = last.filter(|s| s.end >= recent_from);

    if let Some(s) = active
        && s.months >= params.min_months
    {
        let since = threshold(s.start, params.min_months);
        return decision(Status::Eligible, Basis::Evidence, Some(since), None);
    }

    let pledge_date = counting_pledge.map(|p| threshold(p.declared_since, params.min_months));
    if let Some(date) = pledge_date
        && date <= as_of
    {
        return decision(Status::Eligible, Basis::Pledge, Some(date), None);
    }

    let evidence_date = active.map(|s| threshold(s.start, params.min_months));
    match (evidence_date, pledge_date) {
        (Some(e), Some(p)) if p < e => decision(Status::Pending, Basis::Pledge, None, Some(p)),
        (Some(e), _) => decision(Status::Pending, Basis::Evidence, None, Some(e)),
        (None, Some(p)) => decision(Status::Pending, Basis::Pledge, None, Some(p)),
        (None, None) => decision(Status::Inactive, Basis::None, None, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    const PARAMS: Params = Params {
        min_months: 6,
        recency_days: 62,
        pledge_valid_days: 365,
    };

    fn as_of() -> NaiveDate {
        ymd(2026, 11, 27)
    }

    fn spell(start: NaiveDate, end: NaiveDate) -> LastSpell {
        LastSpell {
            start,
            end,
            months: crate::rules::spell::months(start, end),
        }
    }

    fn pledge(declared_since: NaiveDate) -> PledgeDates {
        PledgeDates {
            declared_since,
            signed_date: ymd(2026, 10, 1),
        }
    }

    #[test]
    fn names() {
        assert_eq!(Status::NotApplicable.as_str(), "not_applicable");
        assert_eq!(Status::Eligible.as_str(), "eligible");
        assert_eq!(Status::Pending.as_str(), "pending");
        assert_eq!(Status::Inactive.as_str(), "inactive");
        assert_eq!(Basis::Evidence.as_str(), "evidence");
        assert_eq!(Basis::Pledge.as_str(), "pledge");
        assert_eq!(Basis::None.as_str(), "none");
    }

    #[test]
    fn step1_hukou_wins() {
        let s = spell(ymd(2025, 1, 1), as_of());
        let d = decide(
            as_of(),
            &PARAMS,
            Some(s),
            Some(pledge(ymd(2020, 1, 1))),
            true,
        );
        assert_eq!(
            d,
            Decision {
                status: Status::NotApplicable,
                basis: Basis::None,
                eligible_since: None,
                eligible_on: None
            }
        );
    }

    #[test]
    fn step2_evidence() {
        let s = spell(ymd(2026, 1, 15), ymd(2026, 11, 1));
        let d = decide(as_of(), &PARAMS, Some(s), None, false);
        assert_eq!(d.status, Status::Eligible);
        assert_eq!(d.basis, Basis::Evidence);
        assert_eq!(d.eligible_since, Some(ymd(2026, 7, 14)));
        assert_eq!(d.eligible_on, None);
    }

    #[test]
    fn min_months_boundary() {
        // 2026-03-01 + 6 months = 2026-09-01, so the spell must reach 2026-08-31.
        let enough = spell(ymd(2026, 3, 1), ymd(2026, 10, 31));
        assert!(enough.months >= 6);
        let five = LastSpell {
            months: 5,
            ..enough
        };
        let six = LastSpell {
            months: 6,
            ..enough
        };
        assert_eq!(
            decide(as_of(), &PARAMS, Some(six), None, false).status,
            Status::Eligible
        );
        let d = decide(as_of(), &PARAMS, Some(five), None, false);
        assert_eq!(d.status, Status::Pending);
        assert_eq!(d.basis, Basis::Evidence);
        assert_eq!(d.eligible_on, Some(ymd(2026, 8, 31)));
    }

    #[test]
    fn recency_boundary() {
        let edge = as_of() - Days::new(62);
        let active = spell(ymd(2025, 1, 1), edge);
        let d = decide(as_of(), &PARAMS, Some(active), None, false);
        assert_eq!(d.status, Status::Eligible);

        let stale = spell(ymd(2025, 1, 1), edge - Days::new(1));
        let d = decide(as_of(), &PARAMS, Some(stale), None, false);
        assert_eq!(d.status, Status::Inactive);
        assert_eq!(d.basis, Basis::None);
        assert_eq!((d.eligible_since, d.eligible_on), (None, None));
    }

    #[test]
    fn step3_pledge() {
        // 2026-05-28 + 6 months - 1 day = 2026-11-27 = as_of: counts.
        let d = decide(
            as_of(),
            &PARAMS,
            None,
            Some(pledge(ymd(2026, 5, 28))),
            false,
        );
        assert_eq!(d.status, Status::Eligible);
        assert_eq!(d.basis, Basis::Pledge);
        assert_eq!(d.eligible_since, Some(as_of()));
        // One day later: pending on the pledge.
        let d = decide(
            as_of(),
            &PARAMS,
            None,
            Some(pledge(ymd(2026, 5, 29))),
            false,
        );
        assert_eq!(d.status, Status::Pending);
        assert_eq!(d.basis, Basis::Pledge);
        assert_eq!(d.eligible_on, Some(ymd(2026, 11, 28)));
    }

    #[test]
    fn pledge_beats_short_evidence() {
        let s = spell(ymd(2026, 10, 1), ymd(2026, 11, 20));
        let d = decide(
            as_of(),
            &PARAMS,
            Some(s),
            Some(pledge(ymd(2025, 1, 1))),
            false,
        );
        assert_eq!(d.status, Status::Eligible);
        assert_eq!(d.basis, Basis::Pledge);
        assert_eq!(d.eligible_since, Some(ymd(2025, 6, 30)));
    }

    #[test]
    fn step4_earlier_date_wins() {
        let s = spell(ymd(2026, 10, 1), ymd(2026, 11, 20));
        let d = decide(
            as_of(),
            &PARAMS,
            Some(s),
            Some(pledge(ymd(2026, 9, 1))),
            false,
        );
        assert_eq!((d.status, d.basis), (Status::Pending, Basis::Pledge));
        assert_eq!(d.eligible_on, Some(ymd(2027, 2, 28)));

        let d = decide(
            as_of(),
            &PARAMS,
            Some(s),
            Some(pledge(ymd(2026, 11, 1))),
            false,
        );
        assert_eq!((d.status, d.basis), (Status::Pending, Basis::Evidence));
        assert_eq!(d.eligible_on, Some(ymd(2027, 3, 31)));
    }

    #[test]
    fn step4_tie_goes_to_evidence() {
        let s = spell(ymd(2026, 10, 1), ymd(2026, 11, 20));
        let d = decide(
            as_of(),
            &PARAMS,
            Some(s),
            Some(pledge(ymd(2026, 10, 1))),
            false,
        );
        assert_eq!((d.status, d.basis), (Status::Pending, Basis::Evidence));
        assert_eq!(d.eligible_on, Some(ymd(2027, 3, 31)));
        assert_eq!(d.eligible_since, None);
    }

    #[test]
    fn step4_ignores_inactive_spell_date() {
        let stale = spell(ymd(2026, 1, 1), ymd(2026, 2, 1));
        let d = decide(
            as_of(),
            &PARAMS,
            Some(stale),
            Some(pledge(ymd(2026, 9, 1))),
            false,
        );
        assert_eq!((d.status, d.basis), (Status::Pending, Basis::Pledge));
        assert_eq!(d.eligible_on, Some(ymd(2027, 2, 28)));
    }

    #[test]
    fn pending_date_may_be_in_the_past() {
        // Five months of evidence ending within the recency window: the sixth month has
        // passed, but its evidence has not arrived yet.
        let s = spell(ymd(2026, 4, 1), ymd(2026, 9, 27));
        assert_eq!(s.months, 5);
        let d = decide(as_of(), &PARAMS, Some(s), None, false);
        assert_eq!((d.status, d.basis), (Status::Pending, Basis::Evidence));
        assert_eq!(d.eligible_on, Some(ymd(2026, 9, 30)));
    }

    #[test]
    fn step5_nothing() {
        let d = decide(as_of(), &PARAMS, None, None, false);
        assert_eq!(
            d,
            Decision {
                status: Status::Inactive,
                basis: Basis::None,
                eligible_since: None,
                eligible_on: None
            }
        );
    }

    #[test]
    fn pledge_validity_window() {
        let signed = ymd(2025, 11, 27);
        assert!(pledge_counts(as_of(), signed, 365));
        assert!(!pledge_counts(as_of(), signed - Days::new(1), 365));
        assert!(pledge_counts(as_of(), as_of(), 0));
        assert!(pledge_counts(as_of(), as_of() + Days::new(3), 0));
    }
}
