//! Plain decimal numbers as the feeds write them (usage amounts).

use super::text;

/// `[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?` only: no NaN, infinities, thousands separators
/// or hex. Any zero comes back as `+0.0`, so callers may test `== 0.0` and `< 0.0` safely.
/// A value too large for `f64` (it would round to infinity) is rejected too.
pub fn parse_number(raw: &str) -> Option<f64> {
    let s = text::trim(raw);
    let b = s.as_bytes();
    let digits_at = |i: usize| b[i..].iter().take_while(|c| c.is_ascii_digit()).count();

    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    let int_len = digits_at(i);
    i += int_len;
    let mut frac_len = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_len = digits_at(i);
        i += frac_len;
    }
    if int_len == 0 && frac_len == 0 {
        return None;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_len = digits_at(i);
        if exp_len == 0 {
            return None;
        }
        i += exp_len;
    }
    if i != b.len() {
        return None;
    }

    // The grammar above is a subset of what `f64::from_str` accepts, so this only converts.
    let v: f64 = s.parse().ok()?;
    if !v.is_finite() {
        return None;
    }
    Some(if v == 0.0 { 0.0 } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_forms() {
        let cases: [(&str, f64); 14] = [
            ("0", 0.0),
            ("12", 12.0),
            ("+12", 12.0),
            ("-12", -12.0),
            ("12.5", 12.5),
            ("12.", 12.0),
            (".5", 0.5),
            ("-.5", -0.5),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("2.5e-1", 0.25),
            (".5e1", 5.0),
            (" 7 ", 7.0),
            ("007", 7.0),
        ];
        for (s, want) in cases {
            assert_eq!(parse_number(s), Some(want), "{s:?}");
        }
    }

    #[test]
    fn zero_is_positive() {
        for s in ["-0", "-0.0", "+0", "0e5", "-0e-3", "-.0"] {
            let v = parse_number(s).unwrap();
            assert_eq!(v, 0.0, "{s:?}");
            assert!(v.is_sign_positive(), "{s:?}");
        }
    }

    #[test]
    fn rejected_forms() {
        for s in [
            "", " ", "NaN", "nan", "inf", "-inf", "infinity", "Infinity", "1,234", "0x10", "1_000",
            ".", "-", "+", "e5", "1e", "1e+", "1.2.3", "--1", "+-1", "1 2", "1e400", "-1e400",
            "１２", "12abc", "1.5f",
        ] {
            assert_eq!(parse_number(s), None, "{s:?}");
        }
    }
}
