//! Synthetic feeds for benchmarks and round-trip tests: `generate` writes all
//! ten sources of SPEC §4 for a population of persons, deterministically for
//! a seed, and predicts in `generate-summary.json` what the pipeline will
//! count for every source (accepted, filtered and rejected by reason).
//!
//! Persons are generated in chunks of 1000, each from its own ChaCha8 stream
//! (seed, chunk index), in parallel on the current rayon pool, and written in
//! chunk order; so the output does not depend on the number of threads. A
//! record that is re-sent has its last version at the end of its chunk, after
//! the versions it replaces.
mod dirty;
mod feeds;
mod ids;
mod model;
mod population;
mod profile;
mod row;
mod summary;
#[cfg(test)]
mod tests;
mod text;
mod writer;

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::NaiveDate;
use rayon::prelude::*;

pub use profile::Profile;
pub use summary::{SourceCounts, Summary};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    /// Persons in the population (about 78 records each).
    pub persons: u64,
    /// Seed of the random stream: the same seed and options write the same bytes.
    pub seed: u64,
    /// The decision date the data is made for.
    pub as_of: NaiveDate,
    /// Feed root: `OUT/<source>/part-NNNN.csv`.
    pub out: PathBuf,
    /// Share of records given a defect (0 ..= 1).
    pub dirty_rate: f64,
    /// City codes the summary treats as in scope (the pipeline's `jurisdictions`).
    pub jurisdictions: Vec<u32>,
    /// Which mix of records to write.
    pub profile: Profile,
}

impl GenerateOptions {
    /// Options with dirty rate 0.01 and jurisdiction Quanzhou (350500).
    pub fn new(
        out: impl Into<PathBuf>,
        persons: u64,
        seed: u64,
        as_of: NaiveDate,
    ) -> GenerateOptions {
        GenerateOptions {
            persons,
            seed,
            as_of,
            out: out.into(),
            dirty_rate: 0.01,
            jurisdictions: vec![350500],
            profile: Profile::Default,
        }
    }
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// Writing a feed file or the summary failed.
    #[error("{path}: {source}")]
    Io {
        /// The file that could not be written.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The options cannot make a night (too many persons, a rate out of range).
    #[error("invalid generate options: {0}")]
    Invalid(String),
    /// The summary could not be serialised.
    #[error("summary: {0}")]
    Json(#[from] serde_json::Error),
}

/// Most persons one run may have (ID numbers and special phones are unique up to here).
pub const MAX_PERSONS: u64 = 100_000_000;

fn validate(opts: &GenerateOptions, ctx: &feeds::Ctx) -> Result<(), GenerateError> {
    if opts.persons > MAX_PERSONS {
        return Err(GenerateError::Invalid(format!(
            "persons must be at most {MAX_PERSONS}"
        )));
    }
    if !(0.0..=1.0).contains(&opts.dirty_rate) {
        return Err(GenerateError::Invalid(
            "dirty_rate must be between 0 and 1".into(),
        ));
    }
    let earliest = NaiveDate::from_ymd_opt(1930, 1, 1).unwrap_or(NaiveDate::MIN);
    let latest = NaiveDate::from_ymd_opt(2200, 12, 31).unwrap_or(NaiveDate::MAX);
    if opts.as_of < earliest || opts.as_of > latest {
        return Err(GenerateError::Invalid(
            "as_of must be between 1930 and 2200".into(),
        ));
    }
    if let Some(bad) = opts
        .jurisdictions
        .iter()
        .find(|&&c| !(110000..=829999).contains(&c) || c % 100 != 0)
    {
        return Err(GenerateError::Invalid(format!(
            "jurisdiction {bad} is not a city code"
        )));
    }
    if ctx.chunks() * feeds::SPECIAL_SLOTS > ids::SPECIAL_PHONE_SPAN {
        return Err(GenerateError::Invalid(
            "too many persons for the phone ranges".into(),
        ));
    }
    let needed = opts.persons + ctx.chunks() * feeds::SPECIAL_SLOTS;
    if needed > ctx.ids.capacity() {
        return Err(GenerateError::Invalid(
            "too many persons for the ID space".into(),
        ));
    }
    Ok(())
}

/// Writes the ten feeds and `generate-summary.json` under `opts.out`; returns the summary.
pub fn generate(opts: &GenerateOptions) -> Result<Summary, GenerateError> {
    generate_parts(opts, writer::PART_ROWS)
}

/// [`generate`] with another part size (records per part file, roughly).
pub(crate) fn generate_parts(
    opts: &GenerateOptions,
    part_rows: u64,
) -> Result<Summary, GenerateError> {
    let ctx = feeds::Ctx::new(
        opts.persons,
        opts.seed,
        opts.as_of,
        opts.dirty_rate,
        opts.jurisdictions.clone(),
        opts.profile,
    );
    validate(opts, &ctx)?;
    let mut writers = writer::Writers::create(&opts.out, part_rows, opts.profile, ctx.chunks())?;
    let chunks = ctx.chunks();
    let batch = (rayon::current_num_threads() as u64 * 4).clamp(4, 64);
    // Buffers of written chunks, reused by later ones (no page faults, no frees).
    let pool: Mutex<Vec<Vec<Vec<u8>>>> = Mutex::new(Vec::new());
    let recycle = |done: Vec<feeds::ChunkOut>| {
        if let Ok(mut p) = pool.lock() {
            p.extend(done.into_iter().map(|c| c.bufs));
        }
    };
    let mut pending: Option<Vec<feeds::ChunkOut>> = None;
    let mut start = 0;
    while start < chunks {
        let end = (start + batch).min(chunks);
        let previous = pending.take();
        let (written, next) = rayon::join(
            || match previous {
                Some(done) => {
                    let res = writers.write(&done);
                    recycle(done);
                    res
                }
                None => Ok(()),
            },
            || {
                (start..end)
                    .into_par_iter()
                    .map(|i| {
                        let bufs = pool
                            .lock()
                            .ok()
                            .and_then(|mut p| p.pop())
                            .unwrap_or_default();
                        feeds::chunk_into(&ctx, i, false, bufs)
                    })
                    .collect::<Vec<_>>()
            },
        );
        written?;
        pending = Some(next);
        start = end;
    }
    if let Some(done) = pending {
        writers.write(&done)?;
    }
    let (bytes, tallies) = writers.finish()?;
    let summary = Summary {
        persons: opts.persons,
        seed: opts.seed,
        as_of: opts.as_of.format("%Y-%m-%d").to_string(),
        dirty_rate: opts.dirty_rate,
        profile: opts.profile,
        rows: tallies.iter().map(|t| t.rows).sum(),
        bytes,
        sources: summary::sources(&tallies),
    };
    let path = opts.out.join("generate-summary.json");
    let mut json = serde_json::to_string_pretty(&summary)?;
    json.push('\n');
    std::fs::write(&path, json).map_err(|source| GenerateError::Io { path, source })?;
    Ok(summary)
}
