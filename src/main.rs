//! The `residence` command line: argument parsing, progress, messages and exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::NaiveDate;
use clap::{Parser, Subcommand};

use residence::generate::{GenerateOptions, generate};
use residence::run::{RunOptions, run};

#[derive(Parser)]
#[command(
    name = "residence",
    version,
    about = "Residence evidence → timelines → residence-permit eligibility (Quanzhou measure 13)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the nightly pipeline: read the feeds, write OUT/runs/<run_id>/, repoint OUT/latest.
    Run {
        /// Pipeline file (sources, header mappings, rule parameters).
        #[arg(long)]
        pipeline: PathBuf,
        /// Feed root: source S reads DIR/S/*.csv [default: the pipeline's data_dir].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Decision date; nothing after it counts [default: today].
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        as_of: Option<NaiveDate>,
        /// Output root.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// Override every source's quality gate (rejected ÷ rows).
        #[arg(long, value_name = "R")]
        max_reject_rate: Option<f64>,
        /// No progress bar and no summary, only warnings and errors.
        #[arg(long, short)]
        quiet: bool,
        /// MiB of intermediate rows kept in memory; beyond it they spill to
        /// disk under OUT (a bound on that share of memory, not on the whole process).
        #[arg(long, value_name = "MIB", default_value_t = 256)]
        memory_budget: usize,
        /// Input bytes per evidence partition (for tests and tuning; by
        /// default sized for the night).
        #[arg(long, hide = true)]
        partition_bytes: Option<u64>,
        /// Rows per row group of the per-person outputs (for tests).
        #[arg(long, hide = true, default_value_t = residence::output::parquet::ROW_GROUP)]
        row_group_rows: usize,
    },
    /// Write synthetic feeds for all ten sources (deterministic for a seed), with
    /// DIR/generate-summary.json predicting the run's counts per reason.
    Generate {
        #[arg(long)]
        persons: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The decision date the data is made for.
        #[arg(long, value_name = "DATE", value_parser = parse_day)]
        as_of: NaiveDate,
        /// Feed root to write: DIR/<source>/part-NNNN.csv.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Share of records given a defect, covering every reject reason.
        #[arg(long, value_name = "R", default_value_t = 0.0)]
        dirty_rate: f64,
    },
    /// Benchmark baseline: read and decode every CSV record the pipeline would read, nothing else.
    #[command(hide = true)]
    Scan {
        #[arg(long)]
        pipeline: PathBuf,
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
    },
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // clap uses 2 for usage errors and 0 for --help / --version.
            return ExitCode::from(e.exit_code() as u8);
        }
    };
    match cli.command {
        Command::Run {
            pipeline,
            data,
            as_of,
            out,
            max_reject_rate,
            quiet,
            memory_budget,
            partition_bytes,
            row_group_rows,
        } => {
            let opts = RunOptions {
                pipeline,
                data,
                as_of: as_of.unwrap_or_else(|| chrono::Local::now().date_naive()),
                out,
                max_reject_rate,
                memory_budget: memory_budget.saturating_mul(1 << 20),
                partition_bytes,
                row_group_rows,
            };
            run_command(&opts, quiet)
        }
        Command::Scan { pipeline, data } => {
            let started = std::time::Instant::now();
            let result = residence::pipeline::Pipeline::load(&pipeline)
                .map_err(anyhow::Error::from)
                .and_then(|p| residence::ingest::scan(&p, &data).map_err(anyhow::Error::from));
            match result {
                Ok(t) => {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "scanned {} files: {} records in {:.2} s ({:.0} records/s)",
                        t.files,
                        t.records,
                        secs,
                        t.records as f64 / secs.max(1e-9)
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("residence: error: {e:#}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Generate {
            persons,
            seed,
            as_of,
            out,
            dirty_rate,
        } => {
            let mut opts = GenerateOptions::new(out, persons, seed, as_of);
            opts.dirty_rate = dirty_rate;
            let started = std::time::Instant::now();
            match polars_core::runtime::THREAD_POOL.install(|| generate(&opts)) {
                Ok(summary) => {
                    let secs = started.elapsed().as_secs_f64();
                    println!(
                        "generated {} persons: {} rows, {} bytes in {:.2} s ({:.0} rows/s) -> {}",
                        summary.persons,
                        summary.rows,
                        summary.bytes,
                        secs,
                        summary.rows as f64 / secs.max(1e-9),
                        opts.out.display()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("residence: error: generate failed: {e}");
                    ExitCode::from(1)
                }
            }
        }
    }
}

fn run_command(opts: &RunOptions, quiet: bool) -> ExitCode {
    // Progress only on a terminal: silent under cron and systemd.
    let bar = if !quiet && std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} reading feeds {binary_bytes} ({binary_bytes_per_sec}) {elapsed}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let result = run(opts, &|n| bar.inc(n));
    bar.finish_and_clear();
    match result {
        Ok(report) => {
            for w in &report.manifest.warnings {
                eprintln!("residence: warning: {w}");
            }
            if !quiet {
                print_summary(&report);
            }
            if !report.gate_failures.is_empty() {
                eprintln!(
                    "residence: quality gate failed for {}; outputs kept in {} for diagnosis, latest unchanged",
                    report.gate_failures.join(", "),
                    report.dir.display()
                );
            }
            ExitCode::from(report.exit_code() as u8)
        }
        Err(e) => {
            let code = e.exit_code();
            let err = anyhow::Error::new(e).context("run failed; nothing published");
            eprintln!("residence: error: {err:#}");
            ExitCode::from(code as u8)
        }
    }
}

fn print_summary(report: &residence::run::RunReport) {
    let m = &report.manifest;
    let (mut rows, mut accepted, mut filtered, mut rejected) = (0, 0, 0, 0);
    for s in m.sources.values() {
        rows += s.counts.rows;
        accepted += s.counts.accepted;
        filtered += s.counts.filtered.values().sum::<u64>();
        rejected += s.counts.rejected_total();
    }
    println!(
        "run {} ({}): {} rows in {} files: {accepted} accepted, {filtered} filtered, {rejected} rejected; {} ms",
        report.run_id,
        m.status,
        rows,
        m.files.len(),
        m.timings_ms.get("total").copied().unwrap_or_default(),
    );
    println!(
        "{:<8} {:<15} {:<9} {:>8}",
        "city", "status", "basis", "persons"
    );
    for ((city, status, basis), n) in &report.decisions {
        println!("{city:<8} {status:<15} {basis:<9} {n:>8}");
    }
    for (name, n) in &m.outputs {
        println!("{name}: {n} rows");
    }
    println!("outputs: {}", report.dir.display());
}
