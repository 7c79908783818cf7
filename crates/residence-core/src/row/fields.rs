//! Typed access to one row's canonical fields: the per-field checks of SPEC §5 step 3.
//!
//! A row arrives as its trimmed values in canonical field order (absent columns
//! read as empty). Each accessor either yields the typed value or the first
//! reason that applies to that field, so a validator can run its fields in the
//! spec's column order with `?`.

use chrono::NaiveDate;

use super::memo::{IdMemo, PlaceMemo};
use crate::rules::date::{parse_date, parse_month};
use crate::rules::division::{Division, parse_division};
use crate::rules::id::{PersonId, mask_id_text};
use crate::rules::number::parse_number;
use crate::rules::phone::{Phone, parse_phone};
use crate::rules::reason::Reason;

pub use crate::pipeline::source::MAX_FIELDS;

/// Why a row was rejected: the reason code and a short human detail. The detail
/// never contains an ID number or a phone number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    /// The reason code.
    pub reason: Reason,
    /// What was wrong, in English (no ID or phone number).
    pub detail: String,
}

impl Rejection {
    /// A rejection for `reason` with `detail`.
    pub fn new(reason: Reason, detail: impl Into<String>) -> Self {
        Rejection {
            reason,
            detail: detail.into(),
        }
    }
}

/// A field check: the value, or the rejection of the row.
pub type Check<T> = Result<T, Rejection>;

/// A value quoted in a detail. Values long enough to be an ID number (a
/// misplaced column) are masked like one.
fn shown(v: &str) -> std::borrow::Cow<'_, str> {
    if v.chars().count() >= 15 {
        mask_id_text(v).into()
    } else {
        v.into()
    }
}

/// One row's values in canonical order, with the names used in details.
pub struct Fields<'a> {
    /// The trimmed values, in canonical field order.
    pub values: &'a [&'a str],
    /// The feed's canonical fields (names for details).
    pub names: &'a [crate::pipeline::Field],
    /// The run's as-of date (ID numbers' birth dates must precede it).
    pub as_of: NaiveDate,
    /// The file's ID memo (the as-of date is the same for the whole run).
    pub ids: &'a IdMemo,
    /// The file's address memo.
    pub places: &'a PlaceMemo,
}

impl<'a> Fields<'a> {
    fn name(&self, f: usize) -> &'static str {
        self.names[f].name
    }

    /// The trimmed value, `None` when empty.
    pub fn text(&self, f: usize) -> Option<&'a str> {
        let v = self.values[f];
        (!v.is_empty()).then_some(v)
    }

    fn missing(&self, f: usize) -> Rejection {
        Rejection::new(Reason::MissingField, format!("{} is empty", self.name(f)))
    }

    /// A required field: its text, or `missing_field`.
    pub fn required(&self, f: usize) -> Check<&'a str> {
        self.text(f).ok_or_else(|| self.missing(f))
    }

    /// An empty `a|d`-style pair: both fields empty.
    pub fn missing_pair(&self, a: usize, b: usize) -> Rejection {
        Rejection::new(
            Reason::MissingField,
            format!("{} and {} are both empty", self.name(a), self.name(b)),
        )
    }

    /// An ID number field, `None` when empty.
    pub fn id(&self, f: usize) -> Check<Option<PersonId>> {
        self.text(f)
            .map(|v| {
                self.ids.parse(v, self.as_of).map_err(|e| {
                    Rejection::new(
                        Reason::InvalidIdNumber,
                        format!("{}: {}", self.name(f), e.detail()),
                    )
                })
            })
            .transpose()
    }

    /// A required ID number field.
    pub fn required_id(&self, f: usize) -> Check<PersonId> {
        self.id(f)?.ok_or_else(|| self.missing(f))
    }

    /// A date field, `None` when empty.
    pub fn date(&self, f: usize) -> Check<Option<NaiveDate>> {
        self.text(f)
            .map(|v| {
                parse_date(v).ok_or_else(|| {
                    Rejection::new(
                        Reason::InvalidDate,
                        format!("{}: not a date: {:?}", self.name(f), shown(v)),
                    )
                })
            })
            .transpose()
    }

    /// A required date field.
    pub fn required_date(&self, f: usize) -> Check<NaiveDate> {
        self.date(f)?.ok_or_else(|| self.missing(f))
    }

    /// A month field: the first day of the month.
    pub fn required_month(&self, f: usize) -> Check<NaiveDate> {
        let v = self.required(f)?;
        parse_month(v).ok_or_else(|| {
            Rejection::new(
                Reason::InvalidDate,
                format!("{}: not a month: {:?}", self.name(f), shown(v)),
            )
        })
    }

    /// A division field, `None` when empty.
    pub fn division(&self, f: usize) -> Check<Option<Division>> {
        self.text(f)
            .map(|v| {
                parse_division(v).ok_or_else(|| {
                    Rejection::new(
                        Reason::InvalidDivision,
                        format!("{}: not a division code: {:?}", self.name(f), shown(v)),
                    )
                })
            })
            .transpose()
    }

    /// A required division field.
    pub fn required_division(&self, f: usize) -> Check<Division> {
        self.division(f)?.ok_or_else(|| self.missing(f))
    }

    /// A phone field, `None` when empty.
    pub fn phone(&self, f: usize) -> Check<Option<Phone>> {
        self.text(f)
            .map(|v| {
                parse_phone(v).ok_or_else(|| {
                    Rejection::new(
                        Reason::InvalidPhone,
                        format!("{}: not a mobile or fixed-line number", self.name(f)),
                    )
                })
            })
            .transpose()
    }

    /// A required number field.
    pub fn required_number(&self, f: usize) -> Check<f64> {
        let v = self.required(f)?;
        parse_number(v).ok_or_else(|| {
            Rejection::new(
                Reason::InvalidNumber,
                format!("{}: not a number: {:?}", self.name(f), shown(v)),
            )
        })
    }

    /// An enumeration, matched ASCII case-insensitively; the index of the match.
    pub fn choice(&self, f: usize, options: &[&str]) -> Check<usize> {
        let v = self.required(f)?;
        options
            .iter()
            .position(|o| o.eq_ignore_ascii_case(v))
            .ok_or_else(|| {
                Rejection::new(
                    Reason::InvalidValue,
                    format!(
                        "{}: {:?} is not one of {}",
                        self.name(f),
                        shown(v),
                        options.join(", ")
                    ),
                )
            })
    }
}
