//! The Parquet outputs of SPEC §7: their columns ([`frames`]), how a
//! column is built ([`columns`]), and how a file is written ([`writer`]).

mod columns;
pub mod frames;
pub mod writer;

pub use frames::{
    CHANGES, DECLARATIONS, DeclarationRow, ELIGIBILITY, EVIDENCE, FILTERED, Output, REJECTS,
    SPELLS, changes_frame, declarations_frame, eligibility_frame, evidence_columns,
    evidence_schema, filtered_columns, filtered_schema, rejects_frame, spells_frame,
};
pub use writer::{Encoded, FileMeta, ParquetEncoder, ParquetSink, ROW_GROUP};

#[cfg(test)]
mod tests {
    use std::fs::File;

    use chrono::NaiveDate;
    use polars::prelude::*;

    use super::*;
    use crate::evidence::{EvidenceRecord, PartitionRows};
    use crate::ingest::FileReport;
    use crate::pipeline::SourceKind;

    fn meta() -> FileMeta {
        FileMeta {
            run_id: "r1".into(),
            as_of: "2026-11-27".into(),
            version: "0.1.0".into(),
        }
    }

    #[test]
    fn footers_carry_the_run_and_the_sort_order_and_no_arrow_schema() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("spells.parquet");
        let day = |d| NaiveDate::from_ymd_opt(2026, 1, d).expect("date");
        let row = crate::timeline::SpellRow {
            person: crate::rules::id::PersonId::from_u64(11010519491231002),
            city: crate::rules::division::Division::new_unchecked(350500),
            spell_no: 1,
            start: day(1),
            end: day(31),
            months: 1,
            covered_days: 31,
            evidence_count: 1,
            sources: SourceKind::Lease.bit(),
        };
        let frame = spells_frame(&[row, row]).expect("frame");
        let mut sink = ParquetSink::create(&path, frame.schema(), &SPELLS).expect("sink");
        sink.write(&frame).expect("write");
        sink.finish(&meta()).expect("finish");
        let md = polars_parquet::read::read_metadata(&mut File::open(&path).expect("open"))
            .expect("metadata");
        let kv: Vec<(String, Option<String>)> = md
            .key_value_metadata
            .clone()
            .unwrap_or_default()
            .into_iter()
            .map(|kv| (kv.key, kv.value))
            .collect();
        assert_eq!(
            kv,
            [
                ("residence.run_id".to_owned(), Some("r1".to_owned())),
                ("residence.as_of".to_owned(), Some("2026-11-27".to_owned())),
                ("residence.version".to_owned(), Some("0.1.0".to_owned())),
            ]
        );
        assert_eq!(md.row_groups.len(), 1);
        for rg in &md.row_groups {
            let sorting: Vec<i32> = rg
                .sorting_columns()
                .expect("sorting columns")
                .iter()
                .map(|s| s.column_idx)
                .collect();
            assert_eq!(sorting, [1, 0, 2]);
        }
        // Polars still reads it, with plain text types.
        let df = ParquetReader::new(File::open(&path).expect("open"))
            .finish()
            .expect("read");
        assert_eq!(df.schema(), frame.schema());
    }

    #[test]
    fn evidence_row_groups_read_back_as_written() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
        let ids = ["11010519491231002X", "130503196704010016"];
        let person = |i: u32| {
            crate::rules::id::parse_id_number(ids[(i / 5) as usize], as_of).expect("valid id")
        };
        let division = |i: u32| {
            if i.is_multiple_of(2) {
                350_502
            } else {
                350_503
            }
        };
        let ids: Vec<String> = (0..10).map(|i| format!("R{i}")).collect();
        let records: Vec<EvidenceRecord<'_>> = (0..10u32)
            .map(|i| EvidenceRecord {
                person: person(i).as_u64(),
                division: division(i),
                start: i as i32,
                end: i as i32 + 30,
                file: i % 2,
                line: i + 2,
                record_id: ids[i as usize].as_bytes(),
            })
            .collect();
        let chunk = crate::evidence::tests::encode_chunk(&records);
        let sources = [SourceKind::Utility, SourceKind::Lease];
        let rows = PartitionRows::load(&[chunk], &sources, |_, _| true, |_| {});
        let file = |path: &str| FileReport {
            source: None,
            path: path.to_owned(),
            bytes: 0,
            sha256: String::new(),
            rows: 0,
            accepted: 0,
            filtered: Default::default(),
            rejected: Default::default(),
            latest: None,
            warnings: Vec::new(),
        };
        let files = [file("utility/a.csv"), file("lease/b.csv")];
        let encoder = ParquetEncoder::new(&evidence_schema(), &EVIDENCE).expect("encoder");
        let mut encoded = Encoded::default();
        for range in [0..4, 4..10] {
            let columns = evidence_columns(&rows, range, &files).expect("columns");
            encoder
                .encode_group(&columns, &mut encoded)
                .expect("encode");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("evidence.parquet");
        let mut sink = ParquetSink::create(&path, &evidence_schema(), &EVIDENCE).expect("sink");
        sink.write_encoded(encoded).expect("write");
        assert_eq!(sink.finish(&meta()).expect("finish"), 10);

        let df = ParquetReader::new(File::open(&path).expect("open"))
            .finish()
            .expect("read");
        assert_eq!(df.schema().as_ref(), &evidence_schema());
        let text = |name: &str| -> Vec<String> {
            let c = df.column(name).expect("column").cast(&DataType::String);
            c.expect("text")
                .str()
                .expect("text")
                .iter()
                .map(|v| v.unwrap_or("<null>").to_owned())
                .collect()
        };
        let int = |name: &str| -> Vec<i64> {
            let c = df.column(name).expect("column").cast(&DataType::Int64);
            let c = c.expect("integers");
            c.i64()
                .expect("i64")
                .iter()
                .map(|v| v.unwrap_or(-1))
                .collect()
        };
        let (people, record_ids, divisions) =
            (text("person_id"), text("record_id"), text("division"));
        let (sources_read, files_read, cities) = (text("source"), text("input_file"), text("city"));
        let (starts, ends, lines) = (int("start"), int("end"), int("line"));
        let mut seen: Vec<u32> = Vec::new();
        for row in 0..df.height() {
            let i: u32 = record_ids[row][1..].parse().expect("R<i>");
            seen.push(i);
            let canonical = person(i).canonical();
            assert_eq!(people[row].as_bytes(), &canonical[..], "row {row}");
            assert_eq!(divisions[row], division(i).to_string());
            assert_eq!(cities[row], "350500");
            assert_eq!(sources_read[row], ["utility", "lease"][(i % 2) as usize]);
            assert_eq!(files_read[row], files[(i % 2) as usize].path);
            assert_eq!((starts[row], ends[row]), (i64::from(i), i64::from(i) + 30));
            assert_eq!(lines[row], i64::from(i) + 2);
        }
        // Every record once.
        seen.sort_unstable();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        // Each person's rows together, across the row-group boundary.
        assert_eq!(people.windows(2).filter(|w| w[0] != w[1]).count(), 1);
    }
}
