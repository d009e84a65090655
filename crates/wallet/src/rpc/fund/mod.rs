//! Funding transactions the user describes: `fundrawtransaction`,
//! `walletcreatefundedpsbt`, `send` and `sendall`, with Core's option
//! handling (`spend.cpp`'s RPC-level `FundTransaction`,
//! `FinishTransaction` and their helpers).
//!
//! * [`json`]: option objects read as Core's `UniValue` accessors.
//! * [`fee`]: fee rate, target and mode from the arguments.
//! * [`options`]: the shared funding options; subtract-fee instructions.
//! * [`solving`]: the `solving_data` option.
//! * [`psbt_io`]: PSBT versions between the signer and the RPCs.
//! * [`args`]: the methods' parameters and option keys, for help and
//!   named arguments.
//! * [`raw`], [`sendtx`], [`sendall`]: the methods.

pub mod args;
pub mod fee;
pub mod json;
pub mod options;
pub mod psbt_io;
mod raw;
mod sendall;
mod sendtx;
pub mod solving;

use crate::context::WalletContext;
use crate::sign::{FillOptions, SignError};
use crate::spend::{CoinControl, CreatedTransaction, Recipient};
use crate::wallet::spending::{SentInfo, WalletSpendEnv};
use crate::wallet::{State, Wallet, Writes};
use bitcoin::{OutPoint, Transaction, TxOut};
use json::{get_bool, Opts};
use options::{wallet_error, FundOptions};
use rpc::error::{code, RpcError, RpcResult};
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Registers the funding methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    raw::register(table, context);
    sendtx::register(table, context);
    sendall::register(table, context);
}

/// Core's `JSONRPCPSBTError`: a sighash mismatch is a deserialization
/// error, other PSBT problems transaction errors; failing to reach the
/// wallet's keys is not the PSBT's fault.
pub fn psbt_error(e: SignError) -> RpcError {
    let c = match e {
        SignError::SighashMismatch => code::DESERIALIZATION_ERROR,
        SignError::Keys(_) | SignError::ExternalSignerCommand(_) => code::MISC_ERROR,
        _ => code::VERIFY_ERROR,
    };
    RpcError::new(c, e.to_string())
}

/// The transaction's outputs as recipients (Core's `CreateRecipients`),
/// those at the `subtract` positions paying the fee.
pub fn recipients_of(outputs: &[TxOut], subtract: &BTreeSet<usize>) -> Vec<Recipient> {
    outputs
        .iter()
        .enumerate()
        .map(|(i, o)| Recipient {
            script_pubkey: o.script_pubkey.clone(),
            amount: o.value.to_sat() as i64,
            subtract_fee: subtract.contains(&i),
        })
        .collect()
}

/// Core's `NormalizeOutputs`, keys only: the outputs' addresses (or
/// "data") in order, from an object or an array of one-key objects.
pub fn output_keys(outputs: &Value) -> RpcResult<Vec<String>> {
    match outputs {
        Value::Null => Err(RpcError::invalid_parameter(
            "Invalid parameter, output argument must be non-null",
        )),
        Value::Object(o) => Ok(o.keys().cloned().collect()),
        Value::Array(a) => {
            let mut keys = Vec::new();
            for item in a {
                let Some(o) = item.as_object() else {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair not an object as expected",
                    ));
                };
                if o.len() != 1 {
                    return Err(RpcError::invalid_parameter(
                        "Invalid parameter, key-value pair must contain exactly one key",
                    ));
                }
                keys.extend(o.keys().cloned());
            }
            Ok(keys)
        }
        other => Err(json::get_array(other).err().unwrap_or_else(|| {
            RpcError::invalid_parameter("Invalid parameter, output argument must be non-null")
        })),
    }
}

/// Core's `ConstructTransaction` for the wallet's network.
pub fn construct(
    wallet: &Wallet,
    inputs: &Value,
    outputs: &Value,
    locktime: &Value,
    rbf: bool,
    version: u32,
) -> RpcResult<Transaction> {
    let locktime = if locktime.is_null() {
        None
    } else {
        Some(json::get_int::<i64>(locktime)?)
    };
    let inputs = (!inputs.is_null()).then_some(inputs);
    let params = utility_rpc::address::ChainParams::for_network(wallet.network);
    utility_rpc::rawtx::create::construct(
        inputs,
        Some(outputs),
        locktime,
        Some(rbf),
        i64::from(version),
        &params,
    )
}

/// Core's wallet `FundTransaction`: `tx`'s inputs become preset inputs
/// (looked up in the node's UTXO set when not the wallet's), the
/// recipients its outputs, and the wallet adds inputs and change as coin
/// control allows. The change reservation is made durable, and with
/// `lock_unspents` the inputs are locked (in memory only).
pub fn fund_transaction(
    wallet: &Wallet,
    tx: &Transaction,
    recipients: &[Recipient],
    options: FundOptions,
    mut cc: CoinControl,
) -> RpcResult<CreatedTransaction> {
    let mut state = wallet.lock();
    let query: Vec<(OutPoint, Option<interfaces::chain::Coin>)> =
        tx.input.iter().map(|i| (i.previous_output, None)).collect();
    let found: BTreeMap<OutPoint, TxOut> = if query.is_empty() {
        BTreeMap::new()
    } else {
        wallet
            .chain
            .find_coins(&query)
            .map_err(|e| RpcError::misc(e.to_string()))?
            .into_iter()
            .filter_map(|(op, c)| c.map(|c| (op, c.output)))
            .collect()
    };
    // Outputs anyone can size (taproot, bare keys) need no solving data.
    for txout in found.values() {
        solving::add_inferable(&mut cc, &txout.script_pubkey);
    }
    let snapshot = wallet.spend_snapshot(&state);
    let (created, writes) = {
        let env = WalletSpendEnv::new(wallet, &mut state);
        let spend_wallet = snapshot.view(&env, wallet.fee_config());
        let find_coin = |op: &OutPoint| found.get(op).cloned();
        let created = crate::spend::fund_transaction(
            &spend_wallet,
            tx,
            recipients,
            options.change_pos,
            cc,
            &find_coin,
            &mut rand::thread_rng(),
        )
        .map_err(|e| wallet_error(e.to_string()))?;
        (created, env.writes.into_inner())
    };
    if options.lock_unspents {
        for i in &created.tx.input {
            // Core's map insertion keeps a persistent lock persistent.
            state.locked_coins.entry(i.previous_output).or_insert(false);
        }
    }
    wallet.commit(&mut state, writes).map_err(RpcError::misc)?;
    Ok(created)
}

/// Fills a new PSBT of `tx` from the wallet (Core's `FillPSBT`), in the
/// signer's model.
pub fn fill_new_psbt(
    state: &State,
    tx: &Transaction,
    opts: FillOptions,
) -> RpcResult<(bitcoin::psbt::Psbt, bool)> {
    let mut psbt = psbt_io::blank(tx)?;
    let lookup = |t: &bitcoin::Txid| state.ledger.get(t).map(|e| e.tx().clone());
    let r = crate::sign::fill_psbt(&state.keys, state.key_access(), &mut psbt, &opts, &lookup)
        .map_err(psbt_error)?;
    Ok((psbt, r.complete))
}

/// Core's `FinishTransaction` for `send` and `sendall`: the anti-fee-
/// sniping lock time unless the user chose one (or a sequence rules it
/// out), a version 2 PSBT filled and signed, and then the transaction
/// committed and broadcast, or returned, as the options say.
pub fn finish_transaction(
    wallet: &Wallet,
    options: &Opts<'_>,
    mut tx: Transaction,
) -> RpcResult<Value> {
    let can_anti_fee_snipe = !options.exists("locktime")
        && tx.input.iter().all(|i| {
            i.sequence.0 == crate::spend::MAX_SEQUENCE_NONFINAL
                || i.sequence.0 == crate::spend::MAX_BIP125_RBF_SEQUENCE
        });
    let mut state = wallet.lock();
    if can_anti_fee_snipe && !tx.input.is_empty() {
        let tip = {
            use crate::spend::SpendEnv;
            WalletSpendEnv::new(wallet, &mut state)
                .tip()
                .map_err(|e| RpcError::misc(e.to_string()))?
        };
        crate::spend::discourage_fee_sniping(&mut tx, &mut rand::thread_rng(), &tip);
    }
    // Filled without signing first, so that external signers are asked
    // once, then signed.
    let mut psbt = psbt_io::blank(&tx)?;
    let fill = |psbt: &mut bitcoin::psbt::Psbt, sign: bool, bip32derivs: bool| {
        let opts = FillOptions {
            sighash_type: None,
            sign,
            bip32derivs,
            finalize: true,
        };
        // Version 2, as Core makes this PSBT; an external signer sees it so.
        wallet.fill_psbt(&state, psbt, &opts, 2).map_err(psbt_error)
    };
    fill(&mut psbt, false, true)?;
    // A locked wallet signs nothing; the PSBT is returned incomplete.
    fill(&mut psbt, !state.is_locked(), false)?;
    let mut out_psbt = psbt_io::to_version(&psbt, 2)?;
    let final_tx = utility_rpc::psbtrpc::roles::finalize_and_extract(&mut out_psbt);

    let psbt_opt_in = options.exists("psbt") && get_bool(options.get("psbt"))?;
    let add_to_wallet = if options.exists("add_to_wallet") {
        get_bool(options.get("add_to_wallet"))?
    } else {
        true
    };
    let mut result = Map::new();
    if psbt_opt_in || final_tx.is_none() || !add_to_wallet {
        result.insert("psbt".into(), json!(out_psbt.to_base64()));
    }
    if let Some(signed) = final_tx.as_ref() {
        result.insert("txid".into(), json!(signed.compute_txid().to_string()));
        if add_to_wallet && !psbt_opt_in {
            wallet
                .commit_transaction(
                    &mut state,
                    signed.clone(),
                    SentInfo::default(),
                    Writes::default(),
                )
                .map_err(RpcError::misc)?;
        } else {
            result.insert(
                "hex".into(),
                json!(bitcoin::consensus::encode::serialize_hex(signed)),
            );
        }
    }
    result.insert("complete".into(), json!(final_tx.is_some()));
    Ok(Value::Object(result))
}
