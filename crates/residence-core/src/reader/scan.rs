//! Byte scans of raw input (fast plain-line scan, line breaks, quote state); all the `unsafe`.
//!
//! The crate denies `unsafe_code` (Cargo.toml `[lints]`); this module alone
//! allows it, for an SSE2 block compare (16 bytes at a time) and for taking
//! already-validated UTF-8 as `&str` without checking it twice; each block
//! carries its `// SAFETY:` argument (clippy's `undocumented_unsafe_blocks`).
#![allow(unsafe_code)]

/// What [`scan_plain_line`] found.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum LineScan {
    /// A quote comes before the line's end: a line for csv-core.
    Quoted,
    /// The line is the first `len` bytes, followed by a terminator of
    /// `term` bytes (1: LF or a bare CR, 2: CRLF); the offsets of its
    /// `commas` commas are in `ends[..commas]`. `term` 0: no terminator in
    /// the bytes given (the line may go on), or only a CR as the last byte
    /// (it may be half of a CRLF).
    Line {
        len: usize,
        term: usize,
        commas: usize,
    },
}

/// Finds the end of the line starting at `bytes[0]` and its commas, unless a
/// quote comes first. Sixteen bytes at a time, as bit masks of the commas,
/// line feeds and quotes among them: a feed's line has a comma every few
/// bytes, too close together for `memchr`'s per-call setup to pay, and one
/// pass does both searches.
pub(super) fn scan_plain_line(bytes: &[u8], ends: &mut Vec<usize>) -> LineScan {
    let mut n = 0;
    let (blocks, rest) = bytes.as_chunks::<16>();
    for (k, block) in blocks.iter().enumerate() {
        if ends.len() < n + 16 {
            ends.resize((n + 16) * 2, 0);
        }
        let [mut commas, breaks, quotes] = block_masks(block);
        let stop = breaks | quotes;
        if stop != 0 {
            let at = stop.trailing_zeros();
            if quotes & (1 << at) != 0 {
                return LineScan::Quoted;
            }
            commas &= (1 << at) - 1;
            n = push_bits(ends, n, k * 16, commas);
            return line_at(bytes, k * 16 + at as usize, n);
        }
        n = push_bits(ends, n, k * 16, commas);
    }
    let base = blocks.len() * 16;
    for (i, &b) in rest.iter().enumerate() {
        match b {
            b'"' => return LineScan::Quoted,
            b'\n' | b'\r' => return line_at(bytes, base + i, n),
            b',' => {
                push_end(ends, n, base + i);
                n += 1;
            }
            _ => {}
        }
    }
    LineScan::Line {
        len: bytes.len(),
        term: 0,
        commas: n,
    }
}

/// The line of `bytes` that ends at the line break `bytes[len]` (LF or CR).
fn line_at(bytes: &[u8], len: usize, commas: usize) -> LineScan {
    let term = match (bytes[len], bytes.get(len + 1)) {
        (b'\n', _) => 1,
        (_, Some(b'\n')) => 2,
        (_, Some(_)) => 1,
        // A CR as the last byte given: the LF of a CRLF may follow.
        (_, None) => 0,
    };
    LineScan::Line { len, term, commas }
}

/// Writes `base` + the index of each set bit of `mask` to `ends[n..]`
/// (room for 16 is there); returns the new count.
fn push_bits(ends: &mut [usize], mut n: usize, base: usize, mut mask: u32) -> usize {
    while mask != 0 {
        ends[n] = base + mask.trailing_zeros() as usize;
        n += 1;
        mask &= mask - 1;
    }
    n
}

/// Bit `i` of each mask set iff `block[i]` is a comma, a line break (LF or
/// CR), a quote.
#[cfg(target_arch = "x86_64")]
fn block_masks(block: &[u8; 16]) -> [u32; 3] {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is part of the x86_64 baseline, and the unaligned load
    // reads exactly the 16 bytes of `block`.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast());
        let eq = |c: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8));
        [eq(b','), _mm_or_si128(eq(b'\n'), eq(b'\r')), eq(b'"')]
            .map(|m| _mm_movemask_epi8(m) as u32)
    }
}

/// Bit `i` of each mask set iff `block[i]` is a comma, a line break (LF or
/// CR), a quote.
#[cfg(not(target_arch = "x86_64"))]
fn block_masks(block: &[u8; 16]) -> [u32; 3] {
    let mask = |hit: &dyn Fn(u8) -> bool| {
        block
            .iter()
            .enumerate()
            .fold(0, |m, (i, &b)| m | u32::from(hit(b)) << i)
    };
    [
        mask(&|b| b == b','),
        mask(&|b| b == b'\n' || b == b'\r'),
        mask(&|b| b == b'"'),
    ]
}

/// Line breaks in `bytes`: LF, CRLF and a bare CR count one each.
pub(super) fn line_breaks(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes[i] == b'\n' || bytes.get(i + 1) != Some(&b'\n'))
        .count() as u64
}

/// Sets `ends[i]`, growing `ends` (used as a buffer, not by its length).
pub(super) fn push_end(ends: &mut Vec<usize>, i: usize, end: usize) {
    if i >= ends.len() {
        ends.resize((i * 2).max(8), 0);
    }
    ends[i] = end;
}

/// The text of a record whose raw bytes were validated in bulk.
///
/// The fields are either the raw line itself (the plain-line path), which
/// starts after a LF and ends before a CR or LF or at the end of the
/// validated bytes, or csv-core's output: the record's raw bytes with only
/// ASCII bytes taken out (quotes, commas, the LF, a final CR). An ASCII byte
/// is always a whole character in UTF-8, so either is valid, and every field
/// end sits next to an ASCII byte or at an end: on a character boundary.
/// Skipping the second validation is what makes bulk validation pay.
pub(super) fn text_of_valid_record(fields: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(fields).is_ok());
    // SAFETY: valid UTF-8 by the argument above.
    unsafe { std::str::from_utf8_unchecked(fields) }
}

/// Whether a quoted field is still open after `raw`, mirroring csv-core's
/// state machine for the settings used here (`"` quotes, doubled-quote
/// escapes, no backslash escapes). `raw` holds no record terminator outside
/// quotes, so LF needs no special case.
pub(super) fn ends_inside_quotes(raw: &[u8]) -> bool {
    #[derive(Clone, Copy)]
    enum Q {
        FieldStart,
        Unquoted,
        Quoted,
        /// A quote seen inside a quoted field: closing, or half of `""`.
        QuoteInQuoted,
    }
    let mut state = Q::FieldStart;
    for &b in raw {
        state = match (state, b) {
            (Q::Quoted, b'"') => Q::QuoteInQuoted,
            (Q::Quoted, _) => Q::Quoted,
            (Q::FieldStart | Q::QuoteInQuoted, b'"') => Q::Quoted,
            (_, b',') => Q::FieldStart,
            _ => Q::Unquoted,
        };
    }
    matches!(state, Q::Quoted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_breaks_count_crlf_once() {
        assert_eq!(line_breaks(b""), 0);
        assert_eq!(line_breaks(b"a\r\nb\rc\n\r"), 4);
        assert_eq!(line_breaks(b"\r\r\n\n"), 3);
    }

    /// The plain-line scan against a byte-by-byte reading, for every
    /// position of the line end and of a quote around the 16-byte blocks.
    #[test]
    fn plain_line_scan_matches_a_byte_walk() {
        let naive = |bytes: &[u8]| -> (LineScan, Vec<usize>) {
            let mut commas = Vec::new();
            for (i, &b) in bytes.iter().enumerate() {
                match b {
                    b'"' => return (LineScan::Quoted, Vec::new()),
                    b'\n' | b'\r' => {
                        let term = match (b, bytes.get(i + 1)) {
                            (b'\n', _) => 1,
                            (_, Some(b'\n')) => 2,
                            (_, Some(_)) => 1,
                            (_, None) => 0,
                        };
                        let n = commas.len();
                        return (
                            LineScan::Line {
                                len: i,
                                term,
                                commas: n,
                            },
                            commas,
                        );
                    }
                    b',' => commas.push(i),
                    _ => {}
                }
            }
            let n = commas.len();
            (
                LineScan::Line {
                    len: bytes.len(),
                    term: 0,
                    commas: n,
                },
                commas,
            )
        };
        for len in 0..70 {
            let line: Vec<u8> = (0..len)
                .map(|i| if i % 3 == 1 { b',' } else { b'x' })
                .collect();
            for tail in [
                &b""[..],
                b"\n",
                b"\r\nq,\"",
                b"\"\n",
                b",\n,,",
                b"\r",
                b"\rq",
                b",\r\r\n",
            ] {
                let bytes = [&line[..], tail].concat();
                let mut ends = Vec::new();
                let got = scan_plain_line(&bytes, &mut ends);
                let (want, commas) = naive(&bytes);
                assert_eq!(got, want, "line of {len} bytes + {tail:?}");
                if let LineScan::Line { commas: n, .. } = got {
                    assert_eq!(&ends[..n], &commas[..], "line of {len} bytes + {tail:?}");
                }
            }
        }
    }

    #[test]
    fn ends_inside_quotes_state_machine() {
        assert!(!ends_inside_quotes(b"a,b"));
        assert!(ends_inside_quotes(b"a,\"b"));
        assert!(!ends_inside_quotes(b"a,\"b\""));
        assert!(ends_inside_quotes(b"\"a\"\"b"));
        assert!(!ends_inside_quotes(b"ab\"c"));
        assert!(!ends_inside_quotes(b"\"a\"b\"c"));
        assert!(ends_inside_quotes(b"\"a\",\"b,c"));
    }
}
