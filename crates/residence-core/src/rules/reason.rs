//! Why a row was not used (SPEC §5): rejection and filter reasons and their codes.

use std::fmt;

/// Why a row was not used (SPEC §5): a rejection or, see [`Reason::is_filter`], a filter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Reason {
    /// `malformed_row`: unreadable CSV, wrong field count or bad encoding.
    MalformedRow,
    /// `superseded`: a later version of the same record won (filter).
    Superseded,
    /// `missing_field`.
    MissingField,
    /// `invalid_id_number`.
    InvalidIdNumber,
    /// `invalid_date`.
    InvalidDate,
    /// `invalid_division`.
    InvalidDivision,
    /// `invalid_phone`.
    InvalidPhone,
    /// `invalid_number`.
    InvalidNumber,
    /// `invalid_value`: an unknown enumeration value, or a pledge declared after its signing.
    InvalidValue,
    /// `end_before_start`.
    EndBeforeStart,
    /// `unresolved_address`.
    UnresolvedAddress,
    /// `ambiguous_address`.
    AmbiguousAddress,
    /// `unresolved_identity`: no telecom subscriber had the shopping row's phone that day.
    UnresolvedIdentity,
    /// `ambiguous_identity`: several telecom subscribers had the phone that day.
    AmbiguousIdentity,
    /// `not_filed`: a lease without `filed_date` (filter).
    NotFiled,
    /// `zero_usage`: a utility period with usage 0 (filter).
    ZeroUsage,
    /// `no_location`: a mobile telecom row (filter).
    NoLocation,
    /// `after_as_of` (filter).
    AfterAsOf,
    /// `out_of_scope`: a city outside the pipeline's `jurisdictions` (filter).
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

    /// The reason's code as outputs and the manifest write it (`missing_field`).
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

    /// What the reason means, for a case officer: in English and in Chinese.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Reason::MalformedRow => ("the row could not be read as CSV", "行格式错误，无法读取"),
            Reason::Superseded => (
                "replaced by a later version of the same record",
                "已被同一记录的更新版本取代",
            ),
            Reason::MissingField => ("a required field is empty", "必填字段为空"),
            Reason::InvalidIdNumber => ("not a valid ID number", "身份证号码无效"),
            Reason::InvalidDate => ("not a valid date or month", "日期或月份无效"),
            Reason::InvalidDivision => ("not a valid division code", "行政区划代码无效"),
            Reason::InvalidPhone => ("not a valid phone number", "电话号码无效"),
            Reason::InvalidNumber => ("not a valid number", "数值无效"),
            Reason::InvalidValue => ("a value the feed does not allow", "取值不在允许范围内"),
            Reason::EndBeforeStart => ("it ends before it starts", "结束日期早于开始日期"),
            Reason::UnresolvedAddress => ("the address names no known place", "地址无法识别"),
            Reason::AmbiguousAddress => (
                "the address names places in more than one city",
                "地址指向多个城市",
            ),
            Reason::UnresolvedIdentity => (
                "no telecom subscriber had the phone on that day",
                "当日无人登记使用该电话",
            ),
            Reason::AmbiguousIdentity => (
                "several telecom subscribers had the phone on that day",
                "当日多人登记使用该电话",
            ),
            Reason::NotFiled => (
                "the lease was never registered (no filed date)",
                "租赁合同未登记备案",
            ),
            Reason::ZeroUsage => ("no water, electricity or gas was used", "用量为零"),
            Reason::NoLocation => ("a mobile phone proves no place", "移动电话不能证明居住地"),
            Reason::AfterAsOf => ("dated after the as-of date", "晚于判定日期"),
            Reason::OutOfScope => (
                "located outside the cities decided for",
                "不在本次判定的城市范围内",
            ),
        }
    }

    /// The reason whose [`Reason::code`] is `code`; `None` for an unknown code.
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
