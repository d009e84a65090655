//! The `initload` thread (Core's `ImportBlocks`): after start-up it scans our
//! block files again for `-reindex`, reads `-loadblock` files, connects the
//! best chain and loads the mempool, while RPC already answers. Until it is
//! done `getmempoolinfo` reports `loaded: false`, which Core's test framework
//! waits for.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bitcoin::{Block, BlockHash};
use blockstore::FlatFilePos;
use chain::{Chainstate, Imported};

use chainstate_service::NodeChain;
use common::shutdown::Shutdown;

/// Blocks connected per hold of the node's lock at the end of the import.
const CONNECTS_PER_LOCK: usize = 32;

/// Blocks of our own files whose parent was not known yet, by that parent:
/// where to read them back once it comes.
type Pending = HashMap<BlockHash, Vec<FlatFilePos>>;

/// Starts the `initload` thread.
pub fn spawn(
    node: Arc<NodeChain>,
    load_files: Vec<PathBuf>,
    shutdown: Arc<Shutdown>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("initload".into())
        .spawn(move || {
            tracing::info!("initload thread start");
            run(&node, &load_files, &shutdown);
            tracing::info!("initload thread exit");
        })
}

fn run(node: &NodeChain, load_files: &[PathBuf], shutdown: &Shutdown) {
    node.lock().set_importing(true);
    let finished = import(node, load_files, shutdown);
    node.lock().set_importing(false);
    if !finished {
        return;
    }
    // In steps, so RPCs are answered while a long chain connects.
    loop {
        if shutdown.is_requested() {
            return;
        }
        let more = node.with_pool(|cs, pool| {
            cs.activate_best_chain_step(pool, CONNECTS_PER_LOCK)
                .unwrap_or_else(|e| {
                    tracing::error!("Failed to connect best block ({e})");
                    false
                })
        });
        if !more {
            break;
        }
    }
    node.load_mempool();
    node.set_mempool_loaded(!shutdown.is_requested());
}

/// Reindexes and imports; false when interrupted by shutdown.
fn import(node: &NodeChain, load_files: &[PathBuf], shutdown: &Shutdown) -> bool {
    let reindex = match node.lock().reindex_pending() {
        Ok(r) => r,
        Err(e) => {
            tracing::error!("Failed to read the reindex flag: {e}");
            false
        }
    };
    if reindex {
        let total = {
            let cs = node.lock();
            (0u32..)
                .take_while(|n| cs.files().block_file_exists(*n))
                .count() as u32
        };
        let mut pending = Pending::new();
        for file in 0..total {
            tracing::info!(
                "Reindexing block file blk{file:05}.dat ({}% complete)...",
                file * 100 / total.max(1)
            );
            let started = Instant::now();
            let scan = node.lock().files().scan_blocks(file);
            let mut loaded = 0u64;
            for item in scan {
                if shutdown.is_requested() {
                    tracing::info!("Interrupt requested. Exit reindexing.");
                    return false;
                }
                let Ok((pos, block)) = item else {
                    continue;
                };
                loaded += import_one(node, &block, Some(pos), Some(&mut pending));
            }
            tracing::info!(
                "Loaded {loaded} blocks from external file in {}ms",
                started.elapsed().as_millis()
            );
        }
        if let Err(e) = node.lock().finish_reindex() {
            tracing::error!("Failed to finish the reindex: {e}");
        }
        tracing::info!("Reindexing finished");
    }
    for path in load_files {
        let magic = node.lock().params().message_start;
        let scan = match blockstore::scan_external_block_file(path, magic) {
            Ok(s) => s,
            Err(_) => {
                tracing::warn!("Could not open blocks file {}", path.display());
                continue;
            }
        };
        tracing::info!("Importing blocks file {}...", path.display());
        let started = Instant::now();
        let mut loaded = 0u64;
        for item in scan {
            if shutdown.is_requested() {
                tracing::info!("Interrupt requested. Exit block importing.");
                return false;
            }
            let Ok((_, block)) = item else {
                continue;
            };
            loaded += import_one(node, &block, None, None);
        }
        tracing::info!(
            "Loaded {loaded} blocks from external file in {}ms",
            started.elapsed().as_millis()
        );
    }
    true
}

/// Imports one block and, during a reindex, the blocks that were waiting for
/// it; returns how many were stored.
fn import_one(
    node: &NodeChain,
    block: &Block,
    pos: Option<FlatFilePos>,
    mut pending: Option<&mut Pending>,
) -> u64 {
    let mut cs = node.lock();
    let hash = block.block_hash();
    let mut loaded = 0;
    match cs.import_block(block, pos) {
        Ok(Imported::Stored) => loaded += 1,
        Ok(Imported::AlreadyHad) => {}
        Ok(Imported::UnknownParent) => {
            tracing::debug!(
                target: "reindex",
                "LoadExternalBlockFile: Out of order block {hash}, parent {} not known",
                block.header.prev_blockhash
            );
            if let (Some(p), Some(pos)) = (pending.as_deref_mut(), pos) {
                p.entry(block.header.prev_blockhash).or_default().push(pos);
            }
            return 0;
        }
        Err(e) => tracing::debug!(target: "reindex", "{e}"),
    }
    if let Some(p) = pending {
        loaded += import_children(&mut cs, hash, p);
    }
    loaded
}

/// Imports the stored descendants of `parent` that arrived before it.
fn import_children(cs: &mut Chainstate, parent: BlockHash, pending: &mut Pending) -> u64 {
    let mut loaded = 0;
    let mut queue = vec![parent];
    while let Some(head) = queue.pop() {
        for pos in pending.remove(&head).unwrap_or_default() {
            let Ok(child) = cs.files().read_block(pos) else {
                continue;
            };
            let child_hash = child.block_hash();
            tracing::debug!(
                target: "reindex",
                "LoadExternalBlockFile: Processing out of order child {child_hash} of {head}"
            );
            if let Ok(Imported::Stored) = cs.import_block(&child, Some(pos)) {
                loaded += 1;
                queue.push(child_hash);
            }
        }
    }
    loaded
}
