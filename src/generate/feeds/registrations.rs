//! Registration feeds: social insurance, leases, employment and school, labour contracts,
//! business licences, pledges and hukou.
use chrono::NaiveDate;
use rand::Rng;

use super::*;

impl Gen<'_> {
    pub(super) fn social(&mut self, p: &Person) {
        if !p.worker {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            let style = self.ctx.profile.month_style(&mut self.rng);
            let code = self.division_of(stay);
            let to = stay.end.unwrap_or(as_of);
            let mut m = first_of_month(stay.start.max(self.ctx.horizon));
            while m <= to {
                if self.rng.gen_bool(0.97) {
                    self.social_row(p, m, style, code, &mut seq);
                }
                m = next_month(m);
            }
            if stay.end.is_none() && self.rng.gen_bool(0.06) {
                self.social_row(p, m, style, code, &mut seq);
            }
        }
    }

    pub(super) fn social_row(
        &mut self,
        p: &Person,
        month: NaiveDate,
        style: crate::generate::text::MonthStyle,
        code: u32,
        seq: &mut u32,
    ) {
        self.row.start(6);
        self.rid(0, "SB", u64::from(code), p.g, seq);
        self.id(1, p);
        if self.rng.gen_bool(0.9) {
            self.row.f[2].extend_from_slice(p.name.as_bytes());
        }
        push_month(&mut self.row.f[3], month, style);
        push_u64(&mut self.row.f[4], u64::from(code));
        self.row.f[5].extend_from_slice(p.insurance.as_bytes());
        let natural = self.filters(false, false, month > self.ctx.as_of, code);
        self.emit(Source::SocialInsurance, &Meta::new(natural, p));
    }

    pub(super) fn lease(&mut self, p: &Person) {
        if !p.renter {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            if !self.rng.gen_bool(0.9) {
                continue;
            }
            let limit = stay.end.unwrap_or(as_of);
            let mut cur = stay.start;
            let style = self.ctx.profile.date_style(&mut self.rng);
            while cur <= limit {
                cur = self.lease_row(p, stay, cur, style, &mut seq);
            }
            if stay.end.is_none() && self.rng.gen_bool(0.05) {
                self.lease_row(p, stay, cur, style, &mut seq);
            }
        }
    }

    /// One lease from `start`; returns the day after it ends.
    pub(super) fn lease_row(
        &mut self,
        p: &Person,
        stay: &Stay,
        start: NaiveDate,
        style: DateStyle,
        seq: &mut u32,
    ) -> NaiveDate {
        let as_of = self.ctx.as_of;
        let months = match self.rng.gen_range(0..10u32) {
            0 => 6,
            1 => 24,
            _ => 12,
        };
        let end = days_before(
            start
                .checked_add_months(Months::new(months))
                .unwrap_or(start),
            1,
        )
        .max(start);
        let filed = if self.rng.gen_bool(0.06) {
            None
        } else {
            Some(days_after(start, self.rng.gen_range(0..40)))
        };
        let terminated = match stay.end {
            Some(e) if e < end => Some(e.max(start)),
            _ if self.rng.gen_bool(0.06) => {
                let t = days_after(
                    start,
                    self.rng.gen_range(30..(u64::from(months) * 28).max(31)),
                );
                Some(t.min(end))
            }
            _ => None,
        };
        self.row.start(9);
        self.rid(0, "ZL", u64::from(stay.place.code), p.g, seq);
        self.id(1, p);
        if self.rng.gen_bool(0.8) {
            self.row.f[2].extend_from_slice(p.name.as_bytes());
        }
        self.place(3, 4, stay, 0.6);
        self.date(5, start, style);
        self.date(6, end, style);
        if let Some(f) = filed {
            self.date(7, f, style);
        }
        if let Some(t) = terminated {
            self.date(8, t, style);
        }
        let after = start > as_of || filed.is_some_and(|f| f > as_of);
        let natural = self.filters(filed.is_none(), false, after, stay.place.code);
        let mut meta = Meta::new(natural, p);
        meta.ebs = Some((6, start));
        meta.place = true;
        self.emit(Source::Lease, &meta);
        days_after(terminated.unwrap_or(end).min(end), 1)
    }

    pub(super) fn employment(&mut self, p: &Person) {
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            if !(p.student || (p.worker && self.rng.gen_bool(0.5))) {
                continue;
            }
            let mut start = days_after(stay.start, self.rng.gen_range(0..60));
            if stay.end.is_some_and(|e| start > e) {
                start = stay.start;
            }
            let end = match stay.end {
                Some(e) => self.rng.gen_bool(0.9).then_some(e),
                None => self
                    .rng
                    .gen_bool(0.2)
                    .then(|| days_after(as_of, self.rng.gen_range(30..700))),
            };
            self.row.start(7);
            self.rid(0, "JY", u64::from(stay.place.code), p.g, &mut seq);
            self.id(1, p);
            let kind: &[u8] = match (p.student, self.rng.gen_range(0..20u32)) {
                (true, 0) => b"School",
                (true, _) => b"school",
                (false, 0) => b"EMPLOYMENT",
                (false, _) => b"employment",
            };
            self.row.f[2].extend_from_slice(kind);
            org_name(&mut self.rng, p.student, &mut self.row.f[3]);
            let code = self.division_of(stay);
            push_u64(&mut self.row.f[4], u64::from(code));
            let style = self.ctx.profile.date_style(&mut self.rng);
            self.date(5, start, style);
            if let Some(e) = end {
                self.date(6, e, style);
            }
            let natural = self.filters(false, false, start > as_of, code);
            let mut meta = Meta::new(natural, p);
            meta.ebs = Some((6, start));
            self.emit(Source::EmploymentSchool, &meta);
        }
    }

    pub(super) fn labor(&mut self, p: &Person) {
        if !p.worker {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            if !self.rng.gen_bool(0.75) {
                continue;
            }
            let mut cur = days_after(stay.start, self.rng.gen_range(0..30));
            if stay.end.is_some_and(|e| cur > e) {
                cur = stay.start;
            }
            let limit = stay.end.unwrap_or(as_of);
            let style = self.ctx.profile.date_style(&mut self.rng);
            let code = self.division_of(stay);
            let mut employer = Vec::new();
            org_name(&mut self.rng, false, &mut employer);
            while cur <= limit {
                let months = 12 * self.rng.gen_range(1..=3u32);
                let mut end = days_before(
                    cur.checked_add_months(Months::new(months)).unwrap_or(cur),
                    1,
                )
                .max(cur);
                if let Some(se) = stay.end {
                    end = end.min(se).max(cur);
                }
                let open = stay.end.is_none() && end >= as_of && self.rng.gen_bool(0.15);
                self.labor_row(
                    p,
                    code,
                    &employer,
                    cur,
                    (!open).then_some(end),
                    style,
                    &mut seq,
                );
                if open {
                    break;
                }
                cur = days_after(end, 1);
            }
            if stay.end.is_none() && cur > as_of && self.rng.gen_bool(0.03) {
                let end =
                    days_before(cur.checked_add_months(Months::new(12)).unwrap_or(cur), 1).max(cur);
                self.labor_row(p, code, &employer, cur, Some(end), style, &mut seq);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn labor_row(
        &mut self,
        p: &Person,
        code: u32,
        employer: &[u8],
        start: NaiveDate,
        end: Option<NaiveDate>,
        style: DateStyle,
        seq: &mut u32,
    ) {
        self.row.start(6);
        self.rid(0, "LD", u64::from(code), p.g, seq);
        self.id(1, p);
        self.row.f[2].extend_from_slice(employer);
        push_u64(&mut self.row.f[3], u64::from(code));
        self.date(4, start, style);
        if let Some(e) = end {
            self.date(5, e, style);
        }
        let natural = self.filters(false, false, start > self.ctx.as_of, code);
        let mut meta = Meta::new(natural, p);
        meta.ebs = Some((5, start));
        self.emit(Source::LaborContract, &meta);
    }

    pub(super) fn business(&mut self, p: &Person) {
        if !p.business {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            if !self.rng.gen_bool(0.8) {
                continue;
            }
            let mut reg = days_after(stay.start, self.rng.gen_range(0..200));
            if stay.end.is_some_and(|e| reg > e) {
                reg = stay.start;
            }
            let dereg = match stay.end {
                Some(e) => self.rng.gen_bool(0.9).then_some(e),
                None => {
                    let d = days_after(reg, self.rng.gen_range(100..900));
                    (d < as_of && self.rng.gen_bool(0.05)).then_some(d)
                }
            };
            self.row.start(7);
            self.rid(0, "YZ", u64::from(stay.place.code), p.g, &mut seq);
            self.id(1, p);
            org_name(&mut self.rng, false, &mut self.row.f[2]);
            self.place(3, 4, stay, 0.5);
            let style = self.ctx.profile.date_style(&mut self.rng);
            self.date(5, reg, style);
            if let Some(d) = dereg {
                self.date(6, d, style);
            }
            let natural = self.filters(false, false, reg > as_of, stay.place.code);
            let mut meta = Meta::new(natural, p);
            meta.ebs = Some((6, reg));
            meta.place = true;
            self.emit(Source::BusinessLicense, &meta);
        }
    }

    pub(super) fn pledge(&mut self, p: &Person) {
        if !p.pledge {
            return;
        }
        let Some(stay) = p.stays.last() else { return };
        let as_of = self.ctx.as_of;
        let declared = days_before(stay.start, self.rng.gen_range(0..60));
        let signed = if self.rng.gen_bool(0.05) {
            days_after(as_of, self.rng.gen_range(1..10)).max(declared)
        } else {
            days_after(declared, self.rng.gen_range(0..540))
                .min(days_before(as_of, self.rng.gen_range(0..20)))
                .max(declared)
        };
        let mut seq = 0;
        self.row.start(6);
        self.rid(0, "CN", u64::from(stay.place.code), p.g, &mut seq);
        self.id(1, p);
        self.row.f[2].extend_from_slice(p.name.as_bytes());
        let code = self.division_of(stay);
        push_u64(&mut self.row.f[3], u64::from(code));
        let style = self.ctx.profile.date_style(&mut self.rng);
        self.date(4, declared, style);
        self.date(5, signed, style);
        let natural = self.filters(false, false, signed > as_of, code);
        let mut meta = Meta::new(natural, p);
        meta.pledge = Some((4, signed));
        self.emit(Source::Pledge, &meta);
    }

    pub(super) fn hukou(&mut self, p: &Person) {
        let Some(code) = p.hukou else { return };
        self.row.start(2);
        self.id(0, p);
        push_u64(&mut self.row.f[1], u64::from(code));
        self.emit(Source::Hukou, &Meta::new(Outcome::Accepted, p));
    }
}
