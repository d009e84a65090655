//! Result fields marked `$Proxy.exception(...)`: libmultiprocess sends a
//! C++ exception of that type in the field instead of failing the call, and
//! the client throws it again. Here they map to [`interfaces::Error`]:
//! `std::exception` ↔ `Remote(what)`, `UniValue` (a JSON-RPC error object)
//! ↔ `Rpc(json)`, `HelpResult` ↔ `Help(text)`; `UniValue::type_error` is
//! read as the JSON-RPC type error Core's RPC server makes of it.

/// Core's `RPC_TYPE_ERROR`.
const RPC_TYPE_ERROR: i64 = -3;

/// The error a received `UniValue::type_error` stands for.
pub fn type_error(what: String) -> interfaces::Error {
    interfaces::Error::Rpc(serde_json::json!({"code": RPC_TYPE_ERROR, "message": what}).to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn type_errors_become_rpc_type_errors() {
        let e = super::type_error("Expected type string, got number".into());
        let interfaces::Error::Rpc(json) = e else {
            panic!("not an RPC error: {e:?}")
        };
        let v: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(v["code"], -3);
        assert_eq!(v["message"], "Expected type string, got number");
    }
}
