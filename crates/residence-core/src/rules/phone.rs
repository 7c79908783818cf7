//! Chinese phone numbers: separator stripping, the +86 prefix, mobile and fixed-line shapes.

use super::text;

/// A valid phone number as digits; `len` keeps the leading zero of fixed lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone {
    digits: u64,
    len: u8,
}

impl Phone {
    /// The digits as text, with a fixed line's leading zero (`0595228812`).
    pub fn as_string(self) -> String {
        format!("{:0width$}", self.digits, width = usize::from(self.len))
    }

    /// One integer for the phone (length in the top byte; at most 12 digits
    /// below), to store it compactly.
    pub fn to_bits(self) -> u64 {
        (u64::from(self.len) << 56) | self.digits
    }

    /// The inverse of [`Self::to_bits`].
    pub fn from_bits(bits: u64) -> Self {
        Phone {
            digits: bits & ((1 << 56) - 1),
            len: (bits >> 56) as u8,
        }
    }
}

/// Longest digit string worth collecting: `86` + a 12-digit fixed line.
const MAX_DIGITS: usize = 14;

/// Removes white space, hyphens and parentheses (full-width forms too), then a leading
/// `+86` or `86` when exactly eleven digits remain. Valid: mobile `1[3-9]` + 9 digits, or
/// fixed line `0` + 9 to 11 digits. Any other character makes the number invalid; a `+` is
/// only allowed as the first character of a stripped `+86`.
pub fn parse_phone(raw: &str) -> Option<Phone> {
    let mut buf = [0u8; MAX_DIGITS];
    let mut n = 0usize;
    let mut plus = false;
    for c in raw.chars() {
        let c = text::fold_char(c);
        if c.is_whitespace() || matches!(c, '-' | '(' | ')' | '\u{2010}' | '\u{2011}') {
            continue;
        }
        match c {
            '+' if n == 0 && !plus => plus = true,
            '0'..='9' => {
                if n == MAX_DIGITS {
                    return None;
                }
                buf[n] = c as u8;
                n += 1;
            }
            _ => return None,
        }
    }

    let digits = if n == 13 && buf.starts_with(b"86") {
        &buf[2..13]
    } else if plus {
        return None;
    } else {
        &buf[..n]
    };

    let valid = match digits {
        [b'1', b'3'..=b'9', ..] => digits.len() == 11,
        [b'0', ..] => (10..=12).contains(&digits.len()),
        _ => false,
    };
    if !valid {
        return None;
    }
    let value = digits
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    Some(Phone {
        digits: value,
        len: digits.len() as u8,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        parse_phone(s).map(Phone::as_string)
    }

    #[test]
    fn bits_round_trip() {
        for s in ["13800138000", "0595-22223333", "010-12345678"] {
            let p = parse_phone(s).unwrap();
            assert_eq!(Phone::from_bits(p.to_bits()), p);
        }
        let a = parse_phone("0595-2222333").unwrap();
        let b = parse_phone("595-2222333");
        assert_ne!(Some(a), b, "the leading zero is part of the number");
    }

    #[test]
    fn mobile_numbers() {
        for s in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "+86 138-0013-8000",
            "+8613800138000",
            "8613800138000",
            "86 138 0013 8000",
            "(+86) 138 0013 8000",
            "１３８００１３８０００",
            "138\u{3000}0013\u{3000}8000",
        ] {
            assert_eq!(norm(s).as_deref(), Some("13800138000"), "{s:?}");
        }
        assert_eq!(norm("19912345678").as_deref(), Some("19912345678"));
    }

    #[test]
    fn fixed_lines() {
        assert_eq!(norm("(0595)2288-1234").as_deref(), Some("059522881234"));
        assert_eq!(norm("（0595）2288－1234").as_deref(), Some("059522881234"));
        assert_eq!(norm("05952288123").as_deref(), Some("05952288123"));
        assert_eq!(norm("0102345678").as_deref(), Some("0102345678"));
        assert_eq!(norm("+86 0595 2288123").as_deref(), Some("05952288123"));
    }

    #[test]
    fn invalid_numbers() {
        for s in [
            "",
            "12800138000",
            "10800138000",
            "1380013800",
            "138001380001",
            "0595123",
            "059512345",
            "0595228812345",
            "86059522881234",
            "+86 0595 2288 1234",
            "+13800138000",
            "138+00138000",
            "++8613800138000",
            "138.0013.8000",
            "138/0013/8000",
            "tel:13800138000",
            "23800138000",
            "000000000000000000000",
        ] {
            assert_eq!(parse_phone(s), None, "{s:?}");
        }
    }

    #[test]
    fn leading_zero_is_kept_apart() {
        let a = parse_phone("0595228812").unwrap();
        let b = parse_phone("05952288120").unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_string(), "0595228812");
    }
}
