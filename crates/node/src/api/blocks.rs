//! Block lookups for `Chain` (Core's `FoundBlock` and `FillBlock`): the facts
//! a caller asked for about a block of the index, and the largest header
//! time up to a block (Core's `nTimeMax`), which the index does not keep.

use chain::{BlockId, Chainstate};
use interfaces::chain::{BlockLocator, FoundBlockParam, FoundBlockResult};
use std::sync::Mutex;

/// `nTimeMax` by block id, filled on first use.
#[derive(Default)]
pub struct TimeMax(Mutex<Vec<u32>>);

impl TimeMax {
    /// The largest header time from genesis up to `id`.
    pub fn of(&self, cs: &Chainstate, id: BlockId) -> u32 {
        let mut memo = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let known = |memo: &Vec<u32>, i: BlockId| memo.get(i as usize).copied().filter(|t| *t != 0);
        // Walk back to a known block (or genesis), then fill forward.
        let mut path = Vec::new();
        let mut cur = Some(id);
        let mut base = 0u32;
        while let Some(c) = cur {
            if let Some(t) = known(&memo, c) {
                base = t;
                break;
            }
            let Some(e) = cs.index().entry(c) else { break };
            path.push((c, e.header.time));
            cur = e.parent;
        }
        for (c, time) in path.into_iter().rev() {
            base = base.max(time);
            let i = c as usize;
            if memo.len() <= i {
                memo.resize(i + 1, 0);
            }
            memo[i] = base;
        }
        base
    }
}

/// Fills `want` for block `id` (none: not found), as Core's `FillBlock`.
pub fn fill(
    cs: &Chainstate,
    time_max: &TimeMax,
    id: Option<BlockId>,
    want: &FoundBlockParam,
) -> FoundBlockResult {
    let Some(e) = id.and_then(|i| cs.index().entry(i).map(|e| (i, e))) else {
        return FoundBlockResult::default();
    };
    let (id, entry) = e;
    let active = cs.at_height(entry.height) == Some(id);
    let mut out = FoundBlockResult {
        found: true,
        ..Default::default()
    };
    if want.want_hash {
        out.hash = Some(entry.hash);
    }
    if want.want_height {
        out.height = entry.height as i32;
    }
    if want.want_time {
        out.time = i64::from(entry.header.time);
    }
    if want.want_max_time {
        out.max_time = i64::from(time_max.of(cs, id));
    }
    if want.want_mtp_time {
        out.mtp_time = i64::from(entry.median_time_past);
    }
    if want.want_in_active_chain {
        out.in_active_chain = active;
    }
    if want.want_locator {
        out.locator = Some(BlockLocator(cs.locator(id)));
    }
    if let Some(next_want) = &want.next_block {
        let next = if active {
            cs.at_height(entry.height + 1)
        } else {
            None
        };
        out.next_block = Some(Box::new(fill(cs, time_max, next, next_want)));
    }
    if want.want_data {
        // Pruned or unreadable data: the block is found, its data is not.
        out.data = cs.read_block(id).ok();
    }
    out
}

/// The first active-chain block at or above `min_height` whose `nTimeMax`
/// is at least `min_time` (Core's `FindEarliestAtLeast`).
pub fn earliest_at_least(
    cs: &Chainstate,
    time_max: &TimeMax,
    min_time: i64,
    min_height: i32,
) -> Option<BlockId> {
    let tip = cs.height();
    let start = u32::try_from(min_height.max(0)).ok()?;
    if start > tip {
        return None;
    }
    let reaches = |h: u32| {
        cs.at_height(h)
            .is_some_and(|id| i64::from(time_max.of(cs, id)) >= min_time)
    };
    if !reaches(tip) {
        return None;
    }
    // nTimeMax never decreases along the chain: binary search.
    let (mut lo, mut hi) = (start, tip);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if reaches(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    cs.at_height(lo)
}
