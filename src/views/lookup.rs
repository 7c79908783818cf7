//! Reading one person's rows without reading whole outputs: the row groups
//! whose `person_id` statistics can hold the person (outputs sorted by
//! city and person), or the row groups `persons.idx` names (filtered rows
//! and rejects).

use std::fs::File;
use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;
use polars_parquet::parquet::statistics::Statistics;
use polars_parquet::read::read_metadata;

use super::ViewError;

/// Rows of output `path` whose `person_id` is `person`, reading only the
/// row groups whose statistics admit it.
pub fn rows_of_person(path: &Path, person: &str) -> Result<DataFrame, ViewError> {
    let md = metadata(path)?;
    let keep: Vec<usize> = md
        .row_groups
        .iter()
        .enumerate()
        .filter(|(_, rg)| may_hold(rg, &md.footer_buf, person))
        .map(|(i, _)| i)
        .collect();
    read_groups(path, md, &keep, person)
}

/// Rows of output `path` in row groups `groups` whose `person_id` is `person`.
pub fn rows_in_groups(path: &Path, groups: &[usize], person: &str) -> Result<DataFrame, ViewError> {
    let md = metadata(path)?;
    read_groups(path, md, groups, person)
}

fn metadata(path: &Path) -> Result<FileMetadata, ViewError> {
    let mut f = File::open(path).map_err(|source| ViewError::Read {
        path: path.to_owned(),
        source,
    })?;
    read_metadata(&mut f).map_err(ViewError::parquet(path))
}

/// Whether a row group's `person_id` statistics allow `person` (no
/// statistics: it may).
fn may_hold(rg: &polars_parquet::read::RowGroupMetadata, footer: &[u8], person: &str) -> bool {
    let Some(mut columns) = rg.columns_under_root_iter("person_id") else {
        return true;
    };
    let Some(column) = columns.next() else {
        return true;
    };
    match column.statistics(footer) {
        Some(Ok(Statistics::Binary(s))) => {
            let p = person.as_bytes();
            s.min_value.as_deref().is_none_or(|min| min <= p)
                && s.max_value.as_deref().is_none_or(|max| max >= p)
        }
        _ => true,
    }
}

fn read_groups(
    path: &Path,
    mut md: FileMetadata,
    groups: &[usize],
    person: &str,
) -> Result<DataFrame, ViewError> {
    let all = std::mem::take(&mut md.row_groups);
    md.row_groups = groups.iter().filter_map(|&g| all.get(g).cloned()).collect();
    md.num_rows = md.row_groups.iter().map(|rg| rg.num_rows()).sum();
    let f = File::open(path).map_err(|source| ViewError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut reader = ParquetReader::new(f);
    reader.set_metadata(Arc::new(md));
    let df = reader.finish().map_err(ViewError::parquet(path))?;
    let mask = df
        .column("person_id")
        .and_then(|c| c.str().cloned())
        .map(|c| c.equal(person))
        .map_err(ViewError::parquet(path))?;
    df.filter(&mask).map_err(ViewError::parquet(path))
}
