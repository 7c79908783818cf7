//! Streaming CSV record reader for feed files (SPEC §4 "Reading rules").
//!
//! This module owns turning the bytes of one feed file into records: BOM
//! skipping, blank-line skipping, RFC 4180 field splitting, the 1-based line
//! on which each record starts, the record's raw text (for reject output),
//! decoding from the declared encoding, and the `malformed_row` causes
//! (quoted field open at end of file, wrong field count, bytes invalid in the
//! encoding). It does not trim fields or interpret them; the caller does.
//!
//! # Why csv-core is driven by hand
//!
//! `csv::Reader` would be less code, but it cannot meet the contract:
//! its `position().line()` is taken before it skips blank lines (and before
//! the LF of a CRLF), so reported line numbers are wrong after blank lines
//! and in CRLF files; it exposes no raw record text; and it silently closes
//! a quoted field left open at end of file. Here csv-core only splits
//! fields; this module owns the byte buffer, so it knows where every record
//! starts and ends, tracks line numbers, and can re-examine the final
//! record's bytes for an open quote. A line without any quote character is
//! split at its commas directly, with the same result csv-core would give:
//! nearly every line of a feed takes that path, and it copies nothing.
//!
//! # Rules and decisions
//!
//! * A UTF-8 BOM (`EF BB BF`) at the start of the file is skipped; for
//!   GB18030 files the GB18030 BOM (`84 31 95 33`) is skipped too.
//! * Lines end in LF, CRLF or a bare CR (SPEC §4), each one line break for
//!   line numbers, inside quoted fields too (where the break is data). csv-core
//!   runs with its CRLF terminator (any of the three); a CR whose LF is not
//!   yet read is completed before the record is handed out, so the pair is
//!   never split across records or counted twice.
//! * Blank lines are not records but count for line numbers. Decision: a line
//!   made only of spaces and tabs is blank as well (it would otherwise be a
//!   one-field record, i.e. a field-count `malformed_row` for nothing).
//!   Blank lines before the header are skipped the same way.
//! * Quoting follows RFC 4180 with csv-core's leniencies: a quote inside an
//!   unquoted field is text (`ab"c` → `ab"c`), text after a closing quote is
//!   appended without the quotes (`"ab"cd` → `abcd`).
//! * A quoted field still open at end of file can only affect the final
//!   record (it swallows everything after it), so only that record's bytes
//!   are rescanned for the quote state. Note that such a record holds the
//!   rest of the file, and the buffer grows to hold it.
//! * Field count is checked against the header; bytes invalid in the
//!   declared encoding make that record malformed only. Priority when
//!   several apply: open quote, then field count, then encoding.
//!
//! # Performance
//!
//! The input is read in chunks into one buffer (1 MiB by default) that grows
//! only when a single record does not fit. Field bytes, field ends and decoded
//! text live in buffers reused from record to record, so steady-state reading
//! allocates nothing. UTF-8 input is validated in bulk as each chunk is
//! read (SIMD); only records in a chunk holding an invalid byte are checked
//! one by one.
//!
//! # Layout
//!
//! * `mod.rs`: [`RecordReader`], which skips blank lines, splits records
//!   (the plain-line fast path or csv-core), counts lines and checks and
//!   decodes each record; the re-exports.
//! * `window.rs`: the input buffer (`Window`): refills, BOM skipping, bulk
//!   UTF-8 validation.
//! * `scan.rs`: byte scans of raw input (the plain-line scan, line breaks,
//!   the quote state at end of file); the only `unsafe` code of the reader.
//! * `decode.rs`: [`Encoding`], a record's validity in it, GB18030 decoding
//!   of fields.
//! * `record.rs`: [`Record`], [`Malformed`], [`HeaderError`].
//! * `tests.rs`, `tests/stress.rs`: tests of the whole reader; the unit
//!   tests of `scan`, `decode` and `record` are in those files.

use std::io::{self, Read};

use csv_core::{ReadRecordResult, ReaderBuilder, Terminator};

mod decode;
pub mod feed;
pub mod hashing;
pub mod header;
mod record;
mod scan;
mod window;

pub use crate::pipeline::Encoding;
pub use record::{HeaderError, Malformed, Record};

use decode::{decode_gb18030_fields, raw_is_valid};
use scan::{
    LineScan, ends_inside_quotes, line_breaks, push_end, scan_plain_line, text_of_valid_record,
};
use window::Window;

/// Default size of the input buffer.
pub const DEFAULT_BUF_BYTES: usize = 1 << 20;

/// Reads records from one CSV feed file; see the module documentation.
pub struct RecordReader<R> {
    inner: R,
    encoding: Encoding,
    csv: csv_core::Reader,

    /// The input bytes read from `inner` and not yet consumed.
    win: Window,
    /// Line number of the byte at `win.pos`; `win.pos` is always at a line
    /// start between records.
    line: u64,

    /// The line of the header record (0 until one is read).
    header_line: u64,
    /// Field count from the header; `None` until [`Self::read_header`].
    expected: Option<usize>,

    /// csv-core output: field bytes of the current record, unescaped and
    /// concatenated, with `ends` the end offset of each field.
    out: Vec<u8>,
    ends: Vec<usize>,
    /// GB18030 records with non-ASCII bytes are decoded here, fields
    /// concatenated, with `dec_ends` the end offset of each.
    dec: String,
    dec_ends: Vec<usize>,

    /// Take the plain-line fast path (off only in tests, as the reference).
    plain_lines: bool,
}

/// What `parse_next` found; indices refer to the reader's buffers.
struct Parsed {
    line: u64,
    raw_start: usize,
    raw_end: usize,
    out_len: usize,
    nfields: usize,
    unclosed: bool,
    /// The fields are in `data[raw_start..raw_end]`, separated by one byte
    /// (the plain-line fast path), not in `out`.
    plain: bool,
}

impl<R: Read> RecordReader<R> {
    /// A reader of `inner` in `encoding`, with a [`DEFAULT_BUF_BYTES`] input buffer.
    pub fn new(inner: R, encoding: Encoding) -> Self {
        Self::with_capacity(inner, encoding, DEFAULT_BUF_BYTES)
    }

    /// Like [`Self::new`] with an input buffer of `buf_bytes` (at least 1).
    /// The buffer still grows when one record is larger.
    pub fn with_capacity(inner: R, encoding: Encoding, buf_bytes: usize) -> Self {
        let mut csv = ReaderBuilder::new().terminator(Terminator::CRLF).build();
        // csv-core strips a UTF-8 BOM on its first call. BOMs are handled
        // here (only at the true start of the file, and GB18030's too), so
        // make csv-core consider itself started: a lone LF at record start
        // is skipped as an empty line and leaves it in its start state.
        let _ = csv.read_record(b"\n", &mut [0u8; 1], &mut [0usize; 1]);
        RecordReader {
            inner,
            encoding,
            csv,
            win: Window::new(buf_bytes, encoding),
            line: 1,
            header_line: 0,
            expected: None,
            out: vec![0; 4096],
            ends: vec![0; 64],
            dec: String::new(),
            dec_ends: Vec::new(),
            plain_lines: true,
        }
    }

    /// This reader with every record run through csv-core: the reference
    /// the plain-line fast path is tested against.
    #[cfg(test)]
    fn csv_core_only(mut self) -> Self {
        self.plain_lines = false;
        self
    }

    /// Reads the header record (line 1 after an optional BOM). `Ok(None)` for
    /// an empty file (0 bytes or only blank lines). Names are decoded in the
    /// file's encoding and trimmed of Unicode white space. Sets the expected
    /// field count for [`Self::next_record`].
    pub fn read_header(&mut self) -> Result<Option<Vec<String>>, HeaderError> {
        self.expected = None;
        let (line, names) = match self.next_record()? {
            None => return Ok(None),
            Some(rec) => (
                rec.line(),
                match rec.malformed() {
                    Some(m) => Err(m),
                    None => Ok((0..rec.len())
                        .map(|i| rec.field(i).trim().to_owned())
                        .collect::<Vec<_>>()),
                },
            ),
        };
        self.header_line = line;
        let names = names.map_err(HeaderError::Malformed)?;
        self.expected = Some(names.len());
        Ok(Some(names))
    }

    /// The line the header record starts on (blank lines may come before
    /// it); valid after [`Self::read_header`] found one, malformed or not.
    pub fn header_line(&self) -> u64 {
        self.header_line
    }

    /// Next data record, or `None` at end of file. Its expected field count
    /// is the header's length (unchecked if no header was read).
    pub fn next_record(&mut self) -> io::Result<Option<Record<'_>>> {
        self.win.skip_bom(&mut self.inner)?;
        let Some(p) = self.parse_next()? else {
            return Ok(None);
        };
        let bulk_valid = self.win.bulk_validated(p.raw_start);

        let mut malformed = if p.unclosed {
            Some(Malformed::UnclosedQuote)
        } else {
            match self.expected {
                Some(expected) if expected != p.nfields => Some(Malformed::FieldCount {
                    expected,
                    found: p.nfields,
                }),
                _ => None,
            }
        };

        // Decode only well-formed records: a malformed one exposes no fields.
        let (fields, sep) = if p.plain {
            (&self.win.data[p.raw_start..p.raw_end], 1)
        } else {
            (&self.out[..p.out_len], 0)
        };
        // Unquoting drops quote bytes, which could join the two halves of a
        // multi-byte sequence around them (`"\xC3"\xA9` into "é"), so a
        // quoted record's raw bytes are checked too. A plain record's fields
        // are its raw bytes, and a bulk-validated span (UTF-8 only) is known good.
        if malformed.is_none()
            && !p.plain
            && !bulk_valid
            && !raw_is_valid(&self.win.data[p.raw_start..p.raw_end], self.encoding)
        {
            malformed = Some(Malformed::InvalidEncoding);
        }
        let mut use_dec = false;
        if malformed.is_none() && self.encoding == Encoding::Gb18030 && !fields.is_ascii() {
            use_dec = true;
            if !decode_gb18030_fields(
                fields,
                &self.ends[..p.nfields],
                sep,
                &mut self.dec,
                &mut self.dec_ends,
            ) {
                malformed = Some(Malformed::InvalidEncoding);
            }
        }

        let (text, ends, sep): (&str, &[usize], usize) = if malformed.is_some() {
            ("", &[], 0)
        } else if use_dec {
            (&self.dec, &self.dec_ends, 0)
        } else {
            // UTF-8, or GB18030 that is pure ASCII (identical bytes).
            let ends = &self.ends[..p.nfields];
            if bulk_valid {
                (text_of_valid_record(fields), ends, sep)
            } else {
                // One validation over the whole record, then field ends
                // must fall on character boundaries, or a multi-byte
                // sequence was split across fields.
                match std::str::from_utf8(fields) {
                    Ok(s) if ends.iter().all(|&e| s.is_char_boundary(e)) => (s, ends, sep),
                    _ => {
                        malformed = Some(Malformed::InvalidEncoding);
                        ("", &[], 0)
                    }
                }
            }
        };

        let offset = self.win.file_offset(p.raw_start);
        Ok(Some(Record {
            line: p.line,
            offset,
            raw: self
                .win
                .data
                .get(p.raw_start..p.raw_end)
                .unwrap_or_default(),
            text,
            ends,
            sep,
            nfields: p.nfields,
            malformed,
            encoding: self.encoding,
        }))
    }

    /// Bytes read from the underlying reader so far: progress, not a record position.
    pub fn byte_offset(&self) -> u64 {
        self.win.bytes_read()
    }

    /// The underlying reader back.
    pub fn into_inner(self) -> R {
        self.inner
    }

    /// Skips blank lines, then runs csv-core over one record. On return the
    /// record's bytes are `data[raw_start..raw_end]`, its fields are in
    /// `out`/`ends`, and `pos`/`line` are at the start of the next line.
    fn parse_next(&mut self) -> io::Result<Option<Parsed>> {
        // Blank-line skipping. `line_start` is kept across refills so a line
        // with leading white space is handed to csv-core from its first byte.
        let mut line_start = self.win.pos;
        loop {
            let mut found = false;
            while self.win.pos < self.win.end {
                match self.win.data[self.win.pos] {
                    b'\n' => {
                        self.win.pos += 1;
                        self.line += 1;
                        line_start = self.win.pos;
                    }
                    b'\r' => {
                        // CRLF or a bare CR: one line break. A CR at the end of
                        // the bytes read may be half of a CRLF: read on first.
                        match self.win.data.get(self.win.pos + 1) {
                            _ if self.win.pos + 1 == self.win.end && !self.win.eof => break,
                            Some(b'\n') if self.win.pos + 1 < self.win.end => self.win.pos += 2,
                            _ => self.win.pos += 1,
                        }
                        self.line += 1;
                        line_start = self.win.pos;
                    }
                    b' ' | b'\t' => self.win.pos += 1,
                    _ => {
                        found = true;
                        break;
                    }
                }
            }
            if found {
                break;
            }
            if self.win.eof {
                // Only blank lines (or nothing) left.
                return Ok(None);
            }
            self.win.refill(&mut self.inner, line_start)?;
            line_start = 0;
        }
        self.win.pos = line_start;
        if self.plain_lines
            && let Some(parsed) = self.split_plain_line()?
        {
            return Ok(Some(parsed));
        }
        let mut raw_start = self.win.pos;
        let line = self.line;

        // csv-core is resumable: fed chunk by chunk, it writes `ends` as if
        // the record's output were one contiguous buffer.
        let mut nout = 0;
        let mut nend = 0;
        // `at_eof`: the record was ended by the end of the data, not by a LF.
        let at_eof = loop {
            if self.win.pos == self.win.end && !self.win.eof {
                let keep = raw_start;
                self.win.refill(&mut self.inner, keep)?;
                raw_start -= keep;
                continue;
            }
            // An empty input slice tells csv-core the data has ended.
            let final_call = self.win.pos == self.win.end;
            let (res, nin, o, e) = self.csv.read_record(
                &self.win.data[self.win.pos..self.win.end],
                &mut self.out[nout..],
                &mut self.ends[nend..],
            );
            self.win.pos += nin;
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::Record => break final_call,
                ReadRecordResult::InputEmpty => {
                    if final_call {
                        // Not produced for empty input; guard against looping.
                        break true;
                    }
                }
                ReadRecordResult::OutputFull => {
                    let grown = self.out.len().saturating_mul(2).max(64);
                    self.out.resize(grown, 0);
                }
                ReadRecordResult::OutputEndsFull => {
                    let grown = self.ends.len().saturating_mul(2).max(8);
                    self.ends.resize(grown, 0);
                }
                ReadRecordResult::End => {
                    // Cannot happen after a non-blank byte was seen; treat as
                    // end of data rather than inventing a record.
                    if nend == 0 {
                        return Ok(None);
                    }
                    break true;
                }
            }
        };

        // csv-core ends a record at a CR; the LF of a CRLF belongs to it too,
        // so that the pair is one line break and the next record starts
        // after it. The LF may not have been read yet.
        if !at_eof && self.win.data[self.win.pos - 1] == b'\r' {
            if self.win.pos == self.win.end && !self.win.eof {
                let keep = raw_start;
                self.win.refill(&mut self.inner, keep)?;
                raw_start -= keep;
            }
            if self.win.data[self.win.pos..self.win.end].first() == Some(&b'\n') {
                self.win.pos += 1;
            }
        }
        // Line breaks inside the record (quoted newlines) and its terminator
        // move the next record's line.
        self.line += line_breaks(&self.win.data[raw_start..self.win.pos]);

        let mut raw_end = self.win.pos;
        let unclosed = at_eof && ends_inside_quotes(&self.win.data[raw_start..raw_end]);
        // The raw text goes without its final line break (LF, CRLF or CR);
        // a record left open by the end of file loses it too.
        if self.win.data[raw_start..raw_end].ends_with(b"\n") {
            raw_end -= 1;
        }
        if self.win.data[raw_start..raw_end].ends_with(b"\r") {
            raw_end -= 1;
        }

        Ok(Some(Parsed {
            line,
            raw_start,
            raw_end,
            out_len: nout,
            nfields: nend,
            unclosed,
            plain: false,
        }))
    }

    /// The fast path of [`Self::parse_next`], for a record at `pos` whose
    /// line holds no quote character: nearly every record of a feed. Its
    /// fields are then the line split at commas, exactly what csv-core would
    /// output, so they are left in place in `data` (`ends` relative to the
    /// record's start, one separator byte between fields) and csv-core is
    /// not run. `None`, with nothing consumed, when the line has a quote.
    fn split_plain_line(&mut self) -> io::Result<Option<Parsed>> {
        let (len, term, n) = loop {
            match scan_plain_line(&self.win.data[self.win.pos..self.win.end], &mut self.ends) {
                LineScan::Quoted => return Ok(None),
                LineScan::Line { len, term, commas } if term > 0 => break (len, term, commas),
                // At the end of the file the line ends with the data, or
                // with a last CR, which is then a whole terminator.
                LineScan::Line { len, commas, .. } if self.win.eof => {
                    break (len, self.win.end - self.win.pos - len, commas);
                }
                // The line goes on past the bytes read so far, or ends in a
                // CR that may be half of a CRLF.
                LineScan::Line { .. } => self.win.refill(&mut self.inner, self.win.pos)?,
            }
        };
        let raw_start = self.win.pos;
        let raw_end = raw_start + len;
        push_end(&mut self.ends, n, len);
        let line = self.line;
        self.win.pos = raw_end + term;
        if term > 0 {
            self.line += 1;
        }
        Ok(Some(Parsed {
            line,
            raw_start,
            raw_end,
            out_len: 0,
            nfields: n + 1,
            unclosed: false,
            plain: true,
        }))
    }
}

#[cfg(test)]
mod tests;
