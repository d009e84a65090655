//! The `enumeratesigners` RPC (Core's `rpc/external_signer.cpp`): the
//! signers the `-signer` program reports.

use crate::external_signer::ExternalSigner;
use rpc::{RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};

/// Registers `enumeratesigners` for the `-signer` command `command` (none
/// when the option is unset or empty) on chain `chain` (Core's chain name).
pub fn register_signer(table: &RpcTable, command: Option<String>, chain: String) {
    let command = command.filter(|c| !c.is_empty());
    table.register(
        RpcMethod::new(
            "enumeratesigners",
            "signer",
            "Returns a list of external signers from -signer. Signers with duplicate master key fingerprints are skipped.",
            move |_, ()| {
                let Some(command) = &command else {
                    return Err(RpcError::misc("Error: restart bitcoind with -signer=<cmd>"));
                };
                let signers = ExternalSigner::enumerate(command, &chain).map_err(RpcError::misc)?;
                let list: Vec<Value> = signers
                    .iter()
                    .map(|s| json!({"fingerprint": s.fingerprint(), "name": s.name()}))
                    .collect();
                Ok(json!({ "signers": list }))
            },
        )
        .result("{                           (json object)\n  \"signers\" : [             (json array)\n    {                       (json object)\n      \"fingerprint\" : \"hex\",  (string) Master key fingerprint\n      \"name\" : \"str\"          (string) Device name, the model returned by the signer\n    },\n    ...\n  ]\n}")
        .examples("> bitcoin-cli enumeratesigners \n> curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"enumeratesigners\", \"params\": []}' -H 'content-type: application/json' http://127.0.0.1:8332/\n"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(table: &RpcTable) -> Result<Value, RpcError> {
        table.finish_warmup();
        table.execute(rpc::RpcRequest::new("enumeratesigners", vec![]), json!([]))
    }

    #[test]
    fn without_signer_asks_for_a_restart() {
        let table = RpcTable::new();
        register_signer(&table, Some(String::new()), "regtest".into());
        let e = call(&table).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-1, "Error: restart bitcoind with -signer=<cmd>")
        );
    }

    #[test]
    fn lists_fingerprints_and_names() {
        let table = RpcTable::new();
        let cmd = r#"/bin/sh -c echo${IFS}'[{"fingerprint":"00000001","model":"trezor_t"}]'"#;
        register_signer(&table, Some(cmd.into()), "regtest".into());
        assert_eq!(
            call(&table).unwrap(),
            json!({"signers": [{"fingerprint": "00000001", "name": "trezor_t"}]})
        );
    }

    #[test]
    fn a_missing_program_is_a_misc_error() {
        let table = RpcTable::new();
        register_signer(&table, Some("fake.py".into()), "regtest".into());
        let e = call(&table).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-1, "execve failed: No such file or directory")
        );
    }
}
