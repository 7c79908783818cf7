//! The Parquet outputs of SPEC §7: their columns in order, how each is
//! built from the engine's rows, and the order each file is sorted in.
//!
//! Identifiers are text (an 18-character person id, 6-digit division codes)
//! so analysts join them as they appear in the feeds; dates are Parquet DATE
//! and `sources` is a LIST of text.

use std::ops::Range;

use chrono::NaiveDate;
use polars::prelude::*;
use polars_arrow::array::PrimitiveArray;

use super::columns::{
    code_column, date_column, dictionary_column, int_column, line_column,
    nullable_dictionary_column, person_column, six_digit_text, sources_column, str_column,
    text_column,
};
use crate::evidence::PartitionRows;
use crate::ingest::judged::FilteredRows;
use crate::ingest::{FileReport, RejectRecord};
use crate::pipeline::SourceKind;
use crate::rules::decision::{Basis, Status};
use crate::rules::division::Division;
use crate::rules::id::PersonId;
use crate::rules::reason::Reason;
use crate::timeline::changes::ChangeRow;
use crate::timeline::{EligibilityRow, SpellRow};

/// An output file: its name, the columns it is sorted by (declared in the
/// file as `sorting_columns`) and the columns that never hold a null
/// (REQUIRED in Parquet).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Output {
    /// The file's name in the run folder.
    pub file: &'static str,
    /// The sort order, most significant column first.
    pub sorted_by: &'static [&'static str],
    /// The columns that never hold a null.
    pub required: &'static [&'static str],
}

/// `eligibility.parquet`: one row per decided (person, city).
pub const ELIGIBILITY: Output = Output {
    file: "eligibility.parquet",
    sorted_by: &["city", "person_id"],
    required: &[
        "person_id",
        "city",
        "status",
        "basis",
        "months_of_evidence",
        "covered_days",
        "strong_days",
        "evidence_count",
        "sources",
        "as_of",
    ],
};
/// `spells.parquet`: every spell of every (person, city).
pub const SPELLS: Output = Output {
    file: "spells.parquet",
    sorted_by: &["city", "person_id", "spell_no"],
    required: &[
        "person_id",
        "city",
        "spell_no",
        "start",
        "end",
        "months",
        "covered_days",
        "evidence_count",
        "sources",
    ],
};
/// `evidence.parquet`: every accepted evidence row.
pub const EVIDENCE: Output = Output {
    file: "evidence.parquet",
    sorted_by: &["city", "person_id", "start", "end", "source", "record_id"],
    required: &[
        "person_id",
        "city",
        "division",
        "source",
        "record_id",
        "start",
        "end",
        "input_file",
        "line",
    ],
};
/// `rejects.parquet`: every rejected row.
pub const REJECTS: Output = Output {
    file: "rejects.parquet",
    sorted_by: &["source", "input_file", "line"],
    required: &["source", "input_file", "line", "reason", "detail", "raw"],
};
/// `filtered.parquet`: every filtered row.
pub const FILTERED: Output = Output {
    file: "filtered.parquet",
    sorted_by: &["source", "input_file", "line"],
    required: &["source", "input_file", "line", "reason"],
};
/// `changes.parquet`: each (person, city) whose status or basis changed since the previous run.
pub const CHANGES: Output = Output {
    file: "changes.parquet",
    sorted_by: &["city", "person_id"],
    required: &["person_id", "city", "as_of"],
};

/// `declarations.parquet`: every accepted pledge and hukou row.
pub const DECLARATIONS: Output = Output {
    file: "declarations.parquet",
    sorted_by: &["city", "person_id", "source", "input_file", "line"],
    required: &[
        "source",
        "person_id",
        "city",
        "counts",
        "input_file",
        "line",
    ],
};

/// One accepted pledge or hukou row, as `declarations.parquet` holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeclarationRow {
    /// `pledge` or `hukou`.
    pub source: SourceKind,
    /// The person declared.
    pub person: PersonId,
    /// The pledge's city, or the hukou city (`XXXX00`).
    pub city: Division,
    /// Pledge: the day declared; hukou: `None`.
    pub declared_since: Option<NaiveDate>,
    /// Pledge: the signing day; hukou: `None`.
    pub signed_date: Option<NaiveDate>,
    /// Pledge: it counts at the as-of (SPEC §6); hukou: true.
    pub counts: bool,
    /// Index of its input file.
    pub file: u32,
    /// 1-based line of the record.
    pub line: u32,
}

/// `declarations.parquet`, rows sorted here by city, person_id, source,
/// input_file, line.
pub fn declarations_frame(
    rows: &mut [DeclarationRow],
    files: &[FileReport],
) -> PolarsResult<DataFrame> {
    let path = |f: u32| files.get(f as usize).map_or("", |f| f.path.as_str());
    rows.sort_by(|a, b| {
        (a.city, a.person, a.source.name(), path(a.file), a.line).cmp(&(
            b.city,
            b.person,
            b.source.name(),
            path(b.file),
            b.line,
        ))
    });
    let columns = vec![
        str_column("source", rows.iter().map(|r| Some(r.source.name()))),
        person_column("person_id", rows.iter().map(|r| Some(r.person))),
        code_column("city", rows.iter().map(|r| Some(r.city.code()))),
        date_column("declared_since", rows.iter().map(|r| r.declared_since)),
        date_column("signed_date", rows.iter().map(|r| r.signed_date)),
        BooleanChunked::from_iter_values("counts".into(), rows.iter().map(|r| r.counts))
            .into_column(),
        str_column("input_file", rows.iter().map(|r| Some(path(r.file)))),
        line_column("line", rows.iter().map(|r| r.line)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// `eligibility.parquet`, sorted by city, person_id; every row carries the run's `as_of`.
pub fn eligibility_frame(rows: &[EligibilityRow], as_of: NaiveDate) -> PolarsResult<DataFrame> {
    let s = |f: fn(&SpellRow) -> u32| rows.iter().map(move |r| r.last_spell.as_ref().map_or(0, f));
    let columns = vec![
        person_column("person_id", rows.iter().map(|r| Some(r.person))),
        code_column("city", rows.iter().map(|r| Some(r.city.code()))),
        code_column("county", rows.iter().map(|r| r.county.map(|d| d.code()))),
        str_column(
            "status",
            rows.iter().map(|r| Some(r.decision.status.as_str())),
        ),
        str_column(
            "basis",
            rows.iter().map(|r| Some(r.decision.basis.as_str())),
        ),
        date_column(
            "spell_start",
            rows.iter().map(|r| r.last_spell.map(|s| s.start)),
        ),
        date_column(
            "spell_end",
            rows.iter().map(|r| r.last_spell.map(|s| s.end)),
        ),
        int_column("months_of_evidence", s(|s| s.months)),
        int_column("covered_days", s(|s| s.covered_days)),
        int_column("strong_days", rows.iter().map(|r| r.strong_days)),
        int_column("evidence_count", s(|s| s.evidence_count)),
        sources_column(
            "sources",
            rows.iter().map(|r| r.last_spell.map_or(0, |s| s.sources)),
        ),
        date_column(
            "eligible_since",
            rows.iter().map(|r| r.decision.eligible_since),
        ),
        date_column("eligible_on", rows.iter().map(|r| r.decision.eligible_on)),
        date_column("pledge_since", rows.iter().map(|r| r.pledge_since)),
        date_column("as_of", rows.iter().map(|_| Some(as_of))),
    ];
    DataFrame::new(rows.len(), columns)
}

/// `spells.parquet`, sorted by city, person_id, spell_no.
pub fn spells_frame(rows: &[SpellRow]) -> PolarsResult<DataFrame> {
    let columns = vec![
        person_column("person_id", rows.iter().map(|r| Some(r.person))),
        code_column("city", rows.iter().map(|r| Some(r.city.code()))),
        int_column("spell_no", rows.iter().map(|r| r.spell_no)),
        date_column("start", rows.iter().map(|r| Some(r.start))),
        date_column("end", rows.iter().map(|r| Some(r.end))),
        int_column("months", rows.iter().map(|r| r.months)),
        int_column("covered_days", rows.iter().map(|r| r.covered_days)),
        int_column("evidence_count", rows.iter().map(|r| r.evidence_count)),
        sources_column("sources", rows.iter().map(|r| r.sources)),
    ];
    DataFrame::new(rows.len(), columns)
}

/// The columns of `evidence.parquet` (sorted by city, person_id, start,
/// end, source, record_id).
pub fn evidence_schema() -> Schema {
    let text = |name: &str| Field::new(name.into(), DataType::String);
    let date = |name: &str| Field::new(name.into(), DataType::Date);
    Schema::from_iter([
        text("person_id"),
        text("city"),
        text("division"),
        text("source"),
        text("record_id"),
        date("start"),
        date("end"),
        text("input_file"),
        Field::new("line".into(), DataType::Int64),
    ])
}

/// Rows `range` of a sorted partition as the Arrow columns of one
/// `evidence.parquet` row group, in [`evidence_schema`] order.
///
/// The text columns with few distinct values per row group (person, city,
/// division, source, file) come from codes the engine already holds, so
/// they are built as dictionaries keyed on the codes. Polars would write
/// the same dictionary pages, but only after hashing every row's text to
/// find them, which was a tenth of a run.
pub fn evidence_columns(
    rows: &PartitionRows,
    range: Range<usize>,
    files: &[FileReport],
) -> PolarsResult<Vec<ArrayRef>> {
    let person = dictionary_column(&rows.person[range.clone()], |&p| {
        let text = PersonId::from_u64(p).canonical();
        // The canonical form is ASCII digits and X.
        std::str::from_utf8(&text).unwrap_or_default().to_owned()
    })?;
    let city = dictionary_column(&rows.city[range.clone()], |&c| six_digit_text(c))?;
    let division = dictionary_column(&rows.division[range.clone()], |&c| six_digit_text(c))?;
    let source = dictionary_column(&rows.source[range.clone()], |&s| {
        SourceKind::ALL
            .get(s as usize)
            .map_or("", |k| k.name())
            .to_owned()
    })?;
    let (ids, ends) = rows.record_ids(range.clone());
    let record_id = text_column(ids, ends.into_iter(), None)?;
    let date = |v: &[i32]| PrimitiveArray::<i32>::from_slice(v).to(ArrowDataType::Date32);
    let input_file = dictionary_column(&rows.file[range.clone()], |&f| {
        files
            .get(f as usize)
            .map_or("", |f| f.path.as_str())
            .to_owned()
    })?;
    let line: Vec<i64> = rows.line[range.clone()]
        .iter()
        .map(|&l| i64::from(l))
        .collect();
    Ok(vec![
        person,
        city,
        division,
        source,
        record_id,
        date(&rows.start[range.clone()]).boxed(),
        date(&rows.end[range]).boxed(),
        input_file,
        PrimitiveArray::<i64>::from_vec(line).boxed(),
    ])
}

/// `rejects.parquet`, sorted by source, input_file, line.
pub fn rejects_frame(rejects: &[RejectRecord], files: &[FileReport]) -> PolarsResult<DataFrame> {
    let columns = vec![
        str_column("source", rejects.iter().map(|r| Some(r.source.name()))),
        str_column(
            "input_file",
            rejects
                .iter()
                .map(|r| Some(files[r.file as usize].path.as_str())),
        ),
        line_column("line", rejects.iter().map(|r| r.line)),
        str_column("reason", rejects.iter().map(|r| Some(r.reason.code()))),
        str_column("detail", rejects.iter().map(|r| Some(r.detail.as_str()))),
        str_column("raw", rejects.iter().map(|r| Some(r.raw.as_str()))),
        person_column("person_id", rejects.iter().map(|r| r.person)),
    ];
    DataFrame::new(rejects.len(), columns)
}

/// The columns of `filtered.parquet` (sorted by source, input_file, line).
pub fn filtered_schema() -> Schema {
    let text = |name: &str| Field::new(name.into(), DataType::String);
    let date = |name: &str| Field::new(name.into(), DataType::Date);
    Schema::from_iter([
        text("source"),
        text("input_file"),
        Field::new("line".into(), DataType::Int64),
        text("reason"),
        text("person_id"),
        text("city"),
        text("record_id"),
        date("start"),
        date("end"),
    ])
}

/// Rows `range` of decoded filtered rows as the Arrow columns of one
/// `filtered.parquet` row group, in [`filtered_schema`] order. As for the
/// evidence, text with few distinct values comes as dictionaries keyed on
/// the codes the engine holds, not hashed row by row.
pub fn filtered_columns(
    rows: &FilteredRows,
    range: Range<usize>,
    files: &[FileReport],
) -> PolarsResult<Vec<ArrayRef>> {
    let source = dictionary_column(&rows.source[range.clone()], |&s| {
        SourceKind::ALL
            .get(usize::from(s))
            .map_or("", |k| k.name())
            .to_owned()
    })?;
    let input_file = dictionary_column(&rows.file[range.clone()], |&f| {
        files
            .get(f as usize)
            .map_or("", |f| f.path.as_str())
            .to_owned()
    })?;
    let line: Vec<i64> = rows.line[range.clone()]
        .iter()
        .map(|&l| i64::from(l))
        .collect();
    let reason = dictionary_column(&rows.reason[range.clone()], |&r| {
        Reason::ALL
            .get(usize::from(r))
            .map_or("", |r| r.code())
            .to_owned()
    })?;
    let person = nullable_dictionary_column(&rows.person[range.clone()], |&p| {
        // The canonical form is ASCII digits and X.
        String::from_utf8_lossy(&PersonId::from_u64(p).canonical()).into_owned()
    })?;
    let city = nullable_dictionary_column(&rows.city[range.clone()], |&c| six_digit_text(c))?;
    let (ids, ends, present) = rows.record_ids(range.clone());
    let record_id = text_column(ids, ends.into_iter(), Some(&present))?;
    let date = |v: &[Option<i32>]| PrimitiveArray::<i32>::from(v).to(ArrowDataType::Date32);
    Ok(vec![
        source,
        input_file,
        PrimitiveArray::<i64>::from_vec(line).boxed(),
        reason,
        person,
        city,
        record_id,
        date(&rows.start[range.clone()]).boxed(),
        date(&rows.end[range]).boxed(),
    ])
}

/// `changes.parquet`, sorted by city, person_id; every row carries the run's `as_of`.
pub fn changes_frame(rows: &[ChangeRow], as_of: NaiveDate) -> PolarsResult<DataFrame> {
    let status = |v: Option<(Status, Basis)>| v.map(|(s, _)| s.as_str());
    let basis = |v: Option<(Status, Basis)>| v.map(|(_, b)| b.as_str());
    let columns = vec![
        person_column("person_id", rows.iter().map(|r| Some(r.person))),
        code_column("city", rows.iter().map(|r| Some(r.city.code()))),
        date_column("previous_as_of", rows.iter().map(|r| r.previous_as_of)),
        str_column("previous_status", rows.iter().map(|r| status(r.previous))),
        str_column("previous_basis", rows.iter().map(|r| basis(r.previous))),
        str_column("status", rows.iter().map(|r| status(r.current))),
        str_column("basis", rows.iter().map(|r| basis(r.current))),
        date_column("as_of", rows.iter().map(|_| Some(as_of))),
    ];
    DataFrame::new(rows.len(), columns)
}
