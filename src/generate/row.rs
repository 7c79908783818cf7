//! One CSV record under construction: its fields as bytes, and how it is
//! written (RFC 4180 quoting, LF), possibly malformed on purpose.
use super::model::MAX_COLS;
use super::profile::RowStyle;

/// A deliberate structural defect (`malformed_row`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Malformed {
    /// One field too many (an unquoted comma).
    ExtraField,
    /// The last field is missing.
    DropField,
}

/// Reusable field buffers for one record.
#[derive(Debug, Default)]
pub(crate) struct Row {
    pub f: [Vec<u8>; MAX_COLS],
    pub n: usize,
    pub malformed: Option<Malformed>,
}

impl Row {
    /// Clears the buffers for a record of `n` fields.
    pub(crate) fn start(&mut self, n: usize) {
        for f in self.f.iter_mut().take(n.max(self.n)) {
            f.clear();
        }
        self.n = n;
        self.malformed = None;
    }

    /// Makes `self` a copy of `other`.
    pub(crate) fn copy_from(&mut self, other: &Row) {
        self.start(other.n);
        for (a, b) in self.f.iter_mut().zip(other.f.iter()).take(other.n) {
            a.extend_from_slice(b);
        }
        self.malformed = other.malformed;
    }

    /// Replaces field `i` with `text`.
    pub(crate) fn set(&mut self, i: usize, text: &[u8]) {
        self.f[i].clear();
        self.f[i].extend_from_slice(text);
    }

    /// Appends the record and its line end to `out`.
    pub(crate) fn write(&self, out: &mut Vec<u8>, style: RowStyle) {
        let n = match self.malformed {
            Some(Malformed::DropField) => self.n.saturating_sub(1),
            _ => self.n,
        };
        for (i, f) in self.f.iter().take(n).enumerate() {
            if i > 0 {
                out.push(b',');
            }
            if style.quote_all || f.iter().any(|&b| matches!(b, b',' | b'"' | b'\n' | b'\r')) {
                out.push(b'"');
                for &b in f {
                    if b == b'"' {
                        out.push(b'"');
                    }
                    out.push(b);
                }
                out.push(b'"');
            } else {
                out.extend_from_slice(f);
            }
        }
        if self.malformed == Some(Malformed::ExtraField) {
            out.extend_from_slice(",备注".as_bytes());
        }
        if style.crlf {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(fields: &[&str]) -> Row {
        let mut r = Row::default();
        r.start(fields.len());
        for (i, f) in fields.iter().enumerate() {
            r.set(i, f.as_bytes());
        }
        r
    }

    #[test]
    fn quotes_when_needed() {
        let r = row(&["a", "b,c", "say \"hi\"", "x\ny", ""]);
        let mut out = Vec::new();
        r.write(&mut out, RowStyle::default());
        assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\",\n");
    }

    #[test]
    fn quoted_everywhere_and_crlf() {
        let r = row(&["a", "", "b\"c"]);
        let mut out = Vec::new();
        let style = RowStyle {
            quote_all: true,
            crlf: true,
        };
        r.write(&mut out, style);
        assert_eq!(out, b"\"a\",\"\",\"b\"\"c\"\r\n");
    }

    #[test]
    fn malformed_forms() {
        let mut r = row(&["a", "b"]);
        r.malformed = Some(Malformed::DropField);
        let mut out = Vec::new();
        r.write(&mut out, RowStyle::default());
        assert_eq!(out, b"a\n");
        r.malformed = Some(Malformed::ExtraField);
        out.clear();
        r.write(&mut out, RowStyle::default());
        assert_eq!(String::from_utf8(out).expect("utf8"), "a,b,备注\n");
        let mut c = Row::default();
        c.copy_from(&r);
        assert_eq!(c.n, 2);
        assert_eq!(c.f[1], b"b");
    }
}
