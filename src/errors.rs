//! Error text for people: a failure's chain of causes in plain words, with
//! no Rust debug text and no OS error numbers.

use std::error::Error;

/// What an I/O error says, without the " (os error N)" that `Display` adds.
pub fn io_words(e: &std::io::Error) -> String {
    without_os_code(&e.to_string()).to_owned()
}

fn without_os_code(text: &str) -> &str {
    match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    }
}

/// An error and its causes, joined by ": ", each once. A cause whose text
/// its parent already shows (a transparent wrapper) is not repeated.
pub fn chain(error: &(dyn Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(error);
    while let Some(e) = next {
        let text = without_os_code(&e.to_string()).to_owned();
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
    fn causes_once_without_os_codes() {
        let io = std::io::Error::from_raw_os_error(2);
        assert!(io.to_string().contains("(os error 2)"));
        assert_eq!(io_words(&io), "No such file or directory");
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
