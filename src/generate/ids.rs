//! ID numbers and phone numbers: unique per person by construction (a
//! bijection of the person index), written in the valid forms of SPEC §3, and
//! the invalid texts used for defects.
use chrono::{Datelike, Months, NaiveDate};
use rand::Rng;

use super::text::{push_pad, push_u64};
use crate::rules::id::check_char;

/// Birthplace divisions (first six digits of an ID number).
const BIRTH_DIVS: [u32; 32] = [
    350502, 350503, 350504, 350505, 350521, 350524, 350525, 350526, 350581, 350582, 350583, 350582,
    350583, 350503, 350102, 350203, 350302, 350404, 350602, 350702, 350802, 350902, 360102, 360702,
    430102, 440106, 450102, 510104, 520102, 420102, 410102, 362201,
];
const SEQS: u64 = 1000;
/// First phone of the persons' range; persons get 6e9 numbers from here.
const PHONE_BASE: u64 = 13_000_000_000;
const PHONE_SPAN: u64 = 6_000_000_000;
/// Phones shared by two ghost subscribers (`ambiguous_identity`).
pub(crate) const SHARED_PHONE_BASE: u64 = 19_000_000_000;
/// Phones nobody subscribes (`unresolved_identity`).
pub(crate) const ORPHAN_PHONE_BASE: u64 = 19_500_000_000;
/// Room per range of special phones.
pub(crate) const SPECIAL_PHONE_SPAN: u64 = 500_000_000;

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn coprime_multiplier(start: u64, modulus: u64) -> u64 {
    let mut m = start % modulus;
    while m < 2 || gcd(m, modulus) != 1 {
        m = (m + 1) % modulus;
    }
    m
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// Maps person indexes to ID numbers and mobile phones, injectively.
#[derive(Clone, Debug)]
pub(crate) struct Ids {
    oldest_birth: NaiveDate,
    birth_span: u64,
    space: u64,
    mul: u64,
    add: u64,
    phone_mul: u64,
    phone_add: u64,
}

impl Ids {
    pub(crate) fn new(seed: u64, as_of: NaiveDate) -> Ids {
        let floor = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
        let newest = as_of
            .checked_sub_months(Months::new(16 * 12))
            .unwrap_or(as_of)
            .max(floor);
        let oldest = newest
            .checked_sub_days(chrono::Days::new(59 * 365))
            .unwrap_or(floor)
            .max(floor);
        let birth_span = ((newest - oldest).num_days().max(0) as u64) + 1;
        let space = BIRTH_DIVS.len() as u64 * birth_span * SEQS;
        let mul = coprime_multiplier(splitmix(seed) | 0x1_0000_0001, space);
        let add = splitmix(seed ^ 0x5151) % space;
        let phone_mul = coprime_multiplier(splitmix(seed ^ 0xABCD) | 0x1_0000_0001, PHONE_SPAN);
        let phone_add = splitmix(seed ^ 0x7777) % PHONE_SPAN;
        Ids {
            oldest_birth: oldest,
            birth_span,
            space,
            mul,
            add,
            phone_mul,
            phone_add,
        }
    }

    /// How many distinct ID numbers there are.
    pub(crate) fn capacity(&self) -> u64 {
        self.space
    }

    /// The 18-character ID number of person (or ghost) `g`.
    pub(crate) fn id18(&self, g: u64) -> [u8; 18] {
        let p = ((u128::from(g) * u128::from(self.mul) + u128::from(self.add))
            % u128::from(self.space)) as u64;
        let seq = p % SEQS;
        let rest = p / SEQS;
        let off = rest % self.birth_span;
        let div = BIRTH_DIVS[(rest / self.birth_span) as usize % BIRTH_DIVS.len()];
        let birth = self
            .oldest_birth
            .checked_add_days(chrono::Days::new(off))
            .unwrap_or(self.oldest_birth);
        let mut v = Vec::with_capacity(18);
        push_pad(&mut v, u64::from(div), 6);
        push_pad(&mut v, birth.year().max(0) as u64, 4);
        push_pad(&mut v, u64::from(birth.month()), 2);
        push_pad(&mut v, u64::from(birth.day()), 2);
        push_pad(&mut v, seq, 3);
        let mut id = [b'0'; 18];
        id[..17].copy_from_slice(&v[..17]);
        id[17] = check_of(&id);
        id
    }

    /// The mobile phone of person `g` (unique among persons).
    pub(crate) fn phone(&self, g: u64) -> u64 {
        let p = ((u128::from(g) * u128::from(self.phone_mul) + u128::from(self.phone_add))
            % u128::from(PHONE_SPAN)) as u64;
        PHONE_BASE + p
    }
}

fn check_of(id: &[u8; 18]) -> u8 {
    let mut first = [0u8; 17];
    first.copy_from_slice(&id[..17]);
    check_char(&first)
}

/// Birth year written in an ID number.
pub(crate) fn birth_year(id: &[u8; 18]) -> u32 {
    id[6..10]
        .iter()
        .fold(0, |a, &c| a * 10 + u32::from(c - b'0'))
}

/// Appends a valid written form of `id`: mostly as is, some with a lowercase
/// `x`, a few legacy 15-digit, full-width or padded with spaces (`forms`:
/// cumulative per mille of those three).
pub(crate) fn push_id_form<R: Rng>(rng: &mut R, out: &mut Vec<u8>, id: &[u8; 18], forms: [u32; 3]) {
    let r = rng.gen_range(0..1000u32);
    if r < forms[0] && &id[6..8] == b"19" {
        out.extend_from_slice(&id[..6]);
        out.extend_from_slice(&id[8..17]);
    } else if r < forms[1] {
        for &c in id {
            if c == b'X' {
                out.extend_from_slice("Ｘ".as_bytes());
            } else {
                out.extend_from_slice(&[0xEF, 0xBC, 0x90 + (c - b'0')]);
            }
        }
    } else if r < forms[2] {
        out.push(b' ');
        out.extend_from_slice(id);
        out.push(b' ');
    } else if id[17] == b'X' && r < 400 {
        out.extend_from_slice(&id[..17]);
        out.push(b'x');
    } else {
        out.extend_from_slice(id);
    }
}

/// Appends an invalid ID number derived from `id`. `unique` restricts to
/// forms that no other person's corrupted ID can share (for hukou keys).
pub(crate) fn push_bad_id<R: Rng>(
    rng: &mut R,
    out: &mut Vec<u8>,
    id: &[u8; 18],
    as_of: NaiveDate,
    unique: bool,
) {
    let kind = if unique {
        rng.gen_range(0..2u32)
    } else {
        rng.gen_range(0..7u32)
    };
    let mut v = *id;
    match kind {
        0 => {
            // wrong check character
            let alts = b"0123456789X";
            let mut c = alts[rng.gen_range(0..alts.len())];
            if c == v[17] {
                c = if v[17] == b'0' { b'1' } else { b'0' };
            }
            v[17] = c;
            out.extend_from_slice(&v);
        }
        1 => out.extend_from_slice(&v[..17]),
        2 => {
            // no such province
            const BAD: [&[u8; 2]; 4] = [b"99", b"00", b"20", b"38"];
            v[..2].copy_from_slice(BAD[rng.gen_range(0..BAD.len())]);
            v[17] = check_of(&v);
            out.extend_from_slice(&v);
        }
        3 => {
            // no such birth date
            const BAD: [&[u8; 4]; 4] = [b"1301", b"0230", b"0431", b"0000"];
            v[10..14].copy_from_slice(BAD[rng.gen_range(0..BAD.len())]);
            v[17] = check_of(&v);
            out.extend_from_slice(&v);
        }
        4 => {
            // born after the as-of date
            let y = (as_of.year() + rng.gen_range(1..5)).clamp(1000, 9999) as u64;
            let mut yb = Vec::with_capacity(4);
            push_pad(&mut yb, y, 4);
            v[6..10].copy_from_slice(&yb);
            v[17] = check_of(&v);
            out.extend_from_slice(&v);
        }
        5 => {
            v[8] = b'A';
            out.extend_from_slice(&v);
        }
        _ => {
            // legacy 15-digit with month 13
            out.extend_from_slice(&v[..6]);
            out.extend_from_slice(&v[8..10]);
            out.extend_from_slice(b"13");
            out.extend_from_slice(&v[12..17]);
        }
    }
}

/// Appends a valid written form of a mobile number: `plain` per mille as
/// eleven digits, `spaced` per mille as `133 8018 4545`, the rest spread over
/// the `+86` and hyphenated forms.
pub(crate) fn push_mobile_form<R: Rng>(
    rng: &mut R,
    out: &mut Vec<u8>,
    phone: u64,
    plain: u32,
    spaced: u32,
) {
    let mut d = Vec::with_capacity(11);
    push_u64(&mut d, phone);
    let r = rng.gen_range(0..1000u32);
    if r < plain {
        out.extend_from_slice(&d);
        return;
    }
    if r < plain + spaced {
        out.extend_from_slice(&d[..3]);
        out.push(b' ');
        out.extend_from_slice(&d[3..7]);
        out.push(b' ');
        out.extend_from_slice(&d[7..]);
        return;
    }
    // The other forms share the rest in the proportions of the default mix
    // (where `plain` is 850 and this maps r onto itself).
    let rest = 1000 - plain - spaced;
    match 850 + (r - plain - spaced) * 150 / rest.max(1) {
        0..=849 => out.extend_from_slice(&d),
        850..=889 => {
            out.extend_from_slice(b"+86 ");
            out.extend_from_slice(&d[..3]);
            out.push(b' ');
            out.extend_from_slice(&d[3..7]);
            out.push(b' ');
            out.extend_from_slice(&d[7..]);
        }
        890..=919 => {
            out.extend_from_slice(b"86-");
            out.extend_from_slice(&d[..3]);
            out.push(b'-');
            out.extend_from_slice(&d[3..7]);
            out.push(b'-');
            out.extend_from_slice(&d[7..]);
        }
        920..=969 => {
            out.extend_from_slice(&d[..3]);
            out.push(b'-');
            out.extend_from_slice(&d[3..7]);
            out.push(b'-');
            out.extend_from_slice(&d[7..]);
        }
        _ => {
            out.extend_from_slice(b"+86");
            out.extend_from_slice(&d);
        }
    }
}

/// Appends a fixed-line number: `area` and eight digits in one of several forms.
pub(crate) fn push_fixed_form<R: Rng>(rng: &mut R, out: &mut Vec<u8>, area: &str, local: u64) {
    let mut d = Vec::with_capacity(8);
    push_pad(&mut d, 20_000_000 + local % 70_000_000, 8);
    match rng.gen_range(0..10u32) {
        0..=5 => {
            out.extend_from_slice(area.as_bytes());
            out.push(b'-');
            out.extend_from_slice(&d);
        }
        6 | 7 => {
            out.push(b'(');
            out.extend_from_slice(area.as_bytes());
            out.push(b')');
            out.extend_from_slice(&d);
        }
        8 => {
            out.extend_from_slice(area.as_bytes());
            out.extend_from_slice(&d);
        }
        _ => {
            out.extend_from_slice(area.as_bytes());
            out.push(b' ');
            out.extend_from_slice(&d[..4]);
            out.push(b' ');
            out.extend_from_slice(&d[4..]);
        }
    }
}

/// Appends a text that is no valid phone number.
pub(crate) fn push_bad_phone<R: Rng>(rng: &mut R, out: &mut Vec<u8>, phone: u64) {
    let mut d = Vec::with_capacity(12);
    push_u64(&mut d, phone);
    match rng.gen_range(0..6u32) {
        0 => out.extend_from_slice(&d[..10]),
        1 => {
            out.push(b'2');
            out.extend_from_slice(&d[1..]);
        }
        2 => {
            out.extend_from_slice(b"12");
            out.extend_from_slice(&d[2..]);
        }
        3 => out.extend_from_slice(b"0595-123"),
        4 => {
            out.extend_from_slice(&d);
            out.push(b'9');
        }
        _ => out.extend_from_slice("未知".as_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::HashSet;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).expect("date")
    }

    #[test]
    fn ids_are_unique_and_valid() {
        let ids = Ids::new(7, as_of());
        let mut seen = HashSet::new();
        let mut phones = HashSet::new();
        for g in 0..20_000 {
            let id = ids.id18(g);
            assert!(seen.insert(id), "duplicate id for {g}");
            assert!(phones.insert(ids.phone(g)));
            assert_eq!(id[17], check_of(&id));
            let y = birth_year(&id);
            assert!((1900..=2010).contains(&y), "{y}");
            let p = ids.phone(g);
            assert!((13_000_000_000..19_000_000_000).contains(&p));
        }
        assert!(ids.capacity() > 500_000_000);
    }

    #[test]
    fn bad_ids_differ_from_good() {
        let ids = Ids::new(3, as_of());
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        for g in 0..500 {
            let id = ids.id18(g);
            let mut out = Vec::new();
            push_bad_id(&mut rng, &mut out, &id, as_of(), g % 2 == 0);
            assert_ne!(out.as_slice(), &id[..]);
        }
    }

    #[test]
    fn phone_forms() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        for _ in 0..200 {
            let mut out = Vec::new();
            push_mobile_form(&mut rng, &mut out, 13_812_345_678, 850, 0);
            let digits: Vec<u8> = out.iter().copied().filter(u8::is_ascii_digit).collect();
            assert!(digits.ends_with(b"13812345678"));
        }
    }
}
