//! Killing a run at any moment leaves `latest` on the last complete run and
//! `runs/*/` listing complete runs only (SPEC §2, §8).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// A generated night big enough that a run takes a while, with rows spilled
/// to disk (`--memory-budget 0`) so that a spill folder exists mid-run.
fn night(dir: &Path) -> PathBuf {
    let data = dir.join("data");
    let o = residence(&[
        "generate",
        "--persons",
        "30000",
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

fn start(data: &Path, out: &Path, extra: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_residence"))
        .args(["run", "--pipeline"])
        .arg(default_pipeline())
        .arg("--data")
        .arg(data)
        .args(["--as-of", AS_OF, "--out"])
        .arg(out)
        .args(["--memory-budget", "0", "--quiet"])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn residence")
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

#[test]
fn sigterm_and_sigkill_at_any_moment_leave_latest_and_runs_whole() {
    let tmp = tempdir();
    let data = night(tmp.path());
    let out = tmp.path().join("out");
    // A published night to protect, and how long a run takes.
    let began = Instant::now();
    let o = start(&data, &out, &[]).wait_with_output().expect("run");
    let whole = began.elapsed();
    assert_eq!(o.status.code(), Some(0));
    let published = std::fs::read_link(out.join("latest")).expect("latest");

    let mut stopped = 0;
    for (i, fraction) in [0.02, 0.15, 0.3, 0.5, 0.7, 0.9].into_iter().enumerate() {
        let (name, code) = if i == 2 { ("INT", 130) } else { ("TERM", 143) };
        let mut child = start(&data, &out, &["--publish", "never"]);
        std::thread::sleep(whole.mul_f64(fraction));
        let sent = Instant::now();
        signal(&child, name);
        let status = child.wait().expect("wait");
        let took = sent.elapsed();
        let mut stderr = String::new();
        use std::io::Read;
        child
            .stderr
            .take()
            .expect("stderr")
            .read_to_string(&mut stderr)
            .expect("read stderr");
        assert!(took < Duration::from_secs(5), "stopped in {took:?}");
        // It either stopped, or had finished before the signal came.
        match status.code() {
            Some(c) if c == code => {
                stopped += 1;
                assert!(stderr.contains("interrupted by SIG"), "{stderr}");
            }
            Some(0) => {}
            other => panic!("exit {other:?} after SIG{name} at {fraction}: {stderr}"),
        }
        assert_eq!(
            std::fs::read_link(out.join("latest")).expect("latest"),
            published
        );
        assert!(entries(&out.join("runs"), ".incomplete-").is_empty());
        assert!(entries(&out, ".spill-").is_empty(), "spill removed");
        assert_only_complete_runs(&out);
    }
    assert!(stopped >= 4, "only {stopped} runs were caught mid-way");

    // SIGKILL cannot be caught: leftovers may stay, but never as a listed run,
    // and latest never moves.
    for fraction in [0.2, 0.5, 0.8] {
        let mut child = start(&data, &out, &["--publish", "never"]);
        std::thread::sleep(whole.mul_f64(fraction));
        signal(&child, "KILL");
        child.wait().expect("wait");
        assert_eq!(
            std::fs::read_link(out.join("latest")).expect("latest"),
            published
        );
        assert_only_complete_runs(&out);
    }
    // The next run removes what the killed ones left, under the lock.
    let o = start(&data, &out, &["--publish", "never"])
        .wait_with_output()
        .expect("run");
    assert_eq!(o.status.code(), Some(0));
    assert!(entries(&out.join("runs"), ".incomplete-").is_empty());
    assert!(entries(&out, ".spill-").is_empty());
    assert_only_complete_runs(&out);
}
