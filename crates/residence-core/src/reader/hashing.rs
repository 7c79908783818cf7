//! Fingerprinting of input files while they are read.
//!
//! The manifest records every input file's size and SHA-256. Wrapping the
//! file in [`HashingReader`] lets the CSV reader pull the bytes once: the
//! digest and the byte count come for free from the same pass that parses
//! the records, so a 1 GB feed is never read twice.

use std::io::{self, Read};

use sha2::{Digest, Sha256};

/// A [`Read`] adapter that hashes and counts every byte handed to the caller.
pub struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    bytes: u64,
}

impl<R> HashingReader<R> {
    /// Wraps `inner`; nothing read yet.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    /// Bytes seen so far and the SHA-256 of them. Only a digest of the whole
    /// file when the consumer read it to the end.
    pub fn finish(self) -> (u64, [u8; 32]) {
        (self.bytes, self.hasher.finalize().into())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        // `n <= buf.len()` is part of the Read contract; `get` keeps a
        // misbehaving reader from turning into a panic here.
        let chunk = buf.get(..n).unwrap_or(buf);
        self.hasher.update(chunk);
        self.bytes += chunk.len() as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::digest::hex;

    #[test]
    fn sha256_of_abc_and_byte_count() {
        let mut r = HashingReader::new(&b"abc"[..]);
        let mut sink = Vec::new();
        r.read_to_end(&mut sink).expect("read from slice");
        assert_eq!(sink, b"abc");
        let (bytes, digest) = r.finish();
        assert_eq!(bytes, 3);
        assert_eq!(
            hex(&digest),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn empty_input_hashes_to_the_empty_digest() {
        let (bytes, digest) = HashingReader::new(&b""[..]).finish();
        assert_eq!(bytes, 0);
        assert_eq!(
            hex(&digest),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn digest_is_independent_of_read_sizes() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        let mut whole = HashingReader::new(&data[..]);
        io::copy(&mut whole, &mut io::sink()).expect("copy");
        let mut small = HashingReader::new(&data[..]);
        let mut buf = [0u8; 7];
        while small.read(&mut buf).expect("read") > 0 {}
        assert_eq!(whole.finish(), small.finish());
    }
}
