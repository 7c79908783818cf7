//! Installing it as an operator would (SPEC §2, §8): `deploy/install.sh`
//! into a temporary root (`DESTDIR`), twice, then `residence check` on the
//! installed layout.

use std::path::Path;
use std::process::Command;

use crate::support::*;

fn install(root: &Path) -> std::process::Output {
    Command::new("bash")
        .arg(root_dir().join("deploy/install.sh"))
        .env("DESTDIR", root)
        .env("BINARY", env!("CARGO_BIN_EXE_residence"))
        .output()
        .expect("run install.sh")
}

fn root_dir() -> std::path::PathBuf {
    root()
}

fn check(args: &[&Path]) -> Outcome {
    let mut a: Vec<&std::ffi::OsStr> = vec!["check".as_ref()];
    let names = ["--pipeline", "--data", "--out", "--metrics-file"];
    for (name, value) in names.iter().zip(args) {
        a.push(name.as_ref());
        a.push(value.as_os_str());
    }
    residence(&a)
}

#[test]
fn install_into_destdir_lays_out_everything_and_is_idempotent() {
    let tmp = tempdir();
    let root = tmp.path().join("root");
    let first = install(&root);
    assert!(first.status.success(), "{first:?}");
    let etc = root.join("etc/residence");
    for path in [
        "usr/local/bin/residence",
        "etc/residence/quanzhou-measure13.toml",
        "etc/residence/divisions.csv",
        "etc/systemd/system/residence-nightly.service",
        "etc/systemd/system/residence-nightly.timer",
        "etc/systemd/system/timers.target.wants/residence-nightly.timer",
        "usr/lib/sysusers.d/residence.conf",
        "srv/residence/feeds",
        "srv/residence/out",
        "var/lib/node_exporter/textfile",
    ] {
        assert!(
            root.join(path).symlink_metadata().is_ok(),
            "{path} not installed"
        );
    }
    let pipeline = std::fs::read_to_string(etc.join("quanzhou-measure13.toml")).expect("pipeline");
    assert!(
        pipeline.contains("data_dir = \"/srv/residence/feeds\""),
        "{pipeline}"
    );
    assert!(
        pipeline.contains("gazetteer = \"divisions.csv\""),
        "{pipeline}"
    );

    // The installed pipeline finds its gazetteer wherever it is run from;
    // with the sample's feeds dropped in, every check passes.
    let feeds = root.join("srv/residence/feeds");
    sample_copy(&feeds);
    let metrics = root.join("var/lib/node_exporter/textfile/residence.prom");
    let o = check(&[
        &etc.join("quanzhou-measure13.toml"),
        &feeds,
        &root.join("srv/residence/out"),
        &metrics,
    ]);
    assert_eq!(o.code, 0, "{}", o.show());

    // Again: the same layout, an operator's edit kept, the shipped file beside it.
    std::fs::write(
        etc.join("quanzhou-measure13.toml"),
        pipeline.replace("min_months = 6", "min_months = 7"),
    )
    .expect("edit");
    let second = install(&root);
    assert!(second.status.success(), "{second:?}");
    let kept = std::fs::read_to_string(etc.join("quanzhou-measure13.toml")).expect("kept");
    assert!(kept.contains("min_months = 7"));
    let dist = std::fs::read_to_string(etc.join("quanzhou-measure13.toml.dist")).expect("dist");
    assert_eq!(dist, pipeline);
    assert!(
        !etc.join("divisions.csv.dist").exists(),
        "unchanged files are not doubled"
    );
}

#[test]
fn check_names_each_check_and_exits_2_when_one_fails() {
    let tmp = tempdir();
    let out = tmp.path().join("out");
    let metrics = tmp.path().join("residence.prom");
    let data = root_dir().join("sample-data");
    let o = check(&[&default_pipeline(), &data, &out, &metrics]);
    assert_eq!(o.code, 0, "{}", o.show());
    for name in [
        "pipeline",
        "gazetteer",
        "data",
        "source lease",
        "out",
        "lock",
        "metrics",
    ] {
        assert!(
            o.stdout
                .lines()
                .any(|l| l.starts_with(&format!("ok   {name}: "))),
            "{name}: {}",
            o.show()
        );
    }
    assert!(!out.exists(), "check creates nothing");

    // A held lock, an absent required source, an unwritable metrics folder.
    let feeds = tmp.path().join("feeds");
    sample_copy(&feeds);
    std::fs::remove_dir_all(feeds.join("lease")).expect("rm");
    std::fs::create_dir_all(&out).expect("out");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.join(".lock"))
        .expect("lock file");
    lock.try_lock().expect("hold the lock");
    let o = check(&[
        &default_pipeline(),
        &feeds,
        &out,
        &tmp.path().join("none/x.prom"),
    ]);
    assert_eq!(o.code, 2, "{}", o.show());
    for name in ["source lease", "lock", "metrics"] {
        assert!(
            o.stdout
                .lines()
                .any(|l| l.starts_with(&format!("FAIL {name}: "))),
            "{name}: {}",
            o.show()
        );
    }
    drop(lock);
}
