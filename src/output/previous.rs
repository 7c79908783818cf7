//! The run `latest` points at when a run starts: the baseline of the drift
//! gate, of `--publish auto` and of `changes.parquet`, read from its manifest.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use polars::prelude::{ParquetReader, SerReader};
use serde_json::Value;

use crate::rules::decision::{Basis, Status};
use crate::rules::division::parse_division;
use crate::rules::id::PersonId;
use crate::timeline::changes::PreviousDecision;

/// What a run needs to know of the published one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PreviousRun {
    /// Its id, the name of its folder.
    pub run_id: String,
    /// Its folder (`OUT/runs/<run_id>`).
    pub dir: PathBuf,
    /// Its decision date.
    pub as_of: NaiveDate,
    /// Rows per source.
    pub source_rows: BTreeMap<String, u64>,
    /// Eligible persons per city; `None` when its manifest predates them.
    pub eligible: Option<BTreeMap<String, u64>>,
}

/// The published run, if `OUT/latest` exists. An error says why a present
/// `latest` cannot serve as a baseline (its manifest is unreadable).
pub fn read(out: &Path) -> Result<Option<PreviousRun>, String> {
    let latest = out.join("latest");
    let target = match std::fs::read_link(&latest) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "{}: {}",
                latest.display(),
                crate::errors::io_words(&e)
            ));
        }
    };
    let dir = out.join(&target);
    let path = dir.join("manifest.json");
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("{}: {}", path.display(), crate::errors::io_words(&e)))?;
    let m: Value = serde_json::from_str(&text)
        .map_err(|e| format!("{}: not a manifest: {e}", path.display()))?;
    let field = |name: &str| {
        m.get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{}: no {name}", path.display()))
    };
    let run_id = field("run_id")?.to_owned();
    let as_of = NaiveDate::parse_from_str(field("as_of")?, "%Y-%m-%d")
        .map_err(|_| format!("{}: as_of is not a date", path.display()))?;
    let counts = |section: &str, key: &str| -> Option<BTreeMap<String, u64>> {
        m.get(section)?
            .as_object()?
            .iter()
            .map(|(name, v)| Some((name.clone(), v.get(key)?.as_u64()?)))
            .collect()
    };
    Ok(Some(PreviousRun {
        run_id,
        dir,
        as_of,
        source_rows: counts("sources", "rows").unwrap_or_default(),
        eligible: counts("cities", "eligible"),
    }))
}

/// The published run's decisions, sorted by (city, person) as its
/// `eligibility.parquet` is.
pub fn decisions(previous: &PreviousRun) -> Result<Vec<PreviousDecision>, String> {
    let path = previous.dir.join("eligibility.parquet");
    let fail = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let file = std::fs::File::open(&path).map_err(|e| fail(&crate::errors::io_words(&e)))?;
    let df = ParquetReader::new(file)
        .with_columns(Some(
            ["person_id", "city", "status", "basis"]
                .map(String::from)
                .to_vec(),
        ))
        .finish()
        .map_err(|e| fail(&e))?;
    let text = |name: &str| -> Result<Vec<Option<String>>, String> {
        let c = df.column(name).map_err(|e| fail(&e))?;
        let c = c.str().map_err(|e| fail(&e))?;
        Ok(c.iter().map(|v| v.map(str::to_owned)).collect())
    };
    let (people, cities, statuses, bases) = (
        text("person_id")?,
        text("city")?,
        text("status")?,
        text("basis")?,
    );
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let bad = || fail(&format!("row {i} is not a decision"));
        let person = people[i]
            .as_deref()
            .and_then(PersonId::from_canonical)
            .ok_or_else(bad)?;
        let city = cities[i]
            .as_deref()
            .and_then(parse_division)
            .ok_or_else(bad)?;
        let status = statuses[i]
            .as_deref()
            .and_then(Status::from_name)
            .ok_or_else(bad)?;
        let basis = bases[i]
            .as_deref()
            .and_then(Basis::from_name)
            .ok_or_else(bad)?;
        out.push(PreviousDecision {
            city,
            person,
            status,
            basis,
        });
    }
    if !out.is_sorted_by_key(|d| (d.city, d.person)) {
        return Err(fail(&"not sorted by city, person_id"));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_published_manifest() {
        let out = tempfile::tempdir().unwrap();
        assert_eq!(read(out.path()), Ok(None));
        let run = out.path().join("runs/r1");
        std::fs::create_dir_all(&run).unwrap();
        std::os::unix::fs::symlink("runs/r1", out.path().join("latest")).unwrap();
        assert!(read(out.path()).unwrap_err().contains("manifest.json"));
        std::fs::write(
            run.join("manifest.json"),
            r#"{"run_id":"r1","as_of":"2026-11-27",
                "sources":{"lease":{"rows":10},"utility":{"rows":20}},
                "cities":{"350500":{"eligible":7}}}"#,
        )
        .unwrap();
        let p = read(out.path()).unwrap().unwrap();
        assert_eq!(p.run_id, "r1");
        assert_eq!(p.as_of, NaiveDate::from_ymd_opt(2026, 11, 27).unwrap());
        assert_eq!(p.source_rows["utility"], 20);
        assert_eq!(p.eligible.unwrap()["350500"], 7);
        assert_eq!(p.dir, out.path().join("runs/r1"));
    }
}
