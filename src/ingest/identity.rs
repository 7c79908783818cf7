//! SPEC §5 step 6: a shopping row without `buyer_id_number` belongs to the phone's
//! owner on the delivery day — the distinct subscribers of current telecom rows
//! (any service, any city, steps 1–4 passed) whose unclipped interval contains it.

use hashbrown::HashMap;

use super::file::{FileResult, RejectText};
use super::supersede::is_superseded;
use super::validate::{Ctx, Outcome};
use crate::rules::id::PersonId;
use crate::rules::phone::Phone;
use crate::rules::reason::Reason;
use chrono::NaiveDate;

/// Who held each phone when.
#[derive(Default)]
pub struct PhoneOwners {
    by_phone: HashMap<Phone, Vec<(PersonId, NaiveDate, NaiveDate)>>,
}

/// What the phone says about one delivery.
#[derive(Debug, PartialEq, Eq)]
pub enum Buyer {
    Unique(PersonId),
    Nobody,
    Several,
}

impl PhoneOwners {
    /// From one source's telecom files, after supersession.
    pub fn from_telecom(files: &[FileResult]) -> Self {
        let mut by_phone: HashMap<Phone, Vec<_>> = HashMap::new();
        for file in files {
            for &(row, o) in &file.owners {
                if !is_superseded(file, row) {
                    by_phone
                        .entry(o.phone)
                        .or_default()
                        .push((o.person, o.start, o.end));
                }
            }
        }
        PhoneOwners { by_phone }
    }

    pub fn buyer(&self, phone: Phone, day: NaiveDate) -> Buyer {
        let mut found: Option<PersonId> = None;
        for &(person, start, end) in self.by_phone.get(&phone).into_iter().flatten() {
            if start <= day && day <= end {
                match found {
                    None => found = Some(person),
                    Some(p) if p != person => return Buyer::Several,
                    Some(_) => {}
                }
            }
        }
        found.map_or(Buyer::Nobody, Buyer::Unique)
    }
}

/// Decides every shopping row awaiting its buyer, then applies step 7's filters.
/// The text of a row it rejects is read back from the file (rejects are rare;
/// keeping every awaiting row's text would not be).
pub fn resolve_buyers(
    files: &mut [FileResult],
    owners: &PhoneOwners,
    ctx: &Ctx<'_>,
) -> Result<(), super::IngestError> {
    for file in files {
        let awaiting = std::mem::take(&mut file.awaiting);
        let mut added = false;
        for (row, offset, len) in awaiting {
            let Ok(Outcome::AwaitIdentity(a)) = file.rows[row as usize].verdict else {
                continue; // superseded
            };
            let verdict = match owners.buyer(a.phone, a.day) {
                Buyer::Unique(person) => Ok(ctx.evidence(person, a.division, a.day, Some(a.day))),
                Buyer::Nobody => Err((
                    Reason::UnresolvedIdentity,
                    "no telecom subscriber had this phone on the delivery day",
                )),
                Buyer::Several => Err((
                    Reason::AmbiguousIdentity,
                    "several telecom subscribers had this phone on the delivery day",
                )),
            };
            file.rows[row as usize].verdict = match verdict {
                Ok(outcome) => Ok(outcome),
                Err((reason, detail)) => {
                    let raw =
                        file.input
                            .raw_at(offset, len)
                            .map_err(|e| super::IngestError::Io {
                                path: file.input.path.clone(),
                                source: e,
                            })?;
                    file.rejects.push(RejectText {
                        row,
                        detail: detail.to_owned(),
                        raw,
                    });
                    added = true;
                    Err(reason)
                }
            };
        }
        if added {
            file.rejects.sort_by_key(|r| r.row);
        }
    }
    Ok(())
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
        owners.by_phone.insert(
            phone,
            vec![
                (a, d("2025-01-01"), d("2025-12-31")),
                (a, d("2025-06-01"), d("2026-03-31")),
                (b, d("2026-03-01"), d("2026-11-27")),
            ],
        );
        assert_eq!(owners.buyer(phone, d("2025-07-01")), Buyer::Unique(a));
        assert_eq!(owners.buyer(phone, d("2026-03-15")), Buyer::Several);
        assert_eq!(owners.buyer(phone, d("2026-05-01")), Buyer::Unique(b));
        assert_eq!(owners.buyer(phone, d("2024-05-01")), Buyer::Nobody);
        let other = parse_phone("13900139000").unwrap();
        assert_eq!(owners.buyer(other, d("2025-07-01")), Buyer::Nobody);
    }
}
