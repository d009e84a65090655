//! `dumptxoutset`: writes the UTXO set at the tip, or at an earlier block of
//! the active chain, in Core's snapshot format (the file `loadtxoutset`
//! reads): a metadata header, then the coins grouped by txid.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bitcoin::hashes::Hash;
use bitcoin::{BlockHash, OutPoint};
use blockstore::compress::{write_coin, write_compact_size};
use chain::coinstats::{self, HashType};
use chain::rollback::{overlay, CoinChanges};
use consensus::Coin;
use rpc::error::code;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

use crate::rpc::blockchain::parse_hash_or_height;
use chainstate_service::NodeChain;

/// First bytes of every snapshot file.
const SNAPSHOT_MAGIC: [u8; 5] = *b"utxo\xff";
/// The snapshot format version written.
const SNAPSHOT_VERSION: u16 = 2;

fn internal(message: impl Into<String>) -> RpcError {
    RpcError::new(code::INTERNAL_ERROR, message)
}

/// The snapshot header: magic, version, network magic, base block, coin count.
fn metadata(network_magic: [u8; 4], base: &BlockHash, coins: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(51);
    out.extend_from_slice(&SNAPSHOT_MAGIC);
    out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
    out.extend_from_slice(&network_magic);
    out.extend_from_slice(base.as_byte_array());
    out.extend_from_slice(&coins.to_le_bytes());
    out
}

/// Writes one txid's coins: the txid, their count, then each vout and coin.
fn write_group(
    out: &mut impl Write,
    txid: &bitcoin::Txid,
    coins: &[(u32, Coin)],
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(40 + coins.len() * 40);
    buf.extend_from_slice(txid.as_byte_array());
    write_compact_size(&mut buf, coins.len() as u64);
    for (vout, coin) in coins {
        write_compact_size(&mut buf, u64::from(*vout));
        write_coin(&mut buf, coin);
    }
    out.write_all(&buf)
}

/// Writes the coins (in database key order, so each txid's coins are
/// together) and returns how many were written.
fn write_coins<E>(
    out: &mut impl Write,
    coins: impl Iterator<Item = Result<(OutPoint, Coin), E>>,
) -> Result<u64, RpcError> {
    let io = |e: std::io::Error| internal(format!("Error writing snapshot: {e}"));
    let mut written = 0u64;
    let mut group: Vec<(u32, Coin)> = Vec::new();
    let mut current: Option<bitcoin::Txid> = None;
    for item in coins {
        let (outpoint, coin) = item.map_err(|_| internal("Unable to read UTXO set"))?;
        if current.is_some_and(|t| t != outpoint.txid) {
            if let Some(txid) = &current {
                write_group(out, txid, &group).map_err(io)?;
            }
            written += group.len() as u64;
            group.clear();
        }
        current = Some(outpoint.txid);
        group.push((outpoint.vout, coin));
    }
    if let Some(txid) = &current {
        write_group(out, txid, &group).map_err(io)?;
        written += group.len() as u64;
    }
    Ok(written)
}

/// Which block the snapshot is taken at, from the `type` and `rollback`
/// arguments (Core's rules and texts).
fn snapshot_target(
    cs: &chain::Chainstate,
    kind: &str,
    rollback: Option<&Value>,
) -> Result<chain::BlockId, RpcError> {
    if let Some(target) = rollback {
        if !kind.is_empty() && kind != "rollback" {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid snapshot type \"{kind}\" specified with rollback option"
            )));
        }
        return parse_hash_or_height(cs, target);
    }
    match kind {
        "rollback" => {
            let height = cs
                .params()
                .snapshot_heights()
                .into_iter()
                .max()
                .ok_or_else(|| internal("No snapshot heights known for this chain"))?;
            parse_hash_or_height(cs, &json!(height))
        }
        "latest" => cs.tip().ok_or_else(|| internal("No active chain")),
        other => Err(RpcError::invalid_parameter(format!(
            "Invalid snapshot type \"{other}\" specified. Please specify \"rollback\" or \"latest\""
        ))),
    }
}

rpc_params! {
    /// `dumptxoutset`'s options.
    struct DumpTxOutSetOptions {
        /// Height or hash of the block to roll back to before creating the snapshot.
        rollback: Option<Value> [Num, optional, skip_type_check],
        /// If true, the temporary UTXO-set database used during rollback is kept entirely in memory.
        // It only changes where Core keeps its temporary copy of the set; the
        // rollback here keeps just the changed coins in memory anyway.
        _in_memory: bool [Bool, default = false, names = "in_memory"],
    }
}

rpc_params! {
    /// `dumptxoutset`'s parameters.
    struct DumpTxOutSetParams {
        /// Path to the output file. If relative, will be prefixed by datadir.
        path: String [Str, required],
        /// The type of snapshot to create. Can be "latest" to create a snapshot of the current UTXO set or "rollback" to temporarily roll back the state of the node to a historical block before creating the snapshot of a historical UTXO set.
        r#type: String [Str, default = ""],
        options: DumpTxOutSetOptions [ObjNamedParams, optional],
    }
}

fn dumptxoutset(
    chain: &NodeChain,
    net_dir: &Path,
    p: DumpTxOutSetParams,
) -> Result<Value, RpcError> {
    let kind = p.r#type.as_str();
    let rollback = p.options.rollback.as_ref();
    let path: PathBuf = net_dir.join(&p.path);
    let temp = PathBuf::from(format!("{}.incomplete", path.display()));
    if path.exists() {
        return Err(RpcError::invalid_parameter(format!(
            "{} already exists. If you are sure this is what you want, move it out of the way first",
            path.display()
        )));
    }

    // Pick the block and take a consistent view of the set under the lock.
    let (base, base_height, chain_tx, magic, cursors, changes) = {
        let mut cs = chain.lock();
        let target = snapshot_target(&cs, kind, rollback)?;
        cs.flush()
            .map_err(|_| internal("Unable to read UTXO set"))?;
        let changes: CoinChanges = cs
            .rollback_changes(target)
            .map_err(|e| internal(e.to_string()))?;
        let entry = cs
            .index()
            .entry(target)
            .ok_or_else(|| RpcError::invalid_address_or_key("Block not found"))?;
        let cursor = || {
            cs.store()
                .coins_cursor()
                .map_err(|_| internal("Unable to read UTXO set"))
        };
        let cursors = (cursor()?, cursor()?);
        (
            entry.hash,
            entry.height,
            entry.chain_tx,
            cs.params().message_start,
            cursors,
            changes,
        )
    };

    let file = File::create(&temp).map_err(|_| {
        RpcError::invalid_parameter(format!(
            "Couldn't open file {} for writing.",
            temp.display()
        ))
    })?;
    tracing::info!(
        "Writing UTXO snapshot at height {base_height} ({base}) to file {} (via {})",
        path.display(),
        temp.display()
    );
    let stats = coinstats::compute(
        overlay(cursors.0, changes.clone()),
        HashType::HashSerialized,
    )
    .map_err(|_| internal("Unable to read UTXO set"))?;
    let mut out = BufWriter::new(file);
    out.write_all(&metadata(magic, &base, stats.txouts))
        .map_err(|e| internal(format!("Error writing snapshot: {e}")))?;
    let written = write_coins(&mut out, overlay(cursors.1, changes))?;
    out.flush()
        .map_err(|e| internal(format!("Error closing {}: {e}", temp.display())))?;
    drop(out);
    std::fs::rename(&temp, &path)
        .map_err(|e| internal(format!("Error renaming {}: {e}", temp.display())))?;

    let mut hash = stats.hash.unwrap_or_default();
    hash.reverse();
    Ok(json!({
        "coins_written": written,
        "base_hash": base.to_string(),
        "base_height": base_height,
        "path": path.display().to_string(),
        "txoutset_hash": hex::encode(hash),
        "nchaintx": chain_tx,
    }))
}

/// Registers `dumptxoutset`; relative paths are taken from `net_dir`.
pub fn register(table: &RpcTable, chain: Arc<NodeChain>, net_dir: PathBuf) {
    table.register(
        RpcMethod::new(
            "dumptxoutset",
            "blockchain",
            "Write the serialized UTXO set to a file. This can be used in loadtxoutset afterwards if this snapshot height is supported in the chainparams as well.\nThis creates a temporary UTXO database when rolling back, keeping the main chain intact. Should the node experience an unclean shutdown the temporary database may need to be removed from the datadir manually.\nFor deep rollbacks, make sure to use no RPC timeout (bitcoin-cli -rpcclienttimeout=0) as it may take several minutes.",
            move |_, p| dumptxoutset(&chain, &net_dir, p),
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::{Amount, ScriptBuf, TxOut, Txid};
    use std::convert::Infallible;

    #[test]
    fn header_layout() {
        let base = BlockHash::from_byte_array([7; 32]);
        let m = metadata([0xfa, 0xbf, 0xb5, 0xda], &base, 3);
        assert_eq!(&m[..5], b"utxo\xff");
        assert_eq!(&m[5..7], &[2, 0]);
        assert_eq!(&m[7..11], &[0xfa, 0xbf, 0xb5, 0xda]);
        assert_eq!(&m[11..43], &[7; 32]);
        assert_eq!(&m[43..], &3u64.to_le_bytes());
    }

    #[test]
    fn coins_grouped_by_txid() {
        let coin = Coin {
            output: TxOut {
                value: Amount::from_sat(1),
                script_pubkey: ScriptBuf::new(),
            },
            height: 1,
            is_coinbase: false,
        };
        let t1 = Txid::from_byte_array([1; 32]);
        let t2 = Txid::from_byte_array([2; 32]);
        let coins = vec![
            (OutPoint::new(t1, 0), coin.clone()),
            (OutPoint::new(t1, 2), coin.clone()),
            (OutPoint::new(t2, 1), coin.clone()),
        ];
        let mut out = Vec::new();
        let n = write_coins(&mut out, coins.into_iter().map(Ok::<_, Infallible>)).unwrap_or(0);
        assert_eq!(n, 3);
        let mut want = Vec::new();
        let mut ser = Vec::new();
        write_coin(&mut ser, &coin);
        want.extend_from_slice(&[1; 32]);
        want.push(2);
        want.push(0);
        want.extend_from_slice(&ser);
        want.push(2);
        want.extend_from_slice(&ser);
        want.extend_from_slice(&[2; 32]);
        want.push(1);
        want.push(1);
        want.extend_from_slice(&ser);
        assert_eq!(out, want);
    }
}
