//! Dates and months as the feeds write them, calendar-month arithmetic and Parquet day numbers.

use chrono::{Datelike, Months, NaiveDate};

use super::text;

/// 1970-01-01, day 0 of Parquet DATE.
pub const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => panic!("1970-01-01 is a valid date"),
};

/// `EPOCH.num_days_from_ce()`; kept as a constant so the conversions are a single addition.
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Days since 1970-01-01, the Parquet DATE representation.
pub fn to_epoch_days(d: NaiveDate) -> i32 {
    d.num_days_from_ce() - EPOCH_DAYS_FROM_CE
}

/// Inverse of [`to_epoch_days`]; saturates at chrono's representable range.
pub fn from_epoch_days(n: i32) -> NaiveDate {
    match n.checked_add(EPOCH_DAYS_FROM_CE) {
        Some(ce) => NaiveDate::from_num_days_from_ce_opt(ce).unwrap_or(if n < 0 {
            NaiveDate::MIN
        } else {
            NaiveDate::MAX
        }),
        None if n < 0 => NaiveDate::MIN,
        None => NaiveDate::MAX,
    }
}

/// [`from_epoch_days`] through a small direct-mapped table. A night's
/// evidence falls on a few thousand distinct days, and chrono's conversion
/// was a visible share of building timelines.
pub struct EpochDays {
    slots: Box<[(i32, NaiveDate)]>,
}

impl EpochDays {
    const SLOTS: usize = 4096;

    /// An empty table; every lookup computes its day once, then reuses it.
    pub fn new() -> Self {
        // Every slot starts as a true entry (i32::MIN), so no lookup can
        // return a date that was not computed for its own day number.
        EpochDays {
            slots: vec![(i32::MIN, from_epoch_days(i32::MIN)); Self::SLOTS].into_boxed_slice(),
        }
    }

    /// `from_epoch_days(n)`.
    #[inline]
    pub fn date(&mut self, n: i32) -> NaiveDate {
        let slot = &mut self.slots[n as u32 as usize % Self::SLOTS];
        if slot.0 != n {
            *slot = (n, from_epoch_days(n));
        }
        slot.1
    }
}

impl Default for EpochDays {
    fn default() -> Self {
        Self::new()
    }
}

/// The last day of the month containing `first` (any day of the month works).
pub fn month_last_day(first: NaiveDate) -> NaiveDate {
    first
        .with_day(u32::from(first.num_days_in_month()))
        .unwrap_or(first)
}

/// `n` calendar months after `d`, the day clamped to the target month's end
/// (2026-08-31 + 6 = 2027-02-28). Saturates at `NaiveDate::MAX`.
pub fn add_months(d: NaiveDate, n: u32) -> NaiveDate {
    checked_add_months(d, n).unwrap_or(NaiveDate::MAX)
}

/// [`add_months`] returning `None` past chrono's range instead of saturating.
/// chrono's month arithmetic clamps the day exactly as SPEC §6 counts months.
pub fn checked_add_months(d: NaiveDate, n: u32) -> Option<NaiveDate> {
    d.checked_add_months(Months::new(n))
}

/// A byte cursor for the small fixed grammars of dates and times.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor {
            b: s.as_bytes(),
            i: 0,
        }
    }

    fn at_end(&self) -> bool {
        self.i == self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.b[self.i..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }

    fn run_len(&self) -> usize {
        self.b[self.i..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    /// The whole run of digits here, which must be `min..=max` long.
    fn run(&mut self, min: usize, max: usize) -> Option<u32> {
        let n = self.run_len();
        if n < min || n > max {
            return None;
        }
        self.take(n)
    }

    /// Exactly `n` digits here (more may follow).
    fn take(&mut self, n: usize) -> Option<u32> {
        let digits = self.b.get(self.i..self.i + n)?;
        let mut v = 0u32;
        for &b in digits {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.i += n;
        Some(v)
    }

    /// Exactly `n` digits (possibly a prefix of a longer run) whose value is at most `max`.
    fn take_max(&mut self, n: usize, max: u32) -> Option<u32> {
        self.take(n).filter(|&v| v <= max)
    }
}

/// `H:MM[:SS[.fraction]]` then an optional `Z` or `±hh[[:]mm]`, to the end of the input.
fn parse_time_tail(c: &mut Cursor<'_>) -> Option<()> {
    c.run(1, 2).filter(|&h| h <= 23)?;
    if !c.eat(b':') {
        return None;
    }
    c.take_max(2, 59)?;
    if c.eat(b':') {
        c.take_max(2, 59)?;
        if c.eat(b'.') {
            c.run(1, usize::MAX)?;
        }
    }
    if c.eat(b'+') || c.eat(b'-') {
        c.take_max(2, 23)?;
        if c.eat(b':') || c.peek().is_some_and(|b| b.is_ascii_digit()) {
            c.take_max(2, 59)?;
        }
    } else {
        c.eat(b'Z');
    }
    c.at_end().then_some(())
}

/// `YYYY-M-D`, `YYYY/M/D`, `YYYYMMDD` or `YYYY年M月D日`, optionally followed by one space or
/// `T` and a time of day (validated, then ignored). Must be a real calendar date.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    let s = text::trim(raw);
    // The most common form, `YYYY-MM-DD` exactly, without the general walk.
    if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = s.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if digits.iter().all(u8::is_ascii_digit) {
            let v = |ds: &[u8]| ds.iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
            return NaiveDate::from_ymd_opt(
                v(&digits[..4]) as i32,
                v(&digits[4..6]),
                v(&digits[6..]),
            );
        }
    }
    parse_date_general(s)
}

/// Every form of [`parse_date`], on trimmed text.
fn parse_date_general(s: &str) -> Option<NaiveDate> {
    let mut c = Cursor::new(s);
    let (year, month, day) = match c.run_len() {
        4 => {
            let year = c.take(4)?;
            let (month, day) = match c.peek()? {
                sep @ (b'-' | b'/') => {
                    c.i += 1;
                    let month = c.run(1, 2)?;
                    if !c.eat(sep) {
                        return None;
                    }
                    (month, c.run(1, 2)?)
                }
                _ => {
                    if !c.eat_str("年") {
                        return None;
                    }
                    let month = c.run(1, 2)?;
                    if !c.eat_str("月") {
                        return None;
                    }
                    let day = c.run(1, 2)?;
                    if !c.eat_str("日") {
                        return None;
                    }
                    (month, day)
                }
            };
            (year, month, day)
        }
        8 => (c.take(4)?, c.take(2)?, c.take(2)?),
        _ => return None,
    };
    if !c.at_end() {
        if !(c.eat(b' ') || c.eat(b'T')) {
            return None;
        }
        parse_time_tail(&mut c)?;
    }
    NaiveDate::from_ymd_opt(year as i32, month, day)
}

/// `YYYY-M`, `YYYY/M`, `YYYYMM` or `YYYY年M月` (no time); returns the month's first day.
pub fn parse_month(raw: &str) -> Option<NaiveDate> {
    let mut c = Cursor::new(text::trim(raw));
    let (year, month) = match c.run_len() {
        4 => {
            let year = c.take(4)?;
            let month = if c.eat(b'-') || c.eat(b'/') {
                c.run(1, 2)?
            } else if c.eat_str("年") {
                let month = c.run(1, 2)?;
                if !c.eat_str("月") {
                    return None;
                }
                month
            } else {
                return None;
            };
            (year, month)
        }
        6 => (c.take(4)?, c.take(2)?),
        _ => return None,
    };
    if !c.at_end() {
        return None;
    }
    NaiveDate::from_ymd_opt(year as i32, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn date_forms() {
        let want = ymd(2026, 3, 5);
        for s in [
            "2026-03-05",
            "2026-3-5",
            "2026-03-5",
            "2026/3/05",
            "2026/03/05",
            "20260305",
            "2026年3月5日",
            "2026年03月05日",
            " 2026-03-05 ",
        ] {
            assert_eq!(parse_date(s), Some(want), "{s:?}");
        }
        assert_eq!(parse_date("2024-02-29"), Some(ymd(2024, 2, 29)));
    }

    #[test]
    fn date_with_time() {
        let want = ymd(2026, 3, 5);
        for s in [
            "2026-03-05 8:07",
            "2026-03-05 08:07",
            "2026-03-05T08:07",
            "2026-03-05T08:07:09",
            "2026-03-05T08:07:09.123Z",
            "2026-03-05T08:07:09.1",
            "2026-03-05 08:07:09+08:00",
            "2026-03-05 08:07:09+0800",
            "2026-03-05 08:07:09+08",
            "2026-03-05T23:59-05:30",
            "2026-03-05 0:00Z",
            "20260305 08:07",
            "20260305T08:07:09Z",
            "2026/3/5 8:07",
            "2026年3月5日 08:07",
        ] {
            assert_eq!(parse_date(s), Some(want), "{s:?}");
        }
    }

    #[test]
    fn bad_times() {
        for s in [
            "2026-03-05 25:00",
            "2026-03-05 24:00",
            "2026-03-05 08:60",
            "2026-03-05 08:7",
            "2026-03-05 08:07:60",
            "2026-03-05 08:07:9",
            "2026-03-05 08",
            "2026-03-05 008:07",
            "2026-03-05 08:07.5",
            "2026-03-05 08:07:09.",
            "2026-03-05 08:07+8",
            "2026-03-05 08:07+24:00",
            "2026-03-05 08:07+08:60",
            "2026-03-05 08:07+08:",
            "2026-03-05 08:07+080",
            "2026-03-05 08:07+08000",
            "2026-03-05 08:07ZZ",
            "2026-03-05 08:07 Z",
            "2026-03-05  08:07",
            "2026-03-05T",
            "2026-03-05X08:07",
        ] {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn bad_dates() {
        for s in [
            "",
            "2026",
            "2026-1/5",
            "2026/1-5",
            "2026-02-30",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-001-05",
            "2026-01-005",
            "26-01-05",
            "02026-01-05",
            "2026-01-",
            "2026--05",
            "2026.01.05",
            "2026015",
            "202601050",
            "20260230",
            "2026年3月5",
            "2026年3月",
            "2026年3-5日",
            "2026-03",
            "yesterday",
            "２０２６-03-05",
            "2026-03-05x",
        ] {
            assert_eq!(parse_date(s), None, "{s:?}");
        }
    }

    #[test]
    fn month_forms() {
        let want = ymd(2026, 3, 1);
        for s in [
            "2026-03",
            "2026-3",
            "2026/3",
            "2026/03",
            "202603",
            "2026年3月",
            "2026年03月",
        ] {
            assert_eq!(parse_month(s), Some(want), "{s:?}");
        }
        assert_eq!(parse_month("2026-12"), Some(ymd(2026, 12, 1)));
    }

    #[test]
    fn bad_months() {
        for s in [
            "",
            "2026",
            "2026-13",
            "2026-0",
            "2026-00",
            "202613",
            "2026-003",
            "20263",
            "2026031",
            "2026-03-01",
            "2026-03 08:00",
            "2026年3",
            "2026年13月",
            "2026.03",
            "2026-",
            "march",
        ] {
            assert_eq!(parse_month(s), None, "{s:?}");
        }
    }

    #[test]
    fn add_months_clamps() {
        assert_eq!(add_months(ymd(2026, 8, 31), 6), ymd(2027, 2, 28));
        assert_eq!(add_months(ymd(2024, 8, 31), 6), ymd(2025, 2, 28));
        assert_eq!(add_months(ymd(2023, 8, 31), 6), ymd(2024, 2, 29));
        assert_eq!(add_months(ymd(2026, 1, 31), 1), ymd(2026, 2, 28));
        assert_eq!(add_months(ymd(2026, 12, 15), 1), ymd(2027, 1, 15));
        assert_eq!(add_months(ymd(2026, 5, 20), 0), ymd(2026, 5, 20));
        assert_eq!(add_months(NaiveDate::MAX, 1), NaiveDate::MAX);
        assert_eq!(add_months(ymd(2026, 1, 1), u32::MAX), NaiveDate::MAX);
        assert_eq!(checked_add_months(NaiveDate::MAX, 1), None);
        assert_eq!(
            checked_add_months(ymd(2026, 8, 31), 6),
            Some(ymd(2027, 2, 28))
        );
    }

    #[test]
    fn month_last_days() {
        assert_eq!(month_last_day(ymd(2024, 2, 1)), ymd(2024, 2, 29));
        assert_eq!(month_last_day(ymd(2026, 2, 1)), ymd(2026, 2, 28));
        assert_eq!(month_last_day(ymd(2026, 12, 1)), ymd(2026, 12, 31));
        assert_eq!(month_last_day(ymd(2026, 4, 1)), ymd(2026, 4, 30));
    }

    #[test]
    fn epoch_days() {
        assert_eq!(EPOCH, ymd(1970, 1, 1));
        assert_eq!(to_epoch_days(EPOCH), 0);
        assert_eq!(to_epoch_days(ymd(1970, 1, 2)), 1);
        assert_eq!(to_epoch_days(ymd(1969, 12, 31)), -1);
        assert_eq!(to_epoch_days(ymd(2026, 11, 27)), 20_784);
        for d in [ymd(1900, 1, 1), ymd(2026, 11, 27), ymd(1969, 12, 31)] {
            assert_eq!(from_epoch_days(to_epoch_days(d)), d);
        }
        assert_eq!(from_epoch_days(i32::MAX), NaiveDate::MAX);
        assert_eq!(from_epoch_days(i32::MIN), NaiveDate::MIN);
    }

    proptest! {
        /// The table gives what the conversion gives, whatever the order of
        /// lookups and however day numbers collide in its slots.
        #[test]
        fn the_epoch_day_table_converts_like_the_function(
            days in proptest::collection::vec(
                prop_oneof![-25_567i32..84_000, Just(i32::MIN), Just(i32::MAX), Just(4096), Just(0)],
                1..200,
            ),
        ) {
            let mut table = EpochDays::new();
            for n in days {
                prop_assert_eq!(table.date(n), from_epoch_days(n), "day {}", n);
            }
        }
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 1900-01-01 ..= 2199-12-31
        (-25_567i32..84_000).prop_map(from_epoch_days)
    }

    proptest! {
        #[test]
        fn the_iso_fast_path_agrees_with_the_general_parser(
            y in 0u32..=9999, m in 0u32..=99, d in 0u32..=99
        ) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(parse_date(&s), parse_date_general(&s));
        }
    }

    proptest! {
        #[test]
        fn add_months_properties(d in any_date(), n in 0u32..1200) {
            let r = add_months(d, n);
            let total = d.year() * 12 + d.month0() as i32 + n as i32;
            prop_assert_eq!(r.year(), total.div_euclid(12));
            prop_assert_eq!(r.month0() as i32, total.rem_euclid(12));
            prop_assert_eq!(r.day(), d.day().min(u32::from(r.num_days_in_month())));
            prop_assert!(r >= d);
            prop_assert_eq!(add_months(d, 0), d);
        }

        #[test]
        fn add_months_monotonic(a in any_date(), b in any_date(), n in 0u32..1200) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            prop_assert!(add_months(lo, n) <= add_months(hi, n));
        }

        #[test]
        fn date_round_trips_through_formats(d in any_date()) {
            let (y, m, day) = (d.year(), d.month(), d.day());
            prop_assert_eq!(parse_date(&format!("{y:04}-{m}-{day}")), Some(d));
            prop_assert_eq!(parse_date(&format!("{y:04}/{m:02}/{day:02}")), Some(d));
            prop_assert_eq!(parse_date(&format!("{y:04}{m:02}{day:02}")), Some(d));
            prop_assert_eq!(parse_date(&format!("{y:04}年{m}月{day}日")), Some(d));
            prop_assert_eq!(parse_month(&format!("{y:04}-{m}")), d.with_day(1));
        }
    }
}
