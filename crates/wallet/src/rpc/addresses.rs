//! New addresses and labels.

use super::util::{synced_wallet, wallet_for_request};
use crate::context::WalletContext;
use crate::db::records::AddressPurpose;
use crate::keys::OutputType;
use crate::wallet::addresses::AddressError;
use rpc::error::{code, RpcError};
use rpc::method::RpcMethod;
use rpc::rpc_params;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::sync::Arc;

rpc_params! {
    /// `getnewaddress`'s parameters.
    struct GetNewAddressParams {
        /// The label name for the address to be linked to. It can also be set to the empty string "" to represent the default label. The label does not need to exist, it will be created if there is no label by the given name.
        label: String [Str, default = ""],
        /// The address type to use. Options are "legacy", "p2sh-segwit", "bech32", and "bech32m".
        address_type: Option<String> [Str, hint = "set by -addresstype"],
    }
}

rpc_params! {
    /// `getrawchangeaddress`'s parameters.
    struct GetRawChangeAddressParams {
        /// The address type to use. Options are "legacy", "p2sh-segwit", "bech32", and "bech32m".
        address_type: Option<String> [Str, hint = "set by -changetype"],
    }
}

rpc_params! {
    /// `setlabel`'s parameters.
    struct SetLabelParams {
        /// The bitcoin address to be associated with a label.
        address: String [Str, required],
        /// The label to assign to the address.
        label: String [Str, required],
    }
}

/// Core's `LabelFromValue`: `*` is not a label.
pub fn label_from(value: &str) -> Result<String, RpcError> {
    if value == "*" {
        return Err(RpcError::new(
            code::WALLET_INVALID_LABEL_NAME,
            "Invalid label name",
        ));
    }
    Ok(value.to_string())
}

fn parse_type(name: &str) -> Result<OutputType, RpcError> {
    OutputType::from_name(name).ok_or_else(|| {
        RpcError::new(
            code::INVALID_ADDRESS_OR_KEY,
            format!("Unknown address type '{name}'"),
        )
    })
}

fn address_error(e: AddressError) -> RpcError {
    match e {
        AddressError::Storage(m) => RpcError::new(code::WALLET_ERROR, m),
        other => RpcError::new(code::WALLET_KEYPOOL_RAN_OUT, other.to_string()),
    }
}

rpc_params! {
    /// `walletdisplayaddress`'s parameters.
    struct WalletDisplayAddressParams {
        /// bitcoin address to display
        address: String [Str, required],
    }
}

/// Registers the address methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "walletdisplayaddress",
            "wallet",
            "Display address on an external signer for verification.",
            move |req, p: WalletDisplayAddressParams| {
                let wallet = wallet_for_request(&c, req)?;
                let address = super::fund::options::parse_address(&wallet, &p.address)
                    .ok_or_else(|| RpcError::invalid_address_or_key("Invalid address"))?;
                wallet.display_address(&address).map_err(RpcError::misc)?;
                Ok(json!({ "address": p.address }))
            },
        )
        .result("{                   (json object)\n  \"address\" : \"str\"    (string) The address as confirmed by the signer\n}"),
    );

    let c = context.clone();
    table.register(RpcMethod::new(
        "getnewaddress",
        "wallet",
        "Returns a new Bitcoin address for receiving payments.\nIf 'label' is specified, it is added to the address book \nso payments received with the address will be associated with 'label'.",
        move |req, p: GetNewAddressParams| {
            let wallet = wallet_for_request(&c, req)?;
            if !wallet.can_get_addresses(false) {
                return Err(RpcError::new(code::WALLET_ERROR, "Error: This wallet has no available keys"));
            }
            let label = label_from(&p.label)?;
            let t = match p.address_type {
                Some(t) => parse_type(&t)?,
                None => wallet.options.address_type(),
            };
            let address = wallet.new_destination(t, &label, false).map_err(address_error)?;
            Ok(json!(address.to_string()))
        },
    ).result("\"str\"    (string) The new bitcoin address"));

    let c = context.clone();
    table.register(RpcMethod::new(
        "getrawchangeaddress",
        "wallet",
        "Returns a new Bitcoin address, for receiving change.\nThis is for use with raw transactions, NOT normal use.",
        move |req, p: GetRawChangeAddressParams| {
            let wallet = wallet_for_request(&c, req)?;
            if !wallet.can_get_addresses(true) {
                return Err(RpcError::new(code::WALLET_ERROR, "Error: This wallet has no available keys"));
            }
            let t = match p.address_type {
                Some(t) => parse_type(&t)?,
                None => wallet.options.change_type().unwrap_or(wallet.options.address_type()),
            };
            let address = wallet.new_destination(t, "", true).map_err(address_error)?;
            Ok(json!(address.to_string()))
        },
    ).result("\"str\"    (string) The address"));

    let c = context.clone();
    table.register(RpcMethod::new(
        "setlabel",
        "wallet",
        "Sets the label associated with the given address.",
        move |req, p: SetLabelParams| {
            let wallet = synced_wallet(&c, req)?;
            let address = p
                .address
                .parse::<bitcoin::Address<bitcoin::address::NetworkUnchecked>>()
                .ok()
                .and_then(|a| a.require_network(wallet.network).ok())
                .ok_or_else(|| RpcError::invalid_address_or_key("Invalid Bitcoin address"))?;
            let label = label_from(&p.label)?;
            let mine = wallet.lock().keys.is_mine(&address.script_pubkey());
            let purpose = if mine {
                AddressPurpose::Receive
            } else {
                AddressPurpose::Send
            };
            let known = wallet
                .address_book_entry(&address.to_string())
                .is_some_and(|e| e.purpose.is_some());
            wallet
                .set_address_book(
                    &address.to_string(),
                    Some(&label),
                    (!known).then_some(purpose),
                )
                .map_err(RpcError::misc)?;
            Ok(Value::Null)
        },
    ));
}
