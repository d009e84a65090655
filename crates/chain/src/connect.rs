//! Connecting a block to the UTXO set (Core's `ConnectBlock` checks) and
//! undoing it again with its undo data (`DisconnectBlock`).

use bitcoin::{Block, BlockHash, OutPoint, TxOut};
use blockstore::{BlockUndo, TxUndo};
use consensus::coin::TxPrevouts;
use consensus::flags::{block_script_flags, deployment_active_at, LOCKTIME_VERIFY_SEQUENCE};
use consensus::script::verify_block_scripts;
use consensus::subsidy::get_block_subsidy;
use consensus::tx_check::{money_range, MAX_BLOCK_SIGOPS_COST};
use consensus::tx_verify::{check_spent_coins, get_transaction_sigop_cost, sequence_locks};
use consensus::{
    BlockResult, BuriedDeployment, Coin, CoinsView, HeaderChain, HeaderInfo, Params,
    ScriptVerifier, ValidationError,
};

use crate::coins::BlockCoins;
use crate::error::{ChainError, Result};

/// Above this height BIP34 no longer rules out duplicate coinbases (heights
/// encoded in old coinbases collide again), so BIP30 is checked once more.
const BIP34_IMPLIES_BIP30_LIMIT: u32 = 1_983_702;

/// The two mainnet blocks whose coinbases duplicate earlier ones (they were
/// accepted before BIP30 and must stay valid).
const BIP30_REPEATS: [(u32, &str); 2] = [
    (
        91_842,
        "00000000000a4d0a398161ffc163c503763b1f4360639393e0e4c8e300e0caec",
    ),
    (
        91_880,
        "00000000000743f190a18c5577a3c2d2a1f610ae9601ac046a38084ccb7cd721",
    ),
];

/// What connecting a block produced.
#[derive(Debug)]
pub struct Connected {
    /// The coins the block spent, for disconnecting it later.
    pub undo: BlockUndo,
    /// Total fees of its transactions, in satoshis.
    pub fees: i64,
}

/// Outputs that can never be spent are not added to the UTXO set (Core's
/// `IsUnspendable`).
pub fn is_unspendable(out: &TxOut) -> bool {
    let script = out.script_pubkey.as_bytes();
    script.first() == Some(&0x6a) || script.len() > 10_000
}

fn invalid(reason: impl Into<String>, debug: impl Into<String>) -> ChainError {
    ChainError::Invalid(ValidationError::block(
        BlockResult::Consensus,
        reason,
        debug,
    ))
}

/// Whether this is one of the two mainnet blocks whose coinbase repeats an
/// earlier one (their outputs never entered the UTXO set twice).
pub fn is_bip30_repeat(height: u32, hash: &BlockHash) -> bool {
    BIP30_REPEATS
        .iter()
        .any(|(h, hex)| *h == height && hash.to_string() == *hex)
}

fn bip30_enforced(
    height: u32,
    hash: &BlockHash,
    prev: &HeaderInfo,
    chain: &dyn HeaderChain,
    params: &Params,
) -> bool {
    if height >= BIP34_IMPLIES_BIP30_LIMIT {
        return true;
    }
    if is_bip30_repeat(height, hash) {
        return false;
    }
    // Once BIP34 is active on this chain, coinbases commit to their height and
    // cannot repeat.
    let bip34_active = match (params.bip34_hash, chain.ancestor(prev, params.bip34_height)) {
        (Some(expected), Some(at)) => at.hash == expected,
        _ => false,
    };
    !bip34_active
}

/// Everything needed to connect one block on top of `prev`.
pub struct ConnectContext<'a> {
    /// Consensus parameters.
    pub params: &'a Params,
    /// The header chain containing `prev` (for sequence locks and BIP34).
    pub chain: &'a dyn HeaderChain,
    /// The parent block.
    pub prev: &'a HeaderInfo,
    /// Script interpreter.
    pub verifier: &'a dyn ScriptVerifier,
    /// Threads for script checks.
    pub script_threads: usize,
    /// False below an assumed-valid block: scripts are skipped there.
    pub check_scripts: bool,
}

/// Checks `block` (at `prev.height + 1`, hash `hash`) against the coins in
/// `coins`, recording its spends and new outputs there. On error `coins`
/// holds partial changes and must be discarded.
pub fn connect_block(
    block: &Block,
    hash: &BlockHash,
    ctx: &ConnectContext<'_>,
    coins: &mut BlockCoins<'_>,
) -> Result<Connected> {
    let result = check_and_apply(block, hash, ctx, coins);
    if let Err(ChainError::Invalid(v)) = &result {
        tracing::info!("Block validation error: {v}");
    }
    result
}

fn check_and_apply(
    block: &Block,
    hash: &BlockHash,
    ctx: &ConnectContext<'_>,
    coins: &mut BlockCoins<'_>,
) -> Result<Connected> {
    let height = ctx.prev.height + 1;
    let params = ctx.params;
    let txids: Vec<bitcoin::Txid> = block.txdata.iter().map(|t| t.compute_txid()).collect();
    if bip30_enforced(height, hash, ctx.prev, ctx.chain, params) {
        for (tx, &txid) in block.txdata.iter().zip(&txids) {
            for vout in 0..tx.output.len() as u32 {
                if coins.coin(&OutPoint::new(txid, vout)).is_some() {
                    return Err(invalid("bad-txns-BIP30", "tried to overwrite transaction"));
                }
            }
        }
    }
    let flags = block_script_flags(height, hash, params);
    let lock_flags = if deployment_active_at(height, BuriedDeployment::Csv, params) {
        LOCKTIME_VERIFY_SEQUENCE
    } else {
        0
    };

    let mut fees: i64 = 0;
    let mut sigop_cost: u64 = 0;
    let mut undo = BlockUndo {
        txs: Vec::with_capacity(block.txdata.len().saturating_sub(1)),
    };
    let mut spent_outputs: Vec<Vec<TxOut>> = Vec::with_capacity(block.txdata.len());
    for (tx, &txid) in block.txdata.iter().zip(&txids) {
        let coinbase = tx.is_coinbase();
        if coinbase {
            sigop_cost += get_transaction_sigop_cost(tx, coins, flags);
            spent_outputs.push(Vec::new());
        } else {
            // Each spent coin is read once; the checks use this copy.
            let mut prevouts = Vec::with_capacity(tx.input.len());
            for input in &tx.input {
                let coin = coins.coin(&input.previous_output).ok_or_else(|| {
                    invalid(
                        "bad-txns-inputs-missingorspent",
                        format!("CheckTxInputs: inputs missing/spent in transaction {txid}"),
                    )
                })?;
                prevouts.push(coin);
            }
            let fee = check_spent_coins(tx, &prevouts, height)
                .map_err(|e| invalid(e.reason, format!("{} in transaction {}", e.debug, txid)))?;
            fees = fees
                .checked_add(fee.to_sat() as i64)
                .filter(|f| money_range(*f))
                .ok_or_else(|| {
                    invalid(
                        "bad-txns-accumulated-fee-outofrange",
                        "accumulated fee in the block out of range",
                    )
                })?;
            let prev_heights: Vec<u32> = prevouts.iter().map(|c| c.height).collect();
            if !sequence_locks(tx, lock_flags, &prev_heights, ctx.prev, ctx.chain) {
                return Err(invalid(
                    "bad-txns-nonfinal",
                    "contains a non-BIP68-final transaction",
                ));
            }
            sigop_cost +=
                get_transaction_sigop_cost(tx, &TxPrevouts::new(&tx.input, &prevouts), flags);
            for input in &tx.input {
                coins.mark_spent(input.previous_output);
            }
            spent_outputs.push(prevouts.iter().map(|c| c.output.clone()).collect());
            undo.txs.push(TxUndo { prevouts });
        }
        if sigop_cost > MAX_BLOCK_SIGOPS_COST {
            return Err(invalid("bad-blk-sigops", "too many sigops"));
        }
        for (vout, out) in tx.output.iter().enumerate() {
            if is_unspendable(out) {
                continue;
            }
            coins.add(
                OutPoint::new(txid, vout as u32),
                Coin {
                    output: out.clone(),
                    height,
                    is_coinbase: coinbase,
                },
            );
        }
    }
    if let Some(e) = coins.take_store_error() {
        return Err(ChainError::Store(e));
    }

    let reward = fees + get_block_subsidy(height, params);
    let paid: i64 = block
        .txdata
        .first()
        .map(|cb| cb.output.iter().map(|o| o.value.to_sat() as i64).sum())
        .unwrap_or(0);
    if paid > reward {
        return Err(invalid(
            "bad-cb-amount",
            format!("coinbase pays too much (actual={paid} vs limit={reward})"),
        ));
    }
    if ctx.check_scripts {
        verify_block_scripts(
            block,
            &spent_outputs,
            flags,
            ctx.verifier,
            ctx.script_threads,
        )?;
    }
    Ok(Connected { undo, fees })
}

/// Undoes `block` (at `height`) in `coins` using `undo`. Returns false when
/// the coins did not match exactly (Core's `DISCONNECT_UNCLEAN`), which is
/// tolerated; an error means the undo data does not fit the block.
pub fn disconnect_block(
    block: &Block,
    height: u32,
    undo: &BlockUndo,
    coins: &mut BlockCoins<'_>,
) -> Result<bool> {
    if undo.txs.len() + 1 != block.txdata.len() {
        return Err(ChainError::System(
            "DisconnectBlock(): block and undo data inconsistent".to_string(),
        ));
    }
    let mut clean = true;
    for (t, tx) in block.txdata.iter().enumerate().rev() {
        let txid = tx.compute_txid();
        for (vout, out) in tx.output.iter().enumerate() {
            if is_unspendable(out) {
                continue;
            }
            let outpoint = OutPoint::new(txid, vout as u32);
            match coins.spend(&outpoint) {
                Some(c)
                    if c.output == *out
                        && c.height == height
                        && c.is_coinbase == tx.is_coinbase() => {}
                _ => clean = false,
            }
        }
        if t == 0 {
            continue;
        }
        let tx_undo = &undo.txs[t - 1];
        if tx_undo.prevouts.len() != tx.input.len() {
            return Err(ChainError::System(
                "DisconnectBlock(): transaction and undo data inconsistent".to_string(),
            ));
        }
        for (input, coin) in tx.input.iter().zip(&tx_undo.prevouts).rev() {
            if coins.coin(&input.previous_output).is_some() {
                clean = false;
            }
            coins.add(input.previous_output, coin.clone());
        }
    }
    if let Some(e) = coins.take_store_error() {
        return Err(ChainError::Store(e));
    }
    Ok(clean)
}
