//! File names as text (SPEC §2: file names are bytes): UTF-8 as it is, each
//! byte that is not UTF-8 as `\xNN`, and a backslash as `\\`, so two
//! different names never show as one. Depends on nothing else in the crate.

use std::fmt::Write as _;
use std::path::Path;

/// `bytes` as text: valid UTF-8 kept, every other byte escaped as `\xNN`
/// (lower-case hex), a backslash doubled. Distinct inputs give distinct texts.
pub fn escape_name(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\\' {
                out.push_str("\\\\");
            } else {
                out.push(c);
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A path as text, its bytes escaped by [`escape_name`].
pub fn escape_path(path: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escape_name(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        escape_name(path.to_string_lossy().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_are_not_utf8_stay_distinct() {
        assert_eq!(escape_name(b"a\xff.csv"), "a\\xff.csv");
        assert_eq!(escape_name(b"a\xfe.csv"), "a\\xfe.csv");
        assert_ne!(escape_name(b"a\xff.csv"), escape_name(b"a\xfe.csv"));
        // A name that spells the escape itself does not collide with it.
        assert_eq!(escape_name(b"a\\xff.csv"), "a\\\\xff.csv");
    }

    #[test]
    fn utf8_names_are_kept() {
        assert_eq!(escape_name("租赁/合同.csv".as_bytes()), "租赁/合同.csv");
        assert_eq!(escape_name(b"a\nb.csv"), "a\nb.csv", "logs escape controls");
    }
}
