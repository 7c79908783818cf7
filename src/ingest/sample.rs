//! A quick sample of the input's person ids, read before the feeds are, to cut
//! the (city, person) space into evidence partitions of about equal size.
//!
//! The sample reads small windows spread evenly over every evidence file (a
//! few thousand windows in all, whatever the night's size) and takes the
//! person column of the records inside them. It never decides anything: a
//! window that starts inside a quoted field or ends mid-record just yields
//! fewer (or odd) ids, which makes partitions less even, never wrong.

use std::fs::File;
use std::os::unix::fs::FileExt;

use chrono::NaiveDate;
use rayon::prelude::*;

use super::file::FileInput;
use crate::pipeline::{Pipeline, SourceKind};
use crate::rules::id::parse_id_number;
use crate::rules::text::trim;
use residence_core::reader::RecordReader;
use residence_core::reader::header::map_header;

/// Windows over the whole night.
const WINDOWS: u64 = 1024;
const WINDOW_BYTES: usize = 8 * 1024;

/// Person ids (as u64) sampled from the evidence feeds among `inputs`, whose
/// sizes in bytes are `sizes`.
pub(crate) fn sample_persons(
    pipeline: &Pipeline,
    inputs: &[FileInput],
    sizes: &[u64],
    as_of: NaiveDate,
) -> Vec<u64> {
    let total: u64 = sizes.iter().sum();
    let stride = (total / WINDOWS).max(WINDOW_BYTES as u64 * 4);
    inputs
        .par_iter()
        .zip(sizes)
        .flat_map_iter(|(input, &size)| {
            let ids = if matches!(input.source, SourceKind::Hukou | SourceKind::Pledge) {
                Vec::new()
            } else {
                sample_file(pipeline, input, size, stride, as_of).unwrap_or_default()
            };
            ids.into_iter()
        })
        .collect()
}

fn sample_file(
    pipeline: &Pipeline,
    input: &FileInput,
    size: u64,
    stride: u64,
    as_of: NaiveDate,
) -> Option<Vec<u64>> {
    let source = pipeline.source(input.source)?;
    let file = File::open(&input.path).ok()?;
    let names = RecordReader::new(&file, input.encoding)
        .read_header()
        .ok()??;
    let mapping = map_header(&names, source).ok()?;
    // Every evidence feed has its person column second.
    let column = (*mapping.get(1)?)?;
    // The windows, each from its first whole line on (the header is skipped
    // in the first), one after another: one reader parses them all. Where a
    // window's cut-off last line meets the next window's first, one odd
    // record comes out; it rarely holds a valid ID and only adds noise.
    let mut windows = Vec::new();
    let mut window = vec![0u8; WINDOW_BYTES];
    let mut offset = 0;
    while offset < size {
        let n = read_at_most(&file, &mut window, offset);
        let bytes = &window[..n];
        if let Some(nl) = memchr::memchr(b'\n', bytes) {
            windows.extend_from_slice(&bytes[nl + 1..]);
            windows.push(b'\n');
        }
        offset += stride;
    }
    let mut ids = Vec::new();
    let mut reader = RecordReader::with_capacity(&windows[..], input.encoding, WINDOW_BYTES);
    while let Ok(Some(rec)) = reader.next_record() {
        if let Ok(p) = parse_id_number(trim(rec.field(column)), as_of) {
            ids.push(p.as_u64());
        }
    }
    Some(ids)
}

fn read_at_most(file: &File, buf: &mut [u8], offset: u64) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], offset + filled as u64) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Partitioner;
    use crate::generate::{GenerateOptions, generate};
    use crate::ingest::input_files;
    use std::path::Path;

    #[test]
    fn sampled_boundaries_cut_the_evidence_into_even_ranges() {
        let tmp = tempfile::tempdir().unwrap();
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
        generate(&GenerateOptions::new(tmp.path(), 3000, 5, as_of)).unwrap();
        let pipeline = crate::pipeline::load(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines/quanzhou-measure13.toml"),
        )
        .unwrap();
        let inputs = input_files(&pipeline, tmp.path()).unwrap().files;
        let sizes: Vec<u64> = inputs
            .iter()
            .map(|f| std::fs::metadata(&f.path).unwrap().len())
            .collect();
        let sample = sample_persons(&pipeline, &inputs, &sizes, as_of);
        assert!(sample.len() > 1000, "only {} ids sampled", sample.len());

        // Every evidence row's person, read in full, against the sampled ranges.
        let parts = 8;
        let p = Partitioner::from_sample(vec![350500], sample, parts);
        let mut sizes = vec![0u64; parts];
        for input in inputs
            .iter()
            .filter(|f| !matches!(f.source, SourceKind::Hukou | SourceKind::Pledge))
        {
            let mut r = RecordReader::new(File::open(&input.path).unwrap(), input.encoding);
            r.read_header().unwrap();
            while let Some(rec) = r.next_record().unwrap() {
                if let Ok(id) = parse_id_number(trim(rec.field(1)), as_of) {
                    sizes[p.index(350500, id.as_u64())] += 1;
                }
            }
        }
        let mean = sizes.iter().sum::<u64>() / parts as u64;
        for (i, &n) in sizes.iter().enumerate() {
            assert!(
                n > mean / 2 && n < mean * 2,
                "partition {i} holds {n} rows against a mean of {mean}: {sizes:?}"
            );
        }
    }
}
