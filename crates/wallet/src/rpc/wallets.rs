//! Methods about the set of wallets: which are loaded, which are on disk.

use crate::context::WalletContext;
use crate::walletdir::{self, Format};
use rpc::method::RpcMethod;
use rpc::table::RpcTable;
use serde_json::{json, Value};
use std::sync::Arc;

/// Registers the wallet-set methods.
pub fn register(table: &RpcTable, context: &Arc<WalletContext>) {
    let c = context.clone();
    table.register(
        RpcMethod::new(
            "listwalletdir",
            "wallet",
            "Returns a list of wallets in the wallet directory.",
            move |_, ()| {
                let wallets: Vec<Value> =
                    walletdir::list_databases(&c.wallet_dir(), c.params.message_start)
                        .into_iter()
                        .map(|(name, format)| {
                            let warnings: Vec<&str> = match format {
                                Format::Bdb => vec!["This wallet is a legacy wallet and will need to be migrated with migratewallet before it can be loaded"],
                                Format::Sqlite => vec![],
                            };
                            json!({"name": name, "warnings": warnings})
                        })
                        .collect();
                Ok(json!({ "wallets": wallets }))
            },
        )
        .result(
            "{                        (json object)\n  \"wallets\" : [           (json array)\n    {                    (json object)\n      \"name\" : \"str\",    (string) The wallet name\n      \"warnings\" : [      (json array, optional) Warning messages, if any, related to loading the wallet.\n        \"str\",          (string)\n        ...\n      ]\n    },\n    ...\n  ]\n}",
        )
        .examples("> bitcoin-cli listwalletdir \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"listwalletdir\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );

    let c = context.clone();
    table.register(
        RpcMethod::new(
            "listwallets",
            "wallet",
            "Returns a list of currently loaded wallets.\nFor full information on the wallet, use \"getwalletinfo\"",
            move |_, ()| {
                let names: Vec<Value> = c
                    .wallets()
                    .iter()
                    .map(|w| Value::String(w.name().to_string()))
                    .collect();
                Ok(Value::Array(names))
            },
        )
        .result("[           (json array)\n  \"str\",    (string) the wallet name\n  ...\n]")
        .examples("> bitcoin-cli listwallets \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"listwallets\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );
}
