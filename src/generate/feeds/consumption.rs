//! Consumption feeds: telecom lines, utility bills and online-shopping deliveries.
use chrono::NaiveDate;
use rand::Rng;

use super::*;

impl Gen<'_> {
    pub(super) fn telecom(&mut self, p: &Person) {
        let src = Source::Telecom;
        let as_of = self.ctx.as_of;
        self.owner.clear();
        let mut seq = 0;
        let Some(last) = p.stays.last() else { return };
        // The mobile line: proves no place, names the phone's owner.
        self.row.start(8);
        self.rid(0, "DX", u64::from(last.place.code), p.g, &mut seq);
        self.id(1, p);
        self.mobile(2, p.phone);
        let service: &[u8] = match self.rng.gen_range(0..20u32) {
            0 => b"Mobile",
            1 => b"MOBILE",
            _ => b"mobile",
        };
        self.row.f[3].extend_from_slice(service);
        let r: f64 = self.rng.r#gen();
        if r < 0.1 {
            self.row.f[4].extend_from_slice(last.addr.as_bytes());
        } else if r < 0.4 {
            push_u64(&mut self.row.f[5], u64::from(last.place.code));
        }
        let style = self.ctx.profile.telecom_date_style(&mut self.rng);
        self.date(6, p.mobile_start, style);
        let mut meta = Meta::new(Outcome::Not(Reason::NoLocation), p);
        meta.ebs = Some((7, p.mobile_start));
        meta.dirt_ok = !p.phone_shopper;
        if self.emit(src, &meta).passes_fields() {
            self.owner.push((p.mobile_start, None));
        }
        if !p.landline {
            return;
        }
        for (k, stay) in p.stays.iter().enumerate() {
            if !self.rng.gen_bool(0.85) {
                continue;
            }
            let broadband = self.rng.gen_bool(0.7);
            let own_mobile = broadband && self.rng.gen_bool(0.5);
            let start = days_after(stay.start, self.rng.gen_range(0..45));
            let end = stay
                .end
                .map(|e| days_after(e, self.rng.gen_range(0..20)).max(start));
            self.row.start(8);
            self.rid(0, "DX", u64::from(stay.place.code), p.g, &mut seq);
            self.id(1, p);
            if own_mobile {
                self.mobile(2, p.phone);
            } else {
                let local = p.g.wrapping_mul(7).wrapping_add(k as u64);
                push_fixed_form(&mut self.rng, &mut self.row.f[2], stay.place.area, local);
            }
            let service: &[u8] = match (broadband, self.rng.gen_range(0..20u32)) {
                (true, 0) => b"Broadband",
                (true, _) => b"broadband",
                (false, 0) => b"FIXED_LINE",
                (false, _) => b"fixed_line",
            };
            self.row.f[3].extend_from_slice(service);
            self.place(4, 5, stay, 0.65);
            let style = self.ctx.profile.telecom_date_style(&mut self.rng);
            self.date(6, start, style);
            if let Some(e) = end {
                self.date(7, e, style);
            }
            let natural = self.filters(false, false, start > as_of, stay.place.code);
            let mut meta = Meta::new(natural, p);
            meta.ebs = Some((7, start));
            meta.place = true;
            if self.emit(src, &meta).passes_fields() && own_mobile {
                self.owner.push((start, end));
            }
        }
    }

    pub(super) fn utility(&mut self, p: &Person) {
        if !p.household {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            for (service, share) in self.ctx.profile.utility_services() {
                if !self.rng.gen_bool(share) {
                    continue;
                }
                let name: &[u8] = match (service, self.rng.gen_range(0..40u32)) {
                    (0, 0) => b"Electricity",
                    (0, 1) => b"ELECTRICITY",
                    (0, _) => b"electricity",
                    (1, 0) => b"Water",
                    (1, _) => b"water",
                    (_, 0) => b"GAS",
                    _ => b"gas",
                };
                let style = self.ctx.profile.date_style(&mut self.rng);
                let last = stay
                    .end
                    .unwrap_or_else(|| days_before(first_of_month(as_of), 1));
                let mut m = first_of_month(stay.start.max(self.ctx.horizon));
                while m <= last {
                    if self.rng.gen_bool(0.99) {
                        let ps = m.max(stay.start);
                        let pe = month_end(m).min(last.max(ps));
                        self.utility_row(p, stay, service, name, ps, pe, style, &mut seq);
                    }
                    m = next_month(m);
                }
                if stay.end.is_none() {
                    if self.rng.gen_bool(0.15) {
                        let ps = m.max(stay.start);
                        self.utility_row(p, stay, service, name, ps, month_end(m), style, &mut seq);
                        m = next_month(m);
                    }
                    if self.rng.gen_bool(0.02) {
                        let m = m.max(next_month(first_of_month(as_of)));
                        self.utility_row(p, stay, service, name, m, month_end(m), style, &mut seq);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn utility_row(
        &mut self,
        p: &Person,
        stay: &Stay,
        service: u8,
        name: &[u8],
        ps: NaiveDate,
        pe: NaiveDate,
        style: DateStyle,
        seq: &mut u32,
    ) {
        self.row.start(8);
        self.rid(0, "SD", u64::from(stay.place.code), p.g, seq);
        self.id(1, p);
        self.row.f[2].extend_from_slice(name);
        self.place(3, 4, stay, self.ctx.profile.division_share(Source::Utility));
        self.date(5, ps, style);
        self.date(6, pe, style);
        let zero = self.rng.gen_bool(0.025);
        let f = &mut self.row.f[7];
        if zero {
            let z: &[u8] = match self.rng.gen_range(0..3u32) {
                0 => b"0",
                1 => b"0.0",
                _ => b"0.00",
            };
            f.extend_from_slice(z);
        } else {
            let (lo, hi) = match service {
                0 => (300u64, 9000u64),
                1 => (10, 400),
                _ => (10, 600),
            };
            let tenths = self.rng.gen_range(lo..hi);
            if self.rng.gen_bool(0.003) {
                push_u64(f, tenths);
                f.extend_from_slice(b"e-1");
            } else {
                push_u64(f, tenths / 10);
                f.push(b'.');
                push_u64(f, tenths % 10);
            }
        }
        let natural = self.filters(false, zero, ps > self.ctx.as_of, stay.place.code);
        let mut meta = Meta::new(natural, p);
        meta.ebs = Some((6, ps));
        meta.place = true;
        self.emit(Source::Utility, &meta);
    }

    pub(super) fn shopping(&mut self, p: &Person) {
        if p.orders_per_year == 0 {
            return;
        }
        let as_of = self.ctx.as_of;
        let window = months_before(as_of, 48);
        let mut seq = 0;
        let mut days: Vec<NaiveDate> = Vec::new();
        for stay in &p.stays {
            let s = stay.start.max(window);
            let e = stay.end.unwrap_or(as_of).min(as_of);
            if e < s {
                continue;
            }
            let span = (e - s).num_days() as u64 + 1;
            let expected = f64::from(p.orders_per_year) * span as f64 / 365.0;
            let mut n = expected as u64;
            if self.rng.gen_bool(expected.fract()) {
                n += 1;
            }
            days.clear();
            for _ in 0..n {
                days.push(days_after(s, self.rng.gen_range(0..span)));
            }
            days.sort_unstable();
            for &day in &days {
                self.order(p, stay, day, false, &mut seq);
            }
        }
        if let Some(last) = p.stays.last()
            && last.end.is_none()
            && self.rng.gen_bool(0.1)
        {
            let day = days_after(as_of, self.rng.gen_range(1..4));
            self.order(p, last, day, true, &mut seq);
        }
    }

    pub(super) fn order(
        &mut self,
        p: &Person,
        stay: &Stay,
        day: NaiveDate,
        force_buyer: bool,
        seq: &mut u32,
    ) {
        let as_of = self.ctx.as_of;
        self.row.start(6);
        let prefix = match p.g % 3 {
            0 => "TB",
            1 => "JD",
            _ => "PDD",
        };
        let noise = (p.g ^ u64::from(*seq).wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .wrapping_mul(0xBF58_476D_1CE4_E5B9)
            >> 40;
        self.rid(0, prefix, noise, p.g, seq);
        let buyer_empty = !force_buyer && p.phone_shopper && day <= as_of && self.rng.gen_bool(0.7);
        if !buyer_empty {
            self.id(1, p);
        }
        if buyer_empty || self.rng.gen_bool(0.45) {
            self.mobile(2, p.phone);
        }
        self.place(
            3,
            4,
            stay,
            self.ctx.profile.division_share(Source::Shopping),
        );
        let style = self.ctx.profile.datetime_style(&mut self.rng);
        let secs = self.rng.gen_range(28_800..86_000);
        push_date(&mut self.row.f[5], day, style, secs);
        let natural = if buyer_empty
            && !self
                .owner
                .iter()
                .any(|&(s, e)| s <= day && day <= e.unwrap_or(as_of))
        {
            Outcome::Not(Reason::UnresolvedIdentity)
        } else {
            self.filters(false, false, day > as_of, stay.place.code)
        };
        let mut meta = Meta::new(natural, p);
        meta.place = true;
        meta.delivery = Some(day);
        self.emit(Source::Shopping, &meta);
    }
}
