//! The core of `residence`: everything SPEC §3–§6 decides, with no polars, no
//! file I/O and no process-wide state, so that the nightly run, its Python
//! module and Spark's tasks judge with the same code.
//!
//! - [`rules`]: the field types, places, spells and decisions as pure functions.
//! - [`pipeline`]: the feed table and the pipeline file's contents.
//! - [`reader`]: CSV records over any `Read` (SPEC §4), header mapping, hashing.
//! - [`row`]: one record's judgement (SPEC §5 steps 1, 3–5, 7), its
//!   supersession key (step 2) and the phone owner on the day (step 6).
//! - [`timeline`]: spells and decisions over sorted evidence (SPEC §6), and
//!   the changes against the previous night.
//! - [`gazetteer`]: the gazetteer CSV read into [`rules::address::Gazetteer`].
//! - [`digest`]: SHA-256 and lower-case hex.

pub mod digest;
pub mod gazetteer;
pub mod pipeline;
pub mod reader;
pub mod row;
pub mod rules;
pub mod timeline;
