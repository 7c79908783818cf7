//! One run at a time on an output folder.

use crate::support::*;

#[test]
fn a_second_run_on_the_same_out_is_refused() {
    let out = tempdir();
    let pipeline = fixture("missing-optional").join("pipeline.toml");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(out.path().join(".lock"))
        .expect("open OUT/.lock");
    lock.try_lock().expect("take the lock");

    let o = run(&pipeline, None, out.path(), &[]);
    assert_eq!(o.code, 1, "{}", o.show());
    assert!(
        o.stderr.contains(
            "another residence run is using this output folder (lock held); \
             wait for it to finish or use another --out"
        ),
        "{}",
        o.show()
    );
    assert_nothing_published(out.path());

    drop(lock);
    run_ok(&pipeline, None, out.path(), &[]);
}
