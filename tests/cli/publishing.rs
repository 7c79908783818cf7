//! Publishing: `latest`, permissions.

use std::path::{Path, PathBuf};

use crate::support::*;

#[test]
fn latest_points_at_the_run_and_outputs_are_private() {
    let out = tempdir();
    let o = run(&default_pipeline(), None, out.path(), &[]);
    assert_eq!(o.code, 0, "{}", o.show());
    let runs: Vec<PathBuf> = std::fs::read_dir(out.path().join("runs"))
        .expect("OUT/runs")
        .map(|e| e.expect("entry").path())
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    let run_id = runs[0].file_name().expect("run id").to_owned();
    let link = std::fs::read_link(out.path().join("latest")).expect("latest is a symlink");
    assert_eq!(link, Path::new("runs").join(&run_id));
    let m = read_manifest(&out.path().join("latest"));
    assert_eq!(m["run_id"].as_str(), run_id.to_str());

    assert_eq!(mode(&runs[0]), 0o700, "run folder mode");
    for name in [
        "eligibility.parquet",
        "spells.parquet",
        "evidence.parquet",
        "rejects.parquet",
        "manifest.json",
    ] {
        assert_eq!(mode(&runs[0].join(name)), 0o600, "{name} mode");
    }

    // A second run repoints latest at itself.
    let second = run_ok(&default_pipeline(), None, out.path(), &["--quiet"]);
    assert_ne!(second.file_name(), Some(run_id.as_os_str()));
    assert!(
        runs[0].join("manifest.json").is_file(),
        "the first run is kept"
    );
}
