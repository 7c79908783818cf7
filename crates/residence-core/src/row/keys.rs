//! How supersession (SPEC §5 step 2) names rows: a row's verdict in one byte,
//! its position as an integer in file order, and its record id's 128-bit key
//! and partition.

use crate::pipeline::SourceKind;

/// A row's verdict in one byte, as the supersession step sees it: a reason
/// (`Reason as u8`), or one of these.
pub const ACCEPTED: u8 = 0xFF;
/// A shopping row waiting for the identity step (SPEC §5 step 6): no verdict yet.
pub const AWAITING: u8 = 0xFE;

/// Where a row is, for "the last version wins": file index, then line, so
/// that integer order is file order. The low byte carries the row's verdict.
pub fn position_tag(file: u32, line: u32, verdict: u8) -> u64 {
    (u64::from(file) << 48) | (u64::from(line) << 8) | u64::from(verdict)
}

/// The inverse of [`position_tag`]: (file, line, verdict).
pub fn split_tag(tag: u64) -> (u32, u32, u8) {
    ((tag >> 48) as u32, (tag >> 8) as u32, tag as u8)
}

/// The supersession key of a record id within a source: 128 bits, so that
/// two different ids colliding among even billions is not a practical concern.
pub fn record_key(source: SourceKind, id: &[u8]) -> u128 {
    xxhash_rust::xxh3::xxh3_128_with_seed(id, source as u64 + 1)
}

/// The supersession partition of a key among `parts`.
pub fn key_partition(key: u128, parts: usize) -> usize {
    (((key >> 64) as u64 as u128 * parts as u128) >> 64) as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_tags_order_by_file_then_line() {
        let a = position_tag(0, 99_999, ACCEPTED);
        let b = position_tag(1, 2, 0);
        let c = position_tag(1, 3, AWAITING);
        assert!(a < b && b < c);
        assert_eq!(split_tag(c), (1, 3, AWAITING));
        assert_eq!(split_tag(a), (0, 99_999, ACCEPTED));
    }

    #[test]
    fn record_keys_depend_on_source_and_id() {
        let k = record_key(SourceKind::Lease, b"R1");
        assert_eq!(k, record_key(SourceKind::Lease, b"R1"));
        assert_ne!(k, record_key(SourceKind::Utility, b"R1"));
        assert_ne!(k, record_key(SourceKind::Lease, b"R2"));
        for parts in [1, 7, 256] {
            assert!(key_partition(k, parts) < parts);
            assert!(key_partition(u128::MAX, parts) < parts);
        }
    }
}
