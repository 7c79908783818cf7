//! A kill at any named step of a run leaves no half-state (SPEC §2): the
//! `RESIDENCE_PAUSE_AT` hook pauses the run at a step, the test sends
//! SIGKILL or SIGTERM there, then checks `runs/*/`, every manifest and
//! `latest`. A SIGTERM before the point of no return stops the run (143);
//! after it the run says "finishing: already publishing" and publishes (0).

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::*;

/// The run's named steps in order, and whether each lies past the point of
/// no return.
const STEPS: [(&str, bool); 8] = [
    ("ingest", false),
    ("outputs", false),
    ("manifest", false),
    ("commit", false),
    ("complete", true),
    ("publish", true),
    ("record", true),
    ("prune", true),
];

/// Runs kept: two earlier runs plus the new one make every run prune one.
const KEEP: &str = "2";

struct Killed {
    code: Option<i32>,
    log: String,
}

/// Starts a run paused at `step`, sends `signal` once it pauses, waits.
fn kill_at(out: &Path, step: &str, signal: &str) -> Killed {
    let mut child = Command::new(env!("CARGO_BIN_EXE_residence"))
        .args(["run", "--pipeline"])
        .arg(default_pipeline())
        .args([
            "--as-of",
            AS_OF,
            "--keep-runs",
            KEEP,
            "--log-format",
            "json",
        ])
        .arg("--out")
        .arg(out)
        .env("RESIDENCE_PAUSE_AT", step)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn residence");
    let mut reader = BufReader::new(child.stderr.take().expect("stderr"));
    let mut log = String::new();
    loop {
        let mut line = String::new();
        assert!(
            reader.read_line(&mut line).expect("read log") > 0,
            "the run ended before step {step}: {log}"
        );
        log.push_str(&line);
        if line.contains("paused at step") {
            break;
        }
    }
    let sent = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success());
    reader.read_to_string(&mut log).expect("read log");
    let status = child.wait().expect("wait");
    Killed {
        code: status.code(),
        log,
    }
}

fn latest(out: &Path) -> String {
    let target = std::fs::read_link(out.join("latest")).expect("latest is a link");
    target
        .file_name()
        .expect("a run")
        .to_string_lossy()
        .into_owned()
}

/// Names in `dir` starting with `prefix`.
fn names(dir: &Path, prefix: &str) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(prefix))
        .collect();
    v.sort();
    v
}

/// Every run `runs/*/` lists has a whole manifest; none claims a publication
/// that `latest` never showed; `latest` is a listed run. Returns the
/// manifest of the run `latest` points at.
fn assert_whole(out: &Path, ever_latest: &BTreeSet<String>, what: &str) -> Value {
    let listed: Vec<String> = names(&out.join("runs"), "")
        .into_iter()
        .filter(|n| !n.starts_with('.'))
        .collect();
    for id in &listed {
        let m = read_manifest(&out.join("runs").join(id));
        assert_eq!(m["run_id"], id.as_str(), "{what}");
        if m["published"] == true {
            assert!(
                ever_latest.contains(id),
                "{what}: runs/{id} claims a publication latest never showed: {}",
                m["publication"]
            );
        }
    }
    let now = latest(out);
    assert!(
        listed.contains(&now),
        "{what}: latest -> {now} is not listed"
    );
    // A run that was latest published itself; once another run started,
    // its manifest says so (the next run records what a kill left unsaid).
    for id in listed
        .iter()
        .filter(|id| ever_latest.contains(*id) && **id != now)
    {
        let m = read_manifest(&out.join("runs").join(id));
        assert_eq!(m["published"], true, "{what}: runs/{id} was latest");
    }
    read_manifest(&out.join("runs").join(now))
}

#[test]
#[allow(clippy::print_stderr)] // the tally, quoted in the closing note
fn sigkill_and_sigterm_at_every_named_step_leave_no_half_state() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let mut ever_latest = BTreeSet::new();
    for _ in 0..2 {
        run_ok(&default_pipeline(), None, &out, &["--keep-runs", KEEP]);
        ever_latest.insert(latest(&out));
    }
    let mut tally = Vec::new();
    for (step, past_no_return) in STEPS {
        for signal in ["KILL", "TERM"] {
            let before = latest(&out);
            let k = kill_at(&out, step, signal);
            let what = format!("SIG{signal} at {step}");
            ever_latest.insert(latest(&out));
            let m = assert_whole(&out, &ever_latest, &what);
            let now = latest(&out);
            match signal {
                "TERM" if past_no_return => {
                    assert_eq!(k.code, Some(0), "{what}: {}", k.log);
                    assert!(k.log.contains("finishing: already publishing"), "{what}");
                    assert!(!k.log.contains("stopping the run"), "{what}: {}", k.log);
                    assert_ne!(now, before, "{what}: the run published");
                    assert_eq!(m["published"], true, "{what}");
                }
                "TERM" => {
                    assert_eq!(k.code, Some(143), "{what}: {}", k.log);
                    assert!(k.log.contains("stopping the run"), "{what}");
                    assert_eq!(now, before, "{what}: latest moved");
                    assert!(names(&out.join("runs"), ".incomplete-").is_empty());
                    assert!(names(&out, ".spill-").is_empty(), "{what}");
                }
                _ => {
                    assert_eq!(k.code, None, "{what}: killed by a signal");
                    // Only a kill between the publish and its record leaves
                    // latest's manifest unrecorded; the next run records it.
                    let moved = ["record", "prune"].contains(&step);
                    assert_eq!(now != before, moved, "{what}");
                    assert_eq!(m["published"], step != "record", "{what}");
                }
            }
            tally.push(format!("SIG{signal}@{step}:{:?}", k.code));
        }
    }
    // The next run sweeps what the kills left and records the publication.
    let o = run(&default_pipeline(), None, &out, &["--keep-runs", KEEP]);
    assert_eq!(o.code, 0, "{}", o.show());
    ever_latest.insert(latest(&out));
    let m = assert_whole(&out, &ever_latest, "the sweeping run");
    assert_eq!(m["published"], true);
    assert!(names(&out.join("runs"), ".").is_empty(), "swept");
    assert!(names(&out, ".spill-").is_empty());
    let listed = names(&out.join("runs"), "");
    assert_eq!(listed.len(), 2, "--keep-runs {KEEP}: {listed:?}");
    eprintln!("{} kills landed: {}", tally.len(), tally.join(" "));
}
