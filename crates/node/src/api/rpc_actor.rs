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

/// The registrations of each method name, and whether a name whose last
/// registration goes away leaves a stand-in behind. Several processes may
/// declare one name (a wallet process per wallet, wallets attached with
/// `-ipcconnect`): the table holds one entry per name, which hands each
/// request to the registration that should answer it ([`super::rpc_route`]).
#[derive(Default)]
pub struct ActorMethods {
    owners: Mutex<Owners>,
    stand_in: AtomicBool,
    overrides: Mutex<HashMap<String, Override>>,
    owner_lookup: Mutex<Option<OwnerLookup>>,
}

/// Which client holds a wallet, when the node knows (per-wallet mode).
pub type OwnerLookup = Arc<dyn Fn(&str) -> Option<u64> + Send + Sync>;

/// What the node runs instead of routing a method (per-wallet mode starts
/// a process for `createwallet`).
pub type Override = Arc<dyn Fn(&RpcRequest) -> RpcResult + Send + Sync>;

/// One process's declaration of a method.
#[derive(Clone)]
pub struct Declared {
    /// The registration's id (`RpcCommand::unique_id`).
    pub id: i64,
    /// The `Chain` client (the process) that declared it.
    pub client: u64,
    /// What runs it there.
    pub actor: Arc<dyn interfaces::chain::ActorCallback>,
    method: RpcMethod,
}

#[derive(Default)]
struct Owners {
    /// Registrations of each name a process declared, oldest first (the
    /// order Core's table tries them in).
    live: HashMap<String, Vec<Declared>>,
    /// Names left as stand-ins.
    stand_ins: HashSet<String>,
}

/// `JSONRPCRequest::mode` asking for a method's help instead of running it.
const MODE_GET_HELP: i32 = 1;
/// `JSONRPCRequest::mode` asking for a method's argument map.
const MODE_GET_ARGS: i32 = 2;

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
pub(super) fn process_gone(method: &str) -> RpcError {
    RpcError::misc(format!(
        "The wallet process is not running; {method} is not available until it is back"
    ))
}

/// How one process's actor took a request.
pub(super) enum Reply {
    /// It answered (a result or an RPC error).
    Answer(RpcResult),
    /// It left the request to the next declaration.
    Declined,
    /// Its process is gone.
    Gone,
}

/// Runs `req` on one process's actor; `last` tells the actor whether
/// another declaration would get the request if it declines.
pub(super) fn call(
    actor: &dyn interfaces::chain::ActorCallback,
    req: &RpcRequest,
    last: bool,
) -> Reply {
    match actor.call(&request_for_actor(req), "null", last) {
        Ok(reply) if reply.handled => {
            Reply::Answer(serde_json::from_str(&reply.response).map_err(|_| {
                RpcError::new(
                    code::INTERNAL_ERROR,
                    "invalid JSON result from the wallet process",
                )
            }))
        }
        Ok(_) => Reply::Declined,
        Err(interfaces::Error::Rpc(json)) => Reply::Answer(Err(rpc_error(&json))),
        Err(interfaces::Error::Disconnected) => Reply::Gone,
        Err(e) => Reply::Answer(Err(RpcError::misc(e.to_string()))),
    }
}

/// [`call`] as the one declaration that answers.
pub(super) fn run(
    actor: &dyn interfaces::chain::ActorCallback,
    req: &RpcRequest,
    last: bool,
) -> RpcResult {
    match call(actor, req, last) {
        Reply::Answer(r) => r,
        Reply::Declined => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
        Reply::Gone => Err(process_gone(&req.method)),
    }
}

impl ActorMethods {
    /// Adds `command`, declared by the `Chain` client `client`, to `table`
    /// until the returned handler goes away.
    pub fn register(
        self: &Arc<Self>,
        table: &Arc<RpcTable>,
        command: &RpcCommand,
        client: u64,
    ) -> Box<dyn Handler> {
        let name = intern(&command.name);
        let help_actor = command.actor.clone();
        let help_request = JsonRpcRequest {
            method: command.name.clone(),
            params: "[]".into(),
            mode: MODE_GET_HELP,
            ..Default::default()
        };
        let args_actor = command.actor.clone();
        let args_request = JsonRpcRequest {
            mode: MODE_GET_ARGS,
            ..help_request.clone()
        };
        let router = Arc::downgrade(self);
        let method = RpcMethod::untyped(
            name,
            intern(&command.category),
            "",
            declared_args(&command.arg_names),
            move |req| match router.upgrade() {
                Some(r) => r.route(name, req),
                None => Err(process_gone(name)),
            },
        )
        .remote_help(Arc::new(move || {
            match help_actor.call(&help_request, "null", true) {
                Err(interfaces::Error::Help(text)) => Some(text),
                _ => None,
            }
        }))
        .remote_arg_map(Arc::new(move || {
            let reply = args_actor.call(&args_request, "null", true).ok()?;
            match serde_json::from_str(&reply.response) {
                Ok(Value::Array(rows)) if reply.handled => Some(rows),
                _ => None,
            }
        }));
        let stand_in = method.clone();
        {
            let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
            owners.stand_ins.remove(&command.name);
            let list = owners.live.entry(command.name.clone()).or_default();
            list.push(Declared {
                id: command.unique_id,
                client,
                actor: command.actor.clone(),
                method: method.clone(),
            });
            if list.len() == 1 {
                table.register(method);
            }
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
            let Some(list) = owners.live.get_mut(&name) else {
                return;
            };
            let Some(pos) = list.iter().rposition(|d| d.id == id && d.client == client) else {
                return;
            };
            list.remove(pos);
            // The table entry's help comes from the oldest declaration.
            if let Some(first) = list.first() {
                if pos == 0 {
                    table.register(first.method.clone());
                }
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

    /// The declarations of `name`, oldest first.
    pub fn declared(&self, name: &str) -> Vec<Declared> {
        let owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        owners.live.get(name).cloned().unwrap_or_default()
    }

    /// Runs `name` the way the node overrides it, if it does.
    pub(super) fn override_of(&self, name: &str) -> Option<Override> {
        let overrides = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
        overrides.get(name).cloned()
    }

    /// Makes the node run `f` for `name` instead of routing it to the
    /// processes that declared it (`None` routes it again).
    pub fn set_override(&self, name: &str, f: Option<Override>) {
        let mut overrides = self.overrides.lock().unwrap_or_else(|p| p.into_inner());
        match f {
            Some(f) => overrides.insert(name.to_string(), f),
            None => overrides.remove(name),
        };
    }

    /// Lets requests naming a wallet go straight to the client holding it
    /// (`None`: try the declarations in turn).
    pub fn set_wallet_owner_lookup(&self, lookup: Option<OwnerLookup>) {
        *self.owner_lookup.lock().unwrap_or_else(|p| p.into_inner()) = lookup;
    }

    /// The client holding `wallet`, if the node knows.
    pub(super) fn owner_of(&self, wallet: &str) -> Option<u64> {
        let lookup = self
            .owner_lookup
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        lookup.and_then(|f| f(wallet))
    }

    /// While set, a method whose process goes away stays listed and answers
    /// that the process is not running (the node restarts its wallet
    /// process); cleared, it is removed (a wallet that detached, shutdown).
    pub fn keep_stand_ins(&self, keep: bool) {
        self.stand_in.store(keep, Ordering::SeqCst);
    }

    /// Whether a method whose processes went away stays as a stand-in.
    pub(super) fn keeps_stand_ins(&self) -> bool {
        self.stand_in.load(Ordering::SeqCst)
    }

    /// Removes the stand-ins left by [`ActorMethods::keep_stand_ins`].
    pub fn drop_stand_ins(&self, table: &RpcTable) {
        let mut owners = self.owners.lock().unwrap_or_else(|p| p.into_inner());
        for name in std::mem::take(&mut owners.stand_ins) {
            table.unregister(&name);
        }
    }
}
