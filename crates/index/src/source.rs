//! What an index needs from the node: the chainstate under its lock and a
//! way to sleep until the tip moves. The node implements this for its
//! shared chainstate; tests can implement it over a bare [`Chainstate`].

use std::time::Duration;

use bitcoin::BlockHash;
use chain::Chainstate;

/// Access to the node's chainstate.
pub trait ChainSource: Send + Sync {
    /// Runs `f` with the chainstate locked.
    fn read(&self, f: &mut dyn FnMut(&Chainstate));
    /// Waits until the active tip is no longer `current`, or `timeout` passes.
    fn wait_for_tip_change(&self, current: BlockHash, timeout: Duration);
}

/// Runs `f` with the chainstate of `source` locked and returns its result.
pub fn with_chainstate<R>(source: &dyn ChainSource, f: impl FnOnce(&Chainstate) -> R) -> R {
    let mut f = Some(f);
    let mut out = None;
    source.read(&mut |cs| {
        if let Some(f) = f.take() {
            out = Some(f(cs));
        }
    });
    match out {
        Some(r) => r,
        // A source that never calls back breaks the trait's contract.
        None => unreachable!("ChainSource::read did not run its callback"),
    }
}

/// The active tip's hash and height.
pub fn tip_of(cs: &Chainstate) -> (BlockHash, u32) {
    (
        cs.tip_entry()
            .map(|e| e.hash)
            .unwrap_or(cs.params().genesis_hash),
        cs.height(),
    )
}
