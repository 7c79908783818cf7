//! Why a row was not used (SPEC §5): rejection and filter reasons and their codes.

use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    MalformedRow,
    Superseded,
    MissingField,
    InvalidIdNumber,
    InvalidDate,
    InvalidDivision,
    InvalidPhone,
    InvalidNumber,
    InvalidValue,
    EndBeforeStart,
    UnresolvedAddress,
    AmbiguousAddress,
    UnresolvedIdentity,
    AmbiguousIdentity,
    NotFiled,
    ZeroUsage,
    NoLocation,
    AfterAsOf,
    OutOfScope,
}

impl Reason {
    /// Every reason, in declaration order (which is also `repr(u8)` order).
    pub const ALL: [Reason; 19] = [
        Reason::MalformedRow,
        Reason::Superseded,
        Reason::MissingField,
        Reason::InvalidIdNumber,
        Reason::InvalidDate,
        Reason::InvalidDivision,
        Reason::InvalidPhone,
        Reason::InvalidNumber,
        Reason::InvalidValue,
        Reason::EndBeforeStart,
        Reason::UnresolvedAddress,
        Reason::AmbiguousAddress,
        Reason::UnresolvedIdentity,
        Reason::AmbiguousIdentity,
        Reason::NotFiled,
        Reason::ZeroUsage,
        Reason::NoLocation,
        Reason::AfterAsOf,
        Reason::OutOfScope,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Reason::MalformedRow => "malformed_row",
            Reason::Superseded => "superseded",
            Reason::MissingField => "missing_field",
            Reason::InvalidIdNumber => "invalid_id_number",
            Reason::InvalidDate => "invalid_date",
            Reason::InvalidDivision => "invalid_division",
            Reason::InvalidPhone => "invalid_phone",
            Reason::InvalidNumber => "invalid_number",
            Reason::InvalidValue => "invalid_value",
            Reason::EndBeforeStart => "end_before_start",
            Reason::UnresolvedAddress => "unresolved_address",
            Reason::AmbiguousAddress => "ambiguous_address",
            Reason::UnresolvedIdentity => "unresolved_identity",
            Reason::AmbiguousIdentity => "ambiguous_identity",
            Reason::NotFiled => "not_filed",
            Reason::ZeroUsage => "zero_usage",
            Reason::NoLocation => "no_location",
            Reason::AfterAsOf => "after_as_of",
            Reason::OutOfScope => "out_of_scope",
        }
    }

    /// Filters are valid rows that do not count; every other reason is a rejection and
    /// counts toward the quality gate.
    pub fn is_filter(self) -> bool {
        matches!(
            self,
            Reason::Superseded
                | Reason::NotFiled
                | Reason::ZeroUsage
                | Reason::NoLocation
                | Reason::AfterAsOf
                | Reason::OutOfScope
        )
    }

    pub fn from_code(code: &str) -> Option<Reason> {
        Reason::ALL.into_iter().find(|r| r.code() == code)
    }
}

/// `ALL` as a free constant too, for callers that prefer `reason::ALL`.
pub const ALL: [Reason; 19] = Reason::ALL;

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_round_trip_and_are_unique() {
        let mut seen = HashSet::new();
        for r in ALL {
            assert!(seen.insert(r.code()), "duplicate {}", r.code());
            assert_eq!(Reason::from_code(r.code()), Some(r));
            assert_eq!(r.to_string(), r.code());
        }
        assert_eq!(seen.len(), 19);
        assert_eq!(Reason::from_code("nope"), None);
        assert_eq!(Reason::from_code("Superseded"), None);
    }

    #[test]
    fn all_is_in_declaration_order() {
        for (i, r) in ALL.iter().enumerate() {
            assert_eq!(*r as u8 as usize, i);
        }
        assert!(ALL.is_sorted());
    }

    #[test]
    fn filters_and_rejections() {
        let filters: Vec<&str> = ALL
            .iter()
            .filter(|r| r.is_filter())
            .map(|r| r.code())
            .collect();
        assert_eq!(
            filters,
            [
                "superseded",
                "not_filed",
                "zero_usage",
                "no_location",
                "after_as_of",
                "out_of_scope"
            ]
        );
        assert!(!Reason::MalformedRow.is_filter());
        assert!(!Reason::AmbiguousIdentity.is_filter());
    }
}
