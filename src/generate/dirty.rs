//! Defects: each dirty record gets exactly one, chosen so that its reason is
//! the first that applies under SPEC §5; and the harmless edits that make an
//! earlier, superseded version of a re-sent record differ from the last one.
use chrono::NaiveDate;
use rand::Rng;

use super::feeds::{Gen, Meta, SPECIAL_SLOTS};
use super::ids::{ORPHAN_PHONE_BASE, SHARED_PHONE_BASE, push_bad_id, push_bad_phone};
use super::model::{Kind, Outcome, Source};
use super::population::{days_after, days_before};
use super::row::Malformed;
use super::text::{
    BAD_DATES, BAD_MONTHS, DateStyle, date_style, push_date, push_month, push_pad, push_u64,
    quanzhou_place,
};
use crate::rules::reason::Reason;

const BAD_DIVISIONS: [&str; 7] = [
    "350000", "990502", "35050", "3505021", "35O502", "000000", "110000",
];
const BAD_NUMBERS: [&str; 7] = ["1,234.5", "NaN", "inf", "-12.5", "abc", "12..5", "1e"];
const BLANKS: [&str; 3] = ["", "  ", "\u{3000}"];
/// Bytes that are not UTF-8.
const NOT_UTF8: [&[u8]; 3] = [b"\xC4\xFE", b"\xFF", b"\xB2\xBB\xCF"];

impl Gen<'_> {
    /// Gives `self.row` one defect; returns its reason.
    pub(crate) fn defect(&mut self, src: Source, meta: &Meta) -> Reason {
        let has = |k| src.col_of(k).is_some();
        let mut cands = Vec::with_capacity(14);
        cands.extend([
            Reason::MalformedRow,
            Reason::MissingField,
            Reason::InvalidIdNumber,
            Reason::InvalidDivision,
        ]);
        if has(Kind::Date) || has(Kind::Month) {
            cands.push(Reason::InvalidDate);
        }
        if has(Kind::Phone) {
            cands.push(Reason::InvalidPhone);
        }
        if has(Kind::Number) {
            cands.push(Reason::InvalidNumber);
        }
        if has(Kind::Enum) || meta.pledge.is_some() {
            cands.push(Reason::InvalidValue);
        }
        if meta.ebs.is_some() {
            cands.push(Reason::EndBeforeStart);
        }
        if meta.place {
            cands.extend([Reason::UnresolvedAddress, Reason::AmbiguousAddress]);
        }
        if meta.delivery.is_some() {
            cands.extend([Reason::UnresolvedIdentity, Reason::AmbiguousIdentity]);
        }
        let r = cands[self.rng.gen_range(0..cands.len())];
        self.apply(src, meta, r)
    }

    fn col(src: Source, kind: Kind) -> usize {
        src.col_of(kind).unwrap_or(0)
    }

    fn apply(&mut self, src: Source, meta: &Meta, r: Reason) -> Reason {
        let as_of = self.ctx.as_of;
        match r {
            Reason::MalformedRow => match self.rng.gen_range(0..3u32) {
                0 => self.row.malformed = Some(Malformed::ExtraField),
                1 => self.row.malformed = Some(Malformed::DropField),
                _ => {
                    let i = self.rng.gen_range(0..self.row.n);
                    let bad = NOT_UTF8[self.rng.gen_range(0..NOT_UTF8.len())];
                    self.row.f[i].extend_from_slice(bad);
                }
            },
            Reason::MissingField => {
                let cols = src.cols();
                let mut req: Vec<usize> = (0..cols.len()).filter(|&i| cols[i].required()).collect();
                if src == Source::Shopping {
                    req.push(usize::MAX);
                }
                let i = req[self.rng.gen_range(0..req.len())];
                let blank = BLANKS[self.rng.gen_range(0..BLANKS.len())].as_bytes();
                if i == usize::MAX {
                    self.row.set(1, blank);
                    self.row.set(2, b"");
                } else {
                    self.row.set(i, blank);
                }
            }
            Reason::InvalidIdNumber => {
                let i = Self::col(src, Kind::Person);
                self.row.f[i].clear();
                push_bad_id(
                    &mut self.rng,
                    &mut self.row.f[i],
                    &meta.person,
                    as_of,
                    src == Source::Hukou,
                );
            }
            Reason::InvalidDate => {
                let cols = src.cols();
                let cand: Vec<usize> = (0..cols.len())
                    .filter(|&i| {
                        matches!(cols[i].kind, Kind::Date | Kind::Month)
                            && (cols[i].required() || !self.row.f[i].is_empty())
                    })
                    .collect();
                let i = cand[self.rng.gen_range(0..cand.len())];
                let text = if cols[i].kind == Kind::Month {
                    BAD_MONTHS[self.rng.gen_range(0..BAD_MONTHS.len())]
                } else {
                    BAD_DATES[self.rng.gen_range(0..BAD_DATES.len())]
                };
                self.row.set(i, text.as_bytes());
            }
            Reason::InvalidDivision => {
                let text = BAD_DIVISIONS[self.rng.gen_range(0..BAD_DIVISIONS.len())];
                self.row
                    .set(Self::col(src, Kind::Division), text.as_bytes());
            }
            Reason::InvalidPhone => {
                let i = Self::col(src, Kind::Phone);
                self.row.f[i].clear();
                push_bad_phone(&mut self.rng, &mut self.row.f[i], meta.phone);
            }
            Reason::InvalidNumber => {
                let text = BAD_NUMBERS[self.rng.gen_range(0..BAD_NUMBERS.len())];
                self.row.set(Self::col(src, Kind::Number), text.as_bytes());
            }
            Reason::InvalidValue => {
                if let Some((col, signed)) = meta.pledge {
                    let declared = days_after(signed, self.rng.gen_range(1..300));
                    self.row.f[col].clear();
                    let style = date_style(&mut self.rng);
                    push_date(&mut self.row.f[col], declared, style, 36_000);
                } else {
                    let values: &[&str] = match src {
                        Source::Utility => &["heating", "sewage", "水费", "internet"],
                        Source::Telecom => &["satellite", "iptv", "5g", "座机"],
                        _ => &["intern", "retired", "军人"],
                    };
                    let text = values[self.rng.gen_range(0..values.len())];
                    self.row.set(Self::col(src, Kind::Enum), text.as_bytes());
                }
            }
            Reason::EndBeforeStart => {
                if let Some((col, start)) = meta.ebs {
                    let end = days_before(start, self.rng.gen_range(1..400));
                    self.row.f[col].clear();
                    let style = date_style(&mut self.rng);
                    push_date(&mut self.row.f[col], end, style, 36_000);
                }
            }
            Reason::UnresolvedAddress | Reason::AmbiguousAddress => {
                let a = Self::col(src, Kind::Address);
                self.row.set(Self::col(src, Kind::Division), b"");
                self.row.f[a].clear();
                if r == Reason::UnresolvedAddress {
                    super::text::unresolved_address(&mut self.rng, &mut self.row.f[a]);
                } else {
                    super::text::ambiguous_address(&mut self.rng, &mut self.row.f[a]);
                }
            }
            Reason::UnresolvedIdentity => {
                if self.orphans_used >= SPECIAL_SLOTS {
                    return self.apply(src, meta, Reason::MissingField);
                }
                let phone = ORPHAN_PHONE_BASE + self.chunk * SPECIAL_SLOTS + self.orphans_used;
                self.orphans_used += 1;
                self.phone_only(phone);
            }
            Reason::AmbiguousIdentity => {
                let Some(day) = meta.delivery else {
                    return self.apply(src, meta, Reason::MissingField);
                };
                if self.shared_used >= SPECIAL_SLOTS || self.ghosts_used + 2 > SPECIAL_SLOTS {
                    return self.apply(src, meta, Reason::UnresolvedIdentity);
                }
                let phone = SHARED_PHONE_BASE + self.chunk * SPECIAL_SLOTS + self.shared_used;
                self.shared_used += 1;
                self.phone_only(phone);
                self.ghost_line(phone, day);
                self.ghost_line(phone, day);
            }
            _ => {}
        }
        // SPEC §5 step 6 applies only up to the as-of: a phone-only delivery
        // after it is filtered `after_as_of` in step 7 instead.
        if matches!(r, Reason::UnresolvedIdentity | Reason::AmbiguousIdentity)
            && meta.delivery.is_some_and(|d| d > as_of)
        {
            return Reason::AfterAsOf;
        }
        r
    }

    /// Shopping: no buyer ID, only `phone`.
    fn phone_only(&mut self, phone: u64) {
        self.row.set(1, b"");
        self.row.f[2].clear();
        self.mobile(2, phone);
    }

    /// A mobile line of a ghost subscriber (no other records) whose interval
    /// contains `day`: written at once, filtered `no_location`.
    fn ghost_line(&mut self, phone: u64, day: NaiveDate) {
        let k = self.ghosts_used;
        self.ghosts_used += 1;
        let id = self
            .ctx
            .ids
            .id18(self.ctx.persons + self.chunk * SPECIAL_SLOTS + k);
        let start = days_before(day, self.rng.gen_range(30..2000));
        let end = days_after(day, self.rng.gen_range(1..400));
        let style = date_style(&mut self.rng);
        let chunk = self.chunk;
        let row = &mut self.ghost;
        row.start(8);
        row.f[0].extend_from_slice(b"DXG");
        push_pad(&mut row.f[0], chunk, 7);
        push_pad(&mut row.f[0], k, 4);
        row.f[1].extend_from_slice(&id);
        push_u64(&mut row.f[2], phone);
        row.f[3].extend_from_slice(b"mobile");
        push_date(&mut row.f[6], start, style, 43_200);
        push_date(&mut row.f[7], end, style, 43_200);
        self.put(Source::Telecom, true, Outcome::Not(Reason::NoLocation));
    }

    /// Edits `self.old`, an earlier version of a re-sent record: identical,
    /// another valid value, or a field error that the re-send corrected. The
    /// key (column 0) and the field count stay.
    pub(crate) fn mutate_old(&mut self, src: Source) {
        let cols = src.cols();
        let fix = self.rng.gen_range(0..3u32);
        if fix == 0 {
            return;
        }
        let cand: Vec<usize> = (1..cols.len())
            .filter(|&i| {
                matches!(
                    cols[i].kind,
                    Kind::Date
                        | Kind::Month
                        | Kind::Number
                        | Kind::Division
                        | Kind::Enum
                        | Kind::Phone
                ) && !self.old.f[i].is_empty()
            })
            .collect();
        if cand.is_empty() {
            return;
        }
        let i = cand[self.rng.gen_range(0..cand.len())];
        let kind = cols[i].kind;
        let f = &mut self.old.f[i];
        f.clear();
        if fix == 1 {
            let day = days_before(self.ctx.as_of, self.rng.gen_range(0..2000));
            match kind {
                Kind::Date => push_date(f, day, DateStyle::Iso, 0),
                Kind::Month => push_month(f, day, super::text::MonthStyle::Dash2),
                Kind::Number => push_u64(f, self.rng.gen_range(1..500)),
                Kind::Division => push_u64(f, u64::from(quanzhou_place(&mut self.rng).code)),
                Kind::Enum => f.extend_from_slice(b"unknown"),
                _ => f.extend_from_slice(b"13800000000"),
            }
        } else {
            let text = match kind {
                Kind::Date => BAD_DATES[self.rng.gen_range(0..BAD_DATES.len())],
                Kind::Month => BAD_MONTHS[self.rng.gen_range(0..BAD_MONTHS.len())],
                Kind::Number => "NaN",
                Kind::Division => "350000",
                Kind::Enum => "",
                _ => "未知",
            };
            f.extend_from_slice(text.as_bytes());
        }
    }
}
