//! Sources, their default headers and column kinds, row outcomes and tallies.
use crate::rules::reason::Reason;

/// The ten feeds, in the order the summary and the writers use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    SocialInsurance,
    Lease,
    Utility,
    Telecom,
    Shopping,
    EmploymentSchool,
    LaborContract,
    BusinessLicense,
    Pledge,
    Hukou,
}

pub(crate) const SOURCES: [Source; 10] = [
    Source::SocialInsurance,
    Source::Lease,
    Source::Utility,
    Source::Telecom,
    Source::Shopping,
    Source::EmploymentSchool,
    Source::LaborContract,
    Source::BusinessLicense,
    Source::Pledge,
    Source::Hukou,
];

/// What a column holds, for the defect injector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    RecordId,
    Person,
    Name,
    Text,
    Date,
    Month,
    Division,
    Address,
    Phone,
    Enum,
    Number,
}

/// One column of a default header.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Col {
    pub name: &'static str,
    pub kind: Kind,
    /// Required on its own (`*`); `a|d` columns and shopping's buyer/phone pair are not.
    pub required: bool,
}

const fn c(name: &'static str, kind: Kind, required: bool) -> Col {
    Col {
        name,
        kind,
        required,
    }
}

const SOCIAL: [Col; 6] = [
    c("record_id", Kind::RecordId, true),
    c("id_number", Kind::Person, true),
    c("name", Kind::Name, false),
    c("pay_month", Kind::Month, true),
    c("division", Kind::Division, true),
    c("insurance_type", Kind::Text, false),
];
const LEASE: [Col; 9] = [
    c("record_id", Kind::RecordId, true),
    c("tenant_id_number", Kind::Person, true),
    c("tenant_name", Kind::Name, false),
    c("address", Kind::Address, false),
    c("division", Kind::Division, false),
    c("start_date", Kind::Date, true),
    c("end_date", Kind::Date, false),
    c("filed_date", Kind::Date, false),
    c("terminated_date", Kind::Date, false),
];
const UTILITY: [Col; 8] = [
    c("record_id", Kind::RecordId, true),
    c("account_holder_id", Kind::Person, true),
    c("service", Kind::Enum, true),
    c("address", Kind::Address, false),
    c("division", Kind::Division, false),
    c("period_start", Kind::Date, true),
    c("period_end", Kind::Date, true),
    c("usage", Kind::Number, true),
];
const TELECOM: [Col; 8] = [
    c("record_id", Kind::RecordId, true),
    c("subscriber_id", Kind::Person, true),
    c("phone", Kind::Phone, true),
    c("service", Kind::Enum, true),
    c("address", Kind::Address, false),
    c("division", Kind::Division, false),
    c("start_date", Kind::Date, true),
    c("end_date", Kind::Date, false),
];
const SHOPPING: [Col; 6] = [
    c("order_id", Kind::RecordId, true),
    c("buyer_id_number", Kind::Person, false),
    c("phone", Kind::Phone, false),
    c("address", Kind::Address, false),
    c("division", Kind::Division, false),
    c("delivered_at", Kind::Date, true),
];
const EMPLOYMENT: [Col; 7] = [
    c("record_id", Kind::RecordId, true),
    c("id_number", Kind::Person, true),
    c("kind", Kind::Enum, true),
    c("unit_name", Kind::Text, false),
    c("division", Kind::Division, true),
    c("start_date", Kind::Date, true),
    c("end_date", Kind::Date, false),
];
const LABOR: [Col; 6] = [
    c("record_id", Kind::RecordId, true),
    c("employee_id_number", Kind::Person, true),
    c("employer_name", Kind::Text, false),
    c("division", Kind::Division, true),
    c("start_date", Kind::Date, true),
    c("end_date", Kind::Date, false),
];
const BUSINESS: [Col; 7] = [
    c("record_id", Kind::RecordId, true),
    c("holder_id_number", Kind::Person, true),
    c("business_name", Kind::Text, false),
    c("address", Kind::Address, false),
    c("division", Kind::Division, false),
    c("registered_date", Kind::Date, true),
    c("deregistered_date", Kind::Date, false),
];
const PLEDGE: [Col; 6] = [
    c("record_id", Kind::RecordId, true),
    c("id_number", Kind::Person, true),
    c("name", Kind::Name, false),
    c("division", Kind::Division, true),
    c("declared_since", Kind::Date, true),
    c("signed_date", Kind::Date, true),
];
const HUKOU: [Col; 2] = [
    c("id_number", Kind::Person, true),
    c("hukou_division", Kind::Division, true),
];

/// The most columns any source has.
pub(crate) const MAX_COLS: usize = 9;

impl Source {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// Folder name under the feed root.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Source::SocialInsurance => "social_insurance",
            Source::Lease => "lease",
            Source::Utility => "utility",
            Source::Telecom => "telecom",
            Source::Shopping => "shopping",
            Source::EmploymentSchool => "employment_school",
            Source::LaborContract => "labor_contract",
            Source::BusinessLicense => "business_license",
            Source::Pledge => "pledge",
            Source::Hukou => "hukou",
        }
    }

    /// The default header of SPEC §4, in column order.
    pub(crate) fn cols(self) -> &'static [Col] {
        match self {
            Source::SocialInsurance => &SOCIAL,
            Source::Lease => &LEASE,
            Source::Utility => &UTILITY,
            Source::Telecom => &TELECOM,
            Source::Shopping => &SHOPPING,
            Source::EmploymentSchool => &EMPLOYMENT,
            Source::LaborContract => &LABOR,
            Source::BusinessLicense => &BUSINESS,
            Source::Pledge => &PLEDGE,
            Source::Hukou => &HUKOU,
        }
    }

    /// The header line, LF-terminated.
    pub(crate) fn header_line(self) -> String {
        let names: Vec<&str> = self.cols().iter().map(|c| c.name).collect();
        let mut s = names.join(",");
        s.push('\n');
        s
    }

    /// Index of the first column of `kind`.
    pub(crate) fn col_of(self, kind: Kind) -> Option<usize> {
        self.cols().iter().position(|c| c.kind == kind)
    }
}

/// Every reason, in SPEC order; tallies index into this.
pub(crate) const REASONS: [Reason; 19] = Reason::ALL;

/// A reason's position in [`REASONS`]: `Reason` is `repr(u8)` in that order.
pub(crate) fn reason_index(r: Reason) -> usize {
    r as usize
}

/// What the pipeline will do with one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Accepted,
    Not(Reason),
}

impl Outcome {
    /// Whether a telecom row with this outcome passed steps 1–4 of §5
    /// (and so names a phone owner for step 6).
    pub(crate) fn passes_fields(self) -> bool {
        match self {
            Outcome::Accepted => true,
            Outcome::Not(r) => matches!(
                r,
                Reason::UnresolvedAddress
                    | Reason::AmbiguousAddress
                    | Reason::UnresolvedIdentity
                    | Reason::AmbiguousIdentity
                    | Reason::NotFiled
                    | Reason::ZeroUsage
                    | Reason::NoLocation
                    | Reason::AfterAsOf
                    | Reason::OutOfScope
            ),
        }
    }
}

/// Counts for one source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub rows: u64,
    pub accepted: u64,
    pub reasons: [u64; 19],
}

impl Tally {
    pub(crate) fn add(&mut self, o: Outcome) {
        self.rows += 1;
        match o {
            Outcome::Accepted => self.accepted += 1,
            Outcome::Not(r) => self.reasons[reason_index(r)] += 1,
        }
    }

    pub(crate) fn merge(&mut self, other: &Tally) {
        self.rows += other.rows;
        self.accepted += other.accepted;
        for (a, b) in self.reasons.iter_mut().zip(other.reasons.iter()) {
            *a += b;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reason_indices_match_table() {
        for (i, r) in REASONS.iter().enumerate() {
            assert_eq!(reason_index(*r), i);
        }
    }

    #[test]
    fn headers_follow_spec() {
        assert_eq!(
            Source::Lease.header_line(),
            "record_id,tenant_id_number,tenant_name,address,division,start_date,end_date,filed_date,terminated_date\n"
        );
        assert_eq!(Source::Hukou.header_line(), "id_number,hukou_division\n");
        assert!(SOURCES.iter().all(|s| s.cols().len() <= MAX_COLS));
        for (i, s) in SOURCES.iter().enumerate() {
            assert_eq!(s.index(), i);
        }
    }

    #[test]
    fn fields_pass_excludes_rejects() {
        assert!(Outcome::Accepted.passes_fields());
        assert!(Outcome::Not(Reason::NoLocation).passes_fields());
        assert!(!Outcome::Not(Reason::Superseded).passes_fields());
        assert!(!Outcome::Not(Reason::InvalidPhone).passes_fields());
        assert!(!Outcome::Not(Reason::EndBeforeStart).passes_fields());
    }
}
