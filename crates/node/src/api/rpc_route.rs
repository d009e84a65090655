//! Which process answers a method several processes declared (one wallet
//! process per wallet, wallets attached with `-ipcconnect`). Core's table
//! tries the declarations in order and moves on when one answers "wallet
//! not found" (`RPC_WALLET_NOT_FOUND`) while others remain; that is enough
//! for a request naming its wallet (`/wallet/<name>`). A request naming no
//! wallet must be answered as one process holding every wallet would: by
//! the single wallet if there is exactly one, else with Core's errors; so
//! the node counts the wallets first. `listwallets` lists them all.

use super::rpc_actor::{call, process_gone, run, ActorMethods, Declared, Reply};
use rpc::error::{code, RpcError, RpcResult};
use rpc::request::{percent_decode, RpcRequest};
use serde_json::Value;
use std::sync::Arc;

/// Methods that name their wallet in a parameter (or need none): tried in
/// turn like a request naming its wallet.
const IN_TURN: &[&str] = &["unloadwallet", "migratewallet"];

/// Methods about no particular wallet: the first process answers.
const FIRST: &[&str] = &[
    "createwallet",
    "loadwallet",
    "restorewallet",
    "listwalletdir",
];

/// Core's `RPC_WALLET_NOT_SPECIFIED` text.
const NOT_SPECIFIED: &str = "Multiple wallets are loaded. Please select which wallet to use by requesting the RPC through the /wallet/<walletname> URI path.";

impl ActorMethods {
    /// Answers `req` for the method `name` from the processes declaring it.
    pub(super) fn route(self: &Arc<Self>, name: &str, req: &RpcRequest) -> RpcResult {
        if let Some(f) = self.override_of(name) {
            return f(req);
        }
        let declared = self.declared(name);
        match declared.as_slice() {
            // The table entry was taken just before its last declaration
            // went: as the stand-in that replaces it would answer.
            [] if self.keeps_stand_ins() => Err(process_gone(name)),
            [] => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
            [only] => run(&*only.actor, req, true),
            _ if name == "listwallets" => self.list_wallets(&declared, req),
            _ if req.uri.starts_with("/wallet/") => {
                let wallet = percent_decode(&req.uri["/wallet/".len()..]);
                let owner = self.owner_of(&wallet);
                match owner.and_then(|c| declared.iter().find(|d| d.client == c)) {
                    Some(d) => run(&*d.actor, req, true),
                    None => in_turn(&declared, req).1,
                }
            }
            _ if IN_TURN.contains(&name) => in_turn(&declared, req).1,
            [first, ..] if FIRST.contains(&name) => run(&*first.actor, req, true),
            _ => self.by_wallet_count(&declared, req),
        }
    }

    /// Runs `req` on the declarations of `name` in turn, as Core's table
    /// does; also says which client answered.
    pub fn run_in_turn(&self, name: &str, req: &RpcRequest) -> (Option<u64>, RpcResult) {
        in_turn(&self.declared(name), req)
    }

    /// Runs `req` on the declaration of `client`, if it declared the method.
    pub fn run_on(&self, client: u64, req: &RpcRequest) -> Option<RpcResult> {
        let declared = self.declared(&req.method);
        let d = declared.iter().find(|d| d.client == client)?;
        Some(run(&*d.actor, req, true))
    }

    /// Every process's wallets, in declaration order.
    fn list_wallets(&self, declared: &[Declared], req: &RpcRequest) -> RpcResult {
        let mut all = Vec::new();
        for d in declared {
            match run(&*d.actor, req, true)? {
                Value::Array(names) => all.extend(names),
                other => return Ok(other),
            }
        }
        Ok(Value::Array(all))
    }

    /// A request naming no wallet: the one process holding the only wallet
    /// answers; with none, the first process (Core's "no wallet is
    /// loaded"); with more, Core's "multiple wallets" error.
    fn by_wallet_count(&self, declared: &[Declared], req: &RpcRequest) -> RpcResult {
        let listers = self.declared("listwallets");
        let list = RpcRequest {
            method: "listwallets".into(),
            params: Vec::new(),
            named: None,
            repeated_param: None,
            ..req.clone()
        };
        let mut holders = Vec::new();
        let mut clients: Vec<u64> = declared.iter().map(|d| d.client).collect();
        clients.dedup();
        for client in clients {
            let count = match listers.iter().find(|l| l.client == client) {
                Some(l) => match run(&*l.actor, &list, true) {
                    Ok(Value::Array(names)) => names.len(),
                    // A process that cannot say may hold any number: it
                    // counts, so a request is never sent to a wrong wallet.
                    _ => 1,
                },
                None => 0,
            };
            holders.extend(std::iter::repeat_n(client, count));
        }
        match holders.as_slice() {
            [] => run(&*declared[0].actor, req, true),
            [client] => match declared.iter().find(|d| d.client == *client) {
                Some(d) => run(&*d.actor, req, true),
                None => Err(process_gone(&req.method)),
            },
            _ => Err(RpcError::new(code::WALLET_NOT_SPECIFIED, NOT_SPECIFIED)),
        }
    }
}

/// Core's `ExecuteCommands`: each declaration in turn; one that does not
/// have the wallet, declines, or whose process is gone passes the request
/// on, unless it is the last.
fn in_turn(declared: &[Declared], req: &RpcRequest) -> (Option<u64>, RpcResult) {
    for (i, d) in declared.iter().enumerate() {
        let last = i + 1 == declared.len();
        let answer = match call(&*d.actor, req, last) {
            Reply::Answer(Err(e)) if e.code == code::WALLET_NOT_FOUND && !last => continue,
            Reply::Declined | Reply::Gone if !last => continue,
            Reply::Answer(r) => r,
            Reply::Declined => Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
            Reply::Gone => Err(process_gone(&req.method)),
        };
        return (Some(d.client), answer);
    }
    (
        None,
        Err(RpcError::new(code::METHOD_NOT_FOUND, "Method not found")),
    )
}
