//! Every fixture under `tests/fixtures/`, run as its EXPECTED.md says, with
//! what a person at the console sees (exit code, summary, log lines)
//! snapshotted per fixture: a change to any message shows up in review.
//! The rows themselves are checked against EXPECTED.md elsewhere.

use crate::support::{console, fixture, root, run, tempdir};

/// Milliseconds and `[RUN]`-style volatile parts of the summary line.
fn timings_redacted(text: &str) -> String {
    text.lines()
        .map(|line| {
            let words: Vec<&str> = line.split(' ').collect();
            let mut out = Vec::with_capacity(words.len());
            for (i, w) in words.iter().enumerate() {
                let next = words
                    .get(i + 1)
                    .map(|n| n.trim_end_matches([',', ';', ')']));
                if next == Some("ms") && w.chars().all(|c| c.is_ascii_digit()) {
                    out.push("[N]");
                } else {
                    out.push(w);
                }
            }
            out.join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_fixture_says_what_it_did() {
    let mut names: Vec<String> = std::fs::read_dir(root().join("tests/fixtures"))
        .expect("fixtures")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 6, "fixtures found: {names:?}");
    for name in names {
        let md = std::fs::read_to_string(fixture(&name).join("EXPECTED.md")).expect("EXPECTED.md");
        assert!(
            md.contains("--as-of 2026-11-27"),
            "{name}: EXPECTED.md names the as-of this test runs with"
        );
        let tmp = tempdir();
        let o = run(
            &fixture(&name).join("pipeline.toml"),
            None,
            &tmp.path().join("out"),
            &[],
        );
        let root = root().display().to_string();
        let text = format!(
            "exit {}\n--- stdout\n{}\n--- stderr\n{}",
            o.code,
            console(&o.stdout, tmp.path()),
            console(&o.stderr, tmp.path())
        )
        .replace(&root, "[ROOT]");
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_suffix(name.clone());
        settings.set_description(format!("residence run on tests/fixtures/{name}"));
        settings.bind(|| insta::assert_snapshot!(timings_redacted(&text)));
    }
}
