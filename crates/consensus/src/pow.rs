//! Proof of work: checking a hash against nBits, the difficulty of the next
//! block (mainnet retargeting, testnet minimum-difficulty blocks, BIP94,
//! regtest without retargeting) and chain work.

use bitcoin::{BlockHash, CompactTarget, Work};

use crate::arith::U256;
use crate::params::Params;

/// What the consensus rules need to know about a block header already in
/// the block index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The block's hash.
    pub hash: BlockHash,
    /// Its height.
    pub height: u32,
    /// nVersion.
    pub version: i32,
    /// nTime.
    pub time: u32,
    /// nBits.
    pub bits: CompactTarget,
    /// Median of the times of this block and its ten predecessors.
    pub median_time_past: u32,
    /// Total work of the chain up to and including this block.
    pub chain_work: Work,
}

/// Access to the ancestors of a header; the chainstate implements it over
/// its block index.
pub trait HeaderChain {
    /// The ancestor of `of` at `height` (`of` itself when `height` equals
    /// its height); `None` if `height` is above `of` or unknown.
    fn ancestor(&self, of: &HeaderInfo, height: u32) -> Option<HeaderInfo>;

    /// The parent of `of`; `None` for the genesis block.
    fn prev(&self, of: &HeaderInfo) -> Option<HeaderInfo> {
        if of.height == 0 {
            None
        } else {
            self.ancestor(of, of.height - 1)
        }
    }
}

/// Decodes `bits` into a target and checks it is positive, not overflowing
/// and not above `pow_limit` (Core's `DeriveTarget`).
pub fn derive_target(bits: CompactTarget, pow_limit: &U256) -> Option<U256> {
    let c = U256::from_compact(bits.to_consensus());
    if c.negative || c.value.is_zero() || c.overflow || c.value > *pow_limit {
        return None;
    }
    Some(c.value)
}

/// Whether `hash` satisfies the target encoded in `bits`, which must itself
/// be valid for the chain (Core's `CheckProofOfWork`).
pub fn check_proof_of_work(hash: &BlockHash, bits: CompactTarget, params: &Params) -> bool {
    use bitcoin::hashes::Hash;
    let Some(target) = derive_target(bits, &params.pow_limit) else {
        return false;
    };
    U256::from_le_bytes(hash.to_byte_array()) <= target
}

/// The expected work to find a block with `bits`: 2^256 / (target + 1);
/// zero for an invalid target (Core's `GetBlockProof`).
pub fn get_block_proof(bits: CompactTarget) -> Work {
    let c = U256::from_compact(bits.to_consensus());
    if c.negative || c.overflow || c.value.is_zero() {
        return Work::from_be_bytes([0; 32]);
    }
    if c.value == U256::from_u64(1) {
        // 2^256 / 2; rust-bitcoin special-cases an inverse of one.
        let mut b = [0u8; 32];
        b[0] = 0x80;
        return Work::from_be_bytes(b);
    }
    bitcoin::Target::from_be_bytes(c.value.to_be_bytes()).to_work()
}

/// Core's `GetBlockProofEquivalentTime`: how many seconds of blocks at
/// `tip_bits` difficulty the chain work between `from` and `to` is worth,
/// negative when `to` has less work; saturates at `i64::MAX`.
pub fn block_proof_equivalent_time(
    to_work: Work,
    from_work: Work,
    tip_bits: CompactTarget,
    params: &Params,
) -> i64 {
    let (to, from) = (
        U256::from_be_bytes(to_work.to_be_bytes()),
        U256::from_be_bytes(from_work.to_be_bytes()),
    );
    let (diff, sign) = if to > from {
        (to.wrapping_sub(from), 1)
    } else {
        (from.wrapping_sub(to), -1)
    };
    let proof = U256::from_be_bytes(get_block_proof(tip_bits).to_be_bytes());
    let spacing = u64::try_from(params.pow_target_spacing).unwrap_or(0);
    match diff.wrapping_mul_u64(spacing).checked_div(proof) {
        Some(r) if r.bits() <= 63 => sign * r.0[0] as i64,
        _ => sign * i64::MAX,
    }
}

/// Core's `CalculateNextWorkRequired`: the retarget at the end of a period,
/// from the period's last block `last` and its first block `first`.
pub fn calculate_next_work_required(
    last: &HeaderInfo,
    first: &HeaderInfo,
    params: &Params,
) -> CompactTarget {
    if params.no_retargeting {
        return last.bits;
    }
    let timespan = params.pow_target_timespan.max(1);
    let actual = (last.time as i64 - first.time as i64).clamp(timespan / 4, timespan * 4);
    // BIP94: scale the first block's target, which cannot be a
    // minimum-difficulty block.
    let base_bits = if params.enforce_bip94 {
        first.bits
    } else {
        last.bits
    };
    let base = U256::from_compact(base_bits.to_consensus()).value;
    let scaled = base
        .wrapping_mul_u64(actual as u64)
        .checked_div_u64(timespan as u64)
        .unwrap_or(base);
    let new = if scaled > params.pow_limit {
        params.pow_limit
    } else {
        scaled
    };
    CompactTarget::from_consensus(new.to_compact())
}

/// The nBits required of a block following `prev` whose timestamp is
/// `new_header_time` (Core's `GetNextWorkRequired`).
///
/// Ancestors are read through `chain`; if one is missing (an inconsistent
/// index), the previous block's bits are returned.
pub fn get_next_work_required(
    prev: &HeaderInfo,
    new_header_time: u32,
    chain: &dyn HeaderChain,
    params: &Params,
) -> CompactTarget {
    let interval = params.difficulty_adjustment_interval();
    let limit = CompactTarget::from_consensus(params.pow_limit_compact());
    if !(prev.height as u64 + 1).is_multiple_of(interval as u64) {
        if params.allow_min_difficulty_blocks {
            // A block more than twice the spacing after its parent may
            // (and then must) be a minimum-difficulty block.
            if new_header_time as i64 > prev.time as i64 + params.pow_target_spacing * 2 {
                return limit;
            }
            // Otherwise the bits of the last block that was not one.
            let mut cur = *prev;
            while cur.height > 0 && !cur.height.is_multiple_of(interval) && cur.bits == limit {
                match chain.prev(&cur) {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            return cur.bits;
        }
        return prev.bits;
    }
    let first_height = (prev.height + 1).saturating_sub(interval);
    match chain.ancestor(prev, first_height) {
        Some(first) => calculate_next_work_required(prev, &first, params),
        None => prev.bits,
    }
}

/// Whether a header chain may go from `old_bits` to `new_bits` at `height`
/// (Core's `PermittedDifficultyTransition`, used to sanity-check headers
/// before their ancestors are known). Always true where minimum-difficulty
/// blocks are allowed.
pub fn permitted_difficulty_transition(
    params: &Params,
    height: u32,
    old_bits: CompactTarget,
    new_bits: CompactTarget,
) -> bool {
    if params.allow_min_difficulty_blocks {
        return true;
    }
    if height.is_multiple_of(params.difficulty_adjustment_interval()) {
        let timespan = params.pow_target_timespan.max(1) as u64;
        let observed = U256::from_compact(new_bits.to_consensus()).value;
        let old = U256::from_compact(old_bits.to_consensus()).value;
        let bound = |span: u64| {
            let mut t = old
                .wrapping_mul_u64(span)
                .checked_div_u64(timespan)
                .unwrap_or(old);
            if t > params.pow_limit {
                t = params.pow_limit;
            }
            // Round through the compact encoding like the real retarget.
            U256::from_compact(t.to_compact()).value
        };
        if bound(timespan * 4) < observed {
            return false;
        }
        if bound(timespan / 4) > observed {
            return false;
        }
        true
    } else {
        old_bits == new_bits
    }
}

/// Core's `GetDifficulty`: the target of difficulty 1 divided by `bits`' target.
pub fn difficulty(bits: CompactTarget) -> f64 {
    let bits = bits.to_consensus();
    let mut shift = (bits >> 24) & 0xff;
    let mantissa = f64::from(bits & 0x00ff_ffff);
    if mantissa == 0.0 {
        return 0.0;
    }
    let mut diff = f64::from(0x0000_ffffu32) / mantissa;
    while shift < 29 {
        diff *= 256.0;
        shift += 1;
    }
    while shift > 29 {
        diff /= 256.0;
        shift -= 1;
    }
    diff
}

/// `bits` as RPC results print it: 8 hex digits.
pub fn bits_hex(bits: CompactTarget) -> String {
    format!("{:08x}", bits.to_consensus())
}

/// The 64-digit hex target of `bits`.
pub fn target_hex(bits: CompactTarget) -> String {
    hex::encode(bitcoin::Target::from_compact(bits).to_be_bytes())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bitcoin::hashes::Hash;

    /// A simple in-memory chain of headers for tests, indexed by height.
    pub(crate) struct VecChain(pub Vec<HeaderInfo>);

    impl HeaderChain for VecChain {
        fn ancestor(&self, of: &HeaderInfo, height: u32) -> Option<HeaderInfo> {
            if height > of.height {
                return None;
            }
            self.0.get(height as usize).copied()
        }
    }

    pub(crate) fn header(height: u32, time: u32, bits: u32) -> HeaderInfo {
        let mut h = [0u8; 32];
        h[..4].copy_from_slice(&height.to_le_bytes());
        h[31] = 0xee;
        HeaderInfo {
            hash: BlockHash::from_byte_array(h),
            height,
            version: 4,
            time,
            bits: CompactTarget::from_consensus(bits),
            median_time_past: time,
            chain_work: Work::from_be_bytes([0; 32]),
        }
    }

    #[test]
    fn genesis_pow() {
        for p in [
            Params::main(),
            Params::testnet(),
            Params::testnet4(),
            Params::signet(None),
            Params::regtest(),
        ] {
            assert!(check_proof_of_work(
                &p.genesis_hash,
                p.genesis.header.bits,
                &p
            ));
        }
        let p = Params::main();
        // Too easy for mainnet's limit.
        assert!(!check_proof_of_work(
            &p.genesis_hash,
            CompactTarget::from_consensus(0x207fffff),
            &p
        ));
        // Hash above the target.
        assert!(!check_proof_of_work(
            &BlockHash::from_byte_array([0xff; 32]),
            CompactTarget::from_consensus(0x1d00ffff),
            &p
        ));
        // Negative, zero, overflow.
        for bits in [0x1d80ffffu32, 0, 0xff123456] {
            assert!(derive_target(CompactTarget::from_consensus(bits), &p.pow_limit).is_none());
        }
    }

    fn work_u64(v: u64) -> Work {
        let mut b = [0u8; 32];
        b[24..].copy_from_slice(&v.to_be_bytes());
        Work::from_be_bytes(b)
    }

    #[test]
    fn block_proof() {
        // Genesis difficulty: 0x100010001 work.
        let w = get_block_proof(CompactTarget::from_consensus(0x1d00ffff));
        assert_eq!(w, work_u64(0x1_0001_0001));
        assert_eq!(
            get_block_proof(CompactTarget::from_consensus(0x207fffff)),
            work_u64(2)
        );
        assert_eq!(
            get_block_proof(CompactTarget::from_consensus(0)),
            work_u64(0)
        );
    }

    // Retarget vectors from Core's pow_tests.cpp (mainnet).
    #[test]
    fn retarget_mainnet() {
        let p = Params::main();
        // get_next_work_required: block 30240 → 32256.
        let first = header(30240, 1261130161, 0x1d00ffff);
        let last = header(32255, 1262152739, 0x1d00ffff);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00d86a
        );
        // Upper limit (pow limit).
        let first = header(0, 1231006505, 0x1d00ffff);
        let last = header(2015, 1233061996, 0x1d00ffff);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00ffff
        );
        // Lower limit actual.
        let first = header(66528, 1279008237, 0x1c05a3f4);
        let last = header(68543, 1279297671, 0x1c05a3f4);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1c0168fd
        );
        // Upper limit actual.
        let first = header(0, 1263163443, 0x1c387f6f);
        let last = header(46367, 1269211443, 0x1c387f6f);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00e1fd
        );
        assert!(permitted_difficulty_transition(
            &p,
            32256,
            CompactTarget::from_consensus(0x1d00ffff),
            CompactTarget::from_consensus(0x1d00d86a)
        ));
        assert!(!permitted_difficulty_transition(
            &p,
            32257,
            CompactTarget::from_consensus(0x1d00ffff),
            CompactTarget::from_consensus(0x1d00d86a)
        ));
        assert!(!permitted_difficulty_transition(
            &p,
            66528 + 2016,
            CompactTarget::from_consensus(0x1c05a3f4),
            CompactTarget::from_consensus(0x1c0168fc)
        ));
    }

    #[test]
    fn next_work_required_uses_period_start() {
        let p = Params::main();
        let mut chain = Vec::new();
        for h in 0..2016u32 {
            chain.push(header(h, 1261130161 + h * 500, 0x1d00ffff));
        }
        let last = chain[2015];
        let c = VecChain(chain);
        // Mid-period: previous bits.
        assert_eq!(
            get_next_work_required(&c.0[100], 0, &c, &p).to_consensus(),
            0x1d00ffff
        );
        // Boundary: blocks came in faster than 600s → harder.
        let bits = get_next_work_required(&last, last.time + 1, &c, &p).to_consensus();
        assert!(bits < 0x1d00ffff);
        let first = c.0[0];
        assert_eq!(
            bits,
            calculate_next_work_required(&last, &first, &p).to_consensus()
        );
    }

    #[test]
    fn testnet_min_difficulty() {
        let p = Params::testnet();
        let limit = 0x1d00ffff;
        let mut chain = vec![header(0, 1000, limit)];
        chain.push(header(1, 2000, 0x1c00ffff));
        chain.push(header(2, 2100, limit));
        chain.push(header(3, 2200, limit));
        let c = VecChain(chain);
        let prev = c.0[3];
        // More than 20 minutes later: minimum difficulty.
        assert_eq!(
            get_next_work_required(&prev, 2200 + 1201, &c, &p).to_consensus(),
            limit
        );
        // Otherwise: the last non-minimum-difficulty bits.
        assert_eq!(
            get_next_work_required(&prev, 2200 + 1200, &c, &p).to_consensus(),
            0x1c00ffff
        );
    }

    #[test]
    fn bip94_uses_first_block_bits() {
        let p = Params::testnet4();
        let mut chain = Vec::new();
        for h in 0..2016u32 {
            let bits = if h == 0 { 0x1c00ffff } else { 0x1d00ffff };
            chain.push(header(h, 1_000_000 + h * 600, bits));
        }
        let c = VecChain(chain);
        let last = c.0[2015];
        let bits = get_next_work_required(&last, last.time + 600, &c, &p).to_consensus();
        // Exactly on schedule minus one spacing: scaled from 0x1c00ffff, not the limit.
        assert!(bits < 0x1d00ffff);
        assert_eq!(bits >> 24, 0x1c);
    }

    #[test]
    fn regtest_never_retargets() {
        let p = Params::regtest();
        let chain: Vec<_> = (0..144u32)
            .map(|h| header(h, 1000 + h, 0x207fffff))
            .collect();
        let c = VecChain(chain);
        let last = c.0[143];
        assert_eq!(
            get_next_work_required(&last, last.time + 1, &c, &p).to_consensus(),
            0x207fffff
        );
    }
}
