//! The `residence` command line: argument parsing, signals, logs, progress,
//! the summary, metrics and exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use clap::{Parser, Subcommand, ValueEnum};

use residence::errors;
use residence::generate::{GenerateOptions, Profile, generate};
use residence::interrupt;
use residence::log::LogFormat;
use residence::output::metrics::{self, RunMetrics};
use residence::output::parquet::ROW_GROUP;
use residence::progress::{Progress, Silent};
use residence::run::{
    DEFAULT_KEEP_RUNS, PublishMode, RunError, RunOptions, RunPlan, RunReport, run,
};

#[derive(Parser)]
#[command(
    name = "residence",
    version,
    about = "Residence evidence → timelines → residence-permit eligibility (Quanzhou measure 13)"
)]
struct Cli {
    /// Log lines on stderr: text, or one JSON object per line.
    #[arg(long, value_enum, global = true, default_value_t = LogFormatArg::Text)]
    log_format: LogFormatArg,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormatArg {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum ExplainFormat {
    Text,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PublishArg {
    /// Repoint latest unless this run's as-of is earlier than the published run's.
    Auto,
    /// Repoint latest whatever the as-of (a corrected rerun).
    Always,
    /// Keep the run under runs/ only.
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Run the nightly pipeline: read the feeds, write OUT/runs/<run_id>/, repoint OUT/latest.
    Run(RunArgs),
    /// Preflight after installing: the pipeline and gazetteer load, the data
    /// is readable, OUT writable and its lock free, the metrics folder
    /// writable. One line per check; exit 0 when all hold, else 2.
    Check {
        /// Pipeline file.
        #[arg(long)]
        pipeline: PathBuf,
        /// Feed root [default: the pipeline's data_dir].
        #[arg(long, value_name = "DIR")]
        data: Option<PathBuf>,
        /// Output root the runs will write to.
        #[arg(long, value_name = "OUT")]
        out: Option<PathBuf>,
        /// The metrics file the runs will write.
        #[arg(long, value_name = "PATH")]
        metrics_file: Option<PathBuf>,
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
        /// `default`: the synthetic mix; `agency`: shaped like real agency
        /// extracts (shopping largest, free-text addresses, every date form,
        /// quoted telecom, CRLF, BOM, blank lines, 2+ files per source).
        #[arg(long, value_name = "PROFILE", default_value = "default", value_parser = parse_profile)]
        profile: Profile,
    },
    /// One person for a case officer: the decision, spells, evidence, a
    /// 24-month grid, what is missing, and every filtered or rejected row.
    Explain {
        /// Output root the run was written to.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// The run to read [default: the one OUT/latest points at].
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// The ID number, in any form (15 or 18 characters, full-width, lower-case x).
        #[arg(long, value_name = "ID")]
        person: String,
        /// Only this city (a six-digit code).
        #[arg(long, value_name = "CITY")]
        city: Option<String>,
        #[arg(long, value_enum, default_value_t = ExplainFormat::Text)]
        format: ExplainFormat,
    },
    /// One self-contained HTML page about a run: decisions, evidence, rows
    /// by outcome, changes, and trends across the retained runs.
    Report {
        /// Output root the run was written to.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// The run to report on [default: the one OUT/latest points at].
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// The HTML file to write.
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
    },
    /// Write a pseudonymised copy of a published run for analysts: HMAC
    /// pseudonyms, months instead of days, k-anonymous quasi-identifiers.
    Export {
        /// Output root the run was written to.
        #[arg(long, value_name = "OUT")]
        out: PathBuf,
        /// The run to copy [default: the one OUT/latest points at].
        #[arg(long, value_name = "RUN_ID")]
        run: Option<String>,
        /// The pseudonym key: a file only its owner can read, of at least 32 bytes.
        #[arg(long, value_name = "KEY")]
        key_file: PathBuf,
        /// Folder to write the copy to (eligibility.parquet, spells.parquet, report.json).
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
        /// Smallest class of quasi-identifiers left unsuppressed.
        #[arg(long, default_value_t = residence::views::export::DEFAULT_K)]
        k: usize,
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

#[derive(clap::Args)]
struct RunArgs {
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
    /// Accept a night that fails only the drift checks (reported in the manifest).
    #[arg(long)]
    allow_drift: bool,
    /// When a run that passes the gate repoints latest.
    #[arg(long, value_enum, default_value_t = PublishArg::Auto)]
    publish: PublishArg,
    /// Complete runs to keep under OUT/runs (the one latest points at is always kept).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_KEEP_RUNS)]
    keep_runs: usize,
    /// Write Prometheus metrics here at the end of every run (atomically, mode 0644).
    #[arg(long, value_name = "PATH")]
    metrics_file: Option<PathBuf>,
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
    #[arg(long, hide = true, default_value_t = ROW_GROUP)]
    row_group_rows: usize,
}

fn parse_profile(s: &str) -> Result<Profile, String> {
    Profile::from_name(s).ok_or_else(|| format!("{s:?}: expected default or agency"))
}

fn parse_day(s: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| format!("expected YYYY-MM-DD: {e}"))
}

/// Writes to stdout, ignoring a closed pipe (`residence run … | head -1`).
macro_rules! out {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
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
    let format = match cli.log_format {
        LogFormatArg::Text => LogFormat::Text,
        LogFormatArg::Json => LogFormat::Json,
    };
    let quiet = matches!(&cli.command, Command::Run(a) if a.quiet);
    // On a terminal the progress bar shows the phases the info lines name.
    let bar = matches!(&cli.command, Command::Run(_))
        && format == LogFormat::Text
        && std::io::stderr().is_terminal();
    let level = if quiet || bar {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    };
    residence::log::init(format, level);
    let code = match cli.command {
        Command::Run(args) => run_command(args),
        Command::Scan { pipeline, data } => scan_command(&pipeline, &data),
        Command::Check {
            pipeline,
            data,
            out,
            metrics_file,
        } => check_command(&residence::check::CheckOptions {
            pipeline,
            data,
            out,
            metrics_file,
        }),
        Command::Explain {
            out,
            run,
            person,
            city,
            format,
        } => explain_command(&residence::views::explain::ExplainOptions {
            out,
            run,
            person,
            city,
            format: match format {
                ExplainFormat::Text => residence::views::explain::Format::Text,
                ExplainFormat::Json => residence::views::explain::Format::Json,
            },
        }),
        Command::Report { out, run, html } => {
            match residence::views::report::report(&residence::views::report::ReportOptions {
                out,
                run,
                html: html.clone(),
            }) {
                Ok(()) => {
                    out!("report written to {}", html.display());
                    0
                }
                Err(e) => {
                    tracing::error!("report failed: {}", errors::chain(&e));
                    e.exit_code()
                }
            }
        }
        Command::Export {
            out,
            run,
            key_file,
            to,
            k,
        } => export_command(&residence::views::export::ExportOptions {
            out,
            run,
            key_file,
            to,
            k,
        }),
        Command::Generate {
            persons,
            seed,
            as_of,
            out,
            dirty_rate,
            profile,
        } => {
            let mut opts = GenerateOptions::new(out, persons, seed, as_of);
            opts.dirty_rate = dirty_rate;
            opts.profile = profile;
            generate_command(&opts)
        }
    };
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

fn scan_command(pipeline: &Path, data: &Path) -> i32 {
    let started = Instant::now();
    let result = residence::pipeline::load(pipeline)
        .map_err(anyhow::Error::from)
        .and_then(|p| residence::ingest::scan(&p, data).map_err(anyhow::Error::from));
    match result {
        Ok(t) => {
            let secs = started.elapsed().as_secs_f64();
            out!(
                "scanned {} files: {} records in {:.2} s ({:.0} records/s)",
                t.files,
                t.records,
                secs,
                t.records as f64 / secs.max(1e-9)
            );
            0
        }
        Err(e) => {
            tracing::error!("scan failed: {}", errors::chain(e.as_ref()));
            1
        }
    }
}

fn check_command(opts: &residence::check::CheckOptions) -> i32 {
    let lines = residence::check::check(opts);
    for l in &lines {
        out!("{l}");
    }
    if lines.iter().all(|l| l.ok) { 0 } else { 2 }
}

fn explain_command(opts: &residence::views::explain::ExplainOptions) -> i32 {
    match residence::views::explain::explain(opts) {
        Ok(text) => {
            let _ = std::io::stdout().lock().write_all(text.as_bytes());
            0
        }
        Err(e) => {
            tracing::error!("{}", errors::chain(&e));
            e.exit_code()
        }
    }
}

fn export_command(opts: &residence::views::export::ExportOptions) -> i32 {
    match residence::views::export::export(opts) {
        Ok(r) => {
            out!(
                "exported run {} to {}: {} eligibility rows ({} suppressed), {} spells ({} suppressed), k = {}",
                r.run_id,
                opts.to.display(),
                r.eligibility.rows,
                r.eligibility.suppressed_rows,
                r.spells.rows,
                r.spells.suppressed_rows,
                r.k
            );
            0
        }
        Err(e) => {
            tracing::error!("export failed: {}", errors::chain(&e));
            e.exit_code()
        }
    }
}

fn generate_command(opts: &GenerateOptions) -> i32 {
    let started = Instant::now();
    match polars_core::runtime::THREAD_POOL.install(|| generate(opts)) {
        Ok(summary) => {
            let secs = started.elapsed().as_secs_f64();
            out!(
                "generated {} persons: {} rows, {} bytes in {:.2} s ({:.0} rows/s) -> {}",
                summary.persons,
                summary.rows,
                summary.bytes,
                secs,
                summary.rows as f64 / secs.max(1e-9),
                opts.out.display()
            );
            0
        }
        Err(e) => {
            tracing::error!("generate failed: {}", errors::chain(&e));
            1
        }
    }
}

/// Grace a run has to stop by itself after a signal before the process
/// removes its folders and exits (SPEC §2: within 5 s).
const STOP_GRACE: Duration = Duration::from_millis(4500);

/// Listens for SIGTERM and SIGINT: the first asks the run to stop and
/// starts the grace period; a second, or the end of the grace, exits at once
/// after removing the run's incomplete folder and spill.
fn handle_signals(metrics_file: Option<PathBuf>, started: Instant) {
    let Ok(mut signals) =
        signal_hook::iterator::Signals::new([interrupt::SIGTERM, interrupt::SIGINT])
    else {
        tracing::warn!("cannot listen for SIGTERM and SIGINT; they will stop the run uncleaned");
        return;
    };
    std::thread::spawn(move || {
        for signal in signals.forever() {
            let name = interrupt::signal_name(signal);
            match interrupt::request(signal) {
                interrupt::Request::AlreadyPublishing => {
                    tracing::warn!("received {name}: finishing: already publishing");
                    continue;
                }
                interrupt::Request::Again => {
                    emergency_exit(signal, metrics_file.as_deref(), started)
                }
                interrupt::Request::Stopping => {}
            }
            tracing::warn!("received {name}: stopping the run");
            let metrics_file = metrics_file.clone();
            std::thread::spawn(move || {
                std::thread::sleep(STOP_GRACE);
                tracing::error!("the run did not stop within the grace period; exiting");
                emergency_exit(signal, metrics_file.as_deref(), started);
            });
        }
    });
}

fn emergency_exit(signal: i32, metrics_file: Option<&Path>, started: Instant) -> ! {
    let code = 128 + signal;
    let _held = interrupt::LEFTOVERS.remove_all();
    if let Some(path) = metrics_file {
        write_metrics(path, &failed_metrics(code, started));
    }
    let secs = started.elapsed().as_secs_f64();
    tracing::error!(
        target: "residence::final",
        exit_code = code,
        duration_s = secs,
        "run finished: status=interrupted published=false: {}; the run's folder and spill were removed",
        interrupt::signal_name(signal)
    );
    std::process::exit(code)
}

fn run_command(args: RunArgs) -> i32 {
    let started = Instant::now();
    let run_id = residence::output::publish::new_run_id();
    residence::log::set_run_id(&run_id);
    handle_signals(args.metrics_file.clone(), started);
    let opts = RunOptions {
        pipeline: args.pipeline,
        data: args.data,
        as_of: args
            .as_of
            .unwrap_or_else(|| chrono::Local::now().date_naive()),
        out: args.out,
        max_reject_rate: args.max_reject_rate,
        allow_drift: args.allow_drift,
        publish: match args.publish {
            PublishArg::Auto => PublishMode::Auto,
            PublishArg::Always => PublishMode::Always,
            PublishArg::Never => PublishMode::Never,
        },
        keep_runs: args.keep_runs,
        memory_budget: args.memory_budget.saturating_mul(1 << 20),
        partition_bytes: args.partition_bytes,
        row_group_rows: args.row_group_rows,
        run_id: Some(run_id),
    };
    // Progress only on a terminal: silent under cron and systemd.
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(Bar::new);
    let progress: &dyn Progress = match &bar {
        Some(bar) => bar,
        None => &Silent,
    };
    let result = RunPlan::resolve(&opts).and_then(|plan| run(&plan, progress));
    if let Some(bar) = &bar {
        bar.0.finish_and_clear();
    }
    let (code, mut metrics, outcome) = match result {
        Ok(report) => {
            for w in &report.warnings {
                let (source, file) = (w.source.as_deref(), w.file.as_deref());
                tracing::warn!(source, file, "{}", w.text());
            }
            report_outcome(&report);
            if !args.quiet {
                print_summary(&report);
            }
            let code = report.exit_code();
            let m = &report.manifest;
            let outcome = format!(
                "status={} published={}: {}",
                m.status.as_str(),
                m.published,
                m.publication
            );
            (code, run_metrics(&report, code, started), outcome)
        }
        Err(e) => {
            let code = e.exit_code();
            report_error(&e);
            let outcome = format!("status=failed published=false: {}", errors::chain(&e));
            (code, failed_metrics(code, started), outcome)
        }
    };
    // The run's last line, at any verbosity (SPEC §8).
    let secs = started.elapsed().as_secs_f64();
    if code == 0 {
        tracing::info!(target: "residence::final", exit_code = code, duration_s = secs, "run finished: {outcome}");
    } else {
        tracing::error!(target: "residence::final", exit_code = code, duration_s = secs, "run finished: {outcome}");
    }
    if let Some(path) = &args.metrics_file {
        metrics.published_success = published_success(&opts.out);
        write_metrics(path, &metrics);
    }
    code
}

/// When the run `OUT/latest` points at wrote its manifest, in Unix seconds.
fn published_success(out: &Path) -> Option<f64> {
    let modified = std::fs::metadata(out.join("latest/manifest.json"))
        .and_then(|m| m.modified())
        .ok()?;
    let since = modified.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some(since.as_secs_f64())
}

fn report_outcome(report: &RunReport) {
    let m = &report.manifest;
    if !report.verdict.passed() {
        let checks: Vec<String> = report
            .verdict
            .failures
            .iter()
            .map(|f| f.to_string())
            .collect();
        tracing::error!(
            run_id = %report.run_id,
            "quality gate failed: {}; outputs kept in {} for diagnosis, latest unchanged",
            checks.join("; "),
            report.dir.display()
        );
        return;
    }
    for f in &report.verdict.accepted {
        tracing::warn!("drift accepted (--allow-drift): {f}");
    }
    // A run left unpublished (a backfill, --publish never) is worth a WARN:
    // the shipped --quiet setup shows it.
    if m.published {
        tracing::info!(status = m.status.as_str(), "{}", m.publication);
    } else {
        tracing::warn!(status = m.status.as_str(), "{}", m.publication);
    }
}

fn report_error(e: &RunError) {
    if let Some(i) = e.interrupted() {
        tracing::error!("{i}: nothing published; the run's folder and spill were removed");
    } else {
        tracing::error!("run failed, nothing published: {}", errors::chain(e));
    }
}

fn write_metrics(path: &Path, m: &RunMetrics) {
    if let Err(e) = metrics::write(path, m) {
        tracing::error!(
            "cannot write the metrics file {}: {}",
            path.display(),
            errors::io_words(&e)
        );
    }
}

fn now_seconds() -> f64 {
    chrono::Utc::now().timestamp_millis() as f64 / 1000.0
}

fn failed_metrics(code: i32, started: Instant) -> RunMetrics {
    RunMetrics {
        ended: now_seconds(),
        duration_seconds: started.elapsed().as_secs_f64(),
        exit_code: code,
        ..RunMetrics::default()
    }
}

fn run_metrics(report: &RunReport, code: i32, started: Instant) -> RunMetrics {
    let m = &report.manifest;
    let mut rows = Vec::new();
    for (name, s) in &m.sources {
        let c = &s.counts;
        rows.push((name.clone(), "accepted", c.accepted));
        rows.push((name.clone(), "filtered", c.filtered.values().sum()));
        rows.push((name.clone(), "rejected", c.rejected_total()));
    }
    RunMetrics {
        ended: now_seconds(),
        duration_seconds: started.elapsed().as_secs_f64(),
        exit_code: code,
        succeeded: code == 0,
        rows,
        persons: report
            .decisions
            .iter()
            .map(|((city, status, basis), n)| {
                (city.clone(), (*status).to_owned(), (*basis).to_owned(), *n)
            })
            .collect(),
        gate_checks: gate_checks(report),
        staleness_days: m
            .sources
            .iter()
            .filter_map(|(name, s)| {
                let latest = NaiveDate::parse_from_str(s.latest_evidence.as_deref()?, "%Y-%m-%d");
                let as_of = NaiveDate::parse_from_str(&m.as_of, "%Y-%m-%d");
                Some((name.clone(), (as_of.ok()? - latest.ok()?).num_days()))
            })
            .collect(),
        published_success: None,
    }
}

/// Every check of the gate, failed or not: completeness, rejects and
/// row drift per source, eligible drift per city, and any other failure.
fn gate_checks(report: &RunReport) -> Vec<(String, String, bool)> {
    let failed: Vec<(&str, &str)> = report
        .verdict
        .failures
        .iter()
        .map(|f| (f.check.code(), f.subject.as_str()))
        .collect();
    let m = &report.manifest;
    let mut checks: Vec<(String, String, bool)> = Vec::new();
    let mut add = |check: &str, subject: &str| {
        let failed = failed.contains(&(check, subject));
        checks.push((check.to_owned(), subject.to_owned(), failed));
    };
    for name in m.sources.keys() {
        for check in ["completeness", "rejects", "row_drift"] {
            add(check, name);
        }
    }
    for city in m.cities.keys() {
        add("eligible_drift", city);
    }
    for (check, subject) in &failed {
        if !checks.iter().any(|(c, s, _)| c == check && s == subject) {
            checks.push(((*check).to_owned(), (*subject).to_owned(), true));
        }
    }
    checks
}

fn print_summary(report: &RunReport) {
    let m = &report.manifest;
    let (mut rows, mut accepted, mut filtered, mut rejected) = (0, 0, 0, 0);
    for s in m.sources.values() {
        rows += s.counts.rows;
        accepted += s.counts.accepted;
        filtered += s.counts.filtered.values().sum::<u64>();
        rejected += s.counts.rejected_total();
    }
    out!(
        "run {} ({}): {} in {}: {accepted} accepted, {filtered} filtered, {rejected} rejected; {} ms",
        report.run_id,
        m.status.as_str(),
        counted(rows, "row"),
        counted(m.files.len() as u64, "file"),
        m.timings_ms.get("total").copied().unwrap_or_default(),
    );
    out!(
        "{:<8} {:<15} {:<9} {:>8}",
        "city",
        "status",
        "basis",
        "persons"
    );
    for ((city, status, basis), n) in &report.decisions {
        out!("{city:<8} {status:<15} {basis:<9} {n:>8}");
    }
    for (name, n) in &m.outputs {
        out!("{name}: {}", counted(*n, "row"));
    }
    out!("outputs: {}", report.dir.display());
}

/// `1 row`, `2 rows`.
fn counted(n: u64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The progress bar on a terminal: the phase, and how far it is.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Self {
        let bar = indicatif::ProgressBar::new(0);
        bar.enable_steady_tick(Duration::from_millis(120));
        Bar(bar)
    }
}

impl Progress for Bar {
    fn phase(&self, name: &'static str, total: u64) {
        let template = match (name, total) {
            (_, 0) => "{spinner} {msg} {elapsed}",
            ("reading feeds", _) => {
                "{spinner} {msg} {bar:24} {percent:>3}% {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}) {elapsed}"
            }
            _ => "{spinner} {msg} {bar:24} {pos}/{len} {elapsed}",
        };
        // Length first, so the new style never draws the old phase's count.
        self.0.set_length(total);
        self.0.set_position(0);
        self.0.set_message(name);
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            self.0.set_style(style);
        }
    }

    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}
