//! CRC-32, the checksum that tells a whole record from a torn one.
//!
//! This is the CRC used by Ethernet, gzip and PNG (polynomial 0x04C11DB7,
//! written here bit-reversed as 0xEDB88320, with the register started at
//! all ones and inverted at the end). It treats the data as one long binary
//! number and keeps the remainder of dividing it by the polynomial; any
//! burst of errors shorter than 32 bits changes the remainder, and a random
//! change goes unnoticed once in four billion times.
//!
//! The table holds the remainder for every possible byte, so the checksum
//! costs one lookup per byte instead of eight shifts. It is computed at
//! compile time.

const POLYNOMIAL: u32 = 0xEDB8_8320;

const TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut byte = 0;
    while byte < 256 {
        let mut remainder = byte as u32;
        let mut bit = 0;
        while bit < 8 {
            remainder = if remainder & 1 == 1 {
                (remainder >> 1) ^ POLYNOMIAL
            } else {
                remainder >> 1
            };
            bit += 1;
        }
        table[byte] = remainder;
        byte += 1;
    }
    table
};

/// The CRC-32 of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &byte in bytes {
        crc = TABLE[((crc ^ u32::from(byte)) & 0xFF) as usize] ^ (crc >> 8);
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standard_check_values() {
        // The "check" value every CRC-32 implementation is tested against.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn one_flipped_bit_changes_it() {
        let mut bytes = b"id 17: deploy finished".to_vec();
        let before = crc32(&bytes);
        bytes[5] ^= 0x10;
        assert_ne!(crc32(&bytes), before);
    }
}
