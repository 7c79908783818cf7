//! Per-chunk generation: each person's records in all ten feeds, each record
//! with the one outcome the pipeline must give it (SPEC §5).

mod consumption;
mod registrations;

use chrono::{Datelike, Months, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::ids::{Ids, push_fixed_form, push_id_form, push_mobile_form};
use super::model::{Outcome, SOURCES, Source, Tally};
use super::population::{
    HORIZON_MONTHS, Person, Stay, days_after, days_before, months_before, person,
};
use super::profile::Profile;
use super::row::Row;
use super::text::{DateStyle, org_name, push_date, push_month, push_pad, push_u64};
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
    /// Which mix of records to write.
    pub profile: Profile,
}

impl Ctx {
    pub(crate) fn new(
        persons: u64,
        seed: u64,
        as_of: NaiveDate,
        dirty_rate: f64,
        jurisdictions: Vec<u32>,
        profile: Profile,
    ) -> Ctx {
        Ctx {
            as_of,
            persons,
            seed,
            dirty_rate,
            jurisdictions,
            ids: Ids::new(seed, as_of),
            horizon: months_before(as_of, HORIZON_MONTHS),
            profile,
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
        let p = person(&mut g.rng, &ctx.ids, pg, ctx.as_of, ctx.profile);
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
        let style = self.ctx.profile.row_style(src);
        row.write(&mut self.main[i], style);
        let blank = self.ctx.profile.blank_lines_per_mille();
        if blank > 0 && self.rng.gen_range(0..1000) < blank {
            // A blank line: not a record (SPEC §4), only a line.
            let end: &[u8] = if style.crlf { b"\r\n" } else { b"\n" };
            self.main[i].extend_from_slice(end);
        }
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
                self.old
                    .write(&mut self.main[i], self.ctx.profile.row_style(src));
                self.tallies[i].add(Outcome::Not(Reason::Superseded));
                if self.record {
                    self.main_out[i].push(Outcome::Not(Reason::Superseded));
                }
            }
            self.row
                .write(&mut self.tail[i], self.ctx.profile.row_style(src));
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

    /// A mobile number in one of the profile's written forms.
    pub(crate) fn mobile(&mut self, col: usize, phone: u64) {
        let p = self.ctx.profile;
        let (plain, spaced) = (p.plain_mobile_per_mille(), p.spaced_mobile_per_mille());
        push_mobile_form(&mut self.rng, &mut self.row.f[col], phone, plain, spaced);
    }

    fn id(&mut self, col: usize, p: &Person) {
        let forms = self.ctx.profile.id_forms();
        push_id_form(&mut self.rng, &mut self.row.f[col], &p.id, forms);
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
            Profile::Default,
        )
    }

    #[test]
    fn chunk_is_deterministic() {
        let c = ctx(300, 0.02);
        let a = chunk(&c, 0, false);
        let b = chunk(&c, 0, false);
        assert_eq!(a.bufs, b.bufs);
        assert_eq!(a.tallies, b.tallies);
        let other = chunk(
            &Ctx::new(300, 12, c.as_of, 0.02, vec![350500], Profile::Default),
            0,
            false,
        );
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
