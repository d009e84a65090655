//! RPC methods another process adds through `Chain.handleRpc` (a wallet's):
//! each becomes an entry of the node's RPC table whose handler hands the
//! request to the registering process's actor, so clients keep one RPC
//! endpoint, `/wallet/<name>` included.

use super::registration::Registration;
use interfaces::chain::{JsonRpcRequest, RpcArg, RpcCommand};
use interfaces::handler::Handler;
use rpc::error::{code, RpcError, RpcResult};
use rpc::method::{Arg, ArgType, RpcMethod};
use rpc::request::{JsonRpcVersion, RpcRequest};
use rpc::table::RpcTable;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
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

/// The registrations of each method name, newest on top (it is the one in
/// the table), and whether a registration that goes away leaves a stand-in
/// behind. As in Core's `CRPCTable`, where one process's removal takes out
/// only its own command, a registration that goes away uncovers the one
/// below it: a second wallet process that attaches and leaves does not take
/// the node's own wallet's methods with it.
#[derive(Default)]
pub struct ActorMethods {
    owners: Mutex<Owners>,
    stand_in: AtomicBool,
}

#[derive(Default)]
struct Owners {
    /// Registrations (id, method) of each name a process declared, oldest
    /// first.
    live: HashMap<String, Vec<(i64, RpcMethod)>>,
    /// Names left as stand-ins.
    stand_ins: HashSet<String>,
}

/// `JSONRPCRequest::mode` asking for a method's help instead of running it.
const MODE_GET_HELP: i32 = 1;

/// The node's view of a method another process declares: it checks types
/// itself, so every parameter is an optional string here; named-only names
/// (Core's options keys, listed before their options object) become the
/// keys of that object so named parameters map onto positions as there.
fn declared_args(names: &[RpcArg]) -> Vec<Arg> {
    let mut args = Vec::new();
    let mut options = Vec::new();
    for a in names {
        let arg = Arg::optional(intern(&a.name), ArgType::Str, "").skip_type_check();
        if a.named_only {
            options.push(arg);
            continue;
        }
        if options.is_empty() {
            args.push(arg);
        } else {
            let mut object = arg.inner(std::mem::take(&mut options));
            object.ty = ArgType::ObjNamedParams;
            args.push(object);
        }
    }
    args
}

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

/// The answer while the process that declared `method` is gone.
fn process_gone(method: &str) -> RpcError {
    RpcError::misc(format!(
        "The wallet process is not running; {method} is not available until it is back"
    ))
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
        Err(interfaces::Error::Disconnected) => Err(process_gone(&req.method)),
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
        let help_actor = command.actor.clone();
        let help_request = JsonRpcRequest {
            method: command.name.clone(),
            params: "[]".into(),
            mode: MODE_GET_HELP,
            ..Default::default()
        };
        let method = RpcMethod::untyped(
            name,
            intern(&command.category),
            "",
            declared_args(&command.arg_names),
            move |req| run(&*actor, req),
        )
        .remote_help(Arc::new(move || {
            match help_actor.call(&help_request, "null", true) {
                Err(interfaces::Error::Help(text)) => Some(text),
                _ => None,
            }
        }));
        let stand_in = method.clone();
        {
            let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
            owners.stand_ins.remove(&command.name);
            owners
                .live
                .entry(command.name.clone())
                .or_default()
                .push((command.unique_id, method.clone()));
            table.register(method);
        }
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
            let mut owners = me.owners.lock().unwrap_or_else(|p| p.into_inner());
            let Some(stack) = owners.live.get_mut(&name) else {
                return;
            };
            let Some(pos) = stack.iter().rposition(|(i, _)| *i == id) else {
                return;
            };
            stack.remove(pos);
            // Covered by a newer registration: the table is unchanged.
            if pos < stack.len() {
                return;
            }
            // The one below takes the name back.
            if let Some((_, below)) = stack.last() {
                table.register(below.clone());
                return;
            }
            owners.live.remove(&name);
            if me.stand_in.load(Ordering::SeqCst) {
                owners.stand_ins.insert(name);
                let method = stand_in.name;
                table.register(RpcMethod {
                    handler: Arc::new(move |_| Err(process_gone(method))),
                    remote_help: None,
                    ..stand_in
                });
            } else {
                table.unregister(&name);
            }
        })
    }

    /// While set, a method whose process goes away stays listed and answers
    /// that the process is not running (the node restarts its wallet
    /// process); cleared, it is removed (a wallet that detached, shutdown).
    pub fn keep_stand_ins(&self, keep: bool) {
        self.stand_in.store(keep, Ordering::SeqCst);
    }

    /// Removes the stand-ins left by [`ActorMethods::keep_stand_ins`].
    pub fn drop_stand_ins(&self, table: &RpcTable) {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        for name in std::mem::take(&mut owners.stand_ins) {
            table.unregister(&name);
        }
    }
}
