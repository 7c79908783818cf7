//! `declarations.parquet`: every accepted, current pledge and hukou row, so
//! the rows behind a pledge decision or a `not_applicable` can be shown
//! (SPEC §7). They are few (held in memory since ingest): one frame.

use std::path::Path;

use chrono::NaiveDate;

use super::counts::Outputs;
use super::error::EngineError;
use crate::ingest::Ingested;
use crate::output::parquet::{
    self, DECLARATIONS, DeclarationRow, FileMeta, ParquetSink, ROW_GROUP,
};
use crate::pipeline::{Params, SourceKind};
use crate::rules::decision::pledge_counts;

/// The night's declarations as rows, unsorted.
pub fn declaration_rows(
    ingested: &Ingested<'_>,
    params: &Params,
    as_of: NaiveDate,
) -> Vec<DeclarationRow> {
    let pledges = ingested.pledges.iter().map(|r| DeclarationRow {
        source: SourceKind::Pledge,
        person: r.pledge.person,
        city: r.pledge.city,
        declared_since: Some(r.pledge.declared_since),
        signed_date: Some(r.pledge.signed_date),
        counts: pledge_counts(as_of, r.pledge.signed_date, params.pledge_valid_days),
        file: r.order.0,
        line: r.order.1,
    });
    let hukou = ingested.hukou_rows.iter().map(|r| DeclarationRow {
        source: SourceKind::Hukou,
        person: r.person,
        city: r.city,
        declared_since: None,
        signed_date: None,
        counts: true,
        file: r.order.0,
        line: r.order.1,
    });
    pledges.chain(hukou).collect()
}

/// Writes `declarations.parquet` into `dir`; returns its row count.
pub fn write_declarations(
    ingested: &Ingested<'_>,
    params: &Params,
    as_of: NaiveDate,
    dir: &Path,
    meta: &FileMeta,
) -> Result<Outputs, EngineError> {
    let mut rows = declaration_rows(ingested, params, as_of);
    let frame = parquet::declarations_frame(&mut rows, &ingested.files)?;
    let mut sink =
        ParquetSink::create(&dir.join(DECLARATIONS.file), frame.schema(), &DECLARATIONS)?;
    for start in (0..frame.height()).step_by(ROW_GROUP) {
        sink.write(&frame.slice(start as i64, ROW_GROUP.min(frame.height() - start)))?;
    }
    let mut outputs = Outputs::new();
    outputs.insert(DECLARATIONS.file.to_owned(), sink.finish(meta)?);
    Ok(outputs)
}
