//! The ten feeds of SPEC §4: their names and canonical fields, in the order the spec lists them.

use std::fmt;

/// One feed. Variants are declared in alphabetical order of their names so that
/// `Ord` on the enum equals `Ord` on the names (outputs sort by source name).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    BusinessLicense,
    EmploymentSchool,
    Hukou,
    LaborContract,
    Lease,
    Pledge,
    Shopping,
    SocialInsurance,
    Telecom,
    Utility,
}

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

/// A canonical field of a feed.
#[derive(Clone, Copy, Debug)]
pub struct Field {
    pub name: &'static str,
    pub column: Column,
    /// The row's person: an ID number (SPEC §4 "every person column").
    pub person: bool,
}

const fn req(name: &'static str) -> Field {
    Field {
        name,
        column: Column::Required,
        person: false,
    }
}
const fn pair(name: &'static str, partner: &'static str) -> Field {
    Field {
        name,
        column: Column::Paired { partner },
        person: false,
    }
}
const fn opt(name: &'static str) -> Field {
    Field {
        name,
        column: Column::Optional,
        person: false,
    }
}

impl Field {
    /// This field names the row's person.
    const fn person(self) -> Field {
        Field {
            person: true,
            ..self
        }
    }
}

const SOCIAL_INSURANCE: &[Field] = &[
    req("record_id"),
    req("id_number").person(),
    opt("name"),
    req("pay_month"),
    req("division"),
    opt("insurance_type"),
];
const LEASE: &[Field] = &[
    req("record_id"),
    req("tenant_id_number").person(),
    opt("tenant_name"),
    pair("address", "division"),
    pair("division", "address"),
    req("start_date"),
    opt("end_date"),
    opt("filed_date"),
    opt("terminated_date"),
];
const UTILITY: &[Field] = &[
    req("record_id"),
    req("account_holder_id").person(),
    req("service"),
    pair("address", "division"),
    pair("division", "address"),
    req("period_start"),
    req("period_end"),
    req("usage"),
];
const TELECOM: &[Field] = &[
    req("record_id"),
    req("subscriber_id").person(),
    req("phone"),
    req("service"),
    opt("address"),
    opt("division"),
    req("start_date"),
    opt("end_date"),
];
const SHOPPING: &[Field] = &[
    req("order_id"),
    pair("buyer_id_number", "phone").person(),
    pair("phone", "buyer_id_number"),
    pair("address", "division"),
    pair("division", "address"),
    req("delivered_at"),
];
const EMPLOYMENT_SCHOOL: &[Field] = &[
    req("record_id"),
    req("id_number").person(),
    req("kind"),
    opt("unit_name"),
    req("division"),
    req("start_date"),
    opt("end_date"),
];
const LABOR_CONTRACT: &[Field] = &[
    req("record_id"),
    req("employee_id_number").person(),
    opt("employer_name"),
    req("division"),
    req("start_date"),
    opt("end_date"),
];
const BUSINESS_LICENSE: &[Field] = &[
    req("record_id"),
    req("holder_id_number").person(),
    opt("business_name"),
    pair("address", "division"),
    pair("division", "address"),
    req("registered_date"),
    opt("deregistered_date"),
];
const PLEDGE: &[Field] = &[
    req("record_id"),
    req("id_number").person(),
    opt("name"),
    req("division"),
    req("declared_since"),
    req("signed_date"),
];
const HUKOU: &[Field] = &[req("id_number").person(), req("hukou_division")];

impl SourceKind {
    pub const ALL: [SourceKind; 10] = [
        SourceKind::BusinessLicense,
        SourceKind::EmploymentSchool,
        SourceKind::Hukou,
        SourceKind::LaborContract,
        SourceKind::Lease,
        SourceKind::Pledge,
        SourceKind::Shopping,
        SourceKind::SocialInsurance,
        SourceKind::Telecom,
        SourceKind::Utility,
    ];

    pub fn name(self) -> &'static str {
        match self {
            SourceKind::BusinessLicense => "business_license",
            SourceKind::EmploymentSchool => "employment_school",
            SourceKind::Hukou => "hukou",
            SourceKind::LaborContract => "labor_contract",
            SourceKind::Lease => "lease",
            SourceKind::Pledge => "pledge",
            SourceKind::Shopping => "shopping",
            SourceKind::SocialInsurance => "social_insurance",
            SourceKind::Telecom => "telecom",
            SourceKind::Utility => "utility",
        }
    }

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

    /// Canonical fields in the spec's column order; field checks run in this order.
    pub fn fields(self) -> &'static [Field] {
        match self {
            SourceKind::SocialInsurance => SOCIAL_INSURANCE,
            SourceKind::Lease => LEASE,
            SourceKind::Utility => UTILITY,
            SourceKind::Telecom => TELECOM,
            SourceKind::Shopping => SHOPPING,
            SourceKind::EmploymentSchool => EMPLOYMENT_SCHOOL,
            SourceKind::LaborContract => LABOR_CONTRACT,
            SourceKind::BusinessLicense => BUSINESS_LICENSE,
            SourceKind::Pledge => PLEDGE,
            SourceKind::Hukou => HUKOU,
        }
    }

    /// The feed's name in SPEC §4, in Chinese.
    pub fn chinese(self) -> &'static str {
        match self {
            SourceKind::SocialInsurance => "医社保缴纳",
            SourceKind::Lease => "租赁合同登记备案",
            SourceKind::Utility => "水电气",
            SourceKind::Telecom => "电话宽带",
            SourceKind::Shopping => "网购",
            SourceKind::EmploymentSchool => "就学就业登记",
            SourceKind::LaborContract => "劳动合同",
            SourceKind::BusinessLicense => "市场主体营业执照",
            SourceKind::Pledge => "个人承诺",
            SourceKind::Hukou => "户籍",
        }
    }

    /// One letter standing for the feed in a month grid (`residence explain`).
    pub fn letter(self) -> char {
        match self {
            SourceKind::SocialInsurance => 'S',
            SourceKind::Lease => 'L',
            SourceKind::Utility => 'U',
            SourceKind::Telecom => 'T',
            SourceKind::Shopping => 'O',
            SourceKind::EmploymentSchool => 'E',
            SourceKind::LaborContract => 'C',
            SourceKind::BusinessLicense => 'B',
            SourceKind::Pledge => 'P',
            SourceKind::Hukou => 'H',
        }
    }

    /// Whether the pipeline requires this source unless it says
    /// `required = false` (SPEC §2): every source but pledges and hukou.
    pub fn required_by_default(self) -> bool {
        !matches!(self, SourceKind::Pledge | SourceKind::Hukou)
    }

    /// Index of the field that names the row's person.
    pub fn person_field(self) -> usize {
        self.fields()
            .iter()
            .position(|f| f.person)
            .expect("every feed names a person")
    }

    /// Whether evidence from this source is strong (SPEC §7 `strong_days`):
    /// an official registration or contribution, not consumption.
    pub fn is_strong(self) -> bool {
        matches!(
            self,
            SourceKind::SocialInsurance
                | SourceKind::Lease
                | SourceKind::EmploymentSchool
                | SourceKind::LaborContract
                | SourceKind::BusinessLicense
        )
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
            assert_eq!(s.fields().iter().filter(|f| f.person).count(), 1, "{s}");
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
