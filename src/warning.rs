//! A run's warnings with what they are about (a source, a file), and
//! repeats of one kind summarised after the first ten (SPEC §8).

use std::collections::BTreeMap;

/// Warnings of one kind shown before the rest are counted.
pub const SHOWN_PER_KIND: usize = 10;

/// One warning of a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The source it is about, if one.
    pub source: Option<String>,
    /// The input file it is about (relative to the data root, escaped), if one.
    pub file: Option<String>,
    /// What is wrong, without the file's name.
    pub message: String,
}

impl Warning {
    /// A run-level warning; a leading `source NAME: ` names the source.
    pub fn run(message: String) -> Warning {
        let source = message
            .strip_prefix("source ")
            .and_then(|rest| rest.split_once(": "))
            .map(|(name, _)| name.to_owned())
            .filter(|name| !name.contains(' '));
        Warning {
            source,
            file: None,
            message,
        }
    }

    /// A warning about one input file.
    pub fn file(source: &str, file: &str, message: &str) -> Warning {
        Warning {
            source: Some(source.to_owned()),
            file: Some(file.to_owned()),
            message: message.to_owned(),
        }
    }

    /// The warning as one line of text (`lease/a.csv: 0-byte file: 0 rows`).
    pub fn text(&self) -> String {
        match &self.file {
            Some(f) => format!("{f}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// The first [`SHOWN_PER_KIND`] warnings of each kind (file warnings with
/// the same message are one kind), in order, then one warning per kind
/// counting the rest.
pub fn summarise(warnings: &[Warning]) -> Vec<Warning> {
    let kind = |w: &Warning| match &w.file {
        Some(_) => w.message.clone(),
        None => w.text(),
    };
    let mut seen: BTreeMap<String, (usize, Option<String>)> = BTreeMap::new();
    let mut out = Vec::new();
    let mut order = Vec::new();
    for w in warnings {
        let k = kind(w);
        let entry = seen.entry(k.clone()).or_insert_with(|| {
            order.push(k.clone());
            (0, w.source.clone())
        });
        entry.0 += 1;
        if entry.1 != w.source {
            entry.1 = None;
        }
        if entry.0 <= SHOWN_PER_KIND {
            out.push(w.clone());
        }
    }
    for k in order {
        let (n, source) = &seen[&k];
        if *n > SHOWN_PER_KIND {
            out.push(Warning {
                source: source.clone(),
                file: None,
                message: format!(
                    "{} more files with the same warning: {k}",
                    n - SHOWN_PER_KIND
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_past_ten_are_counted_in_one_warning() {
        let mut ws: Vec<Warning> = (0..25)
            .map(|i| Warning::file("lease", &format!("lease/{i}.csv"), "0-byte file: 0 rows"))
            .collect();
        ws.push(Warning::run("source pledge: folder x is absent".into()));
        let out = summarise(&ws);
        assert_eq!(out.len(), 12, "{out:?}");
        assert_eq!(out[9].file.as_deref(), Some("lease/9.csv"));
        assert_eq!(out[10].source.as_deref(), Some("pledge"));
        assert_eq!(
            out[11].text(),
            "15 more files with the same warning: 0-byte file: 0 rows"
        );
        assert_eq!(out[11].source.as_deref(), Some("lease"));
    }

    #[test]
    fn ten_or_fewer_are_all_shown() {
        let ws: Vec<Warning> = (0..10)
            .map(|i| Warning::file("lease", &format!("{i}.csv"), "empty"))
            .collect();
        assert_eq!(summarise(&ws), ws);
    }

    #[test]
    fn a_run_warning_names_its_source() {
        assert_eq!(
            Warning::run("source utility: stale".into())
                .source
                .as_deref(),
            Some("utility")
        );
        assert_eq!(Warning::run("drift accepted".into()).source, None);
    }
}
