//! `importprunedfunds` and `removeprunedfunds`: a wallet transaction
//! added with a merkle proof of its block instead of a rescan, and taken
//! out again.

use super::util::{synced_wallet, wallet_for_request};
use crate::context::WalletContext;
use crate::ledger::{Ledger, TxState};
use crate::wallet::{Env, Wallet, Writes};
use bitcoin::consensus::encode::deserialize_partial;
use bitcoin::{BlockHash, MerkleBlock, Transaction, Txid};
use interfaces::chain::FoundBlockParam;
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::Value;
use std::sync::Arc;

rpc_params! {
    /// `importprunedfunds`'s parameters.
    struct ImportPrunedFundsParams {
        /// A raw transaction in hex funding an already-existing address in wallet
        rawtransaction: String [StrHex, required],
        /// The hex output from gettxoutproof that contains the transaction
        txoutproof: String [StrHex, required],
    }
}

rpc_params! {
    /// `removeprunedfunds`'s parameters.
    struct RemovePrunedFundsParams {
        /// The hex-encoded id of the transaction you are deleting
        txid: Txid [StrHex, required],
    }
}

/// A merkle proof (`gettxoutproof`'s output) checked against its own
/// header: the block, and where in it each transaction it proves sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proof {
    /// The block's hash.
    pub block_hash: BlockHash,
    /// The transactions proved, with their positions in the block.
    pub matches: Vec<(Txid, u32)>,
}

/// Reads a proof as Core's `importprunedfunds` does: bad hex is -8, a
/// truncated proof Core's end-of-data error, a tree that does not give
/// the header's merkle root "Something wrong with merkleblock" (-5).
pub fn parse_proof(text: &str) -> Result<Proof, RpcError> {
    let bytes = common::strencodings::parse_hex(text)
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            RpcError::invalid_parameter(format!("proof must be hexadecimal string (not '{text}')"))
        })?;
    let (block, _) = deserialize_partial::<MerkleBlock>(&bytes)
        .map_err(|_| RpcError::misc(consensus::codec::END_OF_DATA))?;
    let mut txids = Vec::new();
    let mut indexes = Vec::new();
    match block.txn.extract_matches(&mut txids, &mut indexes) {
        Ok(root) if root == block.header.merkle_root => {}
        _ => {
            return Err(RpcError::invalid_address_or_key(
                "Something wrong with merkleblock",
            ))
        }
    }
    Ok(Proof {
        block_hash: block.header.block_hash(),
        matches: txids.into_iter().zip(indexes).collect(),
    })
}

/// Core's `importprunedfunds` once the arguments are read: the block must
/// be in the chain the wallet has synced to, `tx` among the proved
/// transactions and paying the wallet; it is then added as confirmed.
pub fn import_pruned_tx(wallet: &Wallet, tx: Transaction, proof: &Proof) -> Result<(), RpcError> {
    let mut guard = wallet.lock();
    let state = &mut *guard;
    let want = FoundBlockParam {
        want_height: true,
        ..Default::default()
    };
    let height = state
        .ledger
        .last_block()
        .and_then(|(last, _)| {
            match wallet
                .chain
                .find_ancestor_by_hash(&last, &proof.block_hash, &want)
            {
                Ok((found, true)) => Some(found.height),
                _ => None,
            }
        })
        .ok_or_else(|| RpcError::invalid_address_or_key("Block not found in chain"))?;
    let txid = tx.compute_txid();
    let index = proof
        .matches
        .iter()
        .find(|(t, _)| *t == txid)
        .map(|(_, i)| *i)
        .ok_or_else(|| {
            RpcError::invalid_address_or_key("Transaction given doesn't exist in proof")
        })?;
    let env = Env {
        keys: &state.keys,
        chain: &*wallet.chain,
    };
    if !Ledger::is_mine_tx(&tx, &env) {
        return Err(RpcError::invalid_address_or_key(
            "No addresses in wallet correspond to included transaction",
        ));
    }
    let confirmed = TxState::Confirmed {
        block_hash: proof.block_hash,
        height,
        index: i32::try_from(index).unwrap_or(i32::MAX),
    };
    state.ledger.add(tx, confirmed, false, &env, None);
    wallet
        .commit(state, Writes::default())
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e))
}

fn importprunedfunds(
    context: &WalletContext,
    req: &rpc::request::RpcRequest,
    p: ImportPrunedFundsParams,
) -> Result<Value, RpcError> {
    // Core reads the wallet's last block as it is; waiting for the wallet
    // to catch up first lets a proof of the node's newest block through.
    let wallet = synced_wallet(context, req)?;
    let tx =
        utility_rpc::tojson::decode_hex_tx(&p.rawtransaction, false, true).ok_or_else(|| {
            RpcError::deserialization("TX decode failed. Make sure the tx has at least one input.")
        })?;
    let proof = parse_proof(&p.txoutproof)?;
    import_pruned_tx(&wallet, tx, &proof)?;
    Ok(Value::Null)
}

fn removeprunedfunds(
    context: &WalletContext,
    req: &rpc::request::RpcRequest,
    p: RemovePrunedFundsParams,
) -> Result<Value, RpcError> {
    let wallet = wallet_for_request(context, req)?;
    wallet
        .remove_txs(&[p.txid])
        .map_err(|e| RpcError::new(code::WALLET_ERROR, e))?;
    Ok(Value::Null)
}

/// Registers `importprunedfunds` and `removeprunedfunds`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "importprunedfunds",
        "wallet",
        "Imports funds without rescan. Corresponding address or script must previously be included in wallet. Aimed towards pruned wallets. The end-user is responsible to import additional transactions that subsequently spend the imported outputs or rescan after the point in the blockchain the transaction is included.",
        move |req, p: ImportPrunedFundsParams| importprunedfunds(&c, req, p),
    ));
    let c = context.clone();
    table.register(RpcMethod::new(
        "removeprunedfunds",
        "wallet",
        "Deletes the specified transaction from the wallet. Meant for use with pruned wallets and as a companion to importprunedfunds. This will affect wallet balances.",
        move |req, p: RemovePrunedFundsParams| removeprunedfunds(&c, req, p),
    ));
}
