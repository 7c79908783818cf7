//! End-to-end tests of the `residence` command line: the real binary, run on
//! the sample data and the fixtures, with every output read back.
//!
//! Expected values come from the hand-written oracles only:
//! `sample-data/expected/*.csv`, `sample-data/README.md`,
//! `tests/fixtures/*/EXPECTED.md` and the generator's `generate-summary.json`.
//! Fixtures are read in place (the program never writes to its data folder);
//! every run writes to its own temporary `OUT`.

mod support;

mod agency;
mod cities;
mod dirty;
mod explain;
mod export;
mod fixtures;
mod gate;
mod generated;
mod headers;
mod install;
mod kills;
mod locking;
mod operations;
mod operator;
mod outputs;
mod privacy;
mod publishing;
mod reading;
mod report;
mod sample;
mod signals;
mod spill;
mod usage;
