//! `residence_py`: the residence core (SPEC §3–§6) as a Python module, for
//! the Spark job of SPEC §10. Arrow in, Arrow out, through the Arrow C data
//! interface; no rule is written here, each function wraps the core.
//!
//! - [`night::Night`]: the pipeline, the gazetteer and the feed files of a
//!   night; each file read whole by the core's reader and judged.
//! - [`stages`]: supersession, the phone owner on the day, timelines: one
//!   stateful object each, fed key runs that Spark sorted.
//! - [`judged`]: the judged-row batch every stage passes on.
//! - [`gate`]: the quality gate of SPEC §8 over the night's figures.
//! - [`arrow`]: the PyCapsule bridge (polars-arrow's `ffi`).

pub mod arrow;
pub mod gate;
pub mod judged;
pub mod night;
pub mod stages;

use pyo3::prelude::*;

/// The Python module.
#[pymodule]
fn residence_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<arrow::Batch>()?;
    m.add_class::<arrow::ArrowSchema>()?;
    m.add_function(wrap_pyfunction!(gate::gate, m)?)?;
    m.add_class::<night::Night>()?;
    m.add_class::<stages::Superseder>()?;
    m.add_class::<stages::Identifier>()?;
    m.add_class::<stages::Decider>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    let outcomes = [
        ("EVIDENCE", judged::Outcome::Evidence),
        ("PLEDGE", judged::Outcome::Pledge),
        ("HUKOU", judged::Outcome::Hukou),
        ("FILTERED", judged::Outcome::Filtered),
        ("REJECTED", judged::Outcome::Rejected),
        ("AWAITING", judged::Outcome::Awaiting),
    ];
    for (name, o) in outcomes {
        m.add(name, o as i8)?;
    }
    m.add("JUDGED_SCHEMA", arrow::ArrowSchema::of(judged::JUDGED))?;
    m.add("PERSON_SCHEMA", arrow::ArrowSchema::of(stages::PERSON))?;
    m.add(
        "JUDGED_COLUMNS",
        judged::JUDGED.iter().map(|c| c.0).collect::<Vec<_>>(),
    )?;
    m.add(
        "PERSON_COLUMNS",
        stages::PERSON.iter().map(|c| c.0).collect::<Vec<_>>(),
    )?;
    Ok(())
}
