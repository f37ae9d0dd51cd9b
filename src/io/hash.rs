//! The content hash: FNV-1a (64 bits) of bytes, and of fully resolved settings as their
//! canonical JSON. A sweep names each run's folder by the hash of its settings.

use crate::config::Settings;
use crate::error::Result;

/// FNV-1a, 64 bits.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The hash of fully resolved settings: FNV-1a of their canonical JSON, 16 hex digits.
pub fn settings_hash(s: &Settings) -> Result<String> {
    Ok(format!("{:016x}", fnv1a64(serde_json::to_string(s)?.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv1a64_known_values() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
