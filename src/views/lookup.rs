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

/// Rows of output `path` of run `run_id` whose `person_id` is `person`,
/// reading only the row groups whose statistics admit it.
pub fn rows_of_person(path: &Path, run_id: &str, person: &str) -> Result<DataFrame, ViewError> {
    let md = metadata(path)?;
    check_run(path, &md, run_id)?;
    let keep: Vec<usize> = md
        .row_groups
        .iter()
        .enumerate()
        .filter(|(_, rg)| may_hold(rg, &md.footer_buf, person))
        .map(|(i, _)| i)
        .collect();
    read_groups(path, md, &keep, person)
}

/// Rows of output `path` of run `run_id` in row groups `groups` whose
/// `person_id` is `person`; a row group the file does not have is damage.
pub fn rows_in_groups(
    path: &Path,
    run_id: &str,
    groups: &[usize],
    person: &str,
) -> Result<DataFrame, ViewError> {
    let md = metadata(path)?;
    check_run(path, &md, run_id)?;
    if let Some(g) = groups.iter().find(|&&g| g >= md.row_groups.len()) {
        return Err(ViewError::Damaged(format!(
            "{}: has {} row groups, but persons.idx points at row group {g}",
            path.display(),
            md.row_groups.len()
        )));
    }
    read_groups(path, md, groups, person)
}

/// The footer of Parquet file `path`.
pub fn metadata(path: &Path) -> Result<FileMetadata, ViewError> {
    let mut f = File::open(path).map_err(|source| ViewError::Read {
        path: path.to_owned(),
        source,
    })?;
    read_metadata(&mut f).map_err(ViewError::parquet(path))
}

/// The footer's `residence.run_id` must be `run_id`: a file of another
/// run (or of none) is damage, named.
pub fn check_run(path: &Path, md: &FileMetadata, run_id: &str) -> Result<(), ViewError> {
    let found = md
        .key_value_metadata
        .as_ref()
        .and_then(|kv| kv.iter().find(|kv| kv.key == "residence.run_id"))
        .and_then(|kv| kv.value.clone());
    match found {
        Some(id) if id == run_id => Ok(()),
        Some(id) => Err(ViewError::Damaged(format!(
            "{}: belongs to run {id}, not to run {run_id}",
            path.display()
        ))),
        None => Err(ViewError::Damaged(format!(
            "{}: its footer names no run (expected run {run_id})",
            path.display()
        ))),
    }
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
