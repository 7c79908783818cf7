//! Error text for people: a failure's chain of causes in plain words, with
//! no Rust debug text and no OS error numbers.

use std::error::Error;

/// What an I/O error says, without the " (os error N)" that `Display` adds.
pub fn io_words(e: &std::io::Error) -> String {
    without_os_code(&e.to_string()).to_owned()
}

/// Cuts " (os error N)" off the end, and the " at path P" that tempfile
/// adds after it (the caller names the one path that matters).
fn without_os_code(text: &str) -> &str {
    let Some(at) = text.rfind(" (os error ") else {
        return text;
    };
    match text[at..].find(')') {
        Some(close) => {
            let after = &text[at + close + 1..];
            if after.is_empty() || after.starts_with(" at path ") {
                &text[..at]
            } else {
                text
            }
        }
        None => text,
    }
}

/// Cuts the words a Parquet writer wraps an I/O error in ("parquet: File
/// out of specification: underlying IO error: "): a full disk is said as
/// "No space left on device", not as a bad file.
fn without_wrappers(text: &str) -> &str {
    const WRAPPERS: [&str; 2] = [
        "parquet: File out of specification: underlying IO error: ",
        "underlying IO error: ",
    ];
    WRAPPERS
        .iter()
        .find_map(|w| text.strip_prefix(w))
        .unwrap_or(text)
}

/// An error and its causes, joined by ": ", each once. A cause whose text
/// its parent already shows (a transparent wrapper) is not repeated.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = without_wrappers(without_os_code(&e.to_string())).to_owned();
        if !parts.last().is_some_and(|last| last.ends_with(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read {path}")]
    struct Read {
        path: String,
        source: std::io::Error,
    }

    #[derive(Debug, thiserror::Error)]
    enum Outer {
        #[error(transparent)]
        Read(#[from] Read),
    }

    #[test]
    fn a_full_disk_under_parquet_is_said_plainly() {
        let e = Read {
            path: "OUT/runs/x/filtered.parquet".into(),
            source: std::io::Error::other(
                "parquet: File out of specification: underlying IO error: No space left on device (os error 28)",
            ),
        };
        assert_eq!(
            chain(&e),
            "cannot read OUT/runs/x/filtered.parquet: No space left on device"
        );
    }

    #[test]
    fn causes_once_without_os_codes() {
        let io = std::io::Error::from_raw_os_error(2);
        assert!(io.to_string().contains("(os error 2)"));
        assert_eq!(io_words(&io), "No such file or directory");
        let temp = std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "No such file or directory (os error 2) at path \"/m/.residence-metrics-x\"",
        );
        assert_eq!(io_words(&temp), "No such file or directory");
        let e = Outer::from(Read {
            path: "/data/lease/a.csv".into(),
            source: io,
        });
        assert_eq!(
            chain(&e),
            "cannot read /data/lease/a.csv: No such file or directory"
        );
    }
}
