//! Tests of the generator that need no second implementation of the spec:
//! determinism, files against the summary, ids of accepted rows, part files,
//! small runs and option checks. Whether the summary's predictions agree with
//! the real pipeline is tested end to end in `tests/cli.rs` and, for many
//! small part files, here with [`crate::run::run`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::feeds::{Ctx, chunk};
use super::model::{Kind, Outcome, REASONS, SOURCES, Source, Tally};
use super::{GenerateOptions, MAX_PERSONS, Profile, Summary, generate, generate_parts, summary};
use crate::ingest::reader::{Encoding, RecordReader};
use crate::rules::id::parse_id_number;

fn as_of() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 27).expect("date")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn run(dir: &Path, persons: u64, seed: u64, rate: f64) -> Summary {
    let mut opts = GenerateOptions::new(dir, persons, seed, as_of());
    opts.dirty_rate = rate;
    generate(&opts).expect("generate")
}

/// The part files of `src` under `out`, in path order.
fn part_files(out: &Path, src: Source) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(out.join(src.name()))
        .expect("source folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    paths.sort();
    paths
}

/// Records of one file, read with the pipeline's own reader; checks the
/// header is the source's default header.
fn count_records(path: &Path, src: Source) -> u64 {
    let bytes = std::fs::read(path).expect("read part");
    assert!(bytes.ends_with(b"\n"), "{path:?} ends without LF");
    assert!(!bytes.contains(&b'\r'), "{path:?} has CR");
    let mut reader = RecordReader::new(&bytes[..], Encoding::Utf8);
    let header = reader
        .read_header()
        .expect("header")
        .unwrap_or_else(|| panic!("{path:?} has no header"));
    let want: Vec<&str> = src.cols().iter().map(|c| c.name).collect();
    assert_eq!(header, want, "{path:?}");
    let mut n = 0;
    while reader.next_record().expect("record").is_some() {
        n += 1;
    }
    n
}

/// The summary on disk equals `s`; each source's files hold its row count;
/// bytes and totals add up.
fn check_files(dir: &Path, s: &Summary) {
    let json = std::fs::read_to_string(dir.join("generate-summary.json")).expect("summary");
    let back: Summary = serde_json::from_str(&json).expect("summary JSON");
    assert_eq!(&back, s);
    assert_eq!(s.sources.len(), SOURCES.len());
    let mut bytes = 0;
    for src in SOURCES {
        let paths = part_files(dir, src);
        assert!(!paths.is_empty(), "{src:?} has no part file");
        bytes += paths
            .iter()
            .map(|p| std::fs::metadata(p).expect("metadata").len())
            .sum::<u64>();
        let records: u64 = paths.iter().map(|p| count_records(p, src)).sum();
        let c = &s.sources[src.name()];
        assert_eq!(records, c.rows, "{src:?} records vs summary rows");
        let filtered: u64 = c.filtered.values().sum();
        let rejected: u64 = c.rejected.values().sum();
        assert_eq!(c.rows, c.accepted + filtered + rejected, "{src:?}");
    }
    assert_eq!(bytes, s.bytes, "bytes written vs summary");
    assert_eq!(s.rows, s.sources.values().map(|c| c.rows).sum::<u64>());
}

fn file_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    for src in SOURCES {
        for p in part_files(dir, src) {
            let name = p
                .strip_prefix(dir)
                .expect("under dir")
                .display()
                .to_string();
            files.insert(name, std::fs::read(&p).expect("read"));
        }
    }
    files
}

#[test]
fn same_seed_same_bytes_at_any_thread_count() {
    let (a, b, c) = (tmp(), tmp(), tmp());
    let sa = run(a.path(), 2300, 9, 0.01);
    let sb = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("pool")
        .install(|| run(b.path(), 2300, 9, 0.01));
    let sc = run(c.path(), 2300, 10, 0.01);
    assert_eq!(sa, sb);
    assert_ne!(sa, sc);
    let (fa, fb, fc) = (
        file_bytes(a.path()),
        file_bytes(b.path()),
        file_bytes(c.path()),
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, bytes) in &fa {
        assert!(*bytes == fb[name], "{name} differs between thread counts");
    }
    let utility = "utility/part-0000.csv";
    assert!(fa[utility] != fc[utility], "another seed, same {utility}");
    assert_eq!(
        std::fs::read(a.path().join("generate-summary.json")).expect("a"),
        std::fs::read(b.path().join("generate-summary.json")).expect("b")
    );
}

#[test]
fn files_match_the_summary() {
    let dir = tmp();
    let s = run(dir.path(), 2000, 42, 0.02);
    assert_eq!((s.persons, s.seed), (2000, 42));
    assert_eq!(s.as_of, "2026-11-27");
    check_files(dir.path(), &s);
    // At 2 % dirt every reason code is predicted somewhere.
    for r in REASONS {
        let n: u64 = s
            .sources
            .values()
            .map(|c| {
                c.filtered.get(r.code()).copied().unwrap_or(0)
                    + c.rejected.get(r.code()).copied().unwrap_or(0)
            })
            .sum();
        assert!(n > 0, "{} never predicted", r.code());
    }
}

#[test]
fn valid_rows_carry_valid_ids() {
    let ctx = Ctx::new(1000, 77, as_of(), 0.05, vec![350500], Profile::Default);
    let out = chunk(&ctx, 0, true);
    let mut checked = 0;
    for (si, src) in SOURCES.iter().enumerate() {
        let col = src.col_of(Kind::Person).expect("person column");
        let mut reader = RecordReader::new(&out.bufs[si][..], Encoding::Utf8);
        let mut k = 0;
        while let Some(rec) = reader.next_record().expect("record") {
            let outcome = out.outcomes[si][k];
            k += 1;
            if outcome != Outcome::Accepted {
                continue;
            }
            assert!(
                rec.malformed().is_none(),
                "{src:?} record {k} accepted but malformed"
            );
            assert_eq!(rec.len(), src.cols().len(), "{src:?} record {k}");
            let text = rec.field(col);
            if text.trim().is_empty() {
                // Only a shopping buyer may be empty (found by phone).
                assert_eq!(*src, Source::Shopping, "record {k}: empty person");
                continue;
            }
            let id = parse_id_number(text, ctx.as_of)
                .unwrap_or_else(|e| panic!("{src:?} record {k}: {text:?} accepted but {e:?}"));
            assert_eq!(id.to_canonical_string().len(), 18);
            checked += 1;
        }
        assert_eq!(k, out.outcomes[si].len(), "{src:?} record count");
    }
    assert!(checked > 10_000, "{checked}");
}

/// Counts of the real pipeline's manifest for a feed root.
fn pipeline_counts(data: &Path) -> BTreeMap<String, summary::SourceCounts> {
    let out = tmp();
    let opts = crate::run::RunOptions {
        pipeline: Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/quanzhou-measure13.toml"),
        data: Some(data.to_owned()),
        as_of: as_of(),
        out: out.path().to_owned(),
        max_reject_rate: Some(1.0),
        allow_drift: false,
        publish: crate::run::PublishMode::Auto,
        keep_runs: crate::run::DEFAULT_KEEP_RUNS,
        memory_budget: crate::run::DEFAULT_MEMORY_BUDGET,
        partition_bytes: None,
        row_group_rows: crate::output::parquet::ROW_GROUP,
        run_id: None,
    };
    let plan = crate::run::RunPlan::resolve(&opts).expect("run plan");
    let report = crate::run::run(&plan, &crate::progress::Silent).expect("pipeline run");
    let nonzero = |m: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        m.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    };
    report
        .manifest
        .sources
        .iter()
        .map(|(name, s)| {
            (
                name.clone(),
                summary::SourceCounts {
                    rows: s.counts.rows,
                    accepted: s.counts.accepted,
                    filtered: nonzero(&s.counts.filtered),
                    rejected: nonzero(&s.counts.rejected),
                },
            )
        })
        .collect()
}

#[test]
fn many_small_parts_keep_versions_in_order() {
    let dir = tmp();
    let mut opts = GenerateOptions::new(dir.path(), 3500, 5, as_of());
    opts.dirty_rate = 0.05;
    let s = generate_parts(&opts, 20_000).expect("generate");
    let paths = part_files(dir.path(), Source::Utility);
    assert!(paths.len() >= 4, "{paths:?}");
    assert!(paths[0].ends_with("utility/part-0000.csv"), "{paths:?}");
    check_files(dir.path(), &s);
    // Re-sent records whose versions straddle part files are still judged as
    // predicted (superseded vs accepted depends on path order).
    let superseded: u64 = s
        .sources
        .values()
        .map(|c| c.filtered.get("superseded").copied().unwrap_or(0))
        .sum();
    assert!(superseded > 0);
    assert_eq!(pipeline_counts(dir.path()), s.sources);

    // A later run with bigger parts removes the stale parts of this one.
    let s = generate_parts(&opts, 1_000_000).expect("generate");
    let paths = part_files(dir.path(), Source::Utility);
    assert_eq!(paths.len(), 1, "{paths:?}");
    check_files(dir.path(), &s);
    assert_eq!(pipeline_counts(dir.path()), s.sources);
}

#[test]
fn small_and_empty_runs() {
    let dir = tmp();
    let s = run(dir.path(), 0, 1, 0.01);
    assert_eq!(s.rows, 0);
    for src in SOURCES {
        let paths = part_files(dir.path(), src);
        assert_eq!(paths.len(), 1, "{src:?}: a header-only part");
        assert_eq!(count_records(&paths[0], src), 0);
    }
    check_files(dir.path(), &s);

    let s = run(dir.path(), 3, 1, 0.5);
    assert!(s.rows > 0);
    check_files(dir.path(), &s);
}

#[test]
fn rejects_stay_low_at_one_percent() {
    let ctx = Ctx::new(4000, 8, as_of(), 0.01, vec![350500], Profile::Default);
    let mut totals = vec![Tally::default(); SOURCES.len()];
    for index in 0..ctx.chunks() {
        let out = chunk(&ctx, index, false);
        for (t, c) in totals.iter_mut().zip(out.tallies.iter()) {
            t.merge(c);
        }
    }
    for (src, t) in SOURCES.iter().zip(totals.iter()) {
        assert!(t.rows > 0, "{src:?} has no rows");
        let c = summary::counts(t);
        let rejected: u64 = c.rejected.values().sum();
        let share = rejected as f64 / t.rows as f64;
        // Well under the default gate of 0.05.
        assert!(share < 0.03, "{src:?} rejects {share}");
    }
}

#[test]
fn invalid_options_are_refused() {
    let dir = tmp();
    let out = dir.path().join("feeds");
    let base = GenerateOptions::new(&out, 10, 1, as_of());
    let mut cases = Vec::new();
    for rate in [1.5, -0.1, f64::NAN] {
        let mut o = base.clone();
        o.dirty_rate = rate;
        cases.push((format!("dirty_rate {rate}"), o));
    }
    for j in [350502, 350501, 99] {
        let mut o = base.clone();
        o.jurisdictions = vec![j];
        cases.push((format!("jurisdiction {j}"), o));
    }
    let mut o = base.clone();
    o.persons = MAX_PERSONS + 1;
    cases.push(("too many persons".to_owned(), o));
    let mut o = base.clone();
    o.as_of = NaiveDate::from_ymd_opt(1900, 1, 1).expect("date");
    cases.push(("as_of 1900".to_owned(), o));

    for (what, o) in cases {
        let err = generate(&o).expect_err(&what);
        assert!(
            matches!(err, super::GenerateError::Invalid(_)),
            "{what}: {err}"
        );
        assert!(!out.exists(), "{what}: nothing is written");
    }
    // The base options are fine.
    generate(&base).expect("valid options");
    assert!(out.join("generate-summary.json").is_file());
}

/// The generator covers every feed once, and the shipped pipeline maps each
/// generated header column to the canonical field at the same position: the
/// generator and the validators read one table.
#[test]
fn generated_headers_map_through_the_shipped_pipeline() {
    use crate::ingest::header::map_header;
    use crate::pipeline::SourceKind;
    let mut kinds: Vec<SourceKind> = SOURCES.iter().map(|s| s.kind()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, SourceKind::ALL);
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/quanzhou-measure13.toml");
    let pipeline = crate::pipeline::load(&path).expect("shipped pipeline loads");
    for src in SOURCES {
        let config = pipeline.source(src.kind()).expect("declared");
        let header = src.header_line();
        let names: Vec<String> = header.trim_end().split(',').map(str::to_owned).collect();
        let mapping = map_header(&names, config).expect("header maps");
        let identity: Vec<Option<usize>> = (0..names.len()).map(Some).collect();
        assert_eq!(mapping, identity, "{src:?}");
    }
}
