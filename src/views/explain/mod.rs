//! `residence explain`: one person's decision, the pledge and hukou rows
//! behind it, spells, evidence, a 24-month grid, the routes to eligibility,
//! and the filtered and rejected rows (SPEC §9), for a case officer. Reads
//! only the row groups that can hold the person, and pages long lists.
//!
//! - [`gather`]: the person's rows, read from the run's outputs.
//! - [`model`]: what the officer sees, built from those rows (the JSON).
//! - [`routes`]: the routes to eligibility, pure.
//! - [`text`]: the same, printed for a terminal.

mod columns;
mod gather;
pub mod model;
pub mod routes;
mod text;

use super::{Run, ViewError};
use crate::rules::id::{mask_id_text, parse_id_number};
use gather::gather;
use model::{Explanation, explanation, params};

pub use model::{DeclarationView, EvidenceView, MonthView, RouteView, RowView, SpellView};

/// Rows of evidence, filtered and rejected rows shown by default (`--limit`).
pub const DEFAULT_LIMIT: usize = 50;

/// `--format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Text for a terminal, one section per city.
    Text,
    /// The JSON object of SPEC §9 (one city only).
    Json,
}

/// What `residence explain` is asked for.
pub struct ExplainOptions {
    /// The output root (`--out`).
    pub out: std::path::PathBuf,
    /// `--run`: a run id; `None` for the run `latest` points at.
    pub run: Option<String>,
    /// The ID number as the officer typed it (any form of SPEC §3).
    pub person: String,
    /// `--city`: only this city (`XXXX00`); `None` for every city the person has.
    pub city: Option<String>,
    /// Text or JSON.
    pub format: Format,
    /// `--limit`: evidence, filtered and rejected rows shown, each.
    pub limit: usize,
}

/// Explains one person; returns the text to print. A person without any
/// row in the run is [`ViewError::NotFound`]. Error messages (they become
/// log lines) show the ID masked (SPEC §8), never whole.
pub fn explain(opts: &ExplainOptions) -> Result<String, ViewError> {
    let run = Run::open(&opts.out, opts.run.as_deref())?;
    let masked = mask_id_text(opts.person.trim());
    let person = parse_id_number(&opts.person, run.as_of).map_err(|e| {
        ViewError::Usage(format!("{masked} is not a valid ID number: {}", e.detail()))
    })?;
    let id = person.to_canonical_string();
    let found = gather(&run, &id, person.as_u64())?;
    if found.is_empty() {
        return Err(ViewError::NotFound(format!(
            "no decision, evidence, declaration, filtered or rejected row for {} in run {} (as of {})",
            person.masked(),
            run.run_id,
            run.as_of
        )));
    }
    let mut cities: Vec<String> = found
        .cities()
        .into_iter()
        .filter(|c| opts.city.as_ref().is_none_or(|want| want == c))
        .collect();
    if let Some(c) = &opts.city
        && cities.is_empty()
    {
        return Err(ViewError::NotFound(format!(
            "{} has no decision, evidence or declaration in city {c} in run {}",
            person.masked(),
            run.run_id
        )));
    }
    if cities.is_empty() {
        // Only filtered or rejected rows: no city was decided for.
        cities.push(String::new());
    }
    let p = params(&run, opts.limit);
    let views: Vec<Explanation> = cities
        .iter()
        .map(|c| explanation(&run, &id, (!c.is_empty()).then_some(c.as_str()), &found, p))
        .collect();
    match opts.format {
        Format::Json => {
            if views.len() > 1 {
                return Err(ViewError::Usage(format!(
                    "{} has decisions in cities {}: choose one with --city",
                    person.masked(),
                    cities.join(", ")
                )));
            }
            let mut text = serde_json::to_string_pretty(&views[0])
                .map_err(|e| ViewError::Usage(e.to_string()))?;
            text.push('\n');
            Ok(text)
        }
        Format::Text => Ok(text::render(&opts.person, &views)),
    }
}
