//! Tests of the whole reader, record by record: lines, blanks, quoting, field counts, encodings.

use super::*;

mod stress;

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
