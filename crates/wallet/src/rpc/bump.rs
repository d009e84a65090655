//! `bumpfee` and `psbtbumpfee`: replace a wallet transaction with one
//! paying a higher fee, signed and broadcast, or as a PSBT for others to
//! sign (see [`crate::wallet::bump`]).

use super::fund::args::{BumpFeeParams, PsbtBumpFeeParams};
use super::fund::fee::set_fee_estimate_mode;
use super::fund::json::{get_bool, get_int, type_check_options, Opts};
use super::fund::{fill_new_psbt, psbt_io};
use super::util::{ensure_unlocked, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::flags;
use crate::sign::FillOptions;
use crate::spend::CoinControl;
use crate::wallet::bump::{BumpError, BumpErrorKind, BumpRequest};
use crate::wallet::Wallet;
use rpc::error::{code, RpcError, RpcResult};
use rpc::json::amount_to_value;
use rpc::method::RpcMethod;
use rpc::request::RpcRequest;
use rpc::table::RpcTable;
use serde_json::{json, Map, Value};
use std::sync::Arc;

/// The keys `bumpfee`'s options accept, with their JSON types.
const OPTION_TYPES: &[(&str, Option<&str>)] = &[
    ("confTarget", Some("number")),
    ("conf_target", Some("number")),
    ("fee_rate", None),
    ("replaceable", Some("bool")),
    ("estimate_mode", Some("string")),
    ("outputs", None),
    ("original_change_index", Some("number")),
    ("psbt_version", Some("number")),
];

fn rpc_error(e: BumpError) -> RpcError {
    let c = match e.kind {
        BumpErrorKind::InvalidAddressOrKey => code::INVALID_ADDRESS_OR_KEY,
        BumpErrorKind::InvalidParameter => code::INVALID_PARAMETER,
        BumpErrorKind::WalletError => code::WALLET_ERROR,
        BumpErrorKind::MiscError => code::MISC_ERROR,
    };
    RpcError::new(c, e.message)
}

/// The bump request and PSBT version the options describe.
fn parse_options(
    wallet: &Wallet,
    options: &Value,
    want_psbt: bool,
) -> RpcResult<(BumpRequest, u32)> {
    let mut cc = CoinControl::new(wallet.fee_config());
    cc.signal_rbf = Some(true);
    let mut request = BumpRequest {
        require_mine: !want_psbt,
        ..Default::default()
    };
    let mut psbt_version = 2;
    if !options.is_null() {
        let opts = Opts::new(options);
        type_check_options(&opts, OPTION_TYPES)?;
        if opts.exists("confTarget") && opts.exists("conf_target") {
            return Err(RpcError::invalid_parameter("confTarget and conf_target options should not both be set. Use conf_target (confTarget is deprecated)."));
        }
        let conf_target = opts.first(&["confTarget", "conf_target"]);
        if opts.exists("replaceable") {
            cc.signal_rbf = Some(get_bool(opts.get("replaceable"))?);
        }
        set_fee_estimate_mode(
            wallet,
            &mut cc,
            conf_target,
            opts.get("estimate_mode"),
            opts.get("fee_rate"),
            false,
        )?;
        let outputs = opts.get("outputs");
        if !outputs.is_null() {
            if outputs.as_array().is_some_and(|a| a.is_empty()) {
                return Err(RpcError::invalid_parameter(
                    "Invalid parameter, output argument cannot be an empty array",
                ));
            }
            let params = utility_rpc::address::ChainParams::for_network(wallet.network);
            request.outputs =
                utility_rpc::rawtx::create::construct(None, Some(outputs), None, None, 2, &params)?
                    .output;
        }
        if opts.exists("original_change_index") {
            request.original_change_index = Some(get_int(opts.get("original_change_index"))?);
        }
        if opts.exists("psbt_version") {
            psbt_version = get_int(opts.get("psbt_version"))?;
        }
        if psbt_version != 2 && psbt_version != 0 {
            return Err(RpcError::invalid_parameter(
                "The PSBT version can only be 2 or 0",
            ));
        }
    }
    request.coin_control = cc;
    Ok((request, psbt_version))
}

/// Both methods: `want_psbt` returns the unsigned replacement as a PSBT
/// instead of signing and broadcasting it.
fn bump(
    context: &WalletContext,
    req: &RpcRequest,
    txid: &str,
    options: Option<Value>,
    want_psbt: bool,
) -> RpcResult {
    let wallet = wallet_for_request(context, req)?;
    if wallet.has_flag(flags::DISABLE_PRIVATE_KEYS)
        && !wallet.has_flag(flags::EXTERNAL_SIGNER)
        && !want_psbt
    {
        return Err(RpcError::new(
            code::WALLET_ERROR,
            "bumpfee is not available with wallets that have private keys disabled. Use psbtbumpfee instead.",
        ));
    }
    let txid = rpc::json::parse_txid(txid, "txid")?;
    let options = options.unwrap_or(Value::Null);
    let (request, psbt_version) = parse_options(&wallet, &options, want_psbt)?;
    wallet.block_until_synced();
    let mut state = wallet.lock();
    ensure_unlocked(&state)?;
    let proposal = wallet
        .create_rate_bump_transaction(&mut state, &txid, &request)
        .map_err(rpc_error)?;
    let mut result = Map::new();
    let mut errors = Vec::new();
    if want_psbt {
        // The change reservation is kept, as Core keeps it.
        wallet
            .commit(&mut state, proposal.writes)
            .map_err(RpcError::misc)?;
        let opts = FillOptions {
            sighash_type: None,
            sign: false,
            bip32derivs: true,
            finalize: true,
        };
        let (psbt, _) = fill_new_psbt(&state, &proposal.tx, opts)?;
        let psbt = psbt_io::to_version(&psbt, psbt_version)?;
        result.insert("psbt".into(), json!(psbt.to_base64()));
    } else {
        let mut tx = proposal.tx;
        let signed = match wallet.sign_bump(&state, &mut tx) {
            Ok(signed) => signed,
            Err(e) => {
                // The signer program failed: Core throws, keeping the
                // change reservation.
                wallet
                    .commit(&mut state, proposal.writes)
                    .map_err(RpcError::misc)?;
                return Err(RpcError::misc(e));
            }
        };
        if !signed {
            // The change address stays reserved, as in Core.
            wallet
                .commit(&mut state, proposal.writes)
                .map_err(RpcError::misc)?;
            let message = if state.has_flag(flags::EXTERNAL_SIGNER) {
                "Transaction incomplete. Try psbtbumpfee instead."
            } else {
                "Can't sign transaction."
            };
            return Err(RpcError::new(code::WALLET_ERROR, message));
        }
        let (new_txid, commit_errors) = wallet
            .commit_bump_transaction(&mut state, &txid, tx, proposal.writes)
            .map_err(|e| RpcError::new(code::WALLET_ERROR, e.message))?;
        errors = commit_errors;
        result.insert("txid".into(), json!(new_txid.to_string()));
    }
    result.insert("origfee".into(), amount_to_value(proposal.old_fee));
    result.insert("fee".into(), amount_to_value(proposal.new_fee));
    result.insert("errors".into(), json!(errors));
    Ok(Value::Object(result))
}

/// The shared description; `psbtbumpfee` says what it returns instead.
fn description(want_psbt: bool) -> String {
    format!(
        "Bumps the fee of a wallet transaction T, replacing it with a new transaction B.\n{}All of T's inputs are spent again; the extra fee comes from change (added if needed) or from new inputs.\nFails if a wallet or mempool transaction spends T's outputs.\nThe new fee rate is estimated (optionally for conf_target) unless fee_rate (sat/vB) is given, and must exceed T's by at least the incremental relay fee.",
        if want_psbt {
            "Returns a PSBT instead of creating and signing a new transaction.\n"
        } else {
            ""
        }
    )
}

/// Registers `bumpfee` and `psbtbumpfee`.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "bumpfee",
            "wallet",
            description(false),
            move |req, p: BumpFeeParams| bump(&c, req, &p.txid, p.options, false),
        )
        .result("{\n  \"txid\" : \"hex\",     (string) The id of the new transaction\n  \"origfee\" : n,      (numeric) The fee of the replaced transaction\n  \"fee\" : n,          (numeric) The fee of the new transaction\n  \"errors\" : [ \"str\" ] (json array) Errors that did not stop the replacement\n}")
        .examples("> bitcoin-cli bumpfee <txid>\n"),
    );
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "psbtbumpfee",
            "wallet",
            description(true),
            move |req, p: PsbtBumpFeeParams| bump(&c, req, &p.txid, p.options, true),
        )
        .result("{\n  \"psbt\" : \"str\",     (string) The unsigned PSBT of the new transaction (base64)\n  \"origfee\" : n,      (numeric) The fee of the replaced transaction\n  \"fee\" : n,          (numeric) The fee of the new transaction\n  \"errors\" : [ \"str\" ] (json array) Errors that did not stop the replacement\n}")
        .examples("> bitcoin-cli psbtbumpfee <txid>\n"),
    );
}
