//! The quality gate of SPEC §8 for the Spark job: the night's figures in,
//! the core's verdict out (`rules::gate::judge`), so the job does not
//! restate the rule or its messages.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use residence_core::rules::gate::{CityFigures, Finding, GateInput, SourceFigures, judge};

fn findings<'py>(py: Python<'py>, found: &[Finding]) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for f in found {
        let d = PyDict::new(py);
        d.set_item("check", f.check.code())?;
        d.set_item("subject", &f.subject)?;
        d.set_item("message", &f.message)?;
        list.append(d)?;
    }
    Ok(list)
}

/// Judges the night: `sources` is a list of dicts (name, required, present,
/// rows, rejected, max_reject_rate, max_row_drop, previous_rows or None),
/// `cities` a list of dicts (city, eligible, previous_eligible or None).
/// Returns {passed, failures, accepted}, each finding {check, subject, message}.
#[pyfunction]
#[pyo3(signature = (sources, cities, max_eligible_drop, allow_drift))]
pub fn gate<'py>(
    py: Python<'py>,
    sources: Vec<Bound<'py, PyDict>>,
    cities: Vec<Bound<'py, PyDict>>,
    max_eligible_drop: f64,
    allow_drift: bool,
) -> PyResult<Bound<'py, PyDict>> {
    fn get<'py, T: FromPyObjectOwned<'py>>(d: &Bound<'py, PyDict>, key: &str) -> PyResult<T> {
        d.get_item(key)?
            .ok_or_else(|| pyo3::exceptions::PyKeyError::new_err(key.to_owned()))?
            .extract()
            .map_err(Into::into)
    }
    let input = GateInput {
        sources: sources
            .iter()
            .map(|s| {
                Ok(SourceFigures {
                    name: get(s, "name")?,
                    required: get(s, "required")?,
                    present: get(s, "present")?,
                    rows: get(s, "rows")?,
                    rejected: get(s, "rejected")?,
                    max_reject_rate: get(s, "max_reject_rate")?,
                    max_row_drop: get(s, "max_row_drop")?,
                    previous_rows: get(s, "previous_rows")?,
                })
            })
            .collect::<PyResult<_>>()?,
        cities: cities
            .iter()
            .map(|c| {
                Ok(CityFigures {
                    city: get(c, "city")?,
                    eligible: get(c, "eligible")?,
                    previous_eligible: get(c, "previous_eligible")?,
                })
            })
            .collect::<PyResult<_>>()?,
        max_eligible_drop,
        allow_drift,
    };
    let verdict = judge(&input);
    let out = PyDict::new(py);
    out.set_item("passed", verdict.passed())?;
    out.set_item("failures", findings(py, &verdict.failures)?)?;
    out.set_item("accepted", findings(py, &verdict.accepted)?)?;
    Ok(out)
}
