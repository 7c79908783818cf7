//! Citizen ID numbers (GB 11643): normalisation, validation, the canonical `PersonId` and masking.

use std::fmt;

use chrono::NaiveDate;

use super::text;

/// A valid citizen ID, stored as its first 17 digits; the check character is implied.
///
/// Ordering equals the ordering of the 18-character canonical strings: the 17 digits are
/// fixed-width and the check character is a function of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PersonId(u64);

impl PersonId {
    /// `v` must be below 10^17 (the first 17 digits of a valid ID).
    pub fn from_u64(v: u64) -> Self {
        debug_assert!(v < 100_000_000_000_000_000);
        PersonId(v)
    }

    /// The first 17 digits as a number (the check character is implied).
    pub fn as_u64(self) -> u64 {
        self.0
    }

    /// The 18 ASCII bytes of the canonical form, check character included.
    pub fn canonical(self) -> [u8; 18] {
        let mut out = [b'0'; 18];
        let mut v = self.0;
        for slot in out[..17].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out[17] = check_of(&out[..17]);
        out
    }

    /// An 18-character canonical id as outputs write it (17 digits and the
    /// right check character); `None` for anything else.
    pub fn from_canonical(text: &str) -> Option<PersonId> {
        let b = text.as_bytes();
        if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) || check_of(&b[..17]) != b[17] {
            return None;
        }
        Some(PersonId(
            b[..17]
                .iter()
                .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')),
        ))
    }

    /// The whole 18-character canonical id; not for logs (see [`Self::masked`]).
    pub fn to_canonical_string(self) -> String {
        self.canonical().iter().map(|&b| char::from(b)).collect()
    }

    /// `350502********123X`: safe to log.
    pub fn masked(self) -> String {
        self.masked_bytes().iter().map(|&b| char::from(b)).collect()
    }

    fn masked_bytes(self) -> [u8; 18] {
        let mut out = self.canonical();
        out[6..14].fill(b'*');
        out
    }
}

/// Prints the masked form, so an accidental `{}` in a log never leaks a whole ID.
impl fmt::Display for PersonId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let bytes = self.masked_bytes();
        f.write_str(std::str::from_utf8(&bytes).map_err(|_| fmt::Error)?)
    }
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

fn check_of(digits: &[u8]) -> u8 {
    let sum: u32 = digits
        .iter()
        .zip(WEIGHTS)
        .map(|(&b, w)| u32::from(b.wrapping_sub(b'0')) * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

/// ISO 7064 MOD 11-2 check character over 17 ASCII digits.
pub fn check_char(first17: &[u8; 17]) -> u8 {
    check_of(first17)
}

/// True for the first two digits of a real province (SPEC §3: 11–15, 21–23, …, 83).
pub fn is_province_code(code: u32) -> bool {
    matches!(
        code,
        11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82 | 83
    )
}

/// Why a text is not a valid ID number (`invalid_id_number`); [`IdError::detail`] words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdError {
    /// Neither 17 digits then a digit or `X`, nor 15 digits.
    Format,
    /// The first two digits are no province code.
    Province,
    /// Characters 7–14 are no real date between 1900-01-01 and as-of.
    BirthDate,
    /// The check character does not match the first 17 digits (ISO 7064 MOD 11-2).
    CheckChar,
}

impl IdError {
    /// Short English text for the rejects' `detail` column.
    pub fn detail(self) -> &'static str {
        match self {
            IdError::Format => "not 18 characters (17 digits + digit/X) or 15 digits",
            IdError::Province => "unknown province code",
            IdError::BirthDate => {
                "birth date not a real date between 1900-01-01 and the as-of date"
            }
            IdError::CheckChar => "wrong check character",
        }
    }
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.detail())
    }
}

impl std::error::Error for IdError {}

#[inline]
fn digits_value(bytes: &[u8]) -> u32 {
    bytes
        .iter()
        .fold(0u32, |acc, &b| acc * 10 + u32::from(b - b'0'))
}

/// Parses and validates an ID number as of `as_of`.
///
/// Checks run in a fixed order and the first failure is reported:
/// Format, then Province, then BirthDate, then CheckChar. A legacy 15-digit number is
/// widened to 18 (`19` inserted before the birth year, check character computed), so it
/// can never fail CheckChar.
pub fn parse_id_number(raw: &str, as_of: NaiveDate) -> Result<PersonId, IdError> {
    let mut buf = [0u8; 18];
    let mut len = 0usize;
    for c in text::trim(raw).chars() {
        let b = match text::fold_char(c) {
            d @ '0'..='9' => d as u8,
            'X' | 'x' => b'X',
            _ => return Err(IdError::Format),
        };
        if len == buf.len() {
            return Err(IdError::Format);
        }
        buf[len] = b;
        len += 1;
    }

    let mut first17 = [0u8; 17];
    match len {
        18 => first17.copy_from_slice(&buf[..17]),
        15 => {
            first17[..6].copy_from_slice(&buf[..6]);
            first17[6..8].copy_from_slice(b"19");
            first17[8..].copy_from_slice(&buf[6..15]);
        }
        _ => return Err(IdError::Format),
    }
    // Only the 18th character of an 18-character number may be X.
    if first17.contains(&b'X') || (len == 15 && buf[14] == b'X') {
        return Err(IdError::Format);
    }

    if !is_province_code(digits_value(&first17[..2])) {
        return Err(IdError::Province);
    }

    let year = digits_value(&first17[6..10]) as i32;
    let month = digits_value(&first17[10..12]);
    let day = digits_value(&first17[12..14]);
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1);
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(birth) if Some(birth) >= earliest && birth <= as_of => {}
        _ => return Err(IdError::BirthDate),
    }

    if len == 18 && check_char(&first17) != buf[17] {
        return Err(IdError::CheckChar);
    }

    let value = first17
        .iter()
        .fold(0u64, |acc, &b| acc * 10 + u64::from(b - b'0'));
    Ok(PersonId(value))
}

/// Masks any raw text that might be an ID: first 6 and last 4 characters kept, the rest `*`;
/// text of 10 characters or fewer becomes all `*`. Counts characters, not bytes.
pub fn mask_id_text(s: &str) -> String {
    let n = s.chars().count();
    if n <= 10 {
        return "*".repeat(n);
    }
    s.chars()
        .enumerate()
        .map(|(i, c)| if i < 6 || i >= n - 4 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn as_of() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    /// Builds a valid 18-character ID from 17 digits.
    fn with_check(first17: &str) -> String {
        let arr: [u8; 17] = first17.as_bytes().try_into().unwrap();
        let mut s = first17.to_string();
        s.push(char::from(check_char(&arr)));
        s
    }

    #[test]
    fn canonical_text_round_trips() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let p = parse_id_number("44010419940217012x", as_of).unwrap();
        let text = p.to_canonical_string();
        assert_eq!(text, "44010419940217012X");
        assert_eq!(PersonId::from_canonical(&text), Some(p));
        assert_eq!(PersonId::from_canonical("440104199402170121"), None);
        assert_eq!(PersonId::from_canonical("44010419940217012x"), None);
        assert_eq!(PersonId::from_canonical("4401041994021701"), None);
    }

    #[test]
    fn known_valid_id() {
        assert_eq!(check_char(b"11010519491231002"), b'X');
        let id = parse_id_number("11010519491231002X", as_of()).unwrap();
        assert_eq!(id.to_canonical_string(), "11010519491231002X");
        assert_eq!(id.as_u64(), 11010519491231002);
        assert_eq!(&id.canonical(), b"11010519491231002X");
        assert_eq!(PersonId::from_u64(id.as_u64()), id);
    }

    #[test]
    fn lowercase_and_full_width_x() {
        let want = parse_id_number("11010519491231002X", as_of()).unwrap();
        assert_eq!(parse_id_number("11010519491231002x", as_of()), Ok(want));
        assert_eq!(parse_id_number("11010519491231002Ｘ", as_of()), Ok(want));
        assert_eq!(parse_id_number("11010519491231002ｘ", as_of()), Ok(want));
        assert_eq!(
            parse_id_number(" 11010519491231002X\u{3000}", as_of()),
            Ok(want)
        );
    }

    #[test]
    fn full_width_digits() {
        let id = with_check("35050219900101123");
        let full: String = id
            .chars()
            .map(|c| {
                if c.is_ascii_digit() {
                    char::from_u32(c as u32 + 0xFEE0).unwrap()
                } else {
                    c
                }
            })
            .collect();
        let parsed = parse_id_number(&full, as_of()).unwrap();
        assert_eq!(parsed.to_canonical_string(), id);
    }

    #[test]
    fn fifteen_digits_widen_to_eighteen() {
        let check = check_char(b"13050319670401001");
        assert_eq!(check, b'6');
        let id = parse_id_number("130503670401001", as_of()).unwrap();
        assert_eq!(id.to_canonical_string(), "130503196704010016");
        assert_eq!(
            parse_id_number("130503196704010016", as_of()),
            Ok(id),
            "the widened form parses to the same person"
        );
    }

    #[test]
    fn bad_check_char() {
        assert_eq!(
            parse_id_number("110105194912310021", as_of()),
            Err(IdError::CheckChar)
        );
        assert_eq!(
            parse_id_number("130503196704010019", as_of()),
            Err(IdError::CheckChar)
        );
    }

    #[test]
    fn birth_date_bounds() {
        assert_eq!(
            parse_id_number(&with_check("35050218991231123"), as_of()),
            Err(IdError::BirthDate)
        );
        assert!(parse_id_number(&with_check("35050219000101123"), as_of()).is_ok());
        assert!(parse_id_number(&with_check("35050220261127123"), as_of()).is_ok());
        assert_eq!(
            parse_id_number(&with_check("35050220261128123"), as_of()),
            Err(IdError::BirthDate)
        );
        assert_eq!(
            parse_id_number(&with_check("35050220000230123"), as_of()),
            Err(IdError::BirthDate)
        );
        assert_eq!(
            parse_id_number(&with_check("35050220001301123"), as_of()),
            Err(IdError::BirthDate)
        );
    }

    #[test]
    fn province_codes() {
        for p in ["10", "16", "99", "00", "24", "47"] {
            let id = with_check(&format!("{p}050219900101123"));
            assert_eq!(parse_id_number(&id, as_of()), Err(IdError::Province), "{p}");
        }
        for p in ["71", "81", "82", "83", "11", "65", "35"] {
            let id = with_check(&format!("{p}050219900101123"));
            assert!(parse_id_number(&id, as_of()).is_ok(), "{p}");
        }
    }

    #[test]
    fn check_order_is_format_province_birth_check() {
        // Bad province, bad date and bad check all at once: province wins.
        assert_eq!(
            parse_id_number("100502199002301230", as_of()),
            Err(IdError::Province)
        );
        // Bad date and bad check: date wins.
        assert_eq!(
            parse_id_number("350502199002301230", as_of()),
            Err(IdError::BirthDate)
        );
    }

    #[test]
    fn format_errors() {
        for bad in [
            "",
            "1101051949123100",
            "11010519491231002X1",
            "1101051949123100XX",
            "1101051949A231002X",
            "11010519491231002Y",
            "13050367040100X",
            "1305036704010",
            "110105 19491231002X",
            "１１０１０５",
        ] {
            assert_eq!(
                parse_id_number(bad, as_of()),
                Err(IdError::Format),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn masking() {
        let id = parse_id_number("11010519491231002X", as_of()).unwrap();
        assert_eq!(id.masked(), "110105********002X");
        assert_eq!(format!("{id}"), "110105********002X");
        assert_eq!(mask_id_text("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id_text("1234567890"), "**********");
        assert_eq!(mask_id_text("12345678901"), "123456*8901");
        assert_eq!(mask_id_text(""), "");
        assert_eq!(
            mask_id_text("泉州市丰泽区东海街道一号"),
            "泉州市丰泽区**街道一号"
        );
    }

    #[test]
    fn ordering_matches_canonical_strings() {
        let a = parse_id_number(&with_check("35050219900101123"), as_of()).unwrap();
        let b = parse_id_number(&with_check("35050219900101124"), as_of()).unwrap();
        let c = parse_id_number("11010519491231002X", as_of()).unwrap();
        let mut ids = [a, b, c];
        ids.sort();
        let strings: Vec<String> = ids.iter().map(|i| i.to_canonical_string()).collect();
        let mut sorted = strings.clone();
        sorted.sort();
        assert_eq!(strings, sorted);
    }

    #[test]
    fn error_details() {
        assert_eq!(IdError::CheckChar.to_string(), "wrong check character");
        assert!(IdError::Format.detail().contains("15 digits"));
    }
}
