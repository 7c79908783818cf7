//! File names as text (SPEC §2: file names are bytes): UTF-8 as it is, each
//! byte that is not UTF-8 as `\xNN`, and a backslash as `\\`, so two
//! different names never show as one. The run and the Python module show
//! names through it.

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

/// A feed file's name as outputs show it (`input_file`): its path under
/// the feed root `root`, `/`-separated, each part escaped by [`escape_path`].
pub fn input_file(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .components()
        .map(|c| escape_path(Path::new(c.as_os_str())))
        .collect::<Vec<_>>()
        .join("/")
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
    fn input_files_are_relative_to_the_root_and_slash_separated() {
        let root = Path::new("/data");
        assert_eq!(
            input_file(root, Path::new("/data/lease/a.csv")),
            "lease/a.csv"
        );
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt;
            let odd = Path::new(std::ffi::OsStr::from_bytes(b"/data/lease/a\xff.csv"));
            assert_eq!(input_file(root, odd), "lease/a\\xff.csv");
        }
    }

    #[test]
    fn utf8_names_are_kept() {
        assert_eq!(escape_name("租赁/合同.csv".as_bytes()), "租赁/合同.csv");
        assert_eq!(escape_name(b"a\nb.csv"), "a\nb.csv", "logs escape controls");
    }
}
