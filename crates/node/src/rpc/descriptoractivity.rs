//! `getdescriptoractivity`: the receives and spends of the scripts of some
//! descriptors in given blocks of the active chain, and optionally in the
//! mempool.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use bitcoin::{BlockHash, Transaction, TxIn};
use chain::BlockId;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Map, Value};
use utility_rpc::address::ChainParams;

use crate::rpc::blockchain::lookup;
use chainstate_service::NodeChain;
use rpc::json::parse_hash;

/// The block an event was confirmed in, if any.
type Place = Option<(BlockHash, u32)>;

/// Builds the events, sharing the chain's address format.
struct Events {
    params: ChainParams,
    out: Vec<Value>,
}

impl Events {
    fn spk(&self, spk: &[u8]) -> Value {
        Value::Object(utility_rpc::tojson::script_to_json(
            spk,
            true,
            true,
            &[],
            &self.params,
        ))
    }

    fn place(o: &mut Map<String, Value>, place: Place) {
        if let Some((hash, height)) = place {
            o.insert("blockhash".into(), json!(hash.to_string()));
            o.insert("height".into(), json!(height));
        }
    }

    fn spend(
        &mut self,
        spk: &[u8],
        sats: u64,
        tx: &Transaction,
        vin: usize,
        input: &TxIn,
        place: Place,
    ) {
        let mut o = Map::new();
        o.insert("type".into(), json!("spend"));
        o.insert("amount".into(), rpc::json::amount_to_value(sats as i64));
        Self::place(&mut o, place);
        o.insert("spend_txid".into(), json!(tx.compute_txid().to_string()));
        o.insert("spend_vin".into(), json!(vin));
        o.insert(
            "prevout_txid".into(),
            json!(input.previous_output.txid.to_string()),
        );
        o.insert("prevout_vout".into(), json!(input.previous_output.vout));
        o.insert("prevout_spk".into(), self.spk(spk));
        self.out.push(Value::Object(o));
    }

    fn receive(&mut self, tx: &Transaction, vout: usize, place: Place) {
        let Some(out) = tx.output.get(vout) else {
            return;
        };
        let mut o = Map::new();
        o.insert("type".into(), json!("receive"));
        o.insert(
            "amount".into(),
            rpc::json::amount_to_value(out.value.to_sat() as i64),
        );
        Self::place(&mut o, place);
        o.insert("txid".into(), json!(tx.compute_txid().to_string()));
        o.insert("vout".into(), json!(vout));
        o.insert("output_spk".into(), self.spk(out.script_pubkey.as_bytes()));
        self.out.push(Value::Object(o));
    }

    /// Receives to watched scripts among the outputs of `tx`.
    fn receives(&mut self, tx: &Transaction, watched: &HashSet<Vec<u8>>, place: Place) {
        for (vout, out) in tx.output.iter().enumerate() {
            if watched.contains(out.script_pubkey.as_bytes()) {
                self.receive(tx, vout, place);
            }
        }
    }
}

/// The requested blocks by height, each checked to be on the active chain.
fn requested_blocks(
    chain: &NodeChain,
    hashes: &[Value],
) -> Result<BTreeMap<u32, BlockId>, RpcError> {
    let cs = chain.lock();
    let mut blocks = BTreeMap::new();
    for h in hashes {
        let text = h.as_str().ok_or_else(|| {
            RpcError::type_error(format!(
                "JSON value of type {} is not of expected type string",
                rpc::method::json_type_name(h)
            ))
        })?;
        let id = lookup(&cs, &parse_hash(text, "blockhash")?)?;
        if !cs.is_active(id) {
            return Err(RpcError::invalid_parameter("Block is not in main chain"));
        }
        let height = cs.index().entry(id).map_or(0, |e| e.height);
        blocks.insert(height, id);
    }
    Ok(blocks)
}

fn scan_blocks(
    chain: &NodeChain,
    blocks: &BTreeMap<u32, BlockId>,
    watched: &HashSet<Vec<u8>>,
    ev: &mut Events,
) -> Result<(), RpcError> {
    for (&height, &id) in blocks {
        let (block, undo, hash) = {
            let cs = chain.lock();
            let hash = cs
                .index()
                .entry(id)
                .map(|e| e.hash)
                .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
            (
                crate::rpc::block_read::block(&cs, id)?,
                crate::rpc::block_read::undo(&cs, id)?,
                hash,
            )
        };
        let place = Some((hash, height));
        for (i, tx) in block.txdata.iter().enumerate() {
            // The coinbase spends nothing.
            if let Some(tx_undo) = i.checked_sub(1).and_then(|u| undo.txs.get(u)) {
                for (vin, (input, coin)) in tx.input.iter().zip(&tx_undo.prevouts).enumerate() {
                    let spk = coin.output.script_pubkey.as_bytes();
                    if watched.contains(spk) {
                        ev.spend(spk, coin.output.value.to_sat(), tx, vin, input, place);
                    }
                }
            }
            ev.receives(tx, watched, place);
        }
    }
    Ok(())
}

fn scan_mempool(
    chain: &NodeChain,
    watched: &HashSet<Vec<u8>>,
    ev: &mut Events,
) -> Result<(), RpcError> {
    chain.with_pool(|cs, pool| {
        for entry in pool.in_order() {
            let tx = &entry.tx;
            for (vin, input) in tx.input.iter().enumerate() {
                let prev = &input.previous_output;
                let spent = match cs.coins().get(prev).ok().flatten() {
                    Some(coin) => Some(coin.output),
                    // Not confirmed: the parent is in the mempool too.
                    None => pool
                        .get(&prev.txid)
                        .and_then(|p| p.tx.output.get(prev.vout as usize).cloned()),
                };
                let out = spent.ok_or_else(|| RpcError::misc("Invalid output index"))?;
                if watched.contains(out.script_pubkey.as_bytes()) {
                    ev.spend(
                        out.script_pubkey.as_bytes(),
                        out.value.to_sat(),
                        tx,
                        vin,
                        input,
                        None,
                    );
                }
            }
            ev.receives(tx, watched, None);
        }
        Ok(())
    })
}

rpc_params! {
    /// `getdescriptoractivity`'s parameters.
    struct GetDescriptorActivityParams {
        /// The list of blockhashes to examine for activity. Order doesn't matter. Must be along main chain or an error is thrown.
        blockhashes: Vec<Value> [Arr, required],
        /// The list of descriptors (scan objects) to examine for activity. Every scan object is either a string descriptor or an object:
        scanobjects: Vec<Value> [Arr, required, oneline = "[scanobjects,...]"],
        /// Whether to include unconfirmed activity
        include_mempool: bool [Bool, default = true],
    }
}

/// Registers `getdescriptoractivity`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, network: bitcoin::Network) {
    table.register(
        RpcMethod::new(
            "getdescriptoractivity",
            "blockchain",
            "Get spend and receive activity associated with a set of descriptors for a set of blocks. This command pairs well with the `relevant_blocks` output of `scanblocks()`.\nThis call may take several minutes. If you encounter timeouts, try specifying no RPC timeout (bitcoin-cli -rpcclienttimeout=0)",
            move |_, p: GetDescriptorActivityParams| {
                let (hashes, objects, include_mempool) = (p.blockhashes, p.scanobjects, p.include_mempool);
                let blocks = requested_blocks(&chain, &hashes)?;
                let mut watched = HashSet::new();
                for object in &objects {
                    let found = utility_rpc::scan_objects::eval_scan_object(object, network)?;
                    watched.extend(found.into_iter().map(|(script, _)| script));
                }
                let mut ev = Events { params: ChainParams::for_network(network), out: Vec::new() };
                scan_blocks(&chain, &blocks, &watched, &mut ev)?;
                if include_mempool {
                    scan_mempool(&chain, &watched, &mut ev)?;
                }
                Ok(json!({ "activity": ev.out }))
            },
        ),
    );
}
