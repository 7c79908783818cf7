//! Generation profiles: the synthetic default mix, and `agency`, a night
//! shaped like the extracts agencies really send (issue 14): shopping the
//! largest feed with free-text addresses and phone-only orders, a fifth of
//! the persons living elsewhere in Fujian, every date and month form, quoted
//! telecom timestamps, CRLF and a BOM, blank lines, two or more files per
//! source and one 0-byte file.
//!
//! The default profile draws exactly what it drew before profiles existed,
//! so a seed's default night stays byte for byte the same.

use rand::Rng;
use serde::{Deserialize, Serialize};

use super::model::Source;
use super::text::{DateStyle, MonthStyle, date_style, datetime_style, month_style};

/// Which mix of records `generate` writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The synthetic mix the engine was first tuned on.
    #[default]
    Default,
    /// Shaped like real agency extracts.
    Agency,
}

/// Every plain-date form of SPEC §3, with and without times and zones.
const ALL_DATE_STYLES: [DateStyle; 10] = [
    DateStyle::Iso,
    DateStyle::IsoShort,
    DateStyle::Slash,
    DateStyle::Compact,
    DateStyle::Chinese,
    DateStyle::IsoTime,
    DateStyle::IsoOffset,
    DateStyle::SlashTime,
    DateStyle::IsoZ,
    DateStyle::IsoFrac,
];

/// Every month form of SPEC §3.
const ALL_MONTH_STYLES: [MonthStyle; 5] = [
    MonthStyle::Dash2,
    MonthStyle::Dash1,
    MonthStyle::Slash,
    MonthStyle::Compact,
    MonthStyle::Chinese,
];

/// How one source's records are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RowStyle {
    /// Every field in double quotes (one agency's export tool does this).
    pub quote_all: bool,
    /// Records end in CR LF.
    pub crlf: bool,
}

impl Profile {
    /// The profile named on the command line.
    pub fn from_name(name: &str) -> Option<Profile> {
        match name {
            "default" => Some(Profile::Default),
            "agency" => Some(Profile::Agency),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Default => "default",
            Profile::Agency => "agency",
        }
    }

    fn agency(self) -> bool {
        self == Profile::Agency
    }

    /// A form for a plain date column.
    pub(crate) fn date_style<R: Rng>(self, rng: &mut R) -> DateStyle {
        if self.agency() {
            any(rng, &ALL_DATE_STYLES)
        } else {
            date_style(rng)
        }
    }

    /// A form for a time-stamp column (`delivered_at`).
    pub(crate) fn datetime_style<R: Rng>(self, rng: &mut R) -> DateStyle {
        if self.agency() {
            any(rng, &ALL_DATE_STYLES)
        } else {
            datetime_style(rng)
        }
    }

    /// A form for telecom's start and end: that agency writes time stamps.
    pub(crate) fn telecom_date_style<R: Rng>(self, rng: &mut R) -> DateStyle {
        if self.agency() {
            DateStyle::IsoTime
        } else {
            date_style(rng)
        }
    }

    /// A form for social insurance's `pay_month`.
    pub(crate) fn month_style<R: Rng>(self, rng: &mut R) -> MonthStyle {
        if self.agency() {
            any(rng, &ALL_MONTH_STYLES)
        } else {
            month_style(rng)
        }
    }

    /// Per mille of ID numbers written as 15 digits, full-width, and padded
    /// with spaces (cumulative thresholds).
    pub(crate) fn id_forms(self) -> [u32; 3] {
        if self.agency() {
            [40, 70, 80]
        } else {
            [20, 24, 30]
        }
    }

    /// Per mille of mobile numbers written as plain eleven digits; the rest
    /// take the spaced, `+86` and hyphenated forms.
    pub(crate) fn plain_mobile_per_mille(self) -> u32 {
        if self.agency() { 450 } else { 850 }
    }

    /// Per mille of mobile numbers written with spaces only (`133 8018 4545`).
    pub(crate) fn spaced_mobile_per_mille(self) -> u32 {
        if self.agency() { 200 } else { 0 }
    }

    /// Person patterns' cumulative percentages: settled, newcomer, mover,
    /// leaver, outsider (the rest are drifters).
    pub(crate) fn patterns(self) -> [u32; 5] {
        if self.agency() {
            // A fifth live in other Fujian cities.
            [47, 57, 66, 76, 93]
        } else {
            [50, 62, 72, 82, 94]
        }
    }

    /// Online orders per year by cumulative percentage of persons.
    pub(crate) fn orders(self) -> [(u32, u32); 4] {
        if self.agency() {
            [(15, 0), (50, 4), (80, 10), (100, 36)]
        } else {
            [(20, 0), (60, 3), (90, 8), (100, 24)]
        }
    }

    /// Share of persons who often order with their phone only.
    pub(crate) fn phone_shopper(self) -> f64 {
        if self.agency() { 0.5 } else { 0.4 }
    }

    /// Share of persons billed for a household's utilities.
    pub(crate) fn household(self) -> f64 {
        if self.agency() { 0.3 } else { 0.42 }
    }

    /// Share of each utility service (electricity, water, gas) a household has.
    pub(crate) fn utility_services(self) -> [(u8, f64); 3] {
        if self.agency() {
            [(0, 0.95), (1, 0.5), (2, 0.2)]
        } else {
            [(0, 0.95), (1, 0.75), (2, 0.35)]
        }
    }

    /// Share of a source's placed records that carry a division code only;
    /// most of the rest carry a free-text address only.
    pub(crate) fn division_share(self, source: Source) -> f64 {
        match (self, source) {
            (Profile::Agency, Source::Shopping | Source::Utility) => 0.1,
            (_, Source::Shopping) => 0.3,
            (_, Source::Utility) => 0.25,
            _ => 0.65,
        }
    }

    /// Per mille of records followed by a blank line.
    pub(crate) fn blank_lines_per_mille(self) -> u32 {
        if self.agency() { 2 } else { 0 }
    }

    /// How a source's records are written.
    pub(crate) fn row_style(self, source: Source) -> RowStyle {
        RowStyle {
            quote_all: self.agency() && source == Source::Telecom,
            crlf: self.agency() && source == Source::Utility,
        }
    }

    /// At least this many files per source (chunks are dealt out in order).
    pub(crate) fn min_files(self) -> u64 {
        if self.agency() { 2 } else { 1 }
    }

    /// Whether the first file of `source` starts with a UTF-8 BOM.
    pub(crate) fn bom(self, source: Source) -> bool {
        self.agency() && source == Source::Utility
    }

    /// A 0-byte file the night also holds (path under the feed root).
    pub(crate) fn empty_file(self) -> Option<&'static str> {
        self.agency().then_some("pledge/part-empty.csv")
    }
}

/// One of `all`, uniformly (the agency profile writes every form alike).
fn any<T: Copy, R: Rng>(rng: &mut R, all: &[T]) -> T {
    all[rng.gen_range(0..all.len())]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_thresholds_rise() {
        for p in [Profile::Default, Profile::Agency] {
            assert_eq!(Profile::from_name(p.name()), Some(p));
            assert!(p.patterns().windows(2).all(|w| w[0] < w[1]));
            assert!(p.id_forms().windows(2).all(|w| w[0] < w[1]));
            assert_eq!(p.orders()[3].0, 100);
        }
        assert_eq!(Profile::from_name("other"), None);
        assert_eq!(
            serde_json::to_string(&Profile::Agency).expect("json"),
            "\"agency\""
        );
    }
}
