//! The ten feeds of SPEC §4, written once: each feed's name, Chinese name,
//! grid letter, whether it is required and strong, and its canonical fields
//! in the spec's column order, each with its header rule and what it holds.
//! Everything else derives from this table: the header mapping, the
//! validators' field indices (`lease::FILED_DATE`), the generator's columns
//! and the pipeline file's field names. Adding a column to a feed is one line.

use std::fmt;

/// Whether a feed's header must contain a column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    /// `*` in the spec: the header must have it and every row must fill it.
    Required,
    /// Part of a pair (`a|d`, or shopping's buyer/phone) of which the header
    /// must have at least one column, the other then reading as empty; each
    /// row must fill at least one of the pair.
    Paired {
        /// The other field of the pair.
        partner: &'static str,
    },
    /// The header may lack it; it then reads as empty.
    Optional,
}

/// What a field holds (SPEC §3, §4): how it is checked, and what the
/// generator writes into it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// The record id (`order_id` for shopping).
    RecordId,
    /// An ID number naming the row's person (one per feed).
    Person,
    /// A person's name (not checked).
    Name,
    /// Other free text (not checked).
    Text,
    /// A date (SPEC §3 Date); a time of day after it is ignored.
    Date,
    /// A month (SPEC §3 Month): `YYYY-M`, `YYYYMM`, `YYYY年M月`.
    Month,
    /// A GB/T 2260 division code.
    Division,
    /// Free text placed through the gazetteer.
    Address,
    /// A phone number (SPEC §3 Phone).
    Phone,
    /// One of a few values, matched ASCII case-insensitively.
    Enum,
    /// A decimal number (`usage`).
    Number,
}

/// A canonical field of a feed.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    /// The canonical field name (`tenant_id_number`), also its default header.
    pub name: &'static str,
    /// Whether the header must contain it.
    pub column: Column,
    /// What it holds, hence how it is checked.
    pub kind: Kind,
}

impl Field {
    /// Whether every row must fill this field on its own (`*`).
    pub fn required(&self) -> bool {
        self.column == Column::Required
    }
}

const fn req(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        column: Column::Required,
        kind,
    }
}
const fn pair(name: &'static str, partner: &'static str, kind: Kind) -> Field {
    Field {
        name,
        column: Column::Paired { partner },
        kind,
    }
}
const fn opt(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        column: Column::Optional,
        kind,
    }
}

/// `const NAME: usize = n;` for each name, counting from `n`.
macro_rules! field_indices {
    ($n:expr;) => {};
    ($n:expr; $name:ident $($rest:ident)*) => {
        #[doc = concat!("Index of `", stringify!($name), "` in the feed's fields.")]
        pub const $name: usize = $n;
        field_indices!($n + 1; $($rest)*);
    };
}

/// The feed table: for each feed its enum variant, its name (also the
/// module of its field indices), Chinese name, grid letter, whether required and strong by default,
/// and its fields. Feeds are listed in name order: `Ord` on [`SourceKind`]
/// is then the order outputs sort by.
macro_rules! feeds {
    ($(
        $variant:ident $module:ident $chinese:literal $letter:literal
            required: $required:literal strong: $strong:literal
            { $($konst:ident = $field:expr,)* }
    )*) => {
        /// One feed (SPEC §4).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum SourceKind {
            $(#[doc = $chinese] $variant,)*
        }

        $(
            #[doc = concat!("The fields of `", stringify!($module), "` (", $chinese, "), in the spec's column order.")]
            pub mod $module {
                use crate::pipeline::source::*;
                field_indices!(0; $($konst)*);
                /// The fields.
                pub const FIELDS: &[Field] = &[$($field,)*];
            }
        )*

        impl SourceKind {
            /// Every feed, in name order.
            pub const ALL: [SourceKind; [$(SourceKind::$variant),*].len()] = [$(SourceKind::$variant),*];

            /// The feed's name (its folder under the feed root by default).
            pub fn name(self) -> &'static str {
                match self { $(SourceKind::$variant => stringify!($module),)* }
            }

            /// The feed's name in SPEC §4, in Chinese.
            pub fn chinese(self) -> &'static str {
                match self { $(SourceKind::$variant => $chinese,)* }
            }

            /// One letter standing for the feed in a month grid (`residence explain`).
            pub fn letter(self) -> char {
                match self { $(SourceKind::$variant => $letter,)* }
            }

            /// Whether the pipeline requires this source unless it says
            /// `required = false` (SPEC §2).
            pub fn required_by_default(self) -> bool {
                match self { $(SourceKind::$variant => $required,)* }
            }

            /// Whether evidence from this source is strong (SPEC §7
            /// `strong_days`): an official registration or contribution,
            /// not consumption.
            pub fn is_strong(self) -> bool {
                match self { $(SourceKind::$variant => $strong,)* }
            }

            /// Canonical fields in the spec's column order; field checks run in this order.
            pub fn fields(self) -> &'static [Field] {
                match self { $(SourceKind::$variant => $module::FIELDS,)* }
            }
        }

        /// The most fields any feed has.
        pub const MAX_FIELDS: usize = {
            let lens = [$($module::FIELDS.len()),*];
            let mut max = 0;
            let mut i = 0;
            while i < lens.len() {
                if lens[i] > max {
                    max = lens[i];
                }
                i += 1;
            }
            max
        };
    };
}

use Kind::*;

feeds! {
    BusinessLicense business_license "市场主体营业执照" 'B' required: true strong: true {
        RECORD_ID = req("record_id", RecordId),
        HOLDER_ID_NUMBER = req("holder_id_number", Person),
        BUSINESS_NAME = opt("business_name", Text),
        ADDRESS = pair("address", "division", Address),
        DIVISION = pair("division", "address", Division),
        REGISTERED_DATE = req("registered_date", Date),
        DEREGISTERED_DATE = opt("deregistered_date", Date),
    }
    EmploymentSchool employment_school "就学就业登记" 'E' required: true strong: true {
        RECORD_ID = req("record_id", RecordId),
        ID_NUMBER = req("id_number", Person),
        KIND = req("kind", Enum),
        UNIT_NAME = opt("unit_name", Text),
        DIVISION = req("division", Division),
        START_DATE = req("start_date", Date),
        END_DATE = opt("end_date", Date),
    }
    Hukou hukou "户籍" 'H' required: false strong: false {
        ID_NUMBER = req("id_number", Person),
        HUKOU_DIVISION = req("hukou_division", Division),
    }
    LaborContract labor_contract "劳动合同" 'C' required: true strong: true {
        RECORD_ID = req("record_id", RecordId),
        EMPLOYEE_ID_NUMBER = req("employee_id_number", Person),
        EMPLOYER_NAME = opt("employer_name", Text),
        DIVISION = req("division", Division),
        START_DATE = req("start_date", Date),
        END_DATE = opt("end_date", Date),
    }
    Lease lease "租赁合同登记备案" 'L' required: true strong: true {
        RECORD_ID = req("record_id", RecordId),
        TENANT_ID_NUMBER = req("tenant_id_number", Person),
        TENANT_NAME = opt("tenant_name", Name),
        ADDRESS = pair("address", "division", Address),
        DIVISION = pair("division", "address", Division),
        START_DATE = req("start_date", Date),
        END_DATE = opt("end_date", Date),
        FILED_DATE = opt("filed_date", Date),
        TERMINATED_DATE = opt("terminated_date", Date),
    }
    Pledge pledge "个人承诺" 'P' required: false strong: false {
        RECORD_ID = req("record_id", RecordId),
        ID_NUMBER = req("id_number", Person),
        NAME = opt("name", Name),
        DIVISION = req("division", Division),
        DECLARED_SINCE = req("declared_since", Date),
        SIGNED_DATE = req("signed_date", Date),
    }
    Shopping shopping "网购" 'O' required: true strong: false {
        ORDER_ID = req("order_id", RecordId),
        BUYER_ID_NUMBER = pair("buyer_id_number", "phone", Person),
        PHONE = pair("phone", "buyer_id_number", Phone),
        ADDRESS = pair("address", "division", Address),
        DIVISION = pair("division", "address", Division),
        DELIVERED_AT = req("delivered_at", Date),
    }
    SocialInsurance social_insurance "医社保缴纳" 'S' required: true strong: true {
        RECORD_ID = req("record_id", RecordId),
        ID_NUMBER = req("id_number", Person),
        NAME = opt("name", Name),
        PAY_MONTH = req("pay_month", Month),
        DIVISION = req("division", Division),
        INSURANCE_TYPE = opt("insurance_type", Text),
    }
    Telecom telecom "电话宽带" 'T' required: true strong: false {
        RECORD_ID = req("record_id", RecordId),
        SUBSCRIBER_ID = req("subscriber_id", Person),
        PHONE = req("phone", Phone),
        SERVICE = req("service", Enum),
        // Broadband and fixed lines need a place; mobile rows do not, so the
        // header may lack both (rows then get missing_field).
        ADDRESS = opt("address", Address),
        DIVISION = opt("division", Division),
        START_DATE = req("start_date", Date),
        END_DATE = opt("end_date", Date),
    }
    Utility utility "水电气" 'U' required: true strong: false {
        RECORD_ID = req("record_id", RecordId),
        ACCOUNT_HOLDER_ID = req("account_holder_id", Person),
        SERVICE = req("service", Enum),
        ADDRESS = pair("address", "division", Address),
        DIVISION = pair("division", "address", Division),
        PERIOD_START = req("period_start", Date),
        PERIOD_END = req("period_end", Date),
        USAGE = req("usage", Number),
    }
}

impl SourceKind {
    /// The source whose [`SourceKind::name`] is `name` (`lease`); `None` for an unknown name.
    pub fn from_name(name: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Bit for this source in a `u16` set of sources.
    pub fn bit(self) -> u16 {
        1 << (self as u16)
    }

    /// Names of the sources in a bit set, sorted (the enum order is name order).
    pub fn names_in(mask: u16) -> impl Iterator<Item = &'static str> {
        SourceKind::ALL
            .into_iter()
            .filter(move |s| mask & s.bit() != 0)
            .map(SourceKind::name)
    }

    /// Index of the field that names the row's person.
    pub fn person_field(self) -> usize {
        self.fields()
            .iter()
            .position(|f| f.kind == Person)
            .expect("every feed names a person")
    }

    /// Index of a canonical field in [`SourceKind::fields`].
    pub fn field_index(self, name: &str) -> Option<usize> {
        self.fields().iter().position(|f| f.name == name)
    }
}

impl fmt::Display for SourceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enum_order_is_name_order() {
        let mut names: Vec<_> = SourceKind::ALL.iter().map(|s| s.name()).collect();
        let before = names.clone();
        names.sort_unstable();
        assert_eq!(names, before);
    }

    #[test]
    fn grid_letters_are_distinct() {
        let letters: std::collections::BTreeSet<char> =
            SourceKind::ALL.iter().map(|s| s.letter()).collect();
        assert_eq!(letters.len(), SourceKind::ALL.len());
    }

    #[test]
    fn every_feed_names_one_person() {
        for s in SourceKind::ALL {
            assert_eq!(
                s.fields().iter().filter(|f| f.kind == Person).count(),
                1,
                "{s}"
            );
        }
        assert_eq!(SourceKind::Hukou.person_field(), 0);
        assert_eq!(
            SourceKind::Shopping.fields()[SourceKind::Shopping.person_field()].name,
            "buyer_id_number"
        );
        let strong: Vec<_> = SourceKind::ALL
            .into_iter()
            .filter(|s| s.is_strong())
            .map(SourceKind::name)
            .collect();
        assert_eq!(
            strong,
            [
                "business_license",
                "employment_school",
                "labor_contract",
                "lease",
                "social_insurance"
            ]
        );
    }

    #[test]
    fn names_round_trip_and_bits_are_distinct() {
        let mut seen = 0u16;
        for s in SourceKind::ALL {
            assert_eq!(SourceKind::from_name(s.name()), Some(s));
            assert_eq!(seen & s.bit(), 0);
            seen |= s.bit();
        }
        let mask = SourceKind::Utility.bit() | SourceKind::Lease.bit();
        assert_eq!(
            SourceKind::names_in(mask).collect::<Vec<_>>(),
            ["lease", "utility"]
        );
    }
}
