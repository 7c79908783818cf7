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

/// Columns and their kinds come from the feed table (SPEC §4), so the
/// generator writes exactly the headers the validators read.
pub(crate) use crate::pipeline::source::{Field as Col, Kind, MAX_FIELDS as MAX_COLS, SourceKind};

impl Source {
    pub(crate) fn index(self) -> usize {
        self as usize
    }

    /// The feed this source writes.
    pub(crate) fn kind(self) -> SourceKind {
        match self {
            Source::SocialInsurance => SourceKind::SocialInsurance,
            Source::Lease => SourceKind::Lease,
            Source::Utility => SourceKind::Utility,
            Source::Telecom => SourceKind::Telecom,
            Source::Shopping => SourceKind::Shopping,
            Source::EmploymentSchool => SourceKind::EmploymentSchool,
            Source::LaborContract => SourceKind::LaborContract,
            Source::BusinessLicense => SourceKind::BusinessLicense,
            Source::Pledge => SourceKind::Pledge,
            Source::Hukou => SourceKind::Hukou,
        }
    }

    /// Folder name under the feed root.
    pub(crate) fn name(self) -> &'static str {
        self.kind().name()
    }

    /// The default header of SPEC §4, in column order.
    pub(crate) fn cols(self) -> &'static [Col] {
        self.kind().fields()
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
