//! RPCs that exercise IPC: `echoipc` spawns `bitcoin-node -ipcfd N` and
//! passes its argument through the child's `Echo`, as Core's does.

use interfaces::init::Init;
use ipc::Ipc;
use rpc::{rpc_params, RpcError, RpcMethod, RpcTable};
use serde_json::Value;
use std::sync::Arc;

rpc_params! {
    /// `echoipc`'s parameters.
    struct EchoIpcParams {
        /// The string to echo
        arg: String [Str, required],
    }
}

/// Registers `echoipc`. `argv0` locates the `bitcoin-node` to spawn.
pub fn register(table: &Arc<RpcTable>, ipc: Arc<Ipc>, argv0: String) {
    table.register(
        RpcMethod::new(
            "echoipc",
            "hidden",
            "Echo back the input argument, passing it through a spawned process in a multiprocess build.\nThis command is for testing.",
            move |_, p: EchoIpcParams| {
                let arg = p.arg;
                let (init, _pid) = ipc
                    .spawn(&argv0, crate::ipc_setup::EXE_NAME)
                    .map_err(|e| RpcError::misc(e.to_string()))?;
                let echo = init
                    .make_echo()
                    .map_err(|e| RpcError::misc(e.to_string()))?
                    .ok_or_else(|| RpcError::misc("spawned process has no Echo"))?;
                let out = echo.echo(&arg).map_err(|e| RpcError::misc(e.to_string()))?;
                // Dropping the last proxy closes the socket; the child exits
                // and is reaped before we answer.
                drop(echo);
                drop(init);
                Ok(Value::String(out))
            },
        )
        .result("\"str\"    (string) The echoed string.")
        .examples("> bitcoin-cli echo \"Hello world\"\n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"echo\", \"params\": [\"Hello world\"]}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );
}
