//! Every view reads one published run and never writes inside `OUT`: a
//! target there is refused, a damaged run is an error naming the file, and
//! no log line of a view holds a whole ID number (SPEC §9).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::support::*;

const KEY: [u8; 40] = *b"an analyst-copy key of forty bytes, 2026";
const P01: &str = "430102198504120116";

fn published() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    run_ok(&default_pipeline(), None, &out, &[]);
    (tmp, out)
}

fn key(dir: &Path) -> PathBuf {
    let path = dir.join("key");
    std::fs::write(&path, KEY).expect("key");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    path
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn export(out: &Path, key: &Path, to: &Path) -> Outcome {
    residence(&[
        "export",
        "--out",
        s(out),
        "--key-file",
        s(key),
        "--to",
        s(to),
    ])
}

fn explain(out: &Path) -> Outcome {
    residence_showing(
        &[
            "explain",
            "--out",
            s(out),
            "--person",
            P01,
            "--format",
            "json",
        ],
        &[P01],
    )
}

/// Every file of the published run, with its bytes.
fn snapshot(out: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = out.join(std::fs::read_link(out.join("latest")).expect("latest"));
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("run dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (p.display().to_string(), std::fs::read(&p).expect("read"))
        })
        .collect();
    files.sort();
    files
}

#[test]
fn views_refuse_to_write_inside_the_output_root() {
    let (tmp, out) = published();
    let key = key(tmp.path());
    let before = snapshot(&out);
    for to in [out.join("latest"), out.clone(), out.join("latest/copy")] {
        let o = export(&out, &key, &to);
        assert_eq!(o.code, 2, "{}", o.show());
        assert!(o.stderr.contains("inside the output root"), "{}", o.show());
    }
    for html in [out.join("latest/manifest.json"), out.join("report.html")] {
        let o = residence(&["report", "--out", s(&out), "--html", s(&html)]);
        assert_eq!(o.code, 2, "{}", o.show());
        assert!(o.stderr.contains("inside the output root"), "{}", o.show());
    }
    assert_eq!(snapshot(&out), before, "the run is untouched");
    assert!(!out.join("report.html").exists());
    assert_eq!(explain(&out).code, 0);
}

#[test]
fn export_refuses_a_folder_that_is_not_empty() {
    let (tmp, out) = published();
    let key = key(tmp.path());
    let to = tmp.path().join("copy");
    std::fs::create_dir(&to).expect("mkdir");
    std::fs::write(to.join("stale.parquet"), b"old").expect("stale");
    let o = export(&out, &key, &to);
    assert_eq!(o.code, 2, "{}", o.show());
    assert!(o.stderr.contains("not empty"), "{}", o.show());
    assert!(!to.join("eligibility.parquet").exists());
    // An empty folder is fine.
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let o = export(&out, &key, &empty);
    assert_eq!(o.code, 0, "{}", o.show());
}

fn run_dir(out: &Path) -> PathBuf {
    out.join(std::fs::read_link(out.join("latest")).expect("latest"))
}

#[test]
fn a_persons_index_with_a_zeroed_count_is_an_error_naming_it() {
    let (_tmp, out) = published();
    let idx = run_dir(&out).join("persons.idx");
    let mut bytes = std::fs::read(&idx).expect("index");
    bytes[8..16].copy_from_slice(&0u64.to_le_bytes());
    std::fs::write(&idx, &bytes).expect("write");
    let o = explain(&out);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("persons.idx"), "{}", o.show());
    assert!(o.stdout.is_empty());
}

#[test]
fn an_output_of_another_run_is_an_error_naming_it() {
    let tmp = tempdir();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    run_ok(&default_pipeline(), None, &a, &[]);
    run_ok(&default_pipeline(), None, &b, &[]);
    // Same bytes but for the run id: swap eligibility.parquet.
    let target = run_dir(&a).join("eligibility.parquet");
    std::fs::remove_file(&target).expect("rm");
    std::fs::copy(run_dir(&b).join("eligibility.parquet"), &target).expect("copy");
    let o = explain(&a);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("eligibility.parquet") && o.stderr.contains("belongs to run"),
        "{}",
        o.show()
    );
    let html = tmp.path().join("r.html");
    let key = key(tmp.path());
    let o = export(&a, &key, &tmp.path().join("copy"));
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(o.stderr.contains("eligibility.parquet"), "{}", o.show());
    // The report draws from the manifest alone: it still works.
    let o = residence(&["report", "--out", s(&a), "--html", s(&html)]);
    assert_eq!(o.code, 0, "{}", o.show());
}

#[test]
fn an_unreadable_manifest_is_an_error_not_defaults() {
    let (_tmp, out) = published();
    let manifest = run_dir(&out).join("manifest.json");
    std::fs::write(&manifest, b"{\"run_id\": \"x\"}").expect("truncate");
    let o = explain(&out);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains("manifest.json") && o.stderr.contains("not a manifest"),
        "{}",
        o.show()
    );
}

#[test]
fn no_view_logs_a_whole_id_number() {
    let (tmp, out) = published();
    let key = key(tmp.path());
    // Good and bad IDs, in text and JSON logs, through every view.
    let ids = [P01, "430102198504120117", "11010519491231002X"];
    for log in ["text", "json"] {
        for id in ids {
            let o = residence(&[
                "--log-format",
                log,
                "explain",
                "--out",
                s(&out),
                "--person",
                id,
                "--city",
                "350200",
            ]);
            assert_ne!(o.code, 0, "{}", o.show());
            assert!(!o.stderr.contains(id), "{}", o.show());
            assert!(id_numbers_in(&o.stderr).is_empty(), "{}", o.show());
        }
        let o = residence(&[
            "--log-format",
            log,
            "report",
            "--out",
            s(&out),
            "--html",
            s(&tmp.path().join("r.html")),
        ]);
        assert!(id_numbers_in(&o.stderr).is_empty(), "{}", o.show());
        let o = export(&out, &key, &tmp.path().join(format!("copy-{log}")));
        assert!(id_numbers_in(&o.stderr).is_empty(), "{}", o.show());
        assert!(id_numbers_in(&o.stdout).is_empty(), "{}", o.show());
    }
}
