//! Whole-file sweeps: every rule at every buffer size, the fast path vs csv-core, throughput.

use super::*;

/// A file exercising every rule at once, for the buffer-size sweep.
fn mixed_input(open_at_end: bool) -> Vec<u8> {
    let mut v = b"\xEF\xBB\xBF id ,name,note\r\n\r\n".to_vec();
    v.extend_from_slice(b"1,alpha,plain\n");
    v.extend_from_slice(b"   \t\r\n");
    v.extend_from_slice(b"2,\"be,ta\",\"multi\r\nline \"\"quoted\"\"\"\r\n\n\n");
    v.extend_from_slice(b"3,ab\"c,\"x\"yz\n");
    v.extend_from_slice(b"4,too,many,fields\n");
    v.extend_from_slice(b"5,bad\xFFutf8,x\n");
    v.extend_from_slice("6,泉州市,\u{3000}鲤城区\u{3000}\r\n".as_bytes());
    v.extend_from_slice(b"7,short\n");
    let long = "L".repeat(300);
    v.extend_from_slice(format!("8,\"{long}\n{long}\",{long}\r\n").as_bytes());
    v.extend_from_slice(b"\n \n9,,\n");
    // Multi-byte text around an invalid byte and a sequence cut short by
    // a comma, so bulk validation stalls and resumes at many offsets.
    v.extend_from_slice("9a,晋江市,\"德化\"\"县\"\n".as_bytes());
    v.extend_from_slice(b"9b,\xE6\xB3,x\n9c,\xE6\xB3\x89,\xFF\n");
    v.extend_from_slice("9d,石狮市,é\n".as_bytes());
    if open_at_end {
        v.extend_from_slice(b"10,\"never closed,\r\n11,a,b\r\n");
    } else {
        v.extend_from_slice(b"10,last,no newline");
    }
    v
}

#[test]
fn mixed_input_reference_results() {
    let (h, rows) = read_all(&mixed_input(false));
    assert_eq!(h, names(&["id", "name", "note"]));
    let lines: Vec<u64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(
        lines,
        vec![3, 5, 9, 10, 11, 12, 13, 14, 18, 19, 20, 21, 22, 23]
    );
    assert_eq!(rows[1].3[2], "multi\r\nline \"quoted\"");
    assert_eq!(rows[2].3, vec!["3", "ab\"c", "xyz"]);
    assert_eq!(
        rows[3].2,
        Some(Malformed::FieldCount {
            expected: 3,
            found: 4
        })
    );
    assert_eq!(rows[4].2, Some(Malformed::InvalidEncoding));
    assert_eq!(rows[5].3[2], "\u{3000}鲤城区\u{3000}");
    assert_eq!(rows[9].3, vec!["9a", "晋江市", "德化\"县"]);
    assert_eq!(rows[10].2, Some(Malformed::InvalidEncoding));
    assert_eq!(rows[11].2, Some(Malformed::InvalidEncoding));
    assert_eq!(rows[12], row(22, "9d,石狮市,é", &["9d", "石狮市", "é"]));
    assert_eq!(
        rows[13],
        row(23, "10,last,no newline", &["10", "last", "no newline"])
    );
    let (_, rows) = read_all(&mixed_input(true));
    assert_eq!(
        rows.last(),
        Some(&bad(
            23,
            b"10,\"never closed,\r\n11,a,b",
            Malformed::UnclosedQuote,
            2
        ))
    );
}

#[test]
fn buffer_boundary_stress() {
    for open_at_end in [false, true] {
        let input = mixed_input(open_at_end);
        let reference = read_all(&input);
        for cap in 1..=64 {
            assert_eq!(
                read_all_cap(&input, Encoding::Utf8, cap),
                reference,
                "buffer of {cap} bytes, open_at_end={open_at_end}"
            );
        }
    }
    let gb_input = gb("名,码\r\n\r\n泉州市,1\n\"晋江\n市\",2\r\n德化县,3");
    let reference = read_all_cap(&gb_input, Encoding::Gb18030, DEFAULT_BUF_BYTES);
    assert_eq!(reference.1.len(), 3);
    assert_eq!(reference.1[2].0, 6);
    for cap in 1..=64 {
        assert_eq!(
            read_all_cap(&gb_input, Encoding::Gb18030, cap),
            reference,
            "gb18030, buffer of {cap} bytes"
        );
    }
}

/// Everything a reader reports for `input`, or where it failed.
fn read_or_error(input: &[u8], enc: Encoding, cap: usize, csv_core_only: bool) -> String {
    let mut r = RecordReader::with_capacity(input, enc, cap);
    if csv_core_only {
        r = r.csv_core_only();
    }
    let mut report = match r.read_header() {
        Ok(h) => format!("{h:?}\n"),
        Err(e) => return format!("header error: {e}"),
    };
    while let Some(rec) = r.next_record().expect("in-memory reads do not fail") {
        let fields: Vec<&str> = (0..rec.len()).map(|i| rec.field(i)).collect();
        report.push_str(&format!(
            "{} {} {:?} {:?} {:?} {fields:?}\n",
            rec.line(),
            rec.offset(),
            rec.raw(),
            rec.malformed(),
            rec.len(),
        ));
    }
    report
}

proptest::proptest! {
    /// The plain-line fast path gives what csv-core gives, on any mix
    /// of quotes, separators, line breaks, blanks, multi-byte text and
    /// invalid bytes, at any buffer size.
    #[test]
    fn plain_lines_read_as_csv_core_reads_them(
        parts in proptest::collection::vec(0usize..14, 0..80),
        cap in 1usize..40,
        gb in proptest::bool::ANY,
    ) {
        const ALPHABET: [&[u8]; 14] = [
            b"a", b"1", b",", b",", b"\n", b"\r\n", b"\"", b" ", b"\r",
            "泉".as_bytes(), b"\xE6\xB3", b"\xFF", b"\xEF\xBB\xBF", b"\x84\x31",
        ];
        let input: Vec<u8> = parts.iter().flat_map(|&i| ALPHABET[i].iter().copied()).collect();
        let enc = if gb { Encoding::Gb18030 } else { Encoding::Utf8 };
        let reference = read_or_error(&input, enc, DEFAULT_BUF_BYTES, true);
        proptest::prop_assert_eq!(&read_or_error(&input, enc, DEFAULT_BUF_BYTES, false), &reference);
        proptest::prop_assert_eq!(&read_or_error(&input, enc, cap, false), &reference);
    }
}

/// Throughput check: `cargo test --release -- --ignored --nocapture`.
#[test]
#[ignore]
#[allow(clippy::print_stdout)] // an ignored measurement: it prints what it measured
fn throughput_100mb() {
    use std::time::Instant;
    let rows = 1_000_000usize;
    let mut data = Vec::with_capacity(110 << 20);
    data.extend_from_slice(b"c0,c1,c2,c3,c4,c5,c6,c7,c8,c9\n");
    for i in 0..rows {
        for c in 0..10 {
            if c > 0 {
                data.push(b',');
            }
            data.extend_from_slice(format!("v{:07}_{c}", i % 9_999_999).as_bytes());
        }
        data.push(b'\n');
    }
    let path = std::env::temp_dir().join(format!("reader-bench-{}.csv", std::process::id()));
    std::fs::write(&path, &data).expect("write bench file");
    for hashing in [false, true] {
        let file = std::fs::File::open(&path).expect("open");
        let t = Instant::now();
        let mut n = 0u64;
        let mut sum = 0usize;
        let bytes = if hashing {
            let mut r = RecordReader::new(hashing::HashingReader::new(file), Encoding::Utf8);
            r.read_header().expect("header");
            while let Some(rec) = r.next_record().expect("rec") {
                n += 1;
                sum += rec.field(9).len() + rec.raw().len();
            }
            r.into_inner().finish().0
        } else {
            let mut r = RecordReader::new(file, Encoding::Utf8);
            r.read_header().expect("header");
            while let Some(rec) = r.next_record().expect("rec") {
                n += 1;
                sum += rec.field(9).len() + rec.raw().len();
            }
            data.len() as u64
        };
        let secs = t.elapsed().as_secs_f64();
        assert_eq!(n, rows as u64);
        println!(
            "hashing={hashing}: {n} records, {:.1} MB in {secs:.3}s: {:.0} records/s, {:.0} MB/s (check {sum})",
            bytes as f64 / 1e6,
            n as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
    std::fs::remove_file(&path).expect("remove bench file");
}
