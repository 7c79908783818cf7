//! One night as Python sees it: the pipeline and gazetteer loaded, the feed
//! files listed in the run's order, and each file read whole by the core's
//! reader and judged record by record (SPEC §4, §5 steps 1, 3–5, 7). This
//! is the module's only file I/O; the rules are the core's.

use std::fs::File;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars_arrow::array::StaticArray;
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use residence_core::digest::hex;
use residence_core::gazetteer::{GazetteerError, read_gazetteer};
use residence_core::pipeline::source::MAX_FIELDS;
use residence_core::pipeline::{Pipeline, SourceConfig, SourceKind};
use residence_core::reader::feed::{
    EMPTY_FILE, FeedHeaderError, ZERO_BYTE_FILE, mapped_values, read_feed_header,
};
use residence_core::reader::hashing::HashingReader;
use residence_core::reader::{Record, RecordReader};
use residence_core::row::judge::{Judge, Verdict, record_id};
use residence_core::row::validate::{Ctx, Outcome as Judged};
use residence_core::rules::address::Gazetteer;
use residence_core::rules::date::{parse_date, to_epoch_days};
use residence_core::rules::reason::Reason;

use crate::arrow::{Batch, BatchBuilder, Imported, Kind};
use crate::judged::{JUDGED, Outcome, Row, key_halves};

/// One feed file of the night.
#[derive(Clone, Debug)]
pub struct FeedFile {
    /// The source it belongs to.
    pub source: SourceKind,
    /// Where to open it.
    pub path: PathBuf,
    /// Its path under the feed root with `/` separators, as outputs show it.
    pub input_file: String,
}

/// The pipeline, gazetteer and feed files of one night.
#[pyclass(module = "residence_py", frozen)]
pub struct Night {
    pipeline: Pipeline,
    gazetteer: Gazetteer,
    as_of: NaiveDate,
    files: Vec<FeedFile>,
    /// Declared sources and whether their folder is present.
    present: Vec<(SourceKind, String, bool, bool)>,
}

fn os_error(path: &Path, e: &std::io::Error) -> PyErr {
    PyOSError::new_err(format!("cannot read {}: {e}", path.display()))
}

/// The `*.csv` regular files directly in `dir`, sorted by path; `None`
/// when `dir` is absent (SPEC §4 "Files").
fn list_csv_files(dir: &Path) -> std::io::Result<Option<Vec<PathBuf>>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "csv")
            && std::fs::metadata(&path).is_ok_and(|m| m.is_file())
        {
            files.push(path);
        }
    }
    files.sort();
    Ok(Some(files))
}

impl Night {
    /// The judging context of the night.
    pub fn ctx(&self) -> Ctx<'_> {
        Ctx {
            as_of: self.as_of,
            gazetteer: &self.gazetteer,
            jurisdictions: &self.pipeline.params.jurisdictions,
        }
    }

    /// The decision date.
    pub fn as_of(&self) -> NaiveDate {
        self.as_of
    }

    /// The pipeline.
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The source of file `file_no`.
    pub fn source_of(&self, file_no: i32) -> PyResult<SourceKind> {
        usize::try_from(file_no)
            .ok()
            .and_then(|i| self.files.get(i))
            .map(|f| f.source)
            .ok_or_else(|| PyValueError::new_err(format!("no file number {file_no}")))
    }

    fn source_config(&self, kind: SourceKind) -> &SourceConfig {
        self.pipeline
            .sources
            .iter()
            .find(|s| s.kind == kind)
            .expect("every listed file belongs to a declared source")
    }

    fn file(&self, file_no: usize) -> PyResult<&FeedFile> {
        self.files
            .get(file_no)
            .ok_or_else(|| PyValueError::new_err(format!("no file number {file_no}")))
    }
}

/// The judged row of one record (a malformed one included).
fn judged_row(
    file_no: i32,
    kind: SourceKind,
    rec: &Record<'_>,
    mapping: &[Option<usize>],
    judge: &Judge<'_>,
) -> Row {
    let line = i32::try_from(rec.line()).unwrap_or(i32::MAX);
    if let Some(m) = rec.malformed() {
        let mut row = Row::new(file_no, line, Outcome::Rejected);
        row.reason = Some(Reason::MalformedRow);
        row.detail = Some(m.detail());
        row.raw = Some(rec.raw_lossy());
        return row;
    }
    let mut values = [""; MAX_FIELDS];
    let values = mapped_values(rec, mapping, &mut values);
    judged_values(file_no, line, kind, values, || rec.raw_lossy(), judge)
}

#[pymethods]
impl Night {
    /// Loads and checks the pipeline file and its gazetteer; `as_of` is
    /// `YYYY-MM-DD`; `data_dir` defaults to the pipeline's `data_dir`.
    /// Raises `ValueError` with the message `residence run` gives.
    #[new]
    #[pyo3(signature = (pipeline, as_of, data_dir = None))]
    fn new(pipeline: PathBuf, as_of: &str, data_dir: Option<PathBuf>) -> PyResult<Self> {
        let bytes = std::fs::read(&pipeline).map_err(|e| os_error(&pipeline, &e))?;
        let pipeline =
            Pipeline::parse(&pipeline, &bytes).map_err(|e| PyValueError::new_err(e.to_string()))?;
        let as_of = parse_date(as_of)
            .ok_or_else(|| PyValueError::new_err(format!("as_of {as_of:?} is not a date")))?;
        let path = &pipeline.gazetteer;
        let gazetteer = File::open(path)
            .map_err(|e| os_error(path, &e))
            .and_then(|f| {
                read_gazetteer(std::io::BufReader::new(f)).map_err(|e| match e {
                    GazetteerError::Io(e) => os_error(path, &e),
                    GazetteerError::Invalid(m) => {
                        PyValueError::new_err(format!("gazetteer {}: {m}", path.display()))
                    }
                })
            })?;
        let root = data_dir
            .or_else(|| pipeline.data_dir.clone())
            .ok_or_else(|| {
                PyValueError::new_err("no data_dir: pass one or set it in the pipeline")
            })?;
        let mut files = Vec::new();
        let mut present = Vec::new();
        for source in &pipeline.sources {
            let dir = root.join(&source.folder);
            let listed = list_csv_files(&dir).map_err(|e| os_error(&dir, &e))?;
            present.push((
                source.kind,
                source.folder.clone(),
                listed.is_some(),
                source.required,
            ));
            for path in listed.into_iter().flatten() {
                let input_file = path
                    .strip_prefix(&root)
                    .unwrap_or(&path)
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push(FeedFile {
                    source: source.kind,
                    path,
                    input_file,
                });
            }
        }
        Ok(Night {
            pipeline,
            gazetteer,
            as_of,
            files,
            present,
        })
    }

    /// The rule and gate parameters (SPEC §6, §8).
    #[getter]
    fn params<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let p = &self.pipeline.params;
        let d = PyDict::new(py);
        d.set_item("min_months", p.min_months)?;
        d.set_item("max_gap_days", p.max_gap_days)?;
        d.set_item("recency_days", p.recency_days)?;
        d.set_item("pledge_valid_days", p.pledge_valid_days)?;
        d.set_item(
            "jurisdictions",
            p.jurisdictions
                .iter()
                .map(|j| j.to_string())
                .collect::<Vec<_>>(),
        )?;
        d.set_item("max_reject_rate", p.max_reject_rate)?;
        d.set_item("max_row_drop", p.max_row_drop)?;
        d.set_item("max_eligible_drop", p.max_eligible_drop)?;
        d.set_item("max_staleness_days", p.max_staleness_days)?;
        // The pipeline's identity, as the manifest shows it.
        d.set_item("name", &self.pipeline.name)?;
        d.set_item("path", self.pipeline.path.to_string_lossy())?;
        d.set_item("sha256", &self.pipeline.sha256)?;
        d.set_item(
            "data_dir",
            self.pipeline.data_dir.as_ref().map(|d| d.to_string_lossy()),
        )?;
        Ok(d)
    }

    /// The feed files in the run's order (sources in name order, files in
    /// path order; `file_no` is the index): file_no, source, path, input_file.
    fn files<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let d = PyDict::new(py);
                d.set_item("file_no", i)?;
                d.set_item("source", f.source.name())?;
                d.set_item("path", f.path.to_string_lossy())?;
                d.set_item("input_file", &f.input_file)?;
                Ok(d)
            })
            .collect()
    }

    /// The declared sources: source, folder, present, required, and the
    /// gate's limits for it (its own, else the pipeline's): max_reject_rate,
    /// max_row_drop.
    fn sources<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, PyDict>>> {
        let params = &self.pipeline.params;
        self.present
            .iter()
            .map(|(kind, folder, present, required)| {
                let config = self.source_config(*kind);
                let d = PyDict::new(py);
                d.set_item("source", kind.name())?;
                d.set_item("folder", folder)?;
                d.set_item("present", *present)?;
                d.set_item("required", *required)?;
                d.set_item(
                    "max_reject_rate",
                    config.max_reject_rate.unwrap_or(params.max_reject_rate),
                )?;
                d.set_item(
                    "max_row_drop",
                    config.max_row_drop.unwrap_or(params.max_row_drop),
                )?;
                Ok(d)
            })
            .collect()
    }

    /// Reads file `file_no` whole with the core's reader and judges every
    /// record: a judged-row batch and the file's stats (rows, bytes, sha256,
    /// warnings). A header error raises `ValueError` with `residence run`'s
    /// message (`PATH: line N: …`).
    fn judge_file<'py>(
        &self,
        py: Python<'py>,
        file_no: usize,
    ) -> PyResult<(Batch, Bound<'py, PyDict>)> {
        let f = self.file(file_no)?;
        let source = self.source_config(f.source);
        let ctx = self.ctx();
        let judge = Judge::new(f.source, &ctx);
        let file = File::open(&f.path).map_err(|e| os_error(&f.path, &e))?;
        let mut hashing = HashingReader::new(file);
        let mut out = BatchBuilder::new(JUDGED);
        let mut warnings = Vec::new();
        {
            let mut reader = RecordReader::new(&mut hashing, source.encoding);
            let mapping = read_feed_header(&mut reader, source).map_err(|e| match e {
                FeedHeaderError::Io(e) => os_error(&f.path, &e),
                FeedHeaderError::Header { line, message } => {
                    PyValueError::new_err(format!("{}: line {line}: {message}", f.path.display()))
                }
            })?;
            match mapping {
                None => warnings.push(EMPTY_FILE.to_owned()),
                Some(mapping) => {
                    let file_no = i32::try_from(file_no).expect("file numbers fit i32");
                    while let Some(rec) = reader.next_record().map_err(|e| os_error(&f.path, &e))? {
                        judged_row(file_no, f.source, &rec, &mapping, &judge).push(&mut out);
                    }
                }
            }
        }
        let (bytes, digest) = hashing.finish();
        if bytes == 0 {
            warnings = vec![ZERO_BYTE_FILE.to_owned()];
        }
        let stats = PyDict::new(py);
        stats.set_item("rows", out.len())?;
        stats.set_item("bytes", bytes)?;
        stats.set_item("sha256", hex(&digest))?;
        stats.set_item("warnings", warnings)?;
        Ok((out.take(), stats))
    }

    /// Reads file `file_no` whole (SPEC §4) into a batch of raw records:
    /// line, malformed (the reason's detail, else null), raw, and one
    /// `string` column per canonical field of the source, trimmed (absent
    /// columns empty). [`Night::judge`] judges such a batch.
    fn read_file(&self, file_no: usize) -> PyResult<Batch> {
        let f = self.file(file_no)?;
        let source = self.source_config(f.source);
        let file = File::open(&f.path).map_err(|e| os_error(&f.path, &e))?;
        let mut reader = RecordReader::new(std::io::BufReader::new(file), source.encoding);
        let mapping = read_feed_header(&mut reader, source).map_err(|e| match e {
            FeedHeaderError::Io(e) => os_error(&f.path, &e),
            FeedHeaderError::Header { line, message } => {
                PyValueError::new_err(format!("{}: line {line}: {message}", f.path.display()))
            }
        })?;
        let mut out = BatchBuilder::new(&raw_schema(f.source));
        let Some(mapping) = mapping else {
            return Ok(out.take());
        };
        while let Some(rec) = reader.next_record().map_err(|e| os_error(&f.path, &e))? {
            out.col(0).i32(i32::try_from(rec.line()).ok());
            out.col(1)
                .str(rec.malformed().map(|m| m.detail()).as_deref());
            out.col(2).str(Some(&rec.raw_lossy()));
            let mut values = [""; MAX_FIELDS];
            let values: &[&str] = if rec.malformed().is_some() {
                &values[..mapping.len()]
            } else {
                mapped_values(&rec, &mapping, &mut values)
            };
            for (i, v) in values.iter().enumerate() {
                out.col(3 + i).str(Some(v));
            }
            out.end_row();
        }
        Ok(out.take())
    }

    /// Judges a batch of raw records of `source` as [`Night::read_file`]
    /// gives them (line, malformed, raw and the canonical fields) as the
    /// records of file `file_no`: a judged-row batch.
    fn judge(&self, source: &str, file_no: i32, batch: &Bound<'_, PyAny>) -> PyResult<Batch> {
        let kind = SourceKind::from_name(source)
            .ok_or_else(|| PyValueError::new_err(format!("unknown source {source:?}")))?;
        let batch: Imported = crate::arrow::import(batch)?;
        let line = batch.primitive::<i32>("line")?;
        let malformed = batch.text("malformed")?;
        let raw = batch.text("raw")?;
        let fields = kind
            .fields()
            .iter()
            .map(|f| batch.text(f.name))
            .collect::<PyResult<Vec<_>>>()?;
        let ctx = self.ctx();
        let judge = Judge::new(kind, &ctx);
        let mut out = BatchBuilder::new(JUDGED);
        for i in 0..batch.len() {
            let line = line.get(i).unwrap_or(0);
            let raw_text = raw.get(i).unwrap_or_default();
            let row = if let Some(detail) = malformed.get(i) {
                let mut row = Row::new(file_no, line, Outcome::Rejected);
                row.reason = Some(Reason::MalformedRow);
                row.detail = Some(detail.to_owned());
                row.raw = Some(raw_text.to_owned());
                row
            } else {
                let values: Vec<&str> = fields.iter().map(|c| c.get(i).unwrap_or("")).collect();
                judged_values(file_no, line, kind, &values, || raw_text.to_owned(), &judge)
            };
            row.push(&mut out);
        }
        Ok(out.take())
    }
}

/// The raw-record batch of a source: line, malformed, raw, then its fields.
fn raw_schema(kind: SourceKind) -> Vec<(&'static str, Kind, bool)> {
    let mut cols = vec![
        ("line", Kind::I32, false),
        ("malformed", Kind::Str, true),
        ("raw", Kind::Str, false),
    ];
    cols.extend(kind.fields().iter().map(|f| (f.name, Kind::Str, false)));
    cols
}

/// The judged row of a well-formed record given as its values; `raw`
/// gives its text when a rejection or the identity step needs it.
fn judged_values(
    file_no: i32,
    line: i32,
    kind: SourceKind,
    values: &[&str],
    raw: impl Fn() -> String,
    judge: &Judge<'_>,
) -> Row {
    let judged = judge.judge(values);
    let days = |d: Option<NaiveDate>| d.map(to_epoch_days);
    let mut row = match judged.verdict {
        Verdict::Outcome(Judged::Evidence(e)) => {
            let mut row = Row::new(file_no, line, Outcome::Evidence);
            row.person = Some(e.person);
            row.city = Some(e.division.city());
            row.division = Some(e.division);
            row.start = days(Some(e.start));
            row.end = days(Some(e.end));
            row
        }
        Verdict::Outcome(Judged::Pledge(p)) => {
            let mut row = Row::new(file_no, line, Outcome::Pledge);
            row.person = Some(p.person);
            row.city = Some(p.city);
            row.start = days(Some(p.declared_since));
            row.end = days(Some(p.signed_date));
            row
        }
        Verdict::Outcome(Judged::Hukou { person, city }) => {
            let mut row = Row::new(file_no, line, Outcome::Hukou);
            row.person = Some(person);
            row.city = Some(city);
            row
        }
        Verdict::Outcome(Judged::Filtered(f)) => {
            let mut row = Row::new(file_no, line, Outcome::Filtered);
            row.reason = Some(f.reason);
            row.person = f.facts.person;
            row.city = f.facts.city;
            row.start = days(f.facts.start);
            row.end = days(f.facts.end);
            row
        }
        Verdict::Outcome(Judged::AwaitIdentity(w)) => {
            let mut row = Row::new(file_no, line, Outcome::Awaiting);
            row.phone = Some(w.phone);
            row.city = Some(w.division.city());
            row.division = Some(w.division);
            row.start = days(Some(w.day));
            row.end = days(Some(w.day));
            // Kept for the rejection the identity step may give it.
            row.raw = Some(raw());
            row
        }
        Verdict::Rejected { rejection, person } => {
            let mut row = Row::new(file_no, line, Outcome::Rejected);
            row.reason = Some(rejection.reason);
            row.detail = Some(rejection.detail);
            row.raw = Some(raw());
            row.person = person;
            row
        }
    };
    row.record_id = record_id(kind, values).map(|b| String::from_utf8_lossy(b).into_owned());
    row.key = judged.key.map(key_halves);
    if let Some(o) = judged.owner {
        row.phone = Some(o.phone);
        row.owner_start = days(Some(o.start));
        row.owner_end = days(Some(o.end));
    }
    row
}
