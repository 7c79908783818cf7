//! Killing a run at any moment leaves `latest` on the last complete run and
//! `runs/*/` listing complete runs only (SPEC §2, §8).
//!
//! The run logs each phase as it begins (`--log-format json`); the test
//! sends its signal a little after a given phase begins, so every phase is
//! hit whatever the machine's speed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::*;

/// A generated night big enough that each phase takes a while, with rows
/// spilled to disk (`--memory-budget 0`) so that a spill folder exists.
fn night(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let o = residence(&[
        "generate",
        "--persons",
        "20000",
        "--seed",
        "3",
        "--as-of",
        AS_OF,
        "--out",
        data.to_str().expect("utf-8"),
    ]);
    assert_eq!(o.code, 0, "{}", o.show());
    data
}

fn start(data: &Path, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_residence"))
        .args(["run", "--pipeline"])
        .arg(default_pipeline())
        .arg("--data")
        .arg(data)
        .args(["--as-of", AS_OF, "--out"])
        .arg(out)
        .args([
            "--memory-budget",
            "0",
            "--log-format",
            "json",
            "--publish",
            "never",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn residence")
}

/// Reads the run's log until `phase` begins; returns the lines read.
fn wait_for_phase(
    child: &mut Child,
    phase: &str,
) -> (BufReader<std::process::ChildStderr>, Vec<String>) {
    let mut lines = Vec::new();
    let mut reader = BufReader::new(child.stderr.take().expect("stderr"));
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).expect("read log") == 0 {
            panic!("the run ended before phase {phase}: {lines:?}");
        }
        let v: Value = serde_json::from_str(&line).expect("a JSON log line");
        lines.push(line.clone());
        if v["phase"] == phase {
            return (reader, lines);
        }
    }
}

fn signal(child: &Child, name: &str) {
    let sent = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
}

/// Entries of a folder whose names start with `prefix`.
fn entries(dir: &Path, prefix: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix))
                .collect()
        })
        .unwrap_or_default()
}

/// Every run folder `runs/*/` lists is complete: it has its manifest.
fn assert_only_complete_runs(out: &Path) {
    for name in entries(&out.join("runs"), "") {
        if !name.starts_with('.') {
            let manifest = out.join("runs").join(&name).join("manifest.json");
            assert!(manifest.is_file(), "runs/{name} is listed but incomplete");
        }
    }
}

const PHASES: [&str; 5] = [
    "reading feeds",
    "superseding",
    "resolving buyers by phone",
    "writing outputs",
    "writing rejected and filtered rows",
];

#[test]
#[allow(clippy::print_stderr)] // names where each kill landed, for a failing run
fn sigterm_and_sigkill_at_every_phase_leave_latest_and_runs_whole() {
    let tmp = tempdir();
    let data = night(tmp.path());
    let out = tmp.path().join("out");
    // A published night to protect.
    run_ok(&default_pipeline(), Some(&data), &out, &[]);
    let published = std::fs::read_link(out.join("latest")).expect("latest");

    let mut stopped = Vec::new();
    for (i, phase) in PHASES.iter().enumerate() {
        let (name, code) = if i == 1 { ("INT", 130) } else { ("TERM", 143) };
        let mut child = start(&data, &out);
        let (mut reader, mut lines) = wait_for_phase(&mut child, phase);
        std::thread::sleep(Duration::from_millis(20));
        let sent = Instant::now();
        signal(&child, name);
        let status = child.wait().expect("wait");
        let took = sent.elapsed();
        let mut rest = String::new();
        std::io::Read::read_to_string(&mut reader, &mut rest).expect("read log");
        lines.extend(rest.lines().map(str::to_owned));
        assert!(took < Duration::from_secs(5), "stopped in {took:?}");
        // A phase can be short: the run may have finished before the signal.
        match status.code() {
            Some(c) if c == code => {
                stopped.push(*phase);
                assert!(
                    lines
                        .iter()
                        .any(|l| l.contains(&format!("interrupted by SIG{name}"))),
                    "{lines:?}"
                );
            }
            Some(0) => assert!(i >= 1, "a run outlived SIG{name} in phase {phase}"),
            other => panic!("exit {other:?} after SIG{name} in phase {phase}: {lines:?}"),
        }
        assert_eq!(
            std::fs::read_link(out.join("latest")).expect("latest"),
            published
        );
        assert!(entries(&out.join("runs"), ".incomplete-").is_empty());
        assert!(entries(&out, ".spill-").is_empty(), "spill removed");
        assert_only_complete_runs(&out);
    }

    // The long phases are always caught mid-way.
    for phase in ["reading feeds", "writing outputs"] {
        assert!(
            stopped.contains(&phase),
            "{phase} not interrupted: {stopped:?}"
        );
    }
    eprintln!("interrupted in: {stopped:?}");

    // SIGKILL cannot be caught: leftovers may stay, but never as a listed
    // run, and latest never moves.
    for phase in ["reading feeds", "writing outputs"] {
        let mut child = start(&data, &out);
        let _log = wait_for_phase(&mut child, phase);
        std::thread::sleep(Duration::from_millis(20));
        signal(&child, "KILL");
        child.wait().expect("wait");
        assert_eq!(
            std::fs::read_link(out.join("latest")).expect("latest"),
            published
        );
        assert_only_complete_runs(&out);
    }
    let left = entries(&out.join("runs"), ".incomplete-").len() + entries(&out, ".spill-").len();
    assert!(left > 0, "a killed run leaves its folders");
    // The next run removes what the killed ones left, under the lock.
    let o = run(
        &default_pipeline(),
        Some(&data),
        &out,
        &["--publish", "never"],
    );
    assert_eq!(o.code, 0, "{}", o.show());
    assert!(
        o.stderr.contains("removed what an interrupted run left"),
        "{}",
        o.show()
    );
    assert!(entries(&out.join("runs"), ".incomplete-").is_empty());
    assert!(entries(&out, ".spill-").is_empty());
    assert_only_complete_runs(&out);
}
