//! The input window: the byte buffer, its refills, BOM skipping and bulk UTF-8 validation.

use std::io::{self, Read};

use crate::pipeline::Encoding;

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";
const GB18030_BOM: &[u8] = b"\x84\x31\x95\x33";

/// The input bytes read and not yet consumed, in one buffer that is refilled
/// in chunks and grows only when a single record does not fit it.
///
/// The record splitter reads `data[pos..end]` and `eof` directly and moves
/// `pos` forward over what it consumes; everything else changes only here.
pub(super) struct Window {
    /// Decides which BOMs are skipped and whether reads are validated as UTF-8.
    encoding: Encoding,

    /// Input bytes; `data[pos..end]` is unconsumed. Its length is the buffer
    /// capacity (kept zero-initialised so reads can target it directly).
    pub(super) data: Vec<u8>,
    pub(super) pos: usize,
    pub(super) end: usize,
    pub(super) eof: bool,
    /// The BOM check has run.
    started: bool,

    /// Bytes read from the input so far (for progress reporting).
    bytes_read: u64,

    /// UTF-8 files are validated in bulk as they are read:
    /// `data[utf8_from..utf8_to]` is known valid UTF-8 and `utf8_from` is a
    /// record start, so a record lying inside it needs no check of its own.
    utf8_from: usize,
    utf8_to: usize,
    /// Bulk validation met an invalid byte at `utf8_to`; it resumes after
    /// the record holding it (records there are checked one by one).
    utf8_stalled: bool,
}

impl Window {
    /// An empty window with a buffer of `buf_bytes` (at least 1).
    pub(super) fn new(buf_bytes: usize, encoding: Encoding) -> Self {
        Window {
            encoding,
            data: vec![0; buf_bytes.max(1)],
            pos: 0,
            end: 0,
            eof: false,
            started: false,
            bytes_read: 0,
            utf8_from: 0,
            utf8_to: 0,
            utf8_stalled: false,
        }
    }

    /// Bytes read from the input so far.
    pub(super) fn bytes_read(&self) -> u64 {
        self.bytes_read
    }

    /// Byte offset in the file of `data[at]`.
    pub(super) fn file_offset(&self, at: usize) -> u64 {
        // `data[..end]` holds the last `end` bytes read from the file.
        self.bytes_read - self.end as u64 + at as u64
    }

    /// Skips a BOM at the very start of the file; only the first call looks.
    pub(super) fn skip_bom(&mut self, inner: &mut impl Read) -> io::Result<()> {
        if self.started {
            return Ok(());
        }
        self.started = true;
        while self.end - self.pos < GB18030_BOM.len() && !self.eof {
            self.refill(inner, self.pos)?;
        }
        let head = &self.data[self.pos..self.end];
        if head.starts_with(UTF8_BOM) {
            self.pos += UTF8_BOM.len();
        } else if self.encoding == Encoding::Gb18030 && head.starts_with(GB18030_BOM) {
            self.pos += GB18030_BOM.len();
        }
        Ok(())
    }

    /// Whether the record that started at `raw_start` and ended at `pos`
    /// lies in the bulk-validated span. If the span stalled at an invalid
    /// byte the record has now passed, validation resumes at `pos` (the
    /// next record's first byte).
    pub(super) fn bulk_validated(&mut self, raw_start: usize) -> bool {
        if self.encoding != Encoding::Utf8 {
            return false;
        }
        let inside = self.utf8_from <= raw_start && self.pos <= self.utf8_to;
        if !inside && self.utf8_stalled && self.pos > self.utf8_to {
            self.utf8_from = self.pos;
            self.utf8_to = self.pos;
            self.utf8_stalled = false;
            self.extend_utf8();
        }
        inside
    }

    /// Validates as much of `data[utf8_to..end]` as possible. It stops
    /// before a sequence cut by the end of the data (completed by the next
    /// read) or at an invalid byte (stalled).
    fn extend_utf8(&mut self) {
        if self.encoding != Encoding::Utf8 || self.utf8_stalled {
            return;
        }
        match simdutf8::compat::from_utf8(&self.data[self.utf8_to..self.end]) {
            Ok(_) => self.utf8_to = self.end,
            Err(e) => {
                self.utf8_to += e.valid_up_to();
                self.utf8_stalled = e.error_len().is_some();
            }
        }
    }

    /// Moves `data[keep..end]` to the front of the buffer (growing it when
    /// that tail fills it) and reads more input after it. Callers re-base
    /// their indices by `keep`; `pos` is re-based here.
    pub(super) fn refill(&mut self, inner: &mut impl Read, keep: usize) -> io::Result<()> {
        if keep > 0 {
            self.data.copy_within(keep..self.end, 0);
            self.end -= keep;
            self.pos -= keep;
            if self.utf8_from >= keep && self.utf8_to >= keep {
                self.utf8_from -= keep;
                self.utf8_to -= keep;
            } else {
                // The validated span started before the kept bytes (or had
                // already ended); `keep` is a record or line start, so
                // validation restarts there.
                self.utf8_from = 0;
                self.utf8_to = 0;
                self.utf8_stalled = false;
            }
        }
        if self.end == self.data.len() {
            // A single record (or BOM probe) is larger than the buffer.
            let grown = self.data.len().saturating_mul(2).max(16);
            self.data.resize(grown, 0);
        }
        loop {
            match inner.read(&mut self.data[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.bytes_read += n as u64;
                    // Guard against a reader reporting more than it was given.
                    self.end = (self.end + n).min(self.data.len());
                    self.extend_utf8();
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
