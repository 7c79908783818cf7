//! Text normalisation shared by the field parsers: Unicode trimming and full-width folding.

use std::borrow::Cow;

/// Trims Unicode white space (the `White_Space` property, which includes U+3000 and U+00A0).
#[inline]
pub fn trim(s: &str) -> &str {
    // Fast path for the common field: both ends visible ASCII, nothing to trim.
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (None, _) => s,
        (Some(&a), Some(&b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// Folds one character: full-width ASCII variants to ASCII, the ideographic space to a space.
///
/// Parsers call this per character so they can normalise without building a new string.
#[inline]
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[inline]
fn is_foldable(c: char) -> bool {
    matches!(c, '\u{FF01}'..='\u{FF5E}' | '\u{3000}')
}

/// Full-width ASCII variants (U+FF01..=U+FF5E) become ASCII and U+3000 becomes a space.
///
/// Returns `Borrowed` when nothing changes, so the common all-ASCII field costs no allocation.
pub fn fold_width(s: &str) -> Cow<'_, str> {
    if s.is_ascii() {
        return Cow::Borrowed(s);
    }
    match s.char_indices().find(|&(_, c)| is_foldable(c)) {
        None => Cow::Borrowed(s),
        Some((pos, _)) => {
            let mut out = String::with_capacity(s.len());
            out.push_str(&s[..pos]);
            out.extend(s[pos..].chars().map(fold_char));
            Cow::Owned(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_handles_unicode_spaces() {
        assert_eq!(trim("\u{3000}abc\u{3000}"), "abc");
        assert_eq!(trim("\u{00A0} abc\t\r\n"), "abc");
        assert_eq!(trim("\u{3000}"), "");
        assert_eq!(trim("a b"), "a b");
    }

    #[test]
    fn fold_width_converts_full_width() {
        assert_eq!(fold_width("１２３ＡＢｘ"), "123ABx");
        assert_eq!(fold_width("泉州市\u{3000}丰泽区"), "泉州市 丰泽区");
        assert_eq!(fold_width("（０５９５）－"), "(0595)-");
        assert_eq!(fold_width("\u{FF01}\u{FF5E}"), "!~");
    }

    #[test]
    fn fold_width_borrows_when_unchanged() {
        assert!(matches!(fold_width("plain ascii"), Cow::Borrowed(_)));
        assert!(matches!(fold_width("泉州市丰泽区"), Cow::Borrowed(_)));
        assert!(matches!(fold_width("泉州１"), Cow::Owned(_)));
    }

    #[test]
    fn fold_char_leaves_others() {
        assert_eq!(fold_char('a'), 'a');
        assert_eq!(fold_char('泉'), '泉');
        assert_eq!(fold_char('\u{FF10}'), '0');
        assert_eq!(fold_char('\u{FF5F}'), '\u{FF5F}');
    }
}
