//! Decoding: a record's validity in its feed's declared encoding, GB18030 field decoding.

use encoding_rs::DecoderResult;

use crate::pipeline::Encoding;

/// Whether a record's raw bytes are valid in the file's encoding.
pub(super) fn raw_is_valid(raw: &[u8], encoding: Encoding) -> bool {
    match encoding {
        Encoding::Utf8 => simdutf8::basic::from_utf8(raw).is_ok(),
        Encoding::Gb18030 => {
            raw.is_ascii()
                || encoding_rs::GB18030
                    .decode_without_bom_handling_and_without_replacement(raw)
                    .is_some()
        }
    }
}

/// Decodes each field of a GB18030 record into `dec`, recording field ends
/// in `dec_ends`. Returns false if any field holds an invalid sequence.
///
/// Splitting on raw bytes before decoding is safe: comma (0x2C), quote
/// (0x22), CR and LF are below 0x30, and no GB18030 multi-byte character
/// contains a byte below 0x30 (trail bytes are 0x30–0x39, 0x40–0x7E or
/// 0x80–0xFE). Each field gets a fresh decoder so a sequence cannot straddle
/// two fields. A `Decoder` lives on the stack and `dec` keeps its capacity,
/// so nothing is allocated per record once the buffers have grown (unlike
/// `decode_without_bom_handling_and_without_replacement`, which returns a
/// fresh `String` for any non-ASCII field).
pub(super) fn decode_gb18030_fields(
    out: &[u8],
    ends: &[usize],
    sep: usize,
    dec: &mut String,
    dec_ends: &mut Vec<usize>,
) -> bool {
    dec.clear();
    dec_ends.clear();
    let mut start = 0;
    for &end in ends {
        if !dec_ends.is_empty() {
            start += sep;
        }
        let Some(field) = out.get(start..end) else {
            return false;
        };
        let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
        let Some(need) = decoder.max_utf8_buffer_length_without_replacement(field.len()) else {
            return false;
        };
        dec.reserve(need);
        let (res, read) = decoder.decode_to_string_without_replacement(field, dec, true);
        if res != DecoderResult::InputEmpty || read != field.len() {
            return false;
        }
        dec_ends.push(dec.len());
        start = end;
    }
    true
}
