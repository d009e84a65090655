//! Spending: `sendtoaddress`, `sendmany`, `listunspent`,
//! `signrawtransactionwithwallet`, `walletprocesspsbt`, `signmessage`,
//! with Core's argument handling (`SetFeeEstimateMode`, `ParseOutputs`).

use super::util::{ensure_unlocked, synced_wallet, ParentDescs};
use crate::coinselection::FeeRate;
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::spend::{CoinControl, FeeEstimateMode, Recipient};
use crate::wallet::spending::SentInfo;
use crate::wallet::Wallet;
use bitcoin::psbt::{Psbt, PsbtSighashType};
use bitcoin::{Address, OutPoint, ScriptBuf, TxOut};
use rpc::error::{code, RpcError};
use rpc::json::{amount_from_value, amount_to_value};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

rpc_params! {
    /// `sendtoaddress`'s parameters.
    struct SendToAddressParams {
        /// The bitcoin address to send to.
        address: String [Str, required],
        /// The amount in BTC to send. eg 0.1
        amount: Value [Amount, required],
        /// A comment used to store what the transaction is for.
        comment: Option<String> [Str, optional],
        /// A comment to store the name of the person or organization to which you're sending the transaction.
        comment_to: Option<String> [Str, optional],
        /// The fee will be deducted from the amount being sent.
        subtractfeefromamount: bool [Bool, default = false],
        /// Signal that this transaction can be replaced by a transaction (BIP 125)
        replaceable: Option<bool> [Bool, hint = "wallet default"],
        /// Confirmation target in blocks
        conf_target: Option<i64> [Num, hint = "wallet -txconfirmtarget"],
        /// The fee estimate mode, must be one of (case insensitive): "unset", "economical", "conservative"
        estimate_mode: Option<String> [Str, default = "unset"],
        /// (only available if avoid_reuse wallet flag is set) Avoid spending from dirty addresses; addresses are considered dirty if they have previously been used in a transaction.
        avoid_reuse: Option<bool> [Bool, hint = "true"],
        /// Specify a fee rate in sat/vB.
        fee_rate: Option<Value> [Amount, hint = "not set, falls back to wallet fee estimation"],
        /// If true, return extra information about the transaction.
        verbose: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `sendmany`'s parameters.
    struct SendManyParams {
        /// Must be set to "" for backwards compatibility.
        dummy: Option<String> [Str, hint = "\"\""],
        /// The addresses and amounts
        amounts: Value [ObjUserKeys, required],
        /// Ignored
        minconf: Option<i64> [Num, optional],
        /// A comment
        comment: Option<String> [Str, optional],
        /// The addresses. The fee will be equally deducted from the amount of each selected address.
        subtractfeefrom: Option<Value> [Arr, optional],
        /// Signal that this transaction can be replaced by a transaction (BIP 125)
        replaceable: Option<bool> [Bool, hint = "wallet default"],
        /// Confirmation target in blocks
        conf_target: Option<i64> [Num, hint = "wallet -txconfirmtarget"],
        /// The fee estimate mode, must be one of (case insensitive): "unset", "economical", "conservative"
        estimate_mode: Option<String> [Str, default = "unset"],
        /// Specify a fee rate in sat/vB.
        fee_rate: Option<Value> [Amount, hint = "not set, falls back to wallet fee estimation"],
        /// If true, return extra information about the transaction.
        verbose: bool [Bool, default = false],
    }
}

rpc_params! {
    /// `listunspent`'s parameters.
    struct ListUnspentParams {
        /// The minimum confirmations to filter
        minconf: i64 [Num, default = 1],
        /// The maximum confirmations to filter
        maxconf: i64 [Num, default = 9999999],
        /// The bitcoin addresses to filter
        addresses: Option<Value> [Arr, hint = "empty array"],
        /// Include outputs that are not safe to spend
        include_unsafe: bool [Bool, default = true],
        /// JSON with query options
        query_options: Option<Value> [ObjNamedParams, optional, oneline = "query_options", inner = list_unspent_query_options()],
    }
}

/// `listunspent`'s query option keys, which may be passed as named
/// arguments too.
fn list_unspent_query_options() -> Vec<rpc::Arg> {
    use rpc::{Arg, ArgType};
    vec![
        Arg::with_default(
            "minimumAmount",
            ArgType::Amount,
            json!(0),
            "Minimum value of each UTXO in BTC",
        ),
        Arg::with_hint(
            "maximumAmount",
            ArgType::Amount,
            "unlimited",
            "Maximum value of each UTXO in BTC",
        ),
        Arg::with_hint(
            "maximumCount",
            ArgType::Num,
            "unlimited",
            "Maximum number of UTXOs",
        ),
        Arg::with_hint(
            "minimumSumAmount",
            ArgType::Amount,
            "unlimited",
            "Minimum sum value of all UTXOs in BTC",
        ),
        Arg::with_default(
            "include_immature_coinbase",
            ArgType::Bool,
            json!(false),
            "Include immature coinbase UTXOs",
        ),
    ]
}

rpc_params! {
    /// `signrawtransactionwithwallet`'s parameters.
    struct SignRawParams {
        /// The transaction hex string
        hexstring: String [Str, required],
        /// The previous dependent transaction outputs
        prevtxs: Option<Value> [Arr, optional],
        /// The signature hash type.
        sighashtype: String [Str, default = "DEFAULT"],
    }
}

rpc_params! {
    /// `walletprocesspsbt`'s parameters.
    struct ProcessPsbtParams {
        /// The transaction base64 string
        psbt: String [Str, required],
        /// Also sign the transaction when updating (requires wallet to be unlocked)
        sign: bool [Bool, default = true],
        /// The signature hash type to sign with if not specified by the PSBT.
        sighashtype: String [Str, default = "DEFAULT for Taproot, ALL otherwise"],
        /// Include BIP 32 derivation paths for public keys if we know them
        bip32derivs: bool [Bool, default = true],
        /// Also finalize inputs if possible
        finalize: bool [Bool, default = true],
    }
}

rpc_params! {
    /// `signmessage`'s parameters.
    struct SignMessageParams {
        /// The bitcoin address to use for the private key.
        address: String [Str, required],
        /// The message to create a signature of.
        message: String [Str, required],
    }
}

/// Core's `SetFeeEstimateMode`.
fn set_fee_estimate_mode(
    wallet: &Wallet,
    cc: &mut CoinControl,
    conf_target: Option<i64>,
    estimate_mode: Option<&str>,
    fee_rate: Option<&Value>,
) -> Result<(), RpcError> {
    if let Some(rate) = fee_rate.filter(|v| !v.is_null()) {
        if conf_target.is_some() {
            return Err(RpcError::invalid_parameter("Cannot specify both conf_target and fee_rate. Please provide either a confirmation target in blocks for automatic fee estimation, or an explicit fee rate."));
        }
        if estimate_mode.is_some_and(|m| m != "unset") {
            return Err(RpcError::invalid_parameter(
                "Cannot specify both estimate_mode and fee_rate",
            ));
        }
        // sat/vB with at most 3 decimals is sat/kvB.
        let per_kvb = amount_from_value(rate, 3)?;
        cc.fee_rate = Some(FeeRate::from_sat_per_kvb(per_kvb));
        if cc.signal_rbf.is_none() {
            cc.signal_rbf = Some(true);
        }
        return Ok(());
    }
    if let Some(m) = estimate_mode {
        cc.fee_mode = match m.to_ascii_lowercase().as_str() {
            "unset" => FeeEstimateMode::Unset,
            "economical" => FeeEstimateMode::Economical,
            "conservative" => FeeEstimateMode::Conservative,
            _ => return Err(RpcError::invalid_parameter("Invalid estimate_mode parameter, must be one of: \"unset\", \"economical\", \"conservative\"")),
        };
    }
    if let Some(t) = conf_target {
        let max = wallet.chain.estimate_max_blocks().unwrap_or(1008);
        if t < 1 || t > i64::from(max) {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid conf_target, must be between 1 and {max}"
            )));
        }
        cc.confirm_target = Some(t as u32);
    }
    Ok(())
}

/// Core's `GetAvoidReuseFlag`.
fn avoid_reuse(wallet: &Wallet, param: Option<bool>) -> Result<bool, RpcError> {
    let enabled = wallet.has_flag(flags::AVOID_REUSE);
    let avoid = param.unwrap_or(enabled);
    if avoid && !enabled {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "wallet does not have the \"avoid reuse\" feature enabled",
        ));
    }
    Ok(avoid)
}

fn parse_address(wallet: &Wallet, text: &str) -> Option<Address> {
    text.parse::<Address<bitcoin::address::NetworkUnchecked>>()
        .ok()
        .and_then(|a| a.require_network(wallet.network).ok())
}

/// Core's `ParseOutputs` + `CreateRecipients`: address → amount pairs in
/// order, each address once, amounts positive.
fn parse_recipients(
    wallet: &Wallet,
    amounts: &Map<String, Value>,
    subtract: &BTreeSet<String>,
) -> Result<Vec<Recipient>, RpcError> {
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (address, amount) in amounts {
        let a = parse_address(wallet, address).ok_or_else(|| {
            RpcError::invalid_address_or_key(format!("Invalid Bitcoin address: {address}"))
        })?;
        if !seen.insert(a.script_pubkey()) {
            return Err(RpcError::invalid_parameter(format!(
                "Invalid parameter, duplicated address: {address}"
            )));
        }
        let sats = amount_from_value(amount, 8)?;
        if sats <= 0 {
            return Err(RpcError::type_error("Invalid amount for send"));
        }
        out.push(Recipient {
            script_pubkey: a.script_pubkey(),
            amount: sats,
            subtract_fee: subtract.contains(address),
        });
    }
    Ok(out)
}

/// Core's `SendMoney`: create (shuffled recipients), sign, commit.
fn send_money(
    wallet: &Wallet,
    cc: &CoinControl,
    mut recipients: Vec<Recipient>,
    info: SentInfo,
    verbose: bool,
) -> Result<Value, RpcError> {
    let mut state = wallet.lock();
    ensure_unlocked(&state)?;
    // These always sign with the wallet's own keys.
    if state.has_flag(flags::EXTERNAL_SIGNER) {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Error: sendtoaddress and sendmany are not supported for wallets with external signers; use send instead",
        ));
    }
    if state.has_flag(flags::DISABLE_PRIVATE_KEYS) {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "Error: Private keys are disabled for this wallet",
        ));
    }
    use rand::seq::SliceRandom;
    recipients.shuffle(&mut rand::thread_rng());
    let (created, writes) = wallet
        .create_transaction(&mut state, &recipients, None, cc, true)
        .map_err(|e| RpcError::new(code::WALLET_INSUFFICIENT_FUNDS, e))?;
    let txid = wallet
        .commit_transaction(&mut state, created.tx, info, writes)
        .map_err(RpcError::misc)?;
    if verbose {
        return Ok(json!({
            "txid": txid.to_string(),
            "fee_reason": created.fee_calc.reason.description(),
        }));
    }
    Ok(json!(txid.to_string()))
}

fn sighash_from(text: &str) -> Result<PsbtSighashType, RpcError> {
    let n = match text {
        "DEFAULT" => crate::sign::SIGHASH_DEFAULT,
        "ALL" => crate::sign::SIGHASH_ALL,
        "NONE" => 2,
        "SINGLE" => crate::sign::SIGHASH_SINGLE,
        "ALL|ANYONECANPAY" => 0x81,
        "NONE|ANYONECANPAY" => 0x82,
        "SINGLE|ANYONECANPAY" => 0x83,
        other => {
            return Err(RpcError::invalid_parameter(format!(
                "'{other}' is not a valid sighash parameter."
            )))
        }
    };
    Ok(PsbtSighashType::from_u32(n))
}

/// Registers the spending methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(RpcMethod::new(
        "sendtoaddress",
        "wallet",
        "Send an amount to a given address.",
        move |req, p: SendToAddressParams| {
            let wallet = synced_wallet(&c, req)?;
            let mut cc = CoinControl::new(wallet.fee_config());
            cc.signal_rbf = p.replaceable;
            cc.avoid_address_reuse = avoid_reuse(&wallet, p.avoid_reuse)?;
            cc.avoid_partial_spends |= cc.avoid_address_reuse;
            set_fee_estimate_mode(
                &wallet,
                &mut cc,
                p.conf_target,
                p.estimate_mode.as_deref(),
                p.fee_rate.as_ref(),
            )?;
            ensure_unlocked(&wallet.lock())?;
            let mut amounts = Map::new();
            amounts.insert(p.address.clone(), p.amount);
            let subtract: BTreeSet<String> = if p.subtractfeefromamount {
                [p.address.clone()].into()
            } else {
                BTreeSet::new()
            };
            let recipients = parse_recipients(&wallet, &amounts, &subtract)?;
            let info = SentInfo {
                comment: p.comment.filter(|s| !s.is_empty()),
                comment_to: p.comment_to.filter(|s| !s.is_empty()),
                ..Default::default()
            };
            send_money(&wallet, &cc, recipients, info, p.verbose)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "sendmany",
        "wallet",
        "Send multiple times. Amounts are double-precision floating point numbers.",
        move |req, p: SendManyParams| {
            let wallet = synced_wallet(&c, req)?;
            if p.dummy.as_deref().is_some_and(|d| !d.is_empty()) {
                return Err(RpcError::invalid_parameter(
                    "Dummy value must be set to \"\"",
                ));
            }
            let Value::Object(amounts) = p.amounts else {
                return Err(RpcError::type_error(
                    "JSON value is not an object as expected",
                ));
            };
            let mut cc = CoinControl::new(wallet.fee_config());
            cc.signal_rbf = p.replaceable;
            set_fee_estimate_mode(
                &wallet,
                &mut cc,
                p.conf_target,
                p.estimate_mode.as_deref(),
                p.fee_rate.as_ref(),
            )?;
            // Core's checks of the instructions (unknown, duplicated or
            // out-of-range entries), by destination or position.
            let destinations: Vec<String> = amounts.keys().cloned().collect();
            let subtract: BTreeSet<String> = match &p.subtractfeefrom {
                Some(list) => super::fund::options::interpret_sffo(list, &destinations)?
                    .into_iter()
                    .filter_map(|i| destinations.get(i).cloned())
                    .collect(),
                None => BTreeSet::new(),
            };
            let recipients = parse_recipients(&wallet, &amounts, &subtract)?;
            let info = SentInfo {
                comment: p.comment.filter(|s| !s.is_empty()),
                ..Default::default()
            };
            send_money(&wallet, &cc, recipients, info, p.verbose)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "listunspent",
        "wallet",
        "Returns array of unspent transaction outputs\nwith between minconf and maxconf (inclusive) confirmations.\nOptionally filter to only include txouts paid to specified addresses.",
        move |req, p: ListUnspentParams| {
            let wallet = synced_wallet(&c, req)?;
            let mut filter: Option<BTreeSet<ScriptBuf>> = None;
            if let Some(Value::Array(list)) = &p.addresses {
                let mut set = BTreeSet::new();
                for a in list {
                    let text = a.as_str().unwrap_or_default();
                    let addr = parse_address(&wallet, text).ok_or_else(|| {
                        RpcError::invalid_address_or_key(format!("Invalid Bitcoin address: {text}"))
                    })?;
                    if !set.insert(addr.script_pubkey()) {
                        return Err(RpcError::invalid_parameter(format!("Invalid parameter, duplicated address: {text}")));
                    }
                }
                filter = Some(set);
            }
            let q = UnspentQuery::from_options(p.query_options.as_ref())?;
            let state = wallet.lock();
            let avoid_reuse = state.has_flag(crate::db::records::flags::AVOID_REUSE);
            let mut out = Vec::new();
            let mut sum: i64 = 0;
            let mut parents = ParentDescs::new(&state);
            for c in wallet.candidate_outputs(&state) {
                // Core's AvailableCoins: no spent, locked, conflicted or
                // unrelayed outputs; immature coinbases only on request.
                if c.is_spent || c.is_locked || c.depth < 0 || (c.depth == 0 && !c.in_mempool) {
                    continue;
                }
                if c.immature_coinbase && !q.include_immature_coinbase {
                    continue;
                }
                if i64::from(c.depth) < p.minconf || i64::from(c.depth) > p.maxconf {
                    continue;
                }
                let safe = c.is_safe();
                if !p.include_unsafe && !safe {
                    continue;
                }
                if filter.as_ref().is_some_and(|f| !f.contains(&c.txout.script_pubkey)) {
                    continue;
                }
                let value = c.txout.value.to_sat() as i64;
                if value < q.min_amount || q.max_amount.is_some_and(|m| value > m) {
                    continue;
                }
                let mut o = Map::new();
                o.insert("txid".into(), json!(c.outpoint.txid.to_string()));
                o.insert("vout".into(), json!(c.outpoint.vout));
                if let Some(a) = wallet.address_of(&c.txout.script_pubkey) {
                    o.insert("address".into(), json!(a));
                    if let Some(e) = state.address_book.get(&a) {
                        o.insert("label".into(), json!(e.label.clone().unwrap_or_default()));
                    }
                }
                o.insert("scriptPubKey".into(), json!(c.txout.script_pubkey.to_hex_string()));
                o.insert("amount".into(), amount_to_value(value));
                o.insert("confirmations".into(), json!(c.depth));
                if c.depth == 0 {
                    if let Ok(a) = wallet.chain.get_transaction_ancestry(&c.outpoint.txid) {
                        if a.ancestors > 0 {
                            o.insert("ancestorcount".into(), json!(a.ancestors));
                            o.insert("ancestorsize".into(), json!(a.ancestor_size));
                            o.insert("ancestorfees".into(), json!(a.ancestor_fees));
                        }
                    }
                }
                o.insert("spendable".into(), json!(true));
                o.insert("solvable".into(), json!(c.satisfaction.is_some()));
                if c.satisfaction.is_some() {
                    if let Some(d) = super::addressinfo::wallet_inferred_descriptor(&state, &c.txout.script_pubkey) {
                        o.insert("desc".into(), json!(d));
                    }
                }
                o.insert("parent_descs".into(), Value::Array(parents.of(&c.txout.script_pubkey)));
                if avoid_reuse {
                    o.insert("reused".into(), json!(c.address_used));
                }
                o.insert("safe".into(), json!(safe));
                out.push((c.output_type, Value::Object(o)));
                sum = sum.saturating_add(value);
                if q.min_sum_amount.is_some_and(|m| sum >= m) {
                    break;
                }
                if q.max_count.is_some_and(|m| out.len() as i64 >= m) {
                    break;
                }
            }
            // Core lists the coins it found grouped by output type, in the
            // type's order (legacy first, unknown last): callers, tests
            // among them, count on e.g. `listunspent()[0]` being a legacy
            // coin when there is one. The sort is stable, so within a type
            // the wallet's own order stays.
            out.sort_by_key(|(t, _)| *t);
            Ok(Value::Array(out.into_iter().map(|(_, v)| v).collect()))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "signrawtransactionwithwallet",
        "wallet",
        "Sign inputs for raw transaction (serialized, hex-encoded).\nThe second optional argument (may be null) is an array of previous transaction outputs that\nthis transaction depends on but may not yet be in the block chain.",
        move |req, p: SignRawParams| {
            let wallet = synced_wallet(&c, req)?;
            let mut tx: bitcoin::Transaction = bitcoin::consensus::encode::deserialize_hex(&p.hexstring)
                .map_err(|_| RpcError::deserialization("TX decode failed. Make sure the tx has at least one input."))?;
            let sighash = sighash_from(&p.sighashtype)?;
            let state = wallet.lock();
            ensure_unlocked(&state)?;
            // Core looks the spent coins up in the node's UTXO set and
            // mempool, not the wallet: a wallet transaction that left the
            // mempool must not hide the coins a replacement spends again.
            let wanted: Vec<(OutPoint, Option<interfaces::chain::Coin>)> =
                tx.input.iter().map(|i| (i.previous_output, None)).collect();
            let mut coins: BTreeMap<OutPoint, TxOut> = wallet
                .chain
                .find_coins(&wanted)
                .map_err(|e| RpcError::misc(e.to_string()))?
                .into_iter()
                .filter_map(|(op, coin)| coin.map(|c| (op, c.output)))
                .collect();
            // Core's ParsePrevouts without a keystore: the given outputs
            // override what the node knows, after the same key checks.
            utility_rpc::rawtx::parse_prevouts(
                p.prevtxs.as_ref().filter(|v| !v.is_null()),
                None,
                &mut coins,
            )?;
            let result = crate::sign::sign_transaction(&state.keys, state.key_access(), &mut tx, &coins, sighash)
                .map_err(|e| RpcError::misc(e.to_string()))?;
            // Its only failure is Core's "Missing amount for …", a type error.
            crate::sign::sign_result_json(&tx, &result, &coins).map_err(RpcError::type_error)
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "walletprocesspsbt",
        "wallet",
        "Update a PSBT with input information from our wallet and then sign inputs\nthat we can sign for.",
        move |req, p: ProcessPsbtParams| {
            let wallet = synced_wallet(&c, req)?;
            // Either PSBT version; the signer works on version 0.
            let original = utility_rpc::psbtrpc::decode_psbt(&p.psbt)?;
            let mut psbt: Psbt = super::fund::psbt_io::to_signer(&original)?;
            let sighash = if p.sighashtype.starts_with("DEFAULT") { None } else { Some(sighash_from(&p.sighashtype)?) };
            let state = wallet.lock();
            if p.sign {
                ensure_unlocked(&state)?;
            }
            let opts = crate::sign::FillOptions { sighash_type: sighash, sign: p.sign, bip32derivs: p.bip32derivs, finalize: p.finalize };
            let r = wallet.fill_psbt(&state, &mut psbt, &opts, original.psbt_version())
                .map_err(super::fund::psbt_error)?;
            let mut o = Map::new();
            o.insert("psbt".into(), json!(super::fund::psbt_io::from_signer(&psbt, &original)?.to_base64()));
            o.insert("complete".into(), json!(r.complete));
            if r.complete && p.finalize {
                let tx = psbt.clone().extract_tx_unchecked_fee_rate();
                o.insert("hex".into(), json!(bitcoin::consensus::encode::serialize_hex(&tx)));
            }
            Ok(Value::Object(o))
        },
    ));

    let c = context.clone();
    table.register(RpcMethod::new(
        "signmessage",
        "wallet",
        "Sign a message with the private key of an address",
        move |req, p: SignMessageParams| {
            let wallet = synced_wallet(&c, req)?;
            let state = wallet.lock();
            ensure_unlocked(&state)?;
            // Core: an undecodable address is RPC_INVALID_ADDRESS_OR_KEY;
            // a missing key is a wallet error, a failed signature -5.
            let address = parse_address(&wallet, &p.address)
                .ok_or_else(|| RpcError::invalid_address_or_key("Invalid address"))?;
            crate::sign::sign_message(&state.keys, state.key_access(), &address, &p.message)
                .map(|s| json!(s))
                .map_err(|e| match e {
                    crate::sign::SignError::AddressNoKey => {
                        RpcError::type_error("Address does not refer to key")
                    }
                    crate::sign::SignError::PrivateKeyNotAvailable => {
                        RpcError::new(code::WALLET_ERROR, "Private key not available")
                    }
                    crate::sign::SignError::SigningFailed => {
                        RpcError::invalid_address_or_key("Sign failed")
                    }
                    other => RpcError::new(code::WALLET_ERROR, other.to_string()),
                })
        },
    ));
}

/// `listunspent`'s `query_options` (Core's `CoinFilterParams` as that RPC
/// fills them; unknown keys are refused as Core's strict type check does).
struct UnspentQuery {
    min_amount: i64,
    max_amount: Option<i64>,
    min_sum_amount: Option<i64>,
    max_count: Option<i64>,
    include_immature_coinbase: bool,
}

impl UnspentQuery {
    fn from_options(options: Option<&Value>) -> Result<UnspentQuery, RpcError> {
        let empty = Map::new();
        let o = match options {
            Some(Value::Object(o)) => o,
            _ => &empty,
        };
        rpc::json::type_check_obj(
            o,
            &[
                ("minimumAmount", ""),
                ("maximumAmount", ""),
                ("minimumSumAmount", ""),
                ("maximumCount", "number"),
                ("include_immature_coinbase", "bool"),
            ],
            true,
            true,
        )?;
        let amount = |k: &str| {
            o.get(k)
                .filter(|v| !v.is_null())
                .map(|v| amount_from_value(v, 8))
                .transpose()
        };
        Ok(UnspentQuery {
            min_amount: amount("minimumAmount")?.unwrap_or(0),
            max_amount: amount("maximumAmount")?,
            min_sum_amount: amount("minimumSumAmount")?,
            max_count: o
                .get("maximumCount")
                .and_then(Value::as_i64)
                .filter(|n| *n > 0),
            include_immature_coinbase: o
                .get("include_immature_coinbase")
                .and_then(Value::as_bool)
                .unwrap_or(false),
        })
    }
}
