//! Synthetic persons: where and when they lived (stays), and which kinds of
//! records their lives leave behind.
use chrono::{Days, Months, NaiveDate};
use rand::Rng;

use super::ids::{Ids, birth_year};
use super::profile::Profile;
use super::text::{Place, home_address, other_place, person_name, quanzhou_place};

/// A period at one place; `end == None` means still there at the as-of date.
#[derive(Clone, Debug)]
pub(crate) struct Stay {
    pub place: Place,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub addr: String,
}

/// How a person's life is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pattern {
    /// Long in Quanzhou, still there.
    Settled,
    /// Arrived in Quanzhou in the last months.
    Newcomer,
    /// Came to Quanzhou from another city.
    Mover,
    /// Lived in Quanzhou, left.
    Leaver,
    /// Lives elsewhere.
    Outsider,
    /// Just arrived, few records; often a pledge.
    Drifter,
}

/// One synthetic person.
#[derive(Clone, Debug)]
pub(crate) struct Person {
    pub g: u64,
    pub id: [u8; 18],
    pub name: String,
    pub phone: u64,
    pub stays: Vec<Stay>,
    pub worker: bool,
    pub student: bool,
    pub renter: bool,
    pub household: bool,
    pub landline: bool,
    pub business: bool,
    /// Orders per year (0: does not shop online).
    pub orders_per_year: u32,
    /// Often orders with the phone only (no ID number on the order).
    pub phone_shopper: bool,
    pub pledge: bool,
    pub hukou: Option<u32>,
    pub mobile_start: NaiveDate,
    pub insurance: &'static str,
}

pub(crate) fn months_before(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(n)).unwrap_or(d)
}

pub(crate) fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

pub(crate) fn days_after(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

/// How far back evidence goes, in months before the as-of date.
pub(crate) const HORIZON_MONTHS: u32 = 84;

const INSURANCE: [&str; 4] = [
    "职工基本养老保险",
    "职工基本医疗保险",
    "城乡居民医疗保险",
    "失业保险",
];

/// A stay in Quanzhou (`home`) or elsewhere.
fn stay<R: Rng>(rng: &mut R, home: bool, start: NaiveDate, end: Option<NaiveDate>) -> Stay {
    let place = if home {
        quanzhou_place(rng)
    } else {
        other_place(rng)
    };
    let addr = home_address(rng, &place);
    Stay {
        place,
        start,
        end,
        addr,
    }
}

/// Draws person `g`.
pub(crate) fn person<R: Rng>(
    rng: &mut R,
    ids: &Ids,
    g: u64,
    as_of: NaiveDate,
    profile: Profile,
) -> Person {
    let id = ids.id18(g);
    let age = (chrono::Datelike::year(&as_of) as u32).saturating_sub(birth_year(&id));
    let ago = |rng: &mut R, lo: u32, hi: u32| {
        days_before(
            months_before(as_of, rng.gen_range(lo..=hi)),
            rng.gen_range(0..28),
        )
    };
    let [settled, newcomer, mover, leaver, outsider] = profile.patterns();
    let pattern = match rng.gen_range(0..100u32) {
        r if r < settled => Pattern::Settled,
        r if r < newcomer => Pattern::Newcomer,
        r if r < mover => Pattern::Mover,
        r if r < leaver => Pattern::Leaver,
        r if r < outsider => Pattern::Outsider,
        _ => Pattern::Drifter,
    };
    let mut stays = Vec::with_capacity(2);
    match pattern {
        Pattern::Settled => {
            let start = ago(rng, 7, HORIZON_MONTHS - 1);
            stays.push(stay(rng, true, start, None));
        }
        Pattern::Newcomer => {
            let start = days_before(as_of, rng.gen_range(0..200));
            stays.push(stay(rng, true, start, None));
        }
        Pattern::Mover => {
            let first = ago(rng, 30, HORIZON_MONTHS - 1);
            let switch = ago(rng, 4, 29).max(days_after(first, 60));
            stays.push(stay(rng, false, first, Some(switch)));
            let start = days_after(switch, rng.gen_range(1..20));
            stays.push(stay(rng, true, start.min(as_of), None));
        }
        Pattern::Leaver => {
            let first = ago(rng, 24, HORIZON_MONTHS - 1);
            let left = ago(rng, 3, 20).max(days_after(first, 90));
            stays.push(stay(rng, true, first, Some(left.min(as_of))));
            if rng.gen_bool(0.6) {
                let start = days_after(left, rng.gen_range(1..30)).min(as_of);
                stays.push(stay(rng, false, start, None));
            }
        }
        Pattern::Outsider => {
            let start = ago(rng, 6, HORIZON_MONTHS - 1);
            stays.push(stay(rng, false, start, None));
        }
        Pattern::Drifter => {
            let start = days_before(as_of, rng.gen_range(0..90));
            stays.push(stay(rng, true, start, None));
        }
    }
    let student = age < 24 && rng.gen_bool(0.5);
    let worker = !student
        && rng.gen_bool(if pattern == Pattern::Drifter {
            0.2
        } else {
            0.62
        });
    let household = rng.gen_bool(profile.household());
    let landline = rng.gen_bool(if household { 0.55 } else { 0.1 });
    let r = rng.gen_range(0..100u32);
    let orders_per_year = profile
        .orders()
        .iter()
        .find(|&&(upto, _)| r < upto)
        .map_or(0, |&(_, n)| n);
    let pledge = match pattern {
        Pattern::Drifter => rng.gen_bool(0.5),
        Pattern::Newcomer => rng.gen_bool(0.15),
        _ => rng.gen_bool(0.005),
    };
    let first_quanzhou = stays.first().is_some_and(|s| s.place.code / 100 == 3505);
    let hukou = if first_quanzhou && rng.gen_bool(0.35) {
        Some(if rng.gen_bool(0.7) {
            stays[0].place.code
        } else {
            quanzhou_place(rng).code
        })
    } else if rng.gen_bool(0.2) {
        let birth = id[..6]
            .iter()
            .fold(0u32, |a, &c| a * 10 + u32::from(c - b'0'));
        Some(if rng.gen_bool(0.7) {
            birth
        } else {
            other_place(rng).code
        })
    } else {
        None
    };
    let mobile_start = days_before(months_before(as_of, HORIZON_MONTHS), rng.gen_range(0..3000));
    Person {
        g,
        id,
        name: person_name(rng),
        phone: ids.phone(g),
        stays,
        worker,
        student,
        renter: rng.gen_bool(0.45),
        household,
        landline,
        business: rng.gen_bool(0.07),
        orders_per_year,
        phone_shopper: rng.gen_bool(profile.phone_shopper()),
        pledge,
        hukou,
        mobile_start,
        insurance: INSURANCE[rng.gen_range(0..INSURANCE.len())],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn stays_are_ordered_and_not_after_as_of() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let ids = Ids::new(1, as_of);
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for g in 0..5000 {
            let p = person(&mut rng, &ids, g, as_of, Profile::Default);
            assert!(!p.stays.is_empty());
            for s in &p.stays {
                assert!(s.start <= as_of, "{p:?}");
                if let Some(e) = s.end {
                    assert!(e >= s.start, "{p:?}");
                    assert!(e <= as_of, "{p:?}");
                }
            }
            for w in p.stays.windows(2) {
                assert!(w[0].end.is_some_and(|e| e < w[1].start), "{p:?}");
            }
            assert!(p.mobile_start < months_before(as_of, HORIZON_MONTHS - 1));
        }
    }
}
