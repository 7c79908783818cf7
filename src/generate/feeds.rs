//! Per-chunk generation: each person's records in all ten feeds, each record
//! with the one outcome the pipeline must give it (SPEC §5).
use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ids::{Ids, push_fixed_form, push_id_form, push_mobile_form};
use super::model::{Outcome, SOURCES, Source, Tally};
use super::population::{
    HORIZON_MONTHS, Person, Stay, days_after, days_before, months_before, person,
};
use super::row::Row;
use super::text::{
    DateStyle, date_style, datetime_style, month_style, org_name, push_date, push_month, push_pad,
    push_u64,
};
use crate::rules::reason::Reason;

/// Persons per chunk; each chunk has its own random stream.
pub(crate) const CHUNK_PERSONS: u64 = 1000;
/// Per chunk: ghost subscribers, shared phones and orphan phones available.
pub(crate) const SPECIAL_SLOTS: u64 = 4096;
/// Share of records that are re-sent (the earlier versions become `superseded`).
const RESEND: f64 = 0.03;

/// Everything a chunk needs to know about the run.
#[derive(Clone, Debug)]
pub(crate) struct Ctx {
    pub as_of: NaiveDate,
    pub persons: u64,
    pub seed: u64,
    pub dirty_rate: f64,
    pub jurisdictions: Vec<u32>,
    pub ids: Ids,
    pub horizon: NaiveDate,
}

impl Ctx {
    pub(crate) fn new(
        persons: u64,
        seed: u64,
        as_of: NaiveDate,
        dirty_rate: f64,
        jurisdictions: Vec<u32>,
    ) -> Ctx {
        Ctx {
            as_of,
            persons,
            seed,
            dirty_rate,
            jurisdictions,
            ids: Ids::new(seed, as_of),
            horizon: months_before(as_of, HORIZON_MONTHS),
        }
    }

    /// Whether evidence at `division` is in one of the jurisdictions.
    pub(crate) fn in_scope(&self, division: u32) -> bool {
        self.jurisdictions.contains(&(division / 100 * 100))
    }

    pub(crate) fn chunks(&self) -> u64 {
        self.persons.div_ceil(CHUNK_PERSONS)
    }
}

/// One chunk's records per source, in write order, and their tallies.
#[derive(Debug)]
pub(crate) struct ChunkOut {
    pub bufs: Vec<Vec<u8>>,
    pub tallies: Vec<Tally>,
    /// Per source, the outcome of every record in order (only when recording).
    #[cfg_attr(not(test), allow(dead_code))]
    pub outcomes: Vec<Vec<Outcome>>,
}

/// What the defect injector may do with a record, and its natural outcome.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Meta {
    pub natural: Outcome,
    pub person: [u8; 18],
    pub phone: u64,
    /// (end column, start date): `end_before_start` possible.
    pub ebs: Option<(usize, NaiveDate)>,
    /// (declared_since column, signed date) of a pledge.
    pub pledge: Option<(usize, NaiveDate)>,
    /// Address and division present as `a|d`: place defects possible.
    pub place: bool,
    /// Shopping delivery day: identity defects possible.
    pub delivery: Option<NaiveDate>,
    pub dirt_ok: bool,
    pub version_ok: bool,
}

impl Meta {
    fn new(natural: Outcome, p: &Person) -> Meta {
        Meta {
            natural,
            person: p.id,
            phone: p.phone,
            ebs: None,
            pledge: None,
            place: false,
            delivery: None,
            dirt_ok: true,
            version_ok: true,
        }
    }
}

/// The generator state of one chunk.
pub(crate) struct Gen<'a> {
    pub ctx: &'a Ctx,
    pub chunk: u64,
    pub rng: ChaCha8Rng,
    main: [Vec<u8>; 10],
    tail: [Vec<u8>; 10],
    main_out: [Vec<Outcome>; 10],
    tail_out: [Vec<Outcome>; 10],
    record: bool,
    tallies: [Tally; 10],
    credit: [f64; 10],
    pub row: Row,
    pub old: Row,
    pub ghost: Row,
    pub ghosts_used: u64,
    pub shared_used: u64,
    pub orphans_used: u64,
    /// Intervals of the current person's telecom rows with their own mobile
    /// number that pass steps 1–4.
    owner: Vec<(NaiveDate, Option<NaiveDate>)>,
}

/// Generates chunk `index` (persons `index * CHUNK_PERSONS ..`).
#[cfg(test)]
pub(crate) fn chunk(ctx: &Ctx, index: u64, record: bool) -> ChunkOut {
    chunk_into(ctx, index, record, Vec::new())
}

/// Like [`chunk`], writing into `bufs` (one per source, emptied first) when
/// given, to reuse memory from chunks already written.
pub(crate) fn chunk_into(ctx: &Ctx, index: u64, record: bool, bufs: Vec<Vec<u8>>) -> ChunkOut {
    let mut rng = ChaCha8Rng::seed_from_u64(ctx.seed);
    rng.set_stream(index);
    let mut bufs = bufs.into_iter();
    let mut g = Gen {
        ctx,
        chunk: index,
        main: std::array::from_fn(|_| {
            let mut b = bufs.next().unwrap_or_default();
            b.clear();
            b
        }),
        tail: std::array::from_fn(|_| Vec::new()),
        main_out: std::array::from_fn(|_| Vec::new()),
        tail_out: std::array::from_fn(|_| Vec::new()),
        record,
        tallies: std::array::from_fn(|_| Tally::default()),
        credit: std::array::from_fn(|_| rng.r#gen::<f64>()),
        rng,
        row: Row::default(),
        old: Row::default(),
        ghost: Row::default(),
        ghosts_used: 0,
        shared_used: 0,
        orphans_used: 0,
        owner: Vec::new(),
    };
    let first = index * CHUNK_PERSONS;
    let last = (first + CHUNK_PERSONS).min(ctx.persons);
    for pg in first..last {
        let p = person(&mut g.rng, &ctx.ids, pg, ctx.as_of);
        g.person(&p);
    }
    g.finish()
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

fn next_month(d: NaiveDate) -> NaiveDate {
    d.checked_add_months(Months::new(1))
        .unwrap_or(NaiveDate::MAX)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    days_before(next_month(first_of_month(d)), 1)
}

impl Gen<'_> {
    fn finish(mut self) -> ChunkOut {
        let mut bufs = Vec::with_capacity(10);
        let mut outcomes = Vec::with_capacity(10);
        for s in SOURCES {
            let i = s.index();
            let mut b = std::mem::take(&mut self.main[i]);
            b.extend_from_slice(&self.tail[i]);
            bufs.push(b);
            let mut o = std::mem::take(&mut self.main_out[i]);
            o.extend_from_slice(&self.tail_out[i]);
            outcomes.push(o);
        }
        ChunkOut {
            bufs,
            tallies: self.tallies.to_vec(),
            outcomes,
        }
    }

    /// The natural outcome of a well-formed, well-placed record (step 7).
    fn filters(&self, not_filed: bool, zero: bool, after: bool, division: u32) -> Outcome {
        if not_filed {
            Outcome::Not(Reason::NotFiled)
        } else if zero {
            Outcome::Not(Reason::ZeroUsage)
        } else if after {
            Outcome::Not(Reason::AfterAsOf)
        } else if !self.ctx.in_scope(division) {
            Outcome::Not(Reason::OutOfScope)
        } else {
            Outcome::Accepted
        }
    }

    /// Writes a record directly, with a known outcome (ghost rows).
    pub(crate) fn put(&mut self, src: Source, row_is_ghost: bool, o: Outcome) {
        let i = src.index();
        let row = if row_is_ghost { &self.ghost } else { &self.row };
        row.write(&mut self.main[i]);
        self.tallies[i].add(o);
        if self.record {
            self.main_out[i].push(o);
        }
    }

    /// Writes `self.row`: maybe re-sent (earlier versions superseded), maybe
    /// given a defect; returns the outcome of the version that counts.
    fn emit(&mut self, src: Source, meta: &Meta) -> Outcome {
        let i = src.index();
        if meta.version_ok && self.rng.gen_bool(RESEND) {
            let versions = if self.rng.gen_bool(0.15) { 2 } else { 1 };
            for _ in 0..versions {
                self.old.copy_from(&self.row);
                self.mutate_old(src);
                self.old.write(&mut self.main[i]);
                self.tallies[i].add(Outcome::Not(Reason::Superseded));
                if self.record {
                    self.main_out[i].push(Outcome::Not(Reason::Superseded));
                }
            }
            self.row.write(&mut self.tail[i]);
            self.tallies[i].add(meta.natural);
            if self.record {
                self.tail_out[i].push(meta.natural);
            }
            return meta.natural;
        }
        let mut o = meta.natural;
        if meta.dirt_ok && self.ctx.dirty_rate > 0.0 {
            self.credit[i] += self.ctx.dirty_rate;
            if self.credit[i] >= 1.0 {
                self.credit[i] -= 1.0;
                o = Outcome::Not(self.defect(src, meta));
            }
        }
        self.put(src, false, o);
        o
    }

    /// A record id: agency prefix, six digits (region or order noise), person, sequence.
    fn rid(&mut self, col: usize, prefix: &str, region: u64, g: u64, seq: &mut u32) {
        let f = &mut self.row.f[col];
        f.extend_from_slice(prefix.as_bytes());
        push_pad(f, region % 1_000_000, 6);
        push_pad(f, g, 9);
        push_pad(f, u64::from(*seq), 4);
        *seq += 1;
    }

    fn id(&mut self, col: usize, p: &Person) {
        push_id_form(&mut self.rng, &mut self.row.f[col], &p.id);
    }

    /// Writes `d`; a time of day, where the style has one, follows from the
    /// date, so equal dates in one record carry equal times.
    fn date(&mut self, col: usize, d: NaiveDate, style: DateStyle) {
        let secs = 28_800 + (d.num_days_from_ce().unsigned_abs()).wrapping_mul(7919) % 50_400;
        push_date(&mut self.row.f[col], d, style, secs);
    }

    /// The division code written for a stay: mostly the county, a few the city.
    fn division_of(&mut self, stay: &Stay) -> u32 {
        if self.rng.gen_bool(0.04) {
            stay.place.code / 100 * 100
        } else {
            stay.place.code
        }
    }

    /// Fills an `a|d` pair: division, address or both (address only when it resolves).
    fn place(&mut self, addr_col: usize, div_col: usize, stay: &Stay, division_share: f64) {
        let r: f64 = self.rng.r#gen();
        let resolvable = stay.place.resolvable;
        let (addr, div) = if !resolvable {
            (r < 0.3, true)
        } else if r < division_share {
            (false, true)
        } else if r < 0.9 {
            (true, false)
        } else {
            (true, true)
        };
        if addr {
            self.row.f[addr_col].extend_from_slice(stay.addr.as_bytes());
        }
        if div {
            let code = self.division_of(stay);
            push_u64(&mut self.row.f[div_col], u64::from(code));
        }
    }

    fn person(&mut self, p: &Person) {
        self.telecom(p);
        self.social(p);
        self.lease(p);
        self.utility(p);
        self.shopping(p);
        self.employment(p);
        self.labor(p);
        self.business(p);
        self.pledge(p);
        self.hukou(p);
    }

    fn telecom(&mut self, p: &Person) {
        let src = Source::Telecom;
        let as_of = self.ctx.as_of;
        self.owner.clear();
        let mut seq = 0;
        let Some(last) = p.stays.last() else { return };
        // The mobile line: proves no place, names the phone's owner.
        self.row.start(8);
        self.rid(0, "DX", u64::from(last.place.code), p.g, &mut seq);
        self.id(1, p);
        push_mobile_form(&mut self.rng, &mut self.row.f[2], p.phone);
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
        let style = date_style(&mut self.rng);
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
                push_mobile_form(&mut self.rng, &mut self.row.f[2], p.phone);
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
            let style = date_style(&mut self.rng);
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

    fn social(&mut self, p: &Person) {
        if !p.worker {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            let style = month_style(&mut self.rng);
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

    fn social_row(
        &mut self,
        p: &Person,
        month: NaiveDate,
        style: super::text::MonthStyle,
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

    fn lease(&mut self, p: &Person) {
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
            let style = date_style(&mut self.rng);
            while cur <= limit {
                cur = self.lease_row(p, stay, cur, style, &mut seq);
            }
            if stay.end.is_none() && self.rng.gen_bool(0.05) {
                self.lease_row(p, stay, cur, style, &mut seq);
            }
        }
    }

    /// One lease from `start`; returns the day after it ends.
    fn lease_row(
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

    fn utility(&mut self, p: &Person) {
        if !p.household {
            return;
        }
        let as_of = self.ctx.as_of;
        let mut seq = 0;
        for stay in &p.stays {
            for (service, share) in [(0u8, 0.95), (1u8, 0.75), (2u8, 0.35)] {
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
                let style = date_style(&mut self.rng);
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
    fn utility_row(
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
        self.place(3, 4, stay, 0.25);
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

    fn shopping(&mut self, p: &Person) {
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

    fn order(&mut self, p: &Person, stay: &Stay, day: NaiveDate, force_buyer: bool, seq: &mut u32) {
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
            push_mobile_form(&mut self.rng, &mut self.row.f[2], p.phone);
        }
        self.place(3, 4, stay, 0.3);
        let style = datetime_style(&mut self.rng);
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

    fn employment(&mut self, p: &Person) {
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
            let style = date_style(&mut self.rng);
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

    fn labor(&mut self, p: &Person) {
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
            let style = date_style(&mut self.rng);
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
    fn labor_row(
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

    fn business(&mut self, p: &Person) {
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
            let style = date_style(&mut self.rng);
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

    fn pledge(&mut self, p: &Person) {
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
        let style = date_style(&mut self.rng);
        self.date(4, declared, style);
        self.date(5, signed, style);
        let natural = self.filters(false, false, signed > as_of, code);
        let mut meta = Meta::new(natural, p);
        meta.pledge = Some((4, signed));
        self.emit(Source::Pledge, &meta);
    }

    fn hukou(&mut self, p: &Person) {
        let Some(code) = p.hukou else { return };
        self.row.start(2);
        self.id(0, p);
        push_u64(&mut self.row.f[1], u64::from(code));
        self.emit(Source::Hukou, &Meta::new(Outcome::Accepted, p));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(persons: u64, rate: f64) -> Ctx {
        Ctx::new(
            persons,
            11,
            NaiveDate::from_ymd_opt(2026, 11, 27).expect("date"),
            rate,
            vec![350500],
        )
    }

    #[test]
    fn chunk_is_deterministic() {
        let c = ctx(300, 0.02);
        let a = chunk(&c, 0, false);
        let b = chunk(&c, 0, false);
        assert_eq!(a.bufs, b.bufs);
        assert_eq!(a.tallies, b.tallies);
        let other = chunk(&Ctx::new(300, 12, c.as_of, 0.02, vec![350500]), 0, false);
        assert_ne!(a.bufs, other.bufs);
    }

    #[test]
    fn outcomes_match_tallies() {
        let c = ctx(500, 0.05);
        let out = chunk(&c, 0, true);
        for (t, o) in out.tallies.iter().zip(out.outcomes.iter()) {
            assert_eq!(t.rows, o.len() as u64);
            let mut check = Tally::default();
            for x in o {
                check.add(*x);
            }
            assert_eq!(&check, t);
        }
    }

    #[test]
    fn month_helpers() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 10).expect("date");
        assert_eq!(
            month_end(d),
            NaiveDate::from_ymd_opt(2024, 2, 29).expect("date")
        );
        assert_eq!(
            next_month(first_of_month(d)),
            NaiveDate::from_ymd_opt(2024, 3, 1).expect("date")
        );
    }
}
