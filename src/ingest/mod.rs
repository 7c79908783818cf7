//! Stage 1, ingest: every feed file → judged rows, spilled by where they go
//! next → evidence partitions, declarations, rejects and per-file counts.
//!
//! Files are read in parallel on polars' rayon pool, each streamed record by
//! record; nothing per row stays in memory beyond the spill budget (see
//! [`crate::spill`]). Supersession (per source, across its files) and the phone
//! identity step need whole sources, so they run after reading, on the spilled
//! supersession keys and awaiting rows; what they change is applied to the
//! per-file counts, and replaced rows are dropped as the evidence partitions
//! and rejects are read back.

pub mod error;
pub mod file;
pub mod gazetteer;
pub mod identity;
pub mod judged;
pub mod sample;
pub mod supersede;

// The reader and the row rules are the core's; this stage runs them over
// the night's files and spills what they decide.
pub use residence_core::reader::{self, hashing, header};
pub use residence_core::row::{fields, judge, keys, memo, validate};
pub use residence_core::timeline::PledgeRecord;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use hashbrown::HashMap;
use rayon::prelude::*;

pub use error::IngestError;

use crate::evidence::Partitioner;
use crate::pipeline::{Pipeline, SourceKind};
use crate::progress::Progress;
use crate::rules::address::Gazetteer;
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::reason::Reason;
use crate::spill::{Budget, SpillDir, Store};
use crate::warning::Warning;
use file::{Counts, FileInput, FileSummary, read_file};
use judged::FilteredRow;
use supersede::Superseded;
use validate::{Ctx, Facts};

/// Counts for one input file (SPEC §7 manifest): rows = accepted + filtered + rejected.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FileReport {
    /// The feed the file belongs to; ingest always sets it.
    pub source: Option<SourceKind>,
    /// Path relative to the data root, with `/` separators.
    pub path: String,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// SHA-256 of the file, lowercase hex.
    pub sha256: String,
    /// Records after the header (blank lines are not rows).
    pub rows: u64,
    /// Rows that became evidence, a pledge or a hukou record.
    pub accepted: u64,
    /// Filtered rows by reason; reasons with no rows are absent.
    pub filtered: BTreeMap<Reason, u64>,
    /// Rejected rows by reason; reasons with no rows are absent.
    pub rejected: BTreeMap<Reason, u64>,
    /// The latest start among its accepted evidence (a pledge: signing day).
    pub latest: Option<NaiveDate>,
    /// Warnings about the file for the manifest (an empty or 0-byte file).
    pub warnings: Vec<String>,
}

/// One rejected row for `rejects.parquet`.
#[derive(Clone, Debug, PartialEq)]
pub struct RejectRecord {
    /// The feed the row comes from.
    pub source: SourceKind,
    /// Index into [`Ingested::files`].
    pub file: u32,
    /// 1-based line of the record's first line in its file (the header is line 1).
    pub line: u32,
    /// Why it was rejected.
    pub reason: Reason,
    /// What was wrong, in English.
    pub detail: String,
    /// The record's text without its final line break.
    pub raw: String,
    /// When the row's person column holds a valid ID.
    pub person: Option<PersonId>,
}

/// An accepted, current hukou row with its position, for `declarations.parquet`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HukouRecord {
    /// The registered person.
    pub person: PersonId,
    /// The hukou city (`XXXX00`).
    pub city: Division,
    /// (file index, line).
    pub order: (u32, u32),
}

/// What ingest hands the timeline stage.
pub struct Ingested<'a> {
    /// Hash partitions the supersession step used.
    pub key_partitions: usize,
    /// Accepted evidence, by (city, person) range; superseded rows still in it.
    pub evidence: Store<'a>,
    /// How evidence rows were cut into the partitions of `evidence`.
    pub partitioner: Partitioner,
    /// Rejected rows, one partition per file; superseded rows still in it.
    pub rejects: Store<'a>,
    /// Filtered rows, one partition per file, with their reason at
    /// reading; superseded rows are still in it, and the engine adds the
    /// accepted evidence a later version replaced.
    pub filtered: Store<'a>,
    /// Rows a later version replaced.
    pub superseded: Superseded,
    /// Current pledges.
    pub pledges: Vec<PledgeRecord>,
    /// City of each person's household registration.
    pub hukou: HashMap<PersonId, Division>,
    /// The current hukou rows themselves, in file and line order.
    pub hukou_rows: Vec<HukouRecord>,
    /// Every input file, sources in name order, files in path order.
    pub files: Vec<FileReport>,
    /// Declared sources whose folder is absent.
    pub absent: Vec<SourceKind>,
    /// Warnings of the listing: absent source folders (about a source) and
    /// entries that are not files (about that file).
    pub warnings: Vec<Warning>,
    /// Milliseconds per step: read, supersede, identity.
    pub timings_ms: Vec<(&'static str, u64)>,
}

impl Ingested<'_> {
    /// The source of each input file.
    pub fn file_sources(&self) -> Vec<SourceKind> {
        self.files
            .iter()
            .map(|f| f.source.unwrap_or(SourceKind::Hukou))
            .collect()
    }
}

/// Input bytes per evidence partition, as a range: [`Partitioning::for_input`]
/// aims for [`TARGET_PARTITIONS`] partitions within it.
///
/// The floor keeps per-partition overheads small (a spill buffer per
/// partition per reader, a row group cut per partition). The ceiling bounds
/// the memory one partition needs, sorted and turned into output, whatever
/// the night's size. In between, a small night still gets enough partitions
/// for the workers to finish the last ones together and for each
/// supersession hash table to stay near the cache: at 100k persons (830 MB)
/// that is 50 partitions of 16 MiB, which measured faster than 13 of 64 MiB
/// or 100 of 8 MiB; at 1M persons (8.3 GB) it is 64 MiB again, as many
/// partitions as before (more cost memory and spill I/O).
pub const PARTITION_BYTES: std::ops::RangeInclusive<u64> = (16 << 20)..=(64 << 20);

/// Evidence partitions aimed at between the bounds of [`PARTITION_BYTES`].
pub const TARGET_PARTITIONS: u64 = 128;

/// Where ingest keeps its per-row intermediates, and how it partitions them.
#[derive(Clone, Copy, Debug)]
pub struct Workspace<'a> {
    /// Where spilled rows go once the budget is spent.
    pub spill: &'a SpillDir,
    /// How many bytes of spilled rows may stay in memory.
    pub budget: &'a Budget,
    /// `None`: sized for the night ([`Partitioning::for_input`]).
    pub partitioning: Option<Partitioning>,
}

/// How ingest cuts the night into partitions.
#[derive(Clone, Copy, Debug)]
pub struct Partitioning {
    /// Input bytes per evidence partition.
    pub evidence_bytes: u64,
    /// Input bytes per supersession partition (24 bytes spill per ~100-byte row).
    pub key_bytes: u64,
}

impl Partitioning {
    /// Partitions for a night of `input_bytes`; see [`PARTITION_BYTES`].
    pub fn for_input(input_bytes: u64) -> Self {
        let per = (input_bytes / TARGET_PARTITIONS)
            .clamp(*PARTITION_BYTES.start(), *PARTITION_BYTES.end());
        Partitioning::with_evidence_bytes(per)
    }

    /// `evidence_bytes` of input per evidence partition, half that per
    /// supersession partition (it spills 24 bytes per ~100-byte row).
    pub fn with_evidence_bytes(evidence_bytes: u64) -> Self {
        Partitioning {
            evidence_bytes,
            key_bytes: evidence_bytes / 2,
        }
    }
}

/// What a source folder holds for the run.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Listing {
    /// The `*.csv` regular files (or links to one), sorted by path.
    pub files: Vec<PathBuf>,
    /// `*.csv` entries that are not regular files (a folder, a FIFO, a
    /// dangling link): skipped, each named in a warning.
    pub skipped: Vec<PathBuf>,
}

/// The `*.csv` entries directly in `dir`; `None` if `dir` is absent.
pub fn list_csv_files(dir: &Path) -> std::io::Result<Option<Listing>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut listing = Listing::default();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_none_or(|e| e != "csv") {
            continue;
        }
        // metadata() follows links, so a link to a file counts; a dangling
        // link fails it and is skipped like any other non-file.
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => listing.files.push(path),
            _ => listing.skipped.push(path),
        }
    }
    listing.files.sort();
    listing.skipped.sort();
    Ok(Some(listing))
}

/// The files a run reads, and what listing them found.
pub(crate) struct Inputs {
    /// Sources in name order, files in path order.
    pub files: Vec<FileInput>,
    /// Declared sources whose folder is absent.
    pub absent: Vec<SourceKind>,
    /// One per absent source folder and per skipped entry.
    pub warnings: Vec<Warning>,
}

/// Every file the pipeline reads, sources in name order and files in path
/// order, and a warning per declared source whose folder is absent and per
/// `*.csv` entry that is not a regular file.
pub(crate) fn input_files(pipeline: &Pipeline, data_dir: &Path) -> Result<Inputs, IngestError> {
    let mut inputs = Inputs {
        files: Vec::new(),
        absent: Vec::new(),
        warnings: Vec::new(),
    };
    for source in &pipeline.sources {
        let dir = data_dir.join(&source.folder);
        let listed = list_csv_files(&dir).map_err(|e| IngestError::Read {
            path: dir.clone(),
            source: e,
        })?;
        let Some(listing) = listed else {
            inputs.absent.push(source.kind);
            inputs.warnings.push(Warning::run(format!(
                "source {}: folder {} is absent{}",
                source.kind,
                residence_core::name::escape_path(&dir),
                if source.required {
                    ""
                } else {
                    "; the source is optional: skipped, and left out of the row drift check"
                }
            )));
            continue;
        };
        for path in listing.skipped {
            inputs.warnings.push(Warning::file(
                source.kind.name(),
                &residence_core::name::input_file(data_dir, &path),
                "not a regular file; skipped",
            ));
        }
        for path in listing.files {
            // Bytes escaped: two names that are not UTF-8 stay two names.
            let rel = residence_core::name::input_file(data_dir, &path);
            inputs.files.push(FileInput {
                source: source.kind,
                encoding: source.encoding,
                path,
                rel,
            });
        }
    }
    Ok(inputs)
}

/// Runs the whole ingest stage; rows spill to disk beyond the workspace's budget.
pub fn ingest<'a>(
    pipeline: &Pipeline,
    data_dir: &Path,
    as_of: NaiveDate,
    gazetteer: &Gazetteer,
    work: Workspace<'a>,
    progress: &dyn Progress,
) -> Result<Ingested<'a>, IngestError> {
    let Workspace {
        spill,
        budget,
        partitioning,
    } = work;
    let Inputs {
        files: inputs,
        absent,
        warnings,
    } = input_files(pipeline, data_dir)?;
    if inputs.len() > usize::from(u16::MAX) {
        return Err(IngestError::TooManyFiles {
            path: data_dir.to_owned(),
            count: inputs.len(),
        });
    }
    let pool = &polars_core::runtime::THREAD_POOL;
    let mut timings_ms = Vec::new();
    let mut step = std::time::Instant::now();
    let mut lap = |name: &'static str| {
        timings_ms.push((name, step.elapsed().as_millis() as u64));
        step = std::time::Instant::now();
    };
    let ctx = Ctx {
        as_of,
        gazetteer,
        jurisdictions: &pipeline.params.jurisdictions,
    };
    let sizes: Vec<u64> = inputs
        .iter()
        .map(|f| std::fs::metadata(&f.path).map_or(0, |m| m.len()))
        .collect();
    let total_bytes: u64 = sizes.iter().sum();
    let parts = |per: u64| total_bytes.div_ceil(per.max(1)).clamp(1, 4096) as usize;
    let cities: Vec<u32> = pipeline
        .params
        .jurisdictions
        .iter()
        .map(|d| d.code())
        .collect();
    crate::progress::begin(progress, "sampling feeds", 0);
    let sample = pool.install(|| sample::sample_persons(pipeline, &inputs, &sizes, as_of));
    let partitioning = partitioning.unwrap_or_else(|| Partitioning::for_input(total_bytes));
    let partitioner = Partitioner::from_sample(cities, sample, parts(partitioning.evidence_bytes));
    lap("sample");

    let key_partitions = parts(partitioning.key_bytes);
    let keys = Store::new("keys", key_partitions, spill, budget);
    let evidence = Store::new("evidence", partitioner.count(), spill, budget);
    let rejects = Store::new("rejects", inputs.len(), spill, budget);
    let filtered = Store::new("filtered", inputs.len(), spill, budget);
    let awaiting = Store::new("awaiting", inputs.len(), spill, budget);
    let sinks = file::Sinks {
        supersession: &keys,
        evidence: &evidence,
        partitioner: &partitioner,
        rejects: &rejects,
        filtered: &filtered,
        awaiting: &awaiting,
    };
    crate::progress::begin(progress, "reading feeds", total_bytes);
    let results: Vec<Result<FileSummary, IngestError>> = largest_first(pool, &sizes, |fi| {
        let input = inputs[fi].clone();
        let source = pipeline
            .source(input.source)
            .expect("inputs come from declared sources");
        read_file(fi as u32, input, source, &ctx, &sinks, progress)
    });
    let mut files = results.into_iter().collect::<Result<Vec<_>, _>>()?;
    lap("read");

    crate::progress::begin(progress, "superseding", 0);
    let superseded = pool.install(|| apply_supersession(keys, &mut files))?;
    lap("supersede");

    crate::progress::begin(progress, "resolving buyers by phone", 0);
    let identity_sinks = identity::Sinks {
        evidence: &evidence,
        partitioner: &partitioner,
        rejects: &rejects,
        filtered: &filtered,
    };
    pool.install(|| resolve_buyers(&awaiting, &mut files, &superseded, &ctx, &identity_sinks))?;
    lap("identity");

    let Declarations {
        pledges,
        hukou,
        hukou_rows,
        reports,
    } = declarations(files, &superseded, &filtered, spill)?;
    Ok(Ingested {
        key_partitions,
        evidence,
        partitioner,
        rejects,
        filtered,
        superseded,
        pledges,
        hukou,
        hukou_rows,
        files: reports,
        absent,
        warnings,
        timings_ms,
    })
}

/// SPEC §5 step 2 over the spilled keys: marks replaced rows and moves
/// their counts to `superseded`.
fn apply_supersession(
    keys: Store<'_>,
    files: &mut [FileSummary],
) -> Result<Superseded, IngestError> {
    let replaced = supersede::replaced(&keys)?;
    drop(keys);
    let last_lines: Vec<u32> = files.iter().map(|f| f.last_line).collect();
    let mut superseded = Superseded::new(&last_lines);
    for (file, _, verdict) in supersede::mark(&replaced, &mut superseded) {
        let counts = &mut files[file as usize].counts;
        counts.remove(verdict);
        counts.add(Reason::Superseded as u8);
    }
    Ok(superseded)
}

/// SPEC §5 step 6: shopping rows waiting for a buyer, resolved through the
/// telecom phones; what they become is added to their files' counts.
fn resolve_buyers(
    awaiting: &Store<'_>,
    files: &mut [FileSummary],
    superseded: &Superseded,
    ctx: &Ctx<'_>,
    sinks: &identity::Sinks<'_, '_>,
) -> Result<(), IngestError> {
    let owners = identity::phone_owners(files, superseded);
    let added = identity::resolve_buyers(awaiting, files, superseded, &owners, ctx, sinks)?;
    for (file, added) in files.iter_mut().zip(added) {
        file.counts.accepted += added.counts.accepted;
        for (n, a) in file.counts.by_reason.iter_mut().zip(added.counts.by_reason) {
            *n += a;
        }
        file.latest = file.latest.max(added.latest);
    }
    Ok(())
}

/// The night's current pledges and hukou rows, and each file's report.
struct Declarations {
    pledges: Vec<PledgeRecord>,
    hukou: HashMap<PersonId, Division>,
    hukou_rows: Vec<HukouRecord>,
    reports: Vec<FileReport>,
}

/// Keeps the current pledge and hukou rows; replaced ones become filtered
/// `superseded` rows.
fn declarations(
    files: Vec<FileSummary>,
    superseded: &Superseded,
    filtered: &Store<'_>,
    spill: &SpillDir,
) -> Result<Declarations, IngestError> {
    let mut pledges = Vec::new();
    let mut hukou = HashMap::new();
    let mut hukou_rows = Vec::new();
    let mut reports = Vec::with_capacity(files.len());
    let mut replaced = filtered.writer();
    let spill_err = |e| IngestError::Spill {
        path: spill.path().to_owned(),
        source: e,
    };
    for (fi, file) in files.into_iter().enumerate() {
        let p = fi;
        let fi = fi as u32;
        let current = |line: u32| !superseded.contains(fi, line);
        // Accepted declarations a later version replaced are filtered rows.
        let mut filter = |row: FilteredRow<'_>| {
            row.encode(replaced.buffer(p));
            replaced.done(p).map_err(spill_err)
        };
        for (line, pledge, record_id) in &file.pledges {
            if current(*line) {
                pledges.push(PledgeRecord {
                    pledge: *pledge,
                    order: (fi, *line),
                });
            } else {
                filter(FilteredRow {
                    line: *line,
                    reason: Reason::Superseded,
                    facts: Facts::of(
                        pledge.person,
                        Some(pledge.city),
                        pledge.declared_since,
                        Some(pledge.signed_date),
                    ),
                    record_id: Some(record_id),
                })?;
            }
        }
        // Supersession left one current row per ID number.
        for &(line, person, city) in &file.hukou {
            if current(line) {
                hukou.insert(person, city);
                hukou_rows.push(HukouRecord {
                    person,
                    city,
                    order: (fi, line),
                });
            } else {
                filter(FilteredRow {
                    line,
                    reason: Reason::Superseded,
                    facts: Facts {
                        person: Some(person),
                        city: Some(city),
                        ..Facts::default()
                    },
                    record_id: None,
                })?;
            }
        }
        reports.push(report(file));
    }
    replaced.finish().map_err(spill_err)?;
    Ok(Declarations {
        pledges,
        hukou,
        hukou_rows,
        reports,
    })
}

/// `f(i)` for every item, on the pool, largest items first: each thread takes
/// the largest item left as it frees up, so the night does not end with one
/// thread reading a big file while the others wait. Results in item order.
fn largest_first<T: Send>(
    pool: &rayon::ThreadPool,
    sizes: &[u64],
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let mut order: Vec<usize> = (0..sizes.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(sizes[i]));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let slots: Vec<std::sync::Mutex<Option<T>>> =
        sizes.iter().map(|_| std::sync::Mutex::new(None)).collect();
    pool.scope(|scope| {
        for _ in 0..pool.current_num_threads().max(1) {
            scope.spawn(|_| {
                loop {
                    let k = next.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
                    let Some(&i) = order.get(k) else { break };
                    let result = f(i);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every item was taken")
        })
        .collect()
}

/// A file's manifest entry from its summary.
fn report(file: FileSummary) -> FileReport {
    let Counts {
        rows,
        accepted,
        by_reason,
    } = file.counts;
    let mut filtered = BTreeMap::new();
    let mut rejected = BTreeMap::new();
    for (reason, n) in Reason::ALL.into_iter().zip(by_reason) {
        if n > 0 {
            if reason.is_filter() {
                filtered.insert(reason, n);
            } else {
                rejected.insert(reason, n);
            }
        }
    }
    FileReport {
        source: Some(file.input.source),
        path: file.input.rel,
        bytes: file.bytes,
        sha256: file.sha256,
        rows,
        accepted,
        filtered,
        rejected,
        latest: file.latest.map(crate::rules::date::from_epoch_days),
        warnings: file.warnings,
    }
}

/// What [`scan`] read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScanTotals {
    /// Input files read.
    pub files: u64,
    /// Records read after the header, malformed ones included.
    pub records: u64,
    /// Bytes of decoded field text (not of the files).
    pub bytes: u64,
}

/// The raw-parse baseline for benchmarks: reads every record of every declared
/// source's files (decoding every field, on the same pool and reader as
/// [`ingest`]) and does nothing else. The practical speed limit of a run.
pub fn scan(pipeline: &Pipeline, data_dir: &Path) -> Result<ScanTotals, IngestError> {
    let inputs: Vec<(PathBuf, reader::Encoding)> = input_files(pipeline, data_dir)?
        .files
        .into_iter()
        .map(|f| (f.path, f.encoding))
        .collect();
    let per_file = |(path, encoding): (PathBuf, reader::Encoding)| {
        let io = |e| IngestError::Read {
            path: path.clone(),
            source: e,
        };
        let file = std::fs::File::open(&path).map_err(io)?;
        let mut r = reader::RecordReader::new(file, encoding);
        let _ = r.read_header();
        let mut totals = ScanTotals {
            files: 1,
            ..ScanTotals::default()
        };
        while let Some(rec) = r.next_record().map_err(io)? {
            totals.records += 1;
            for i in 0..rec.len() {
                totals.bytes += rec.field(i).len() as u64;
            }
        }
        Ok::<_, IngestError>(totals)
    };
    polars_core::runtime::THREAD_POOL.install(|| {
        inputs
            .into_par_iter()
            .map(per_file)
            .try_reduce(ScanTotals::default, |a, b| {
                Ok(ScanTotals {
                    files: a.files + b.files,
                    records: a.records + b.records,
                    bytes: a.bytes + b.bytes,
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_spill_failure_names_the_spill_folder_not_the_input() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        std::fs::create_dir_all(data.join("social_insurance")).unwrap();
        let mut csv = String::from("record_id,id_number,name,pay_month,division\n");
        for i in 0..2000 {
            csv.push_str(&format!("S{i},11010519491231002X,x,2026-01,350503\n"));
        }
        std::fs::write(data.join("social_insurance/a.csv"), csv).unwrap();
        let pipeline_file = tmp.path().join("p.toml");
        std::fs::write(
            &pipeline_file,
            "gazetteer = \"g.csv\"\n[sources.social_insurance]\n",
        )
        .unwrap();
        let pipeline = crate::pipeline::load(&pipeline_file).unwrap();
        // The spill folder cannot be created: its parent is a file.
        let blocker = tmp.path().join("blocker");
        std::fs::write(&blocker, "").unwrap();
        let spill = SpillDir::new(blocker.join(".spill-x"));
        let budget = Budget::new(0);
        let gazetteer = Gazetteer::new([]);
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        let work = Workspace {
            spill: &spill,
            budget: &budget,
            partitioning: None,
        };
        let err = match ingest(
            &pipeline,
            &data,
            as_of,
            &gazetteer,
            work,
            &crate::progress::Silent,
        ) {
            Ok(_) => panic!("the spill cannot be written"),
            Err(e) => e,
        };
        match &err {
            IngestError::Spill { path, .. } => assert_eq!(path, &blocker.join(".spill-x")),
            other => panic!("blamed elsewhere: {other}"),
        }
        assert!(
            err.to_string().starts_with("cannot use the spill folder"),
            "{err}"
        );
    }

    #[test]
    fn partitions_are_sized_for_the_night_within_bounds() {
        const MIB: u64 = 1 << 20;
        // Small nights: the floor.
        assert_eq!(Partitioning::for_input(0).evidence_bytes, 16 * MIB);
        assert_eq!(Partitioning::for_input(830 * MIB).evidence_bytes, 16 * MIB);
        // In between: about TARGET_PARTITIONS of them.
        let mid = Partitioning::for_input(128 * 40 * MIB);
        assert_eq!((mid.evidence_bytes, mid.key_bytes), (40 * MIB, 20 * MIB));
        // Large nights: the ceiling, so one partition's memory stays bounded.
        assert_eq!(
            Partitioning::for_input(8_300 * MIB).evidence_bytes,
            64 * MIB
        );
        assert_eq!(Partitioning::for_input(1 << 40).evidence_bytes, 64 * MIB);
    }
}
