//! Per-feed row rules of SPEC §4–§5: from a well-formed, current row to an evidence
//! interval, a declaration, a filter reason or a rejection (steps 3–7, except the
//! identity step, which needs all telecom rows and runs in [`super::identity`]).

use chrono::NaiveDate;

use super::fields::{Check, Fields, Rejection};
use super::memo::PlaceMemo;
use crate::pipeline::SourceKind;
use crate::pipeline::source;
use crate::rules::address::{AddressError, Gazetteer};
use crate::rules::date::month_last_day;
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::phone::Phone;
use crate::rules::reason::Reason;

/// What a row becomes when it is not rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Accepted evidence for one person in one place.
    Evidence(Evidence),
    /// Accepted personal pledge (not evidence: a declaration).
    Pledge(Pledge),
    /// Accepted household registration.
    Hukou {
        /// The registered person.
        person: PersonId,
        /// The city of the household registration.
        city: Division,
    },
    /// A valid row that does not count, with what is known of it.
    Filtered(Filtered),
    /// A shopping row whose buyer is the phone's owner on that day: decided
    /// once every telecom row is known.
    AwaitIdentity(AwaitIdentity),
}

/// A filtered row: why, and what was known of it when it stopped
/// (`filtered.parquet`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Filtered {
    /// Why it does not count.
    pub reason: Reason,
    /// What was known of it.
    pub facts: Facts,
}

/// What is known of a row that did not become evidence; each part only
/// when the row got that far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The row's person, once its person column was checked.
    pub person: Option<PersonId>,
    /// The row's city, once its place was resolved.
    pub city: Option<Division>,
    /// The interval as given (not clipped); for a pledge, `declared_since`
    /// and `signed_date`. An accepted row that a later version replaced
    /// shows the interval as it was accepted (its end clipped to as-of):
    /// the row's own end is not kept past reading.
    pub start: Option<NaiveDate>,
    /// The interval's end, as for `start`; `None` when open or not reached.
    pub end: Option<NaiveDate>,
}

impl Facts {
    /// A row of `person` whose place and interval are known.
    pub fn of(
        person: PersonId,
        division: Option<Division>,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> Self {
        Facts {
            person: Some(person),
            city: division.map(Division::city),
            start: Some(start),
            end,
        }
    }

    fn filtered(self, reason: Reason) -> Outcome {
        Outcome::Filtered(Filtered {
            reason,
            facts: self,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// An accepted evidence interval for one person in one place.
pub struct Evidence {
    /// The person.
    pub person: PersonId,
    /// As given, or resolved from the address.
    pub division: Division,
    /// The first day.
    pub start: NaiveDate,
    /// Clipped to the as-of date.
    pub end: NaiveDate,
}

/// An accepted personal pledge (承诺, SPEC §6): a declaration, not evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pledge {
    /// The person who signed it.
    pub person: PersonId,
    /// The city (`XXXX00`) of the pledge's division.
    pub city: Division,
    /// The day the person declares living in the city since.
    pub declared_since: NaiveDate,
    /// The day the pledge was signed.
    pub signed_date: NaiveDate,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// A shopping row without a buyer: decided by the phone's owner on the delivery day (step 6).
pub struct AwaitIdentity {
    /// The normalised phone.
    pub phone: Phone,
    /// The delivery day.
    pub day: NaiveDate,
    /// As given, or resolved from the address.
    pub division: Division,
}

/// A telecom row that passed steps 1–4: its subscriber owns the phone over
/// `start ..= end` (end empty: the as-of date; never clipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The phone.
    pub phone: Phone,
    /// The subscriber.
    pub person: PersonId,
    /// The first day of the subscription.
    pub start: NaiveDate,
    /// Its end, or the as-of date when open.
    pub end: NaiveDate,
}

/// What the rules need besides the row.
pub struct Ctx<'a> {
    /// The decision date.
    pub as_of: NaiveDate,
    /// The gazetteer addresses are placed with.
    pub gazetteer: &'a Gazetteer,
    /// The cities (`XXXX00`) in scope.
    pub jurisdictions: &'a [Division],
}

impl Ctx<'_> {
    /// Step 5: the division, else the address.
    fn place(
        &self,
        division: Option<Division>,
        address: Option<&str>,
        memo: &PlaceMemo,
    ) -> Check<Division> {
        if let Some(d) = division {
            return Ok(d);
        }
        // Callers have already rejected rows where both are empty.
        let address = address.unwrap_or("");
        memo.resolve(self.gazetteer, address).map_err(|e| match e {
            AddressError::Unresolved => Rejection::new(
                Reason::UnresolvedAddress,
                "address names no gazetteer city or county",
            ),
            AddressError::Ambiguous => Rejection::new(
                Reason::AmbiguousAddress,
                "address names places in more than one city",
            ),
        })
    }

    fn in_scope(&self, division: Division) -> bool {
        self.jurisdictions.contains(&division.city())
    }

    /// Step 7's date and scope filters, then the accepted interval clipped to as-of.
    pub fn evidence(
        &self,
        person: PersonId,
        division: Division,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> Outcome {
        match self.interval(person, division, start, end) {
            Ok(e) => Outcome::Evidence(e),
            Err(f) => Outcome::Filtered(f),
        }
    }

    /// [`Self::evidence`] as a result: the interval, or the filtered row.
    pub fn interval(
        &self,
        person: PersonId,
        division: Division,
        start: NaiveDate,
        end: Option<NaiveDate>,
    ) -> Result<Evidence, Filtered> {
        let filtered = |reason| Filtered {
            reason,
            facts: Facts::of(person, Some(division), start, end),
        };
        if start > self.as_of {
            return Err(filtered(Reason::AfterAsOf));
        }
        if !self.in_scope(division) {
            return Err(filtered(Reason::OutOfScope));
        }
        let end = end.map_or(self.as_of, |e| e.min(self.as_of));
        Ok(Evidence {
            person,
            division,
            start,
            end,
        })
    }
}

/// Step 4: only an explicit end can be before the start.
fn ordered(start: NaiveDate, end: Option<NaiveDate>) -> Check<()> {
    match end {
        Some(e) if e < start => Err(Rejection::new(
            Reason::EndBeforeStart,
            format!("ends {e} before it starts {start}"),
        )),
        _ => Ok(()),
    }
}

/// Steps 3–7 (bar identity) for one row of `kind`. `owner` receives the phone
/// ownership a telecom row proves once it has passed steps 1–4.
pub fn validate(
    kind: SourceKind,
    f: &Fields<'_>,
    ctx: &Ctx<'_>,
    owner: &mut Option<Owner>,
) -> Check<Outcome> {
    match kind {
        SourceKind::SocialInsurance => social_insurance(f, ctx),
        SourceKind::Lease => lease(f, ctx),
        SourceKind::Utility => utility(f, ctx),
        SourceKind::Telecom => telecom(f, ctx, owner),
        SourceKind::Shopping => shopping(f, ctx),
        SourceKind::EmploymentSchool => employment_school(f, ctx),
        SourceKind::LaborContract => labor_contract(f, ctx),
        SourceKind::BusinessLicense => business_license(f, ctx),
        SourceKind::Pledge => pledge(f, ctx),
        SourceKind::Hukou => hukou(f),
    }
}

fn social_insurance(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::social_insurance::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(ID_NUMBER)?;
    let month = f.required_month(PAY_MONTH)?;
    let division = f.required_division(DIVISION)?;
    Ok(ctx.evidence(person, division, month, Some(month_last_day(month))))
}

/// `address` and `division` (a|d): checks the division if filled, else requires
/// the address.
fn address_or_division(f: &Fields<'_>, address: usize, division: usize) -> Check<Option<Division>> {
    let d = f.division(division)?;
    if d.is_none() && f.text(address).is_none() {
        return Err(f.missing_pair(address, division));
    }
    Ok(d)
}

fn lease(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::lease::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(TENANT_ID_NUMBER)?;
    let division = address_or_division(f, ADDRESS, DIVISION)?;
    let start = f.required_date(START_DATE)?;
    let end_date = f.date(END_DATE)?;
    let filed = f.date(FILED_DATE)?;
    let terminated = f.date(TERMINATED_DATE)?;
    let end = match (end_date, terminated) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    ordered(start, end)?;
    let division = ctx.place(division, f.text(ADDRESS), f.places)?;
    let facts = Facts::of(person, Some(division), start, end);
    match filed {
        None => Ok(facts.filtered(Reason::NotFiled)),
        Some(filed) if filed > ctx.as_of => Ok(facts.filtered(Reason::AfterAsOf)),
        Some(_) => Ok(ctx.evidence(person, division, start, end)),
    }
}

fn utility(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::utility::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(ACCOUNT_HOLDER_ID)?;
    f.choice(SERVICE, &["water", "electricity", "gas"])?;
    let division = address_or_division(f, ADDRESS, DIVISION)?;
    let start = f.required_date(PERIOD_START)?;
    let end = f.required_date(PERIOD_END)?;
    let usage = f.required_number(USAGE)?;
    if usage < 0.0 {
        return Err(Rejection::new(
            Reason::InvalidNumber,
            format!("usage: negative: {}", usage),
        ));
    }
    ordered(start, Some(end))?;
    let division = ctx.place(division, f.text(ADDRESS), f.places)?;
    if usage == 0.0 {
        return Ok(Facts::of(person, Some(division), start, Some(end)).filtered(Reason::ZeroUsage));
    }
    Ok(ctx.evidence(person, division, start, Some(end)))
}

fn telecom(f: &Fields<'_>, ctx: &Ctx<'_>, owner: &mut Option<Owner>) -> Check<Outcome> {
    use source::telecom::*;
    /// `mobile`'s index in the services.
    const MOBILE: usize = 2;
    f.required(RECORD_ID)?;
    let person = f.required_id(SUBSCRIBER_ID)?;
    let phone = f
        .phone(PHONE)?
        .ok_or_else(|| Rejection::new(Reason::MissingField, "phone is empty"))?;
    let service = f.choice(SERVICE, &["broadband", "fixed_line", "mobile"])?;
    let division = if service == MOBILE {
        f.division(DIVISION)?
    } else {
        address_or_division(f, ADDRESS, DIVISION)?
    };
    let start = f.required_date(START_DATE)?;
    let end = f.date(END_DATE)?;
    ordered(start, end)?;
    *owner = Some(Owner {
        phone,
        person,
        start,
        end: end.unwrap_or(ctx.as_of),
    });
    if service == MOBILE {
        return Ok(Facts::of(person, division, start, end).filtered(Reason::NoLocation));
    }
    let division = ctx.place(division, f.text(ADDRESS), f.places)?;
    Ok(ctx.evidence(person, division, start, end))
}

fn shopping(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::shopping::*;
    f.required(ORDER_ID)?;
    let buyer = f.id(BUYER_ID_NUMBER)?;
    let phone = f.phone(PHONE)?;
    if buyer.is_none() && phone.is_none() {
        return Err(f.missing_pair(BUYER_ID_NUMBER, PHONE));
    }
    let division = address_or_division(f, ADDRESS, DIVISION)?;
    let day = f.required_date(DELIVERED_AT)?;
    let division = ctx.place(division, f.text(ADDRESS), f.places)?;
    match (buyer, phone) {
        (Some(person), _) => Ok(ctx.evidence(person, division, day, Some(day))),
        // Step 6 applies only up to the as-of: a later delivery skips it and
        // is filtered `after_as_of` in step 7, its person unknown.
        (None, Some(_)) if day > ctx.as_of => Ok(Facts {
            person: None,
            city: Some(division.city()),
            start: Some(day),
            end: Some(day),
        }
        .filtered(Reason::AfterAsOf)),
        (None, Some(phone)) => Ok(Outcome::AwaitIdentity(AwaitIdentity {
            phone,
            day,
            division,
        })),
        (None, None) => unreachable!("rejected above"),
    }
}

fn employment_school(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::employment_school::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(ID_NUMBER)?;
    f.choice(KIND, &["employment", "school"])?;
    let division = f.required_division(DIVISION)?;
    let start = f.required_date(START_DATE)?;
    let end = f.date(END_DATE)?;
    ordered(start, end)?;
    Ok(ctx.evidence(person, division, start, end))
}

fn labor_contract(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::labor_contract::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(EMPLOYEE_ID_NUMBER)?;
    let division = f.required_division(DIVISION)?;
    let start = f.required_date(START_DATE)?;
    let end = f.date(END_DATE)?;
    ordered(start, end)?;
    Ok(ctx.evidence(person, division, start, end))
}

fn business_license(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::business_license::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(HOLDER_ID_NUMBER)?;
    let division = address_or_division(f, ADDRESS, DIVISION)?;
    let start = f.required_date(REGISTERED_DATE)?;
    let end = f.date(DEREGISTERED_DATE)?;
    ordered(start, end)?;
    let division = ctx.place(division, f.text(ADDRESS), f.places)?;
    Ok(ctx.evidence(person, division, start, end))
}

fn pledge(f: &Fields<'_>, ctx: &Ctx<'_>) -> Check<Outcome> {
    use source::pledge::*;
    f.required(RECORD_ID)?;
    let person = f.required_id(ID_NUMBER)?;
    let division = f.required_division(DIVISION)?;
    let declared_since = f.required_date(DECLARED_SINCE)?;
    let signed_date = f.required_date(SIGNED_DATE)?;
    if declared_since > signed_date {
        return Err(Rejection::new(
            Reason::InvalidValue,
            format!("declared_since {declared_since} is after signed_date {signed_date}"),
        ));
    }
    let facts = Facts::of(person, Some(division), declared_since, Some(signed_date));
    if signed_date > ctx.as_of {
        return Ok(facts.filtered(Reason::AfterAsOf));
    }
    if !ctx.in_scope(division) {
        return Ok(facts.filtered(Reason::OutOfScope));
    }
    Ok(Outcome::Pledge(Pledge {
        person,
        city: division.city(),
        declared_since,
        signed_date,
    }))
}

fn hukou(f: &Fields<'_>) -> Check<Outcome> {
    use source::hukou::*;
    let person = f.required_id(ID_NUMBER)?;
    let division = f.required_division(HUKOU_DIVISION)?;
    Ok(Outcome::Hukou {
        person,
        city: division.city(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::memo::IdMemo;
    use crate::rules::date::parse_date;

    fn gazetteer() -> Gazetteer {
        Gazetteer::new([
            (Division::new_unchecked(350500), "泉州市".to_owned(), None),
            (Division::new_unchecked(350200), "厦门市".to_owned(), None),
            (
                Division::new_unchecked(350503),
                "丰泽区".to_owned(),
                Some(Division::new_unchecked(350500)),
            ),
        ])
    }

    fn day(s: &str) -> NaiveDate {
        parse_date(s).unwrap()
    }

    fn run(kind: SourceKind, values: &[&str]) -> (Check<Outcome>, Option<Owner>) {
        let g = gazetteer();
        let j = [Division::new_unchecked(350500)];
        let ctx = Ctx {
            as_of: day("2026-11-27"),
            gazetteer: &g,
            jurisdictions: &j,
        };
        let ids = IdMemo::default();
        let places = PlaceMemo::default();
        let f = Fields {
            values,
            names: kind.fields(),
            as_of: ctx.as_of,
            ids: &ids,
            places: &places,
        };
        let mut owner = None;
        (validate(kind, &f, &ctx, &mut owner), owner)
    }

    fn reason(r: (Check<Outcome>, Option<Owner>)) -> Reason {
        match r.0 {
            Err(rej) => rej.reason,
            Ok(Outcome::Filtered(f)) => f.reason,
            Ok(other) => panic!("not a reason: {other:?}"),
        }
    }

    const ID: &str = "11010519491231002X";

    #[test]
    fn lease_interval_ends_at_the_earlier_end_and_starts_before_filing() {
        let (out, _) = run(
            SourceKind::Lease,
            &[
                "L1",
                ID,
                "",
                "",
                "350503",
                "2026-01-01",
                "2026-12-31",
                "2026-03-01",
                "2026-06-30",
            ],
        );
        let Ok(Outcome::Evidence(e)) = out else {
            panic!("{out:?}")
        };
        assert_eq!((e.start, e.end), (day("2026-01-01"), day("2026-06-30")));
        // Terminated before the start: only an explicit end can be before the start.
        let r = run(
            SourceKind::Lease,
            &[
                "L1",
                ID,
                "",
                "",
                "350503",
                "2026-05-01",
                "",
                "2026-05-01",
                "2026-04-30",
            ],
        );
        assert_eq!(reason(r), Reason::EndBeforeStart);
    }

    #[test]
    fn lease_filters_in_spec_order() {
        let row = |filed: &'static str, division: &'static str| {
            ["L1", ID, "", "", division, "2026-01-01", "", filed, ""]
        };
        assert_eq!(
            reason(run(SourceKind::Lease, &row("", "350503"))),
            Reason::NotFiled
        );
        assert_eq!(
            reason(run(SourceKind::Lease, &row("2026-11-28", "350503"))),
            Reason::AfterAsOf
        );
        assert_eq!(
            reason(run(SourceKind::Lease, &row("2026-01-02", "350203"))),
            Reason::OutOfScope
        );
        // not_filed comes before out_of_scope.
        assert_eq!(
            reason(run(SourceKind::Lease, &row("", "350203"))),
            Reason::NotFiled
        );
    }

    #[test]
    fn missing_address_and_division() {
        let r = run(
            SourceKind::Lease,
            &["L1", ID, "", "", "", "2026-01-01", "", "2026-01-01", ""],
        );
        assert_eq!(reason(r), Reason::MissingField);
    }

    #[test]
    fn utility_usage() {
        let row = |usage: &'static str| {
            [
                "U1",
                ID,
                "Water",
                "泉州市丰泽区",
                "",
                "2026-01-01",
                "2026-01-31",
                usage,
            ]
        };
        assert_eq!(
            reason(run(SourceKind::Utility, &row("0"))),
            Reason::ZeroUsage
        );
        assert_eq!(
            reason(run(SourceKind::Utility, &row("-0"))),
            Reason::ZeroUsage
        );
        assert_eq!(
            reason(run(SourceKind::Utility, &row("-3"))),
            Reason::InvalidNumber
        );
        assert_eq!(
            reason(run(SourceKind::Utility, &row("1,234"))),
            Reason::InvalidNumber
        );
        let (out, _) = run(SourceKind::Utility, &row("12.5"));
        let Ok(Outcome::Evidence(e)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(e.division, Division::new_unchecked(350503));
    }

    #[test]
    fn telecom_mobile_proves_the_phone_but_no_place() {
        let (out, owner) = run(
            SourceKind::Telecom,
            &["T1", ID, "13800138000", "MOBILE", "", "", "2025-01-01", ""],
        );
        let Ok(Outcome::Filtered(f)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(f.reason, Reason::NoLocation);
        // What is known of it goes to filtered.parquet.
        assert_eq!(f.facts.start, Some(day("2025-01-01")));
        assert_eq!((f.facts.end, f.facts.city), (None, None));
        assert!(f.facts.person.is_some());
        let owner = owner.expect("mobile rows prove ownership");
        assert_eq!(owner.end, day("2026-11-27"));
        // Broadband without a place is missing a field; no ownership is recorded.
        let (out, owner) = run(
            SourceKind::Telecom,
            &[
                "T2",
                ID,
                "13800138000",
                "broadband",
                "",
                "",
                "2025-01-01",
                "",
            ],
        );
        assert_eq!(out.unwrap_err().reason, Reason::MissingField);
        assert!(owner.is_none());
        // A row that fails the place step (5) has still passed steps 1–4.
        let (out, owner) = run(
            SourceKind::Telecom,
            &[
                "T3",
                ID,
                "13800138000",
                "broadband",
                "火星",
                "",
                "2025-01-01",
                "2027-01-01",
            ],
        );
        assert_eq!(out.unwrap_err().reason, Reason::UnresolvedAddress);
        assert_eq!(owner.unwrap().end, day("2027-01-01"));
    }

    #[test]
    fn shopping_needs_a_buyer_or_a_phone() {
        let r = run(
            SourceKind::Shopping,
            &["O1", "", "", "", "350503", "2026-05-01"],
        );
        assert_eq!(reason(r), Reason::MissingField);
        let (out, _) = run(
            SourceKind::Shopping,
            &["O1", "", "138 0013 8000", "", "350503", "2026-05-01 10:00"],
        );
        assert!(matches!(out, Ok(Outcome::AwaitIdentity(_))), "{out:?}");
        // A phone-only delivery after the as-of never reaches step 6.
        let (out, _) = run(
            SourceKind::Shopping,
            &["O2", "", "138 0013 8000", "", "350503", "2026-11-28"],
        );
        let Ok(Outcome::Filtered(f)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(f.reason, Reason::AfterAsOf);
        assert_eq!(f.facts.person, None);
        assert_eq!(f.facts.city, Some(Division::new_unchecked(350500)));
        assert_eq!(
            (f.facts.start, f.facts.end),
            (Some(day("2026-11-28")), Some(day("2026-11-28")))
        );
        let (out, _) = run(
            SourceKind::Shopping,
            &["O1", ID, "", "", "350503", "2026-05-01"],
        );
        let Ok(Outcome::Evidence(e)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(e.start, e.end);
    }

    #[test]
    fn pledge_rules() {
        let row = |declared: &'static str, signed: &'static str, division: &'static str| {
            ["P1", ID, "", division, declared, signed]
        };
        assert_eq!(
            reason(run(
                SourceKind::Pledge,
                &row("2026-05-02", "2026-05-01", "350503")
            )),
            Reason::InvalidValue
        );
        assert_eq!(
            reason(run(
                SourceKind::Pledge,
                &row("2026-05-01", "2026-11-28", "350503")
            )),
            Reason::AfterAsOf
        );
        assert_eq!(
            reason(run(
                SourceKind::Pledge,
                &row("2026-05-01", "2026-05-01", "350203")
            )),
            Reason::OutOfScope
        );
        let (out, _) = run(
            SourceKind::Pledge,
            &row("2026-05-01", "2026-06-01", "350503"),
        );
        assert!(matches!(out, Ok(Outcome::Pledge(p)) if p.city == Division::new_unchecked(350500)));
    }

    #[test]
    fn hukou_is_never_out_of_scope() {
        let (out, _) = run(SourceKind::Hukou, &[ID, "350203"]);
        assert!(
            matches!(out, Ok(Outcome::Hukou { city, .. }) if city == Division::new_unchecked(350200))
        );
    }

    #[test]
    fn evidence_is_clipped_and_after_as_of_filtered() {
        let (out, _) = run(
            SourceKind::LaborContract,
            &["C1", ID, "", "350503", "2026-01-01", "2027-12-31"],
        );
        let Ok(Outcome::Evidence(e)) = out else {
            panic!("{out:?}")
        };
        assert_eq!(e.end, day("2026-11-27"));
        let r = run(
            SourceKind::LaborContract,
            &["C1", ID, "", "350503", "2026-11-28", ""],
        );
        assert_eq!(reason(r), Reason::AfterAsOf);
        let r = run(
            SourceKind::SocialInsurance,
            &["S1", ID, "", "2026-12", "350503", ""],
        );
        assert_eq!(reason(r), Reason::AfterAsOf);
    }
}
