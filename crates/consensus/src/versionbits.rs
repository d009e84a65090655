//! BIP9 version bits: the deployment state machine
//! (DEFINED → STARTED → LOCKED_IN → ACTIVE, or FAILED), signalling
//! statistics for `getdeploymentinfo`, the version for new blocks, and the
//! activation of buried deployments.

use std::collections::HashMap;
use std::sync::Mutex;

use bitcoin::BlockHash;

use crate::params::{
    Bip9Deployment, BuriedDeployment, DeploymentPos, Params, MAX_VERSION_BITS_DEPLOYMENTS,
};
use crate::pow::{HeaderChain, HeaderInfo};

/// The top bits of a version-bits block version.
pub const VERSIONBITS_TOP_BITS: i32 = 0x2000_0000;
/// Mask selecting the top three bits.
pub const VERSIONBITS_TOP_MASK: i32 = 0xE000_0000u32 as i32;
/// Bits available for signalling.
pub const VERSIONBITS_NUM_BITS: u8 = 29;

/// Whether a buried deployment is active for the block after `prev`
/// (`None` = the genesis block is next) (Core's `DeploymentActiveAfter`).
pub fn deployment_active_after(
    prev: Option<&HeaderInfo>,
    dep: BuriedDeployment,
    params: &Params,
) -> bool {
    let height = prev.map_or(0, |p| p.height as u64 + 1);
    height >= params.deployment_height(dep) as u64
}

/// Whether a buried deployment is active for `block` itself (Core's
/// `DeploymentActiveAt`).
pub fn deployment_active_at(block: &HeaderInfo, dep: BuriedDeployment, params: &Params) -> bool {
    block.height >= params.deployment_height(dep)
}

/// A BIP9 deployment state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ThresholdState {
    /// Before the start time (and for the genesis block).
    Defined,
    /// Signalling is counted.
    Started,
    /// Threshold reached; active from the next period (or the minimum activation height).
    LockedIn,
    /// Rules enforced.
    Active,
    /// Timed out without locking in.
    Failed,
}

impl ThresholdState {
    /// The name `getdeploymentinfo` reports.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdState::Defined => "defined",
            ThresholdState::Started => "started",
            ThresholdState::LockedIn => "locked_in",
            ThresholdState::Active => "active",
            ThresholdState::Failed => "failed",
        }
    }
}

/// Signalling statistics of the current period (Core's `BIP9Stats`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bip9Stats {
    /// Period length.
    pub period: u32,
    /// Signalling blocks needed.
    pub threshold: u32,
    /// Blocks of the period so far.
    pub elapsed: u32,
    /// Signalling blocks so far.
    pub count: u32,
    /// Whether the threshold can still be reached this period.
    pub possible: bool,
}

/// What `getdeploymentinfo` reports for a BIP9 deployment at a block
/// (Core's `BIP9Info`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bip9Info {
    /// Height of the first block with the current state.
    pub since: u32,
    /// State for the block itself.
    pub current_state: ThresholdState,
    /// State for its child.
    pub next_state: ThresholdState,
    /// Statistics while STARTED or LOCKED_IN (threshold 0 and not possible
    /// when LOCKED_IN).
    pub stats: Option<Bip9Stats>,
    /// Per block of the current period up to this one: did it signal.
    pub signalling_blocks: Vec<bool>,
    /// Height from which the rules are active, if active or activating next.
    pub active_since: Option<u32>,
}

/// The `signalling` string of `getdeploymentinfo`: `#` for a signalling
/// block, `-` otherwise.
pub fn signalling_string(blocks: &[bool]) -> String {
    blocks.iter().map(|b| if *b { '#' } else { '-' }).collect()
}

fn mask(d: &Bip9Deployment) -> i32 {
    (1u32 << (d.bit.min(31) as u32)) as i32
}

fn condition(version: i32, d: &Bip9Deployment) -> bool {
    (version & VERSIONBITS_TOP_MASK) == VERSIONBITS_TOP_BITS && (version & mask(d)) != 0
}

type Cache = HashMap<Option<BlockHash>, ThresholdState>;

/// The BIP9 state machine with a per-deployment cache of the state at
/// period boundaries, keyed by the hash of the block before the period
/// (Core's `VersionBitsCache`). Safe to share between threads.
#[derive(Debug, Default)]
pub struct VersionBitsCache {
    caches: Mutex<Vec<Cache>>,
}

fn ancestor_at(chain: &dyn HeaderChain, of: &HeaderInfo, height: i64) -> Option<HeaderInfo> {
    if height < 0 {
        return None;
    }
    chain.ancestor(of, height as u32)
}

fn state_for(
    prev: Option<&HeaderInfo>,
    chain: &dyn HeaderChain,
    d: &Bip9Deployment,
    cache: &mut Cache,
) -> ThresholdState {
    if d.start_time == Bip9Deployment::ALWAYS_ACTIVE {
        return ThresholdState::Active;
    }
    if d.start_time == Bip9Deployment::NEVER_ACTIVE {
        return ThresholdState::Failed;
    }
    let period = d.period.max(1) as i64;
    // A block's state is the state of the first block of its period, which
    // is computed from the last block of the previous period.
    let mut cur: Option<HeaderInfo> = prev.and_then(|p| {
        let h = p.height as i64;
        ancestor_at(chain, p, h - ((h + 1) % period))
    });
    let mut to_compute = Vec::new();
    loop {
        let key = cur.map(|c| c.hash);
        if cache.contains_key(&key) {
            break;
        }
        let Some(c) = cur else {
            cache.insert(None, ThresholdState::Defined);
            break;
        };
        if (c.median_time_past as i64) < d.start_time {
            cache.insert(key, ThresholdState::Defined);
            break;
        }
        to_compute.push(c);
        cur = ancestor_at(chain, &c, c.height as i64 - period);
    }
    let mut state = cache
        .get(&cur.map(|c| c.hash))
        .copied()
        .unwrap_or(ThresholdState::Defined);
    while let Some(p) = to_compute.pop() {
        let next = match state {
            ThresholdState::Defined => {
                if p.median_time_past as i64 >= d.start_time {
                    ThresholdState::Started
                } else {
                    state
                }
            }
            ThresholdState::Started => {
                let mut count = 0u32;
                let mut walk = Some(p);
                for _ in 0..period {
                    let Some(b) = walk else { break };
                    if condition(b.version, d) {
                        count += 1;
                    }
                    walk = chain.prev(&b);
                }
                if count >= d.threshold {
                    ThresholdState::LockedIn
                } else if p.median_time_past as i64 >= d.timeout {
                    ThresholdState::Failed
                } else {
                    state
                }
            }
            ThresholdState::LockedIn => {
                if p.height as i64 + 1 >= d.min_activation_height {
                    ThresholdState::Active
                } else {
                    state
                }
            }
            ThresholdState::Failed | ThresholdState::Active => state,
        };
        cache.insert(Some(p.hash), next);
        state = next;
    }
    state
}

/// Signalling statistics for the period containing `block`, and which of
/// its blocks so far signalled (Core's `GetStateStatisticsFor`).
pub fn statistics(
    block: &HeaderInfo,
    chain: &dyn HeaderChain,
    d: &Bip9Deployment,
) -> (Bip9Stats, Vec<bool>) {
    let period = d.period.max(1);
    let mut stats = Bip9Stats {
        period: d.period,
        threshold: d.threshold,
        ..Bip9Stats::default()
    };
    let in_period = 1 + block.height % period;
    let mut signalling = vec![false; in_period as usize];
    let mut remaining = in_period;
    let mut cur = Some(*block);
    while remaining > 0 {
        let Some(b) = cur else { break };
        stats.elapsed += 1;
        remaining -= 1;
        if condition(b.version, d) {
            stats.count += 1;
            signalling[remaining as usize] = true;
        }
        cur = chain.prev(&b);
    }
    stats.possible =
        (d.period as i64 - d.threshold as i64) >= (stats.elapsed as i64 - stats.count as i64);
    (stats, signalling)
}

impl VersionBitsCache {
    /// An empty cache.
    pub fn new() -> Self {
        VersionBitsCache {
            caches: Mutex::new(vec![Cache::new(); MAX_VERSION_BITS_DEPLOYMENTS]),
        }
    }

    fn with_cache<R>(&self, pos: DeploymentPos, f: impl FnOnce(&mut Cache) -> R) -> R {
        let mut guard = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        if guard.len() < MAX_VERSION_BITS_DEPLOYMENTS {
            guard.resize(MAX_VERSION_BITS_DEPLOYMENTS, Cache::new());
        }
        f(&mut guard[pos.index()])
    }

    /// Forgets every cached state (after parameters change, or on
    /// `invalidateblock` to bound memory; results never go stale).
    pub fn clear(&self) {
        let mut guard = self.caches.lock().unwrap_or_else(|e| e.into_inner());
        guard.iter_mut().for_each(|c| c.clear());
    }

    /// The state of deployment `pos` for the block after `prev` (Core's
    /// `GetStateFor`).
    pub fn state_for(
        &self,
        prev: Option<&HeaderInfo>,
        chain: &dyn HeaderChain,
        params: &Params,
        pos: DeploymentPos,
    ) -> ThresholdState {
        let d = params.deployment(pos);
        self.with_cache(pos, |c| state_for(prev, chain, d, c))
    }

    /// Whether deployment `pos` is active for the block after `prev`.
    pub fn is_active_after(
        &self,
        prev: Option<&HeaderInfo>,
        chain: &dyn HeaderChain,
        params: &Params,
        pos: DeploymentPos,
    ) -> bool {
        self.state_for(prev, chain, params, pos) == ThresholdState::Active
    }

    /// Height of the first block having the state the block after `prev`
    /// has (Core's `GetStateSinceHeightFor`).
    pub fn state_since_height(
        &self,
        prev: Option<&HeaderInfo>,
        chain: &dyn HeaderChain,
        params: &Params,
        pos: DeploymentPos,
    ) -> u32 {
        let d = params.deployment(pos);
        if d.start_time == Bip9Deployment::ALWAYS_ACTIVE
            || d.start_time == Bip9Deployment::NEVER_ACTIVE
        {
            return 0;
        }
        self.with_cache(pos, |cache| {
            let initial = state_for(prev, chain, d, cache);
            if initial == ThresholdState::Defined {
                return 0;
            }
            let Some(p) = prev else { return 0 };
            let period = d.period.max(1) as i64;
            let h = p.height as i64;
            let Some(mut cur) = ancestor_at(chain, p, h - ((h + 1) % period)) else {
                return 0;
            };
            while let Some(prev_period) = ancestor_at(chain, &cur, cur.height as i64 - period) {
                if state_for(Some(&prev_period), chain, d, cache) != initial {
                    break;
                }
                cur = prev_period;
            }
            cur.height + 1
        })
    }

    /// `getdeploymentinfo` data of deployment `pos` at `block` (Core's
    /// `VersionBitsCache::Info`).
    pub fn info(
        &self,
        block: &HeaderInfo,
        chain: &dyn HeaderChain,
        params: &Params,
        pos: DeploymentPos,
    ) -> Bip9Info {
        let d = params.deployment(pos);
        let parent = chain.prev(block);
        let current = self.state_for(parent.as_ref(), chain, params, pos);
        let next = self.state_for(Some(block), chain, params, pos);
        let since = self.state_since_height(parent.as_ref(), chain, params, pos);
        let mut info = Bip9Info {
            since,
            current_state: current,
            next_state: next,
            stats: None,
            signalling_blocks: Vec::new(),
            active_since: None,
        };
        if matches!(current, ThresholdState::Started | ThresholdState::LockedIn) {
            let (mut stats, signalling) = statistics(block, chain, d);
            if current == ThresholdState::LockedIn {
                stats.threshold = 0;
                stats.possible = false;
            }
            info.stats = Some(stats);
            info.signalling_blocks = signalling;
        }
        if current == ThresholdState::Active {
            info.active_since = Some(since);
        } else if next == ThresholdState::Active {
            info.active_since = Some(block.height + 1);
        }
        info
    }

    /// States of every deployment for the block after `prev`, for
    /// `getblocktemplate` (Core's `GBTStatus` groups them by state).
    pub fn gbt_status(
        &self,
        prev: &HeaderInfo,
        chain: &dyn HeaderChain,
        params: &Params,
    ) -> Vec<(DeploymentPos, ThresholdState)> {
        DeploymentPos::ALL
            .into_iter()
            .map(|pos| (pos, self.state_for(Some(prev), chain, params, pos)))
            .collect()
    }

    /// nVersion for a new block after `prev`: the top bits plus the bit of
    /// every deployment that is STARTED or LOCKED_IN (Core's
    /// `ComputeBlockVersion`).
    pub fn compute_block_version(
        &self,
        prev: Option<&HeaderInfo>,
        chain: &dyn HeaderChain,
        params: &Params,
    ) -> i32 {
        let mut version = VERSIONBITS_TOP_BITS;
        for pos in DeploymentPos::ALL {
            let state = self.state_for(prev, chain, params, pos);
            if matches!(state, ThresholdState::Started | ThresholdState::LockedIn) {
                version |= mask(params.deployment(pos));
            }
        }
        version
    }
}

/// nVersion for a new block after `prev`, without a shared cache.
pub fn compute_block_version(
    prev: Option<&HeaderInfo>,
    chain: &dyn HeaderChain,
    params: &Params,
) -> i32 {
    VersionBitsCache::new().compute_block_version(prev, chain, params)
}

/// The bit mask of deployment `pos`.
pub fn deployment_mask(params: &Params, pos: DeploymentPos) -> i32 {
    mask(params.deployment(pos))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pow::tests::{header, VecChain};

    fn chain_with(versions: impl Fn(u32) -> i32, n: u32, start_time: u32) -> VecChain {
        VecChain(
            (0..n)
                .map(|h| {
                    let mut hi = header(h, start_time + h * 600, 0x207fffff);
                    hi.version = versions(h);
                    hi.median_time_past = start_time + h * 600;
                    hi
                })
                .collect(),
        )
    }

    #[test]
    fn regtest_testdummy_activates() {
        let params = Params::regtest(); // start 0, period 144, threshold 108
        let signal = VERSIONBITS_TOP_BITS | (1 << 28);
        let c = chain_with(|_| signal, 144 * 4, 1_000_000);
        let cache = VersionBitsCache::new();
        let pos = DeploymentPos::TestDummy;
        let at = |h: u32| c.0[h as usize];
        assert_eq!(
            cache.state_for(None, &c, &params, pos),
            ThresholdState::Defined
        );
        // Blocks 0..142 are in the first period: DEFINED.
        assert_eq!(
            cache.state_for(Some(&at(142)), &c, &params, pos),
            ThresholdState::Defined
        );
        // The second period starts at 144: STARTED (MTP of 143 >= 0).
        assert_eq!(
            cache.state_for(Some(&at(143)), &c, &params, pos),
            ThresholdState::Started
        );
        assert_eq!(
            cache.compute_block_version(Some(&at(143)), &c, &params),
            signal
        );
        // Everyone signalled during the second period: LOCKED_IN at 288.
        assert_eq!(
            cache.state_for(Some(&at(287)), &c, &params, pos),
            ThresholdState::LockedIn
        );
        assert_eq!(
            cache.compute_block_version(Some(&at(287)), &c, &params),
            signal
        );
        assert_eq!(
            cache.state_for(Some(&at(431)), &c, &params, pos),
            ThresholdState::Active
        );
        assert_eq!(
            cache.compute_block_version(Some(&at(431)), &c, &params),
            VERSIONBITS_TOP_BITS
        );
        assert_eq!(
            cache.state_since_height(Some(&at(500)), &c, &params, pos),
            432
        );
        assert_eq!(
            cache.state_since_height(Some(&at(300)), &c, &params, pos),
            288
        );
        assert_eq!(
            cache.state_since_height(Some(&at(200)), &c, &params, pos),
            144
        );

        let info = cache.info(&at(150), &c, &params, pos);
        assert_eq!(info.current_state, ThresholdState::Started);
        let stats = info.stats.unwrap();
        assert_eq!(
            (stats.period, stats.threshold, stats.elapsed, stats.count),
            (144, 108, 7, 7)
        );
        assert!(stats.possible);
        assert_eq!(signalling_string(&info.signalling_blocks), "#######");
        let info = cache.info(&at(431), &c, &params, pos);
        assert_eq!(info.current_state, ThresholdState::LockedIn);
        assert_eq!(info.next_state, ThresholdState::Active);
        assert_eq!(info.active_since, Some(432));
        assert_eq!(info.stats.unwrap().threshold, 0);
        let info = cache.info(&at(450), &c, &params, pos);
        assert_eq!(info.current_state, ThresholdState::Active);
        assert_eq!(info.active_since, Some(432));
        assert!(info.stats.is_none());
    }

    #[test]
    fn no_signal_times_out_or_stays_started() {
        let mut params = Params::regtest();
        let c = chain_with(|_| VERSIONBITS_TOP_BITS, 144 * 4, 1_000_000);
        let pos = DeploymentPos::TestDummy;
        let cache = VersionBitsCache::new();
        assert_eq!(
            cache.state_for(Some(&c.0[431]), &c, &params, pos),
            ThresholdState::Started
        );
        let info = cache.info(&c.0[300], &c, &params, pos);
        let s = info.stats.unwrap();
        assert_eq!((s.elapsed, s.count), (13, 0));
        assert!(s.possible);
        // With a timeout already passed: FAILED after the first started period.
        params.deployments[0].timeout = 0;
        let cache = VersionBitsCache::new();
        assert_eq!(
            cache.state_for(Some(&c.0[287]), &c, &params, pos),
            ThresholdState::Failed
        );
        // Below threshold by one: not possible once too many missed.
        let c2 = chain_with(
            |h| {
                if h % 144 < 107 {
                    VERSIONBITS_TOP_BITS | (1 << 28)
                } else {
                    4
                }
            },
            288,
            1_000_000,
        );
        let (s, _) = statistics(&c2.0[143 + 144], &c2, Params::regtest().deployment(pos));
        assert_eq!(s.count, 107);
        assert!(!s.possible);
        let cache = VersionBitsCache::new();
        assert_eq!(
            cache.state_for(Some(&c2.0[287]), &c2, &Params::regtest(), pos),
            ThresholdState::Started
        );
    }

    #[test]
    fn start_time_and_min_activation_height() {
        let mut params = Params::regtest();
        let pos = DeploymentPos::TestDummy;
        let signal = VERSIONBITS_TOP_BITS | (1 << 28);
        let c = chain_with(|_| signal, 144 * 6, 1_000_000);
        // Start in the future relative to the first periods.
        params.deployments[0].start_time = 1_000_000 + 200 * 600;
        params.deployments[0].min_activation_height = 144 * 5;
        let cache = VersionBitsCache::new();
        assert_eq!(
            cache.state_for(Some(&c.0[143]), &c, &params, pos),
            ThresholdState::Defined
        );
        assert_eq!(
            cache.state_for(Some(&c.0[287]), &c, &params, pos),
            ThresholdState::Started
        );
        assert_eq!(
            cache.state_for(Some(&c.0[431]), &c, &params, pos),
            ThresholdState::LockedIn
        );
        assert_eq!(
            cache.state_for(Some(&c.0[575]), &c, &params, pos),
            ThresholdState::LockedIn
        );
        assert_eq!(
            cache.state_for(Some(&c.0[719]), &c, &params, pos),
            ThresholdState::Active
        );
        // Always/never active.
        params.deployments[0].start_time = Bip9Deployment::ALWAYS_ACTIVE;
        assert!(cache.is_active_after(None, &c, &params, pos));
        params.deployments[0].start_time = Bip9Deployment::NEVER_ACTIVE;
        assert_eq!(
            cache.state_for(None, &c, &params, pos),
            ThresholdState::Failed
        );
        assert_eq!(
            compute_block_version(None, &c, &params),
            VERSIONBITS_TOP_BITS
        );
    }

    #[test]
    fn buried() {
        let p = Params::main();
        let prev = header(481_822, 0, 0);
        assert!(!deployment_active_after(
            Some(&prev),
            BuriedDeployment::Segwit,
            &p
        ));
        let prev = header(481_823, 0, 0);
        assert!(deployment_active_after(
            Some(&prev),
            BuriedDeployment::Segwit,
            &p
        ));
        assert!(deployment_active_at(
            &header(481_824, 0, 0),
            BuriedDeployment::Segwit,
            &p
        ));
        assert!(deployment_active_after(
            None,
            BuriedDeployment::Segwit,
            &Params::regtest()
        ));
        assert!(!deployment_active_after(
            None,
            BuriedDeployment::HeightInCb,
            &Params::regtest()
        ));
    }
}
