//! The yardstick of docs/BENCHMARKS.md: a bare single-core parse with the
//! `csv` crate. Reads every record of every `DATA/<source>/*.csv` file, in
//! path order, on one thread, and does nothing else with them.
//!
//!     cargo run --release --manifest-path benches/bare_parse/Cargo.toml -- DATA
//!
//! Prints the records read and the seconds it took. `benches/e2e.sh` runs
//! it alternately with `residence run` on the same night.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let Some(root) = std::env::args_os().nth(1).map(PathBuf::from) else {
        eprintln!("usage: bare_parse DATA");
        std::process::exit(2);
    };
    let mut files = Vec::new();
    for source in std::fs::read_dir(&root).expect("read DATA") {
        let dir = source.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("read source folder") {
            let path = f.expect("entry").path();
            if path.extension().is_some_and(|e| e == "csv") {
                files.push(path);
            }
        }
    }
    files.sort();
    let started = Instant::now();
    let (mut records, mut bytes) = (0u64, 0u64);
    let mut record = csv::ByteRecord::new();
    for path in &files {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        loop {
            match reader.read_byte_record(&mut record) {
                Ok(true) => records += 1,
                Ok(false) => break,
                // A quoted field left open at the end of a file: the csv
                // crate reports it; the count stops there, like the file.
                Err(_) => break,
            }
        }
        bytes += reader.position().byte();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "bare csv parse: {} files, {records} records, {bytes} bytes in {secs:.3} s ({:.0} records/s)",
        files.len(),
        records as f64 / secs
    );
}
