//! SPEC §5 step 6: a shopping row without `buyer_id_number`, delivered on or
//! before the as-of, belongs to the phone's owner on the delivery day — the
//! distinct subscribers of current telecom rows (any service, any city, steps
//! 1–4 passed) whose unclipped interval contains it.

use chrono::NaiveDate;
use hashbrown::HashMap;

use super::validate::Owner;
use crate::rules::id::PersonId;
use crate::rules::phone::Phone;
use crate::rules::reason::Reason;

/// What the phone says about one delivery.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buyer {
    /// One subscriber held the phone that day.
    Unique(PersonId),
    /// Nobody did: `unresolved_identity`.
    Nobody,
    /// Several did: `ambiguous_identity`.
    Several,
}

impl Buyer {
    /// The rejection reason and its detail when the phone names no one buyer.
    pub fn rejection(self) -> Option<(Reason, &'static str)> {
        match self {
            Buyer::Unique(_) => None,
            Buyer::Nobody => Some((
                Reason::UnresolvedIdentity,
                "no telecom subscriber had this phone on the delivery day",
            )),
            Buyer::Several => Some((
                Reason::AmbiguousIdentity,
                "several telecom subscribers had this phone on the delivery day",
            )),
        }
    }
}

/// The buyer among one phone's owners: the distinct subscriber whose
/// interval contains `day`.
pub fn buyer_among<'o>(owners: impl IntoIterator<Item = &'o Owner>, day: NaiveDate) -> Buyer {
    let mut found: Option<PersonId> = None;
    for o in owners {
        if o.start <= day && day <= o.end {
            match found {
                None => found = Some(o.person),
                Some(p) if p != o.person => return Buyer::Several,
                Some(_) => {}
            }
        }
    }
    found.map_or(Buyer::Nobody, Buyer::Unique)
}

/// Who held each phone when.
#[derive(Debug, Default)]
pub struct PhoneOwners {
    by_phone: HashMap<Phone, Vec<Owner>>,
}

impl PhoneOwners {
    /// Records a current telecom row's ownership (superseded rows do not count).
    pub fn add(&mut self, owner: Owner) {
        self.by_phone.entry(owner.phone).or_default().push(owner);
    }

    /// The buyer of a delivery to `phone` on `day`.
    pub fn buyer(&self, phone: Phone, day: NaiveDate) -> Buyer {
        buyer_among(self.by_phone.get(&phone).into_iter().flatten(), day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::phone::parse_phone;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn buyer_is_the_distinct_owner_on_the_day() {
        let phone = parse_phone("13800138000").unwrap();
        let a = PersonId::from_u64(11010519491231002);
        let b = PersonId::from_u64(35050219900101001);
        let mut owners = PhoneOwners::default();
        for (person, start, end) in [
            (a, "2025-01-01", "2025-12-31"),
            (a, "2025-06-01", "2026-03-31"),
            (b, "2026-03-01", "2026-11-27"),
        ] {
            owners.add(Owner {
                phone,
                person,
                start: d(start),
                end: d(end),
            });
        }
        assert_eq!(owners.buyer(phone, d("2025-07-01")), Buyer::Unique(a));
        assert_eq!(owners.buyer(phone, d("2026-03-15")), Buyer::Several);
        assert_eq!(owners.buyer(phone, d("2026-05-01")), Buyer::Unique(b));
        assert_eq!(owners.buyer(phone, d("2024-05-01")), Buyer::Nobody);
        let other = parse_phone("13900139000").unwrap();
        assert_eq!(owners.buyer(other, d("2025-07-01")), Buyer::Nobody);
    }
}
