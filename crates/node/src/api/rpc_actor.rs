//! RPC methods another process adds through `Chain.handleRpc` (a wallet's):
//! each becomes an entry of the node's RPC table whose handler hands the
//! request to the registering process's actor, so clients keep one RPC
//! endpoint, `/wallet/<name>` included.

use super::registration::Registration;
use interfaces::chain::{JsonRpcRequest, RpcCommand};
use interfaces::handler::Handler;
use rpc::error::{code, RpcError, RpcResult};
use rpc::method::{Arg, ArgType, RpcMethod};
use rpc::request::{JsonRpcVersion, RpcRequest};
use rpc::table::RpcTable;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// Names the table keeps as `&'static str`: each distinct name is stored
/// once, however often a wallet process (re)registers it.
fn intern(name: &str) -> &'static str {
    static NAMES: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    let mut names = NAMES
        .get_or_init(|| Mutex::new(HashSet::new()))
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(n) = names.get(name) {
        return n;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    names.insert(leaked);
    leaked
}

/// Which registration owns each method name now (a later one replaces it).
#[derive(Default)]
pub struct ActorMethods(Mutex<HashMap<String, i64>>);

/// The request as the actor receives it.
fn request_for_actor(req: &RpcRequest) -> JsonRpcRequest {
    JsonRpcRequest {
        id: req.id.as_ref().map_or("null".into(), Value::to_string),
        method: req.method.clone(),
        params: Value::Array(req.params.clone()).to_string(),
        mode: 0,
        uri: req.uri.clone(),
        auth_user: req.auth_user.clone(),
        peer_addr: req.peer_addr.clone(),
        version: match req.version {
            JsonRpcVersion::V1Legacy => 1,
            JsonRpcVersion::V2 => 2,
        },
    }
}

/// A JSON-RPC error object (`{"code": …, "message": …}`) as an error.
fn rpc_error(json: &str) -> RpcError {
    let v: Value = serde_json::from_str(json).unwrap_or(Value::Null);
    let code = v["code"]
        .as_i64()
        .and_then(|c| i32::try_from(c).ok())
        .unwrap_or(code::MISC_ERROR);
    let message = v["message"].as_str().unwrap_or(json).to_string();
    RpcError::new(code, message)
}

fn run(actor: &dyn interfaces::chain::ActorCallback, req: &RpcRequest) -> RpcResult {
    match actor.call(&request_for_actor(req), "null", true) {
        Ok(reply) if reply.handled => serde_json::from_str(&reply.response).map_err(|_| {
            RpcError::new(
                code::INTERNAL_ERROR,
                "invalid JSON result from the wallet process",
            )
        }),
        Ok(_) => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
        Err(interfaces::Error::Rpc(json)) => Err(rpc_error(&json)),
        Err(interfaces::Error::Disconnected) => Err(RpcError::misc(format!(
            "The wallet process is not running; {} is not available until it is back",
            req.method
        ))),
        Err(e) => Err(RpcError::misc(e.to_string())),
    }
}

impl ActorMethods {
    /// Adds `command` to `table` until the returned handler goes away.
    pub fn register(
        self: &Arc<Self>,
        table: &Arc<RpcTable>,
        command: &RpcCommand,
    ) -> Box<dyn Handler> {
        let name = intern(&command.name);
        let actor = command.actor.clone();
        // The registering process checks types; here every parameter is
        // optional so named arguments map onto positions as it declares them.
        let args: Vec<Arg> = command
            .arg_names
            .iter()
            .map(|a| Arg::optional(intern(&a.name), ArgType::Str, "").skip_type_check())
            .collect();
        // Declared in the registering process: the escape hatch for methods
        // whose parameters the node does not know as types.
        let method = RpcMethod::untyped(name, intern(&command.category), "", args, move |req| {
            run(&*actor, req)
        });
        table.register(method);
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(command.name.clone(), command.unique_id);
        let (me, table, id) = (
            Arc::downgrade(self),
            Arc::downgrade(table),
            command.unique_id,
        );
        let name = command.name.clone();
        Registration::handler(move || {
            let (Some(me), Some(table)) = (me.upgrade(), table.upgrade()) else {
                return;
            };
            let mut owners = me.0.lock().unwrap_or_else(|p| p.into_inner());
            // Only the registration that still owns the name removes it.
            if owners.get(&name) == Some(&id) {
                owners.remove(&name);
                table.unregister(&name);
            }
        })
    }
}
