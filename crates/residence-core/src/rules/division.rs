//! Administrative division codes (GB/T 2260): parsing and the county → city relation.

use std::fmt;

use super::{id::is_province_code, text};

/// A six-digit division code whose province is known and which names at least a city.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Division(u32);

impl Division {
    /// For codes already known to be valid (gazetteer, configuration, stored output).
    pub fn new_unchecked(code: u32) -> Self {
        Division(code)
    }

    /// The six-digit code as a number (`350502`).
    pub fn code(self) -> u32 {
        self.0
    }

    /// The city: the first four digits followed by `00`.
    pub fn city(self) -> Division {
        Division(self.0 / 100 * 100)
    }

    /// True for a county-level division (last two digits not `00`), false for a city.
    pub fn is_county_level(self) -> bool {
        !self.0.is_multiple_of(100)
    }
}

impl fmt::Display for Division {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

/// Six digits (full-width digits accepted), a province code first, digits 3–4 not `00`.
/// Codes absent from any gazetteer are still valid: divisions get renumbered over the years.
pub fn parse_division(raw: &str) -> Option<Division> {
    let s = text::trim(raw);
    // Six ASCII digits, the usual form, without decoding characters.
    let (code, len) = match s.as_bytes() {
        b @ [_, _, _, _, _, _] if b.iter().all(u8::is_ascii_digit) => {
            (b.iter().fold(0u32, |a, &d| a * 10 + u32::from(d - b'0')), 6)
        }
        _ => digits(s)?,
    };
    if len != 6 || !is_province_code(code / 10_000) || (code / 100).is_multiple_of(100) {
        return None;
    }
    Some(Division(code))
}

/// The value and count of `s`'s digits (full-width ones too), stopping past six;
/// `None` at any other character.
fn digits(s: &str) -> Option<(u32, usize)> {
    let mut code = 0u32;
    let mut len = 0usize;
    for c in s.chars() {
        let d = text::fold_char(c).to_digit(10)?;
        if len == 6 {
            return None;
        }
        code = code * 10 + d;
        len += 1;
    }
    Some((code, len))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// ASCII codes take the fast path; the same digits full-width take the general one.
        #[test]
        fn ascii_and_full_width_digits_agree(code in 0u32..1_000_000) {
            let ascii = format!("{code:06}");
            let wide: String = ascii
                .chars()
                .map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap())
                .collect();
            prop_assert_eq!(parse_division(&ascii), parse_division(&wide));
        }
    }

    #[test]
    fn valid_codes() {
        assert_eq!(parse_division("350500").unwrap().code(), 350500);
        assert_eq!(parse_division(" 350502 ").unwrap().code(), 350502);
        assert_eq!(parse_division("３５０５０２").unwrap().code(), 350502);
        assert_eq!(parse_division("110105").unwrap().code(), 110105);
    }

    #[test]
    fn invalid_codes() {
        for bad in [
            "350000", "100500", "35050", "3505001", "35O500", "", "-35050", "350500.0", "990500",
            "35 0500",
        ] {
            assert_eq!(parse_division(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn city_and_level() {
        let d = parse_division("350582").unwrap();
        assert_eq!(d.city(), Division::new_unchecked(350500));
        assert!(d.is_county_level());
        assert!(!d.city().is_county_level());
        assert_eq!(d.city().city(), d.city());
    }

    #[test]
    fn display_is_six_digits() {
        assert_eq!(Division::new_unchecked(350500).to_string(), "350500");
        assert_eq!(Division::new_unchecked(110105).to_string(), "110105");
    }
}
