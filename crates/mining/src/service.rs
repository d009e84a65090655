//! The node's [`interfaces::mining::Mining`] (served over IPC to Stratum v2
//! template providers and Core's IPC tests) on the block assembler, the
//! chainstate and the mempool.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitcoin::consensus::encode::serialize;
use bitcoin::hashes::Hash;
use bitcoin::{Block, BlockHash, ScriptBuf, Transaction, Txid, Wtxid};
use chain::ChainError;
use consensus::merkle::witness_commitment_index;
use interfaces::mining::{
    BlockCheck, BlockCheckOptions, BlockCreateOptions, BlockRef, BlockTemplate, BlockWaitOptions,
    CoinbaseTx, Mining,
};
use interfaces::Result;

use crate::args::{check_limits, LimitNames};
use crate::assembler::{BlockAssembler, Contents, Request};
use crate::miner::merkle_root;
use chainstate_service::NodeChain;
use common::shutdown::Shutdown;

/// How often waits re-check the mempool for a better template.
const WAIT_TICK: Duration = Duration::from_millis(100);

fn check_result(r: std::result::Result<(), ChainError>) -> BlockCheck {
    match r {
        Ok(()) => BlockCheck {
            valid: true,
            ..Default::default()
        },
        Err(ChainError::Invalid(v)) => BlockCheck {
            valid: false,
            reason: v.reason,
            debug: v.debug,
        },
        Err(e) => BlockCheck {
            valid: false,
            reason: e.to_string(),
            debug: String::new(),
        },
    }
}

struct Shared {
    assembler: Arc<BlockAssembler>,
    shutdown: Arc<Shutdown>,
}

impl Shared {
    fn chain(&self) -> &NodeChain {
        self.assembler.chain()
    }

    fn build(
        self: &Arc<Self>,
        options: &BlockCreateOptions,
    ) -> std::result::Result<Template, String> {
        let assembled = self.assembler.create(&Request {
            // Core's default coinbase output for templates is OP_TRUE; clients replace it.
            script: ScriptBuf::from_bytes(vec![0x51]),
            contents: if options.use_mempool {
                Contents::Mempool
            } else {
                Contents::Exactly(Vec::new())
            },
            reserved_weight: options.block_reserved_weight,
            additional_sigops: options.coinbase_output_max_additional_sigops,
        })?;
        Ok(Template {
            shared: self.clone(),
            height: assembled.height,
            block: std::sync::Mutex::new(assembled.block),
            fees: assembled.fees,
            sigops: assembled.sigops,
            options: options.clone(),
            interrupted: AtomicBool::new(false),
        })
    }
}

/// A block template handed to a mining client.
struct Template {
    shared: Arc<Shared>,
    height: u32,
    /// The template's block; `submit_solution` replaces it with the submitted
    /// one (accepted or not), as Core does, so clients can inspect it.
    block: std::sync::Mutex<Block>,
    fees: Vec<i64>,
    sigops: Vec<i64>,
    options: BlockCreateOptions,
    interrupted: AtomicBool,
}

impl Template {
    fn block(&self) -> Block {
        self.block.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl BlockTemplate for Template {
    fn get_block_header(&self) -> Result<bitcoin::block::Header> {
        Ok(self.block().header)
    }

    fn get_block(&self) -> Result<Block> {
        Ok(self.block())
    }

    fn get_tx_fees(&self) -> Result<Vec<i64>> {
        Ok(self.fees.clone())
    }

    fn get_tx_sigops(&self) -> Result<Vec<i64>> {
        Ok(self.sigops.clone())
    }

    fn get_coinbase_tx(&self) -> Result<CoinbaseTx> {
        let block = self.block();
        let cb = block
            .txdata
            .first()
            .ok_or_else(|| interfaces::Error::Remote("template without coinbase".into()))?;
        let prefix = bitcoin::blockdata::script::Builder::new()
            .push_int(i64::from(self.height))
            .into_script();
        let witness = cb
            .input
            .first()
            .and_then(|i| i.witness.iter().next())
            .map(|w| w.to_vec());
        let required_outputs = witness_commitment_index(&block)
            .and_then(|i| cb.output.get(i))
            .map(|o| vec![serialize(o)])
            .unwrap_or_default();
        Ok(CoinbaseTx {
            version: cb.version.0 as u32,
            sequence: cb.input.first().map_or(0, |i| i.sequence.0),
            script_sig_prefix: prefix.into_bytes(),
            witness,
            block_reward_remaining: cb.output.first().map_or(0, |o| o.value.to_sat() as i64),
            required_outputs,
            lock_time: cb.lock_time.to_consensus_u32(),
        })
    }

    fn get_coinbase_merkle_path(&self) -> Result<Vec<[u8; 32]>> {
        // Sibling hashes from the coinbase (leaf 0) up to the root.
        let mut level: Vec<[u8; 32]> = self
            .block()
            .txdata
            .iter()
            .map(|t| t.compute_txid().to_byte_array())
            .collect();
        let mut path = Vec::new();
        while level.len() > 1 {
            if level.len() % 2 == 1 {
                if let Some(last) = level.last().copied() {
                    level.push(last);
                }
            }
            path.push(level[1]);
            level = level
                .chunks(2)
                .map(|p| {
                    let mut data = [0u8; 64];
                    data[..32].copy_from_slice(&p[0]);
                    data[32..].copy_from_slice(&p[1]);
                    bitcoin::hashes::sha256d::Hash::hash(&data).to_byte_array()
                })
                .collect();
        }
        Ok(path)
    }

    fn submit_solution(
        &self,
        version: u32,
        timestamp: u32,
        nonce: u32,
        coinbase: Option<Transaction>,
    ) -> Result<bool> {
        let mut block = self.block();
        // No coinbase cannot make a block: refused, as Core refuses it.
        let Some(coinbase) = coinbase else {
            return Ok(false);
        };
        if block.txdata.is_empty() {
            return Ok(false);
        }
        block.txdata[0] = coinbase;
        block.header.version = bitcoin::block::Version::from_consensus(version as i32);
        block.header.time = timestamp;
        block.header.nonce = nonce;
        block.header.merkle_root = merkle_root(&block);
        *self.block.lock().unwrap_or_else(|p| p.into_inner()) = block.clone();
        let accepted = self
            .shared
            .chain()
            .with_pool(|cs, pool| cs.process_new_block(Arc::new(block), true, pool));
        Ok(accepted.is_ok())
    }

    fn wait_next(&self, options: &BlockWaitOptions) -> Result<Option<Box<dyn BlockTemplate>>> {
        let deadline = options.timeout.map(|t| Instant::now() + t);
        let prev = self.block().header.prev_blockhash;
        let fees: i64 = self.fees.iter().sum();
        loop {
            if self.interrupted.swap(false, Ordering::Relaxed)
                || self.shared.shutdown.is_requested()
            {
                return Ok(None);
            }
            let tip = chainstate_service::ChainView::tip(self.shared.chain()).1;
            if tip != prev {
                let t = self
                    .shared
                    .build(&self.options)
                    .map_err(interfaces::Error::Remote)?;
                return Ok(Some(Box::new(t)));
            }
            if options.fee_threshold < interfaces::mining::MAX_MONEY {
                // Fees of the template that would be built now, by the same policy.
                let t = self
                    .shared
                    .build(&self.options)
                    .map_err(interfaces::Error::Remote)?;
                if t.fees.iter().sum::<i64>() - fees >= options.fee_threshold {
                    return Ok(Some(Box::new(t)));
                }
            }
            let mut tick = WAIT_TICK;
            if let Some(d) = deadline {
                let now = Instant::now();
                if now >= d {
                    return Ok(None);
                }
                tick = tick.min(d - now);
            }
            std::thread::sleep(tick);
        }
    }

    fn interrupt_wait(&self) -> Result<()> {
        self.interrupted.store(true, Ordering::Relaxed);
        Ok(())
    }
}

/// The node's mining service.
pub struct NodeMining {
    shared: Arc<Shared>,
    interrupted: AtomicBool,
}

impl NodeMining {
    /// A mining service on the node's block assembler.
    pub fn new(assembler: Arc<BlockAssembler>, shutdown: Arc<Shutdown>) -> Self {
        NodeMining {
            shared: Arc::new(Shared {
                assembler,
                shutdown,
            }),
            interrupted: AtomicBool::new(false),
        }
    }

    /// Another `Mining` on the same node with its own interrupt flag (one
    /// per IPC client, as Core makes one per `makeMining`).
    pub fn new_client(&self) -> NodeMining {
        NodeMining {
            shared: self.shared.clone(),
            interrupted: AtomicBool::new(false),
        }
    }
}

impl NodeMining {
    /// Blocks the best header is ahead of the tip on the tip's own chain.
    fn blocks_ahead_of_tip(&self) -> Option<u32> {
        let cs = self.shared.chain().lock();
        let (best, tip) = (cs.best_header()?, cs.tip()?);
        let (b, t) = (cs.index().entry(best)?, cs.index().entry(tip)?);
        (b.chain_work > t.chain_work && cs.index().ancestor_id(best, t.height) == Some(tip))
            .then(|| b.height - t.height)
    }

    /// Core's template cooldown: no templates during IBD, and a pause while
    /// known headers are still being connected. False when interrupted.
    fn cooldown(&self) -> Result<bool> {
        let Some(mut last) = self.get_tip()?.map(|t| t.hash) else {
            return Ok(false);
        };
        while self.is_initial_block_download()? {
            match self.wait_tip_changed(last, Some(Duration::from_secs(1)))? {
                Some(t) => last = t.hash,
                None => return Ok(false),
            }
        }
        while let Some(remaining) = self.blocks_ahead_of_tip() {
            let secs = u64::from(remaining.clamp(3, 20));
            let deadline = Instant::now() + Duration::from_secs(secs);
            let interrupted = &self.interrupted;
            let (_, tip) = self.shared.chain().wait_until(
                Some(deadline.saturating_duration_since(Instant::now())),
                &self.shared.shutdown,
                |t| t.1 != last || interrupted.load(Ordering::Relaxed),
            );
            if self.interrupted.swap(false, Ordering::Relaxed)
                || self.shared.shutdown.is_requested()
            {
                return Ok(false);
            }
            if tip != last {
                last = tip;
                continue;
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        Ok(true)
    }
}

impl Mining for NodeMining {
    fn is_test_chain(&self) -> Result<bool> {
        Ok(self.shared.chain().lock().params().chain != common::chaintype::ChainType::Main)
    }

    fn is_initial_block_download(&self) -> Result<bool> {
        Ok(self.shared.chain().lock().is_initial_block_download())
    }

    fn get_tip(&self) -> Result<Option<BlockRef>> {
        let cs = self.shared.chain().lock();
        Ok(cs.tip_entry().map(|t| BlockRef {
            hash: t.hash,
            height: t.height as i32,
        }))
    }

    fn wait_tip_changed(
        &self,
        current_tip: BlockHash,
        timeout: Option<Duration>,
    ) -> Result<Option<BlockRef>> {
        let interrupted = &self.interrupted;
        let (height, hash) = self
            .shared
            .chain()
            .wait_until(timeout, &self.shared.shutdown, |t| {
                t.1 != current_tip || interrupted.load(Ordering::Relaxed)
            });
        if self.interrupted.swap(false, Ordering::Relaxed) || self.shared.shutdown.is_requested() {
            return Ok(None);
        }
        Ok(Some(BlockRef {
            hash,
            height: height as i32,
        }))
    }

    fn create_new_block(
        &self,
        options: &BlockCreateOptions,
        cooldown: bool,
    ) -> Result<Option<Box<dyn BlockTemplate>>> {
        check_limits(
            LimitNames::Options,
            options.block_reserved_weight,
            self.shared.assembler.args().block_max_weight,
            options.coinbase_output_max_additional_sigops,
        )
        .map_err(interfaces::Error::Remote)?;
        if cooldown && !self.cooldown()? {
            return Ok(None);
        }
        if self.interrupted.swap(false, Ordering::Relaxed) || self.shared.shutdown.is_requested() {
            return Ok(None);
        }
        let t = self
            .shared
            .build(options)
            .map_err(interfaces::Error::Remote)?;
        Ok(Some(Box::new(t)))
    }

    fn check_block(&self, block: &Block, options: &BlockCheckOptions) -> Result<BlockCheck> {
        let cs = self.shared.chain().lock();
        Ok(check_result(cs.test_block_validity(
            block,
            options.check_pow,
            options.check_merkle_root,
        )))
    }

    fn interrupt(&self) -> Result<()> {
        self.interrupted.store(true, Ordering::Relaxed);
        Ok(())
    }

    fn submit_block(&self, block: &Block) -> Result<BlockCheck> {
        let r = self
            .shared
            .chain()
            .with_pool(|cs, pool| cs.process_new_block(Arc::new(block.clone()), true, pool));
        Ok(match r {
            Ok(p) if !p.new_block => BlockCheck {
                valid: false,
                reason: "duplicate".into(),
                debug: String::new(),
            },
            other => check_result(other.map(|_| ())),
        })
    }

    fn get_transactions_by_tx_id(&self, txids: &[Txid]) -> Result<Vec<Option<Transaction>>> {
        let pool = self.shared.chain().pool();
        Ok(txids
            .iter()
            .map(|t| pool.get(t).map(|e| (*e.tx).clone()))
            .collect())
    }

    fn get_transactions_by_witness_id(&self, wtxids: &[Wtxid]) -> Result<Vec<Option<Transaction>>> {
        let pool = self.shared.chain().pool();
        Ok(wtxids
            .iter()
            .map(|w| pool.get_by_wtxid(w).map(|e| (*e.tx).clone()))
            .collect())
    }
}
