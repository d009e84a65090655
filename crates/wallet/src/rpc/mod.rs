//! The wallet's RPC methods: declared with the node's RPC framework, run in
//! this process, and registered with the node through `Chain.handleRpc` so
//! they answer on the node's RPC port (`/wallet/<name>` included).

mod addresses;
pub(crate) mod addressinfo;
mod balances;
mod bump;
mod descriptors;
mod encryption;
pub(crate) mod fund;
mod groupings;
mod pruned;
pub(crate) mod received;
mod send;
mod simulate;
mod transactions;
pub mod util;
mod wallets;

use crate::context::WalletContext;
use interfaces::chain::{ActorCallback, ActorReply, JsonRpcRequest, RpcArg, RpcCommand};
use interfaces::handler::Handler;
use rpc::error::{code, RpcError};
use rpc::request::{JsonRpcVersion, RpcRequest};
use rpc::table::RpcTable;
use serde_json::Value;
use std::sync::Arc;

/// `JSONRPCRequest::mode` values the node sends.
const MODE_EXECUTE: i32 = 0;
const MODE_GET_HELP: i32 = 1;
const MODE_GET_ARGS: i32 = 2;

/// Every wallet RPC method, in a table of their own.
pub fn table(context: &Arc<WalletContext>) -> Arc<RpcTable> {
    let table = Arc::new(RpcTable::new());
    table.finish_warmup();
    wallets::register(&table, context);
    addresses::register(&table, context);
    balances::register(&table, context);
    transactions::register(&table, context);
    encryption::register(&table, context);
    send::register(&table, context);
    descriptors::register(&table, context);
    received::register(&table, context);
    addressinfo::register(&table, context);
    groupings::register(&table, context);
    fund::register(&table, context);
    bump::register(&table, context);
    simulate::register(&table, context);
    pruned::register(&table, context);
    table
}

/// Registers every method of `table` with the node; the methods stay
/// registered while the returned handlers live.
pub fn register_with_node(
    context: &WalletContext,
    table: &Arc<RpcTable>,
) -> interfaces::Result<Vec<Box<dyn Handler>>> {
    let actor: Arc<dyn ActorCallback> = Arc::new(Actor(table.clone()));
    let mut handlers = Vec::new();
    let mut names = table.list();
    names.sort();
    for (i, name) in names.iter().enumerate() {
        let Some(method) = table.get(name) else {
            continue;
        };
        let command = RpcCommand {
            category: method.category.to_string(),
            name: name.clone(),
            actor: actor.clone(),
            arg_names: method
                .arg_names()
                .into_iter()
                .map(|(name, named_only)| RpcArg { name, named_only })
                .collect(),
            // Unique across restarts of this process, so a late release of an
            // old registration never removes a new one.
            unique_id: (i64::from(std::process::id()) << 20) | i as i64,
        };
        handlers.push(context.chain.handle_rpc(&command)?);
    }
    Ok(handlers)
}

/// Runs the node's requests in the wallet's table.
struct Actor(Arc<RpcTable>);

impl ActorCallback for Actor {
    fn call(
        &self,
        request: &JsonRpcRequest,
        _response: &str,
        _last_callback: bool,
    ) -> interfaces::Result<ActorReply> {
        let Some(method) = self.0.get(&request.method) else {
            return Ok(ActorReply::default());
        };
        if request.mode == MODE_GET_HELP {
            return Err(interfaces::Error::Help(method.help_text()));
        }
        if request.mode == MODE_GET_ARGS {
            return Ok(ActorReply {
                response: Value::Array(method.arg_map()).to_string(),
                handled: true,
            });
        }
        if request.mode != MODE_EXECUTE {
            return Err(interfaces::Error::Rpc(
                RpcError::misc("Unsupported request mode")
                    .to_json()
                    .to_string(),
            ));
        }
        let params: Value = serde_json::from_str(&request.params).map_err(|_| {
            interfaces::Error::Rpc(
                RpcError::new(code::PARSE_ERROR, "Params must be JSON")
                    .to_json()
                    .to_string(),
            )
        })?;
        let mut call = RpcRequest::new(request.method.clone(), Vec::new());
        call.id = serde_json::from_str(&request.id).ok();
        call.uri = request.uri.clone();
        call.auth_user = request.auth_user.clone();
        call.peer_addr = request.peer_addr.clone();
        call.version = if request.version == 1 {
            JsonRpcVersion::V1Legacy
        } else {
            JsonRpcVersion::V2
        };
        match self.0.execute(call, params) {
            Ok(result) => Ok(ActorReply {
                response: result.to_string(),
                handled: true,
            }),
            Err(e) => Err(interfaces::Error::Rpc(e.to_json().to_string())),
        }
    }
}
