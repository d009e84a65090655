//! Names of the P2P service bits, as Core prints them.

/// The named service bits (bit number, name).
const NAMES: [(u32, &str); 6] = [
    (0, "NETWORK"),
    (2, "BLOOM"),
    (3, "WITNESS"),
    (6, "COMPACT_FILTERS"),
    (10, "NETWORK_LIMITED"),
    (11, "P2P_V2"),
];

/// The names of the bits set in `services`, lowest first; a bit with no name
/// reads `UNKNOWN[2^n]` (Core's `serviceFlagsToStr`).
pub fn service_names(services: u64) -> Vec<String> {
    (0..u64::BITS)
        .filter(|bit| services & (1 << bit) != 0)
        .map(|bit| match NAMES.iter().find(|(b, _)| *b == bit) {
            Some((_, name)) => (*name).to_string(),
            None => format!("UNKNOWN[2^{bit}]"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_core() {
        assert_eq!(
            service_names(0x409),
            ["NETWORK", "WITNESS", "NETWORK_LIMITED"]
        );
        assert!(service_names(0).is_empty());
        assert_eq!(
            service_names(1 << 4 | 1 << 11 | 1 << 63),
            ["UNKNOWN[2^4]", "P2P_V2", "UNKNOWN[2^63]"]
        );
    }
}
