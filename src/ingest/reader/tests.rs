//! Tests of the whole reader: lines, quoting, encodings, buffer sizes, the fast path vs csv-core.

use super::*;

/// (line, raw, malformed, fields) of one record.
type Row = (u64, Vec<u8>, Option<Malformed>, Vec<String>);

fn read_all_cap(input: &[u8], enc: Encoding, cap: usize) -> (Option<Vec<String>>, Vec<Row>) {
    let mut r = RecordReader::with_capacity(input, enc, cap);
    let header = r.read_header().expect("header");
    let mut rows = Vec::new();
    while let Some(rec) = r.next_record().expect("record") {
        // The offset finds the record's bytes in the input again.
        let at = rec.offset() as usize;
        assert_eq!(
            input.get(at..at + rec.raw().len()),
            Some(rec.raw()),
            "offset of the record on line {} (buffer {cap})",
            rec.line()
        );
        let fields = (0..rec.len()).map(|i| rec.field(i).to_owned()).collect();
        rows.push((rec.line(), rec.raw().to_vec(), rec.malformed(), fields));
    }
    // End of data is sticky.
    assert!(r.next_record().expect("after end").is_none());
    (header, rows)
}

fn read_all(input: &[u8]) -> (Option<Vec<String>>, Vec<Row>) {
    read_all_cap(input, Encoding::Utf8, DEFAULT_BUF_BYTES)
}

fn row(line: u64, raw: &str, fields: &[&str]) -> Row {
    (
        line,
        raw.as_bytes().to_vec(),
        None,
        fields.iter().map(|f| (*f).to_owned()).collect(),
    )
}

fn bad(line: u64, raw: &[u8], m: Malformed, nfields: usize) -> Row {
    (line, raw.to_vec(), Some(m), vec![String::new(); nfields])
}

fn names(h: &[&str]) -> Option<Vec<String>> {
    Some(h.iter().map(|s| (*s).to_owned()).collect())
}

#[test]
fn lf_file() {
    let (h, rows) = read_all(b"a,b,c\n1,2,3\n4,5,6\n");
    assert_eq!(h, names(&["a", "b", "c"]));
    assert_eq!(
        rows,
        vec![
            row(2, "1,2,3", &["1", "2", "3"]),
            row(3, "4,5,6", &["4", "5", "6"])
        ]
    );
}

#[test]
fn crlf_file_lines_and_raw_without_cr() {
    let (h, rows) = read_all(b"a,b\r\n1,2\r\n3,4\r\n5,6\r\n");
    assert_eq!(h, names(&["a", "b"]));
    assert_eq!(
        rows,
        vec![
            row(2, "1,2", &["1", "2"]),
            row(3, "3,4", &["3", "4"]),
            row(4, "5,6", &["5", "6"]),
        ]
    );
}

#[test]
fn crlf_after_quoted_last_field_is_not_data() {
    let (_, rows) = read_all(b"a,b\r\n1,\"x y\"\r\n2,\"\"\r\n");
    assert_eq!(
        rows,
        vec![
            row(2, "1,\"x y\"", &["1", "x y"]),
            row(3, "2,\"\"", &["2", ""])
        ]
    );
}

#[test]
fn blank_lines_lf() {
    let input = b"\n\na,b\n\n1,2\n\n\n3,4\n\n";
    let (h, rows) = read_all(input);
    assert_eq!(h, names(&["a", "b"]));
    let mut r = RecordReader::new(&input[..], Encoding::Utf8);
    r.read_header().expect("header");
    assert_eq!(r.header_line(), 3);
    assert_eq!(
        rows,
        vec![row(5, "1,2", &["1", "2"]), row(8, "3,4", &["3", "4"])]
    );
}

#[test]
fn blank_lines_crlf() {
    let (h, rows) = read_all(b"a,b\r\n\r\n1,2\r\n\r\n\r\n3,4\r\n\r\n");
    assert_eq!(h, names(&["a", "b"]));
    assert_eq!(
        rows,
        vec![row(3, "1,2", &["1", "2"]), row(6, "3,4", &["3", "4"])]
    );
}

#[test]
fn whitespace_only_lines_are_blank() {
    let (_, rows) = read_all(b"a,b\n  \t\n1,2\n \r\n\t\r\n 3 ,4\n   ");
    assert_eq!(
        rows,
        vec![row(3, "1,2", &["1", "2"]), row(6, " 3 ,4", &[" 3 ", "4"])]
    );
}

#[test]
fn header_names_trimmed_including_ideographic_space() {
    let (h, _) = read_all(" id ,\u{3000}name\u{3000},\tx\n".as_bytes());
    assert_eq!(h, names(&["id", "name", "x"]));
}

#[test]
fn quoted_embedded_newline() {
    let (_, rows) = read_all(b"a,b\n1,\"line one\nline two\"\n2,x\n");
    assert_eq!(
        rows,
        vec![
            row(2, "1,\"line one\nline two\"", &["1", "line one\nline two"]),
            row(4, "2,x", &["2", "x"]),
        ]
    );
}

#[test]
fn quoted_embedded_crlf_in_crlf_file() {
    let (_, rows) = read_all(b"a,b\r\n\"p\r\nq\r\nr\",1\r\n\r\n2,x\r\n");
    assert_eq!(
        rows,
        vec![
            row(2, "\"p\r\nq\r\nr\",1", &["p\r\nq\r\nr", "1"]),
            row(6, "2,x", &["2", "x"]),
        ]
    );
}

#[test]
fn doubled_quotes_and_embedded_comma() {
    let (_, rows) = read_all(b"a,b\n\"say \"\"hi\"\"\",\"x,y\"\n");
    assert_eq!(
        rows,
        vec![row(2, "\"say \"\"hi\"\"\",\"x,y\"", &["say \"hi\"", "x,y"])]
    );
}

#[test]
fn stray_quote_in_unquoted_field_is_text() {
    let (_, rows) = read_all(b"a,b\nab\"c,d\"\n");
    assert_eq!(rows, vec![row(2, "ab\"c,d\"", &["ab\"c", "d\""])]);
}

#[test]
fn text_after_closing_quote_is_kept_without_quotes() {
    // csv-core's leniency, accepted: `"ab"cd` reads as `abcd`.
    let (_, rows) = read_all(b"a,b\n\"ab\"cd,\"x\" y\"z\n");
    assert_eq!(
        rows,
        vec![row(2, "\"ab\"cd,\"x\" y\"z", &["abcd", "x y\"z"])]
    );
}

#[test]
fn open_quote_at_eof_is_unclosed_and_earlier_records_intact() {
    let input = b"a,b\n1,2\n3,\"open\n4,5\n";
    let (_, rows) = read_all(input);
    assert_eq!(
        rows,
        vec![
            row(2, "1,2", &["1", "2"]),
            bad(3, b"3,\"open\n4,5", Malformed::UnclosedQuote, 2),
        ]
    );
    // Without a trailing newline, and with CRLF.
    let (_, rows) = read_all(b"a,b\r\n1,2\r\n3,\"open\r\n4,5");
    assert_eq!(
        rows[1],
        bad(3, b"3,\"open\r\n4,5", Malformed::UnclosedQuote, 2)
    );
    // A doubled quote at the end is still open; a closed one is not.
    let (_, rows) = read_all(b"a,b\n1,\"x\"\"");
    assert_eq!(rows[0].2, Some(Malformed::UnclosedQuote));
    let (_, rows) = read_all(b"a,b\n1,\"x\"\"\"");
    assert_eq!(rows, vec![row(2, "1,\"x\"\"\"", &["1", "x\""])]);
}

#[test]
fn header_with_open_quote_is_a_header_error() {
    let mut r = RecordReader::new(&b"a,\"b\n"[..], Encoding::Utf8);
    assert!(matches!(
        r.read_header(),
        Err(HeaderError::Malformed(Malformed::UnclosedQuote))
    ));
}

#[test]
fn wrong_field_counts_only_affect_their_record() {
    let (_, rows) = read_all(b"a,b,c\n1,2\n1,2,3,4\n,,\n7,8,9\n");
    assert_eq!(
        rows,
        vec![
            bad(
                2,
                b"1,2",
                Malformed::FieldCount {
                    expected: 3,
                    found: 2
                },
                2
            ),
            bad(
                3,
                b"1,2,3,4",
                Malformed::FieldCount {
                    expected: 3,
                    found: 4
                },
                4
            ),
            row(4, ",,", &["", "", ""]),
            row(5, "7,8,9", &["7", "8", "9"]),
        ]
    );
    let mut r = RecordReader::new(&b"a,b,c\n1,2\n"[..], Encoding::Utf8);
    r.read_header().expect("header");
    let rec = r.next_record().expect("io").expect("record");
    assert_eq!(rec.len(), 2);
    assert_eq!(rec.field(0), "");
    assert_eq!(rec.field(9), "");
}

#[test]
fn invalid_utf8_only_affects_its_record() {
    let (_, rows) = read_all(b"a,b\n1,ab\xFFc\n2,\xC3\xA9\n");
    assert_eq!(
        rows,
        vec![
            bad(2, b"1,ab\xFFc", Malformed::InvalidEncoding, 2),
            row(3, "2,\u{e9}", &["2", "\u{e9}"]),
        ]
    );
    let mut r = RecordReader::new(&b"a\nab\xFFc\n"[..], Encoding::Utf8);
    r.read_header().expect("header");
    let rec = r.next_record().expect("io").expect("record");
    assert_eq!(rec.raw_lossy(), "ab\u{fffd}c");
    assert_eq!(
        rec.malformed_detail().as_deref(),
        Some("bytes invalid in utf-8")
    );
}

#[test]
fn utf8_sequence_split_across_fields_is_invalid() {
    // C3 , A9: each half invalid alone, though the concatenation is "é".
    let (_, rows) = read_all(b"a,b\n\xC3,\xA9\n");
    assert_eq!(
        rows,
        vec![bad(2, b"\xC3,\xA9", Malformed::InvalidEncoding, 2)]
    );
}

#[test]
fn utf8_sequence_split_by_a_quote_is_invalid() {
    // C3 " A9: the raw bytes are invalid; dropping the closing quote
    // would join them into "é", which must not make the row valid.
    let (_, rows) = read_all(b"a,b\n\"\xC3\"\xA9,x\n\"\xC3\xA9\",y\n");
    assert_eq!(
        rows,
        vec![
            bad(2, b"\"\xC3\"\xA9,x", Malformed::InvalidEncoding, 2),
            row(3, "\"é\",y", &["é", "y"]),
        ]
    );
}

fn gb(s: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GB18030.encode(s);
    assert!(!unmappable);
    bytes.into_owned()
}

#[test]
fn gb18030_decodes() {
    let input = gb("城市,代码\r\n泉州市,350500\r\n\"晋江市,石狮\",350582\r\nascii,1\r\n");
    assert_ne!(input, "泉州市".as_bytes()); // really not UTF-8
    let (h, rows) = read_all_cap(&input, Encoding::Gb18030, DEFAULT_BUF_BYTES);
    assert_eq!(h, names(&["城市", "代码"]));
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].0, 2);
    assert_eq!(rows[0].1, gb("泉州市,350500"));
    assert_eq!(rows[0].3, vec!["泉州市", "350500"]);
    assert_eq!(rows[1].3, vec!["晋江市,石狮", "350582"]);
    assert_eq!(rows[2], row(4, "ascii,1", &["ascii", "1"]));
}

#[test]
fn gb18030_invalid_sequence_only_affects_its_record() {
    let mut input = gb("名,码\n泉州市,1\n");
    // 0x81 is a lead byte; 0x20 is no valid trail byte.
    input.extend_from_slice(b"\x81 x,2\n");
    input.extend_from_slice(&gb("德化县,3\n"));
    let mut r = RecordReader::new(&input[..], Encoding::Gb18030);
    assert_eq!(r.read_header().expect("header"), names(&["名", "码"]));
    let rec = r.next_record().expect("io").expect("rec");
    assert_eq!((rec.line(), rec.field(0)), (2, "泉州市"));
    let rec = r.next_record().expect("io").expect("rec");
    assert_eq!(rec.line(), 3);
    assert_eq!(rec.malformed(), Some(Malformed::InvalidEncoding));
    assert_eq!(rec.raw(), b"\x81 x,2");
    assert_eq!(
        rec.malformed_detail().as_deref(),
        Some("bytes invalid in gb18030")
    );
    assert_eq!(rec.raw_lossy(), "\u{fffd} x,2");
    let rec = r.next_record().expect("io").expect("rec");
    assert_eq!((rec.line(), rec.field(0), rec.field(1)), (4, "德化县", "3"));
    assert!(rec.malformed().is_none());
    // A lead byte ending one field, its trail starting the next.
    let mut split = gb("a,b\n");
    let whole = gb("泉");
    split.push(whole[0]);
    split.push(b',');
    split.push(whole[1]);
    split.push(b'\n');
    let (_, rows) = read_all_cap(&split, Encoding::Gb18030, DEFAULT_BUF_BYTES);
    assert_eq!(rows[0].2, Some(Malformed::InvalidEncoding));
    // A lead byte closing a quoted field, its trail after the quote.
    let mut quoted = gb("a,b\n\"");
    quoted.push(whole[0]);
    quoted.push(b'"');
    quoted.push(whole[1]);
    quoted.extend_from_slice(&gb(",x\n\"泉\",y\n"));
    let (_, rows) = read_all_cap(&quoted, Encoding::Gb18030, DEFAULT_BUF_BYTES);
    assert_eq!(rows[0].2, Some(Malformed::InvalidEncoding));
    assert_eq!(
        (rows[1].2, &rows[1].3[..]),
        (None, &["泉".to_owned(), "y".to_owned()][..])
    );
}

#[test]
fn gb18030_bom_skipped() {
    let mut input = b"\x84\x31\x95\x33".to_vec();
    input.extend_from_slice(&gb("名\n泉州\n"));
    let (h, rows) = read_all_cap(&input, Encoding::Gb18030, DEFAULT_BUF_BYTES);
    assert_eq!(h, names(&["名"]));
    assert_eq!(rows, vec![(2, gb("泉州"), None, vec!["泉州".to_owned()])]);
}

#[test]
fn last_record_without_trailing_newline() {
    let (_, rows) = read_all(b"a,b\n1,2\n3,4");
    assert_eq!(
        rows,
        vec![row(2, "1,2", &["1", "2"]), row(3, "3,4", &["3", "4"])]
    );
    let (_, rows) = read_all(b"a,b\n1,\"2\"");
    assert_eq!(rows, vec![row(2, "1,\"2\"", &["1", "2"])]);
}

#[test]
fn utf8_sequence_cut_by_end_of_file_is_invalid() {
    for cap in [1, 2, 3, 5, 8, DEFAULT_BUF_BYTES] {
        let (_, rows) = read_all_cap(b"a,b\n1,\xE6\xB3\x89\n2,\xE6\xB3", Encoding::Utf8, cap);
        assert_eq!(
            rows,
            vec![
                row(2, "1,泉", &["1", "泉"]),
                bad(3, b"2,\xE6\xB3", Malformed::InvalidEncoding, 2)
            ],
            "buffer of {cap} bytes"
        );
    }
}

#[test]
fn file_ending_with_crlf() {
    let (_, rows) = read_all(b"a,b\r\n1,2\r\n3,4\r\n");
    assert_eq!(rows.last(), Some(&row(3, "3,4", &["3", "4"])));
    assert_eq!(rows.len(), 2);
    // A bare CR at end of file is treated as the line break too.
    let (_, rows) = read_all(b"a,b\r\n1,2\r");
    assert_eq!(rows, vec![row(2, "1,2", &["1", "2"])]);
}

#[test]
fn a_bare_cr_ends_a_line() {
    for cap in [1, 2, 3, 5, 8, DEFAULT_BUF_BYTES] {
        let (h, rows) = read_all_cap(b"a,b\r1,2\r\r3,4\r", Encoding::Utf8, cap);
        assert_eq!(h, names(&["a", "b"]), "buffer of {cap} bytes");
        assert_eq!(
            rows,
            vec![row(2, "1,2", &["1", "2"]), row(4, "3,4", &["3", "4"])],
            "buffer of {cap} bytes"
        );
    }
}

#[test]
fn mixed_line_endings_count_one_line_each() {
    for cap in [1, 2, 3, 5, 8, DEFAULT_BUF_BYTES] {
        let input = b"a,b\n1,2\r3,\"x\"\r\n\r\n\n5,6\r\"q\rr\",7\n8,9";
        let (_, rows) = read_all_cap(input, Encoding::Utf8, cap);
        assert_eq!(
            rows,
            vec![
                row(2, "1,2", &["1", "2"]),
                row(3, "3,\"x\"", &["3", "x"]),
                row(6, "5,6", &["5", "6"]),
                // A CR inside quotes is data, and still a line break.
                row(7, "\"q\rr\",7", &["q\rr", "7"]),
                row(9, "8,9", &["8", "9"]),
            ],
            "buffer of {cap} bytes"
        );
    }
}

#[test]
fn empty_files_have_no_header() {
    for input in [
        &b""[..],
        b"\n\n",
        b"\r\n \t\r\n",
        b"\xEF\xBB\xBF",
        b"\xEF\xBB\xBF\n",
    ] {
        let mut r = RecordReader::new(input, Encoding::Utf8);
        assert_eq!(r.read_header().expect("header"), None, "{input:?}");
        assert!(r.next_record().expect("record").is_none());
    }
}

#[test]
fn header_only_file_has_no_records() {
    for input in [&b"a,b"[..], b"a,b\n", b"a,b\r\n\r\n"] {
        let (h, rows) = read_all(input);
        assert_eq!(h, names(&["a", "b"]));
        assert!(rows.is_empty());
    }
}

#[test]
fn utf8_bom_skipped() {
    let (h, rows) = read_all(b"\xEF\xBB\xBFid,name\n1,x\n");
    assert_eq!(h, names(&["id", "name"]));
    assert_eq!(rows, vec![row(2, "1,x", &["1", "x"])]);
    // Only at the start of the file.
    let (_, rows) = read_all(b"id\n\xEF\xBB\xBFx\n");
    assert_eq!(rows, vec![row(2, "\u{feff}x", &["\u{feff}x"])]);
}

#[test]
fn into_inner_returns_the_reader() {
    let data = b"a\n1\n";
    let mut r = RecordReader::new(&data[..], Encoding::Utf8);
    r.read_header().expect("header");
    while r.next_record().expect("record").is_some() {}
    let rest: &[u8] = r.into_inner();
    assert!(rest.is_empty());
}

#[test]
fn io_errors_are_reported() {
    struct Failing;
    impl Read for Failing {
        fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
            Err(io::Error::other("disk on fire"))
        }
    }
    let mut r = RecordReader::new(Failing, Encoding::Utf8);
    assert!(matches!(r.read_header(), Err(HeaderError::Io(_))));
}

#[test]
fn interrupted_reads_are_retried() {
    struct Flaky<'a>(&'a [u8], bool);
    impl Read for Flaky<'_> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(io::ErrorKind::Interrupted.into());
            }
            self.0.read(buf)
        }
    }
    let mut r = RecordReader::with_capacity(Flaky(b"a\n1\n2", false), Encoding::Utf8, 2);
    r.read_header().expect("header");
    let mut lines = Vec::new();
    while let Some(rec) = r.next_record().expect("record") {
        lines.push((rec.line(), rec.field(0).to_owned()));
    }
    assert_eq!(lines, vec![(2, "1".to_owned()), (3, "2".to_owned())]);
}

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
            let mut r = RecordReader::new(
                super::super::hashing::HashingReader::new(file),
                Encoding::Utf8,
            );
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
