//! A feed's declared text encoding (`encoding = "gb18030"` in the pipeline file).

/// Declared text encoding of a feed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8, the default.
    Utf8,
    /// GB18030 (also read for `gbk`).
    Gb18030,
}

impl Encoding {
    /// Parses a pipeline `encoding` value. `gbk` maps to GB18030, which is a
    /// superset of it, so GBK files decode identically.
    pub fn from_label(s: &str) -> Option<Encoding> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("utf-8") || s.eq_ignore_ascii_case("utf8") {
            Some(Encoding::Utf8)
        } else if s.eq_ignore_ascii_case("gb18030") || s.eq_ignore_ascii_case("gbk") {
            Some(Encoding::Gb18030)
        } else {
            None
        }
    }

    /// Bytes in this encoding as text, invalid sequences replaced (for reject output).
    pub fn decode_lossy(self, bytes: &[u8]) -> String {
        self.codec()
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    }

    /// The canonical label (`utf-8`, `gb18030`).
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Gb18030 => "gb18030",
        }
    }

    /// The `encoding_rs` codec.
    pub fn codec(self) -> &'static encoding_rs::Encoding {
        match self {
            Encoding::Utf8 => encoding_rs::UTF_8,
            Encoding::Gb18030 => encoding_rs::GB18030,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_labels() {
        assert_eq!(Encoding::from_label("UTF-8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_label("utf8"), Some(Encoding::Utf8));
        assert_eq!(Encoding::from_label("GB18030"), Some(Encoding::Gb18030));
        assert_eq!(Encoding::from_label("Gbk"), Some(Encoding::Gb18030));
        assert_eq!(Encoding::from_label("latin1"), None);
        assert_eq!(Encoding::Utf8.label(), "utf-8");
        assert_eq!(Encoding::Gb18030.label(), "gb18030");
    }
}
