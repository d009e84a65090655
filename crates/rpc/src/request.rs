//! One parsed JSON-RPC call and the reply shapes of JSON-RPC 1.x and 2.0.

use crate::error::RpcError;
use serde_json::{Map, Value};

/// Which JSON-RPC dialect the client spoke; it decides the reply shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonRpcVersion {
    /// 1.0/1.1: `result` and `error` both present; errors map to HTTP codes.
    V1Legacy,
    /// 2.0: `"jsonrpc":"2.0"`, one of `result`/`error`, always HTTP 200.
    V2,
}

/// A request as handed to a method handler.
#[derive(Debug, Clone)]
pub struct RpcRequest {
    /// Method name.
    pub method: String,
    /// Positional parameters (named ones already mapped to positions).
    pub params: Vec<Value>,
    /// The request `id`, if any.
    pub id: Option<Value>,
    /// JSON-RPC dialect.
    pub version: JsonRpcVersion,
    /// HTTP path the request came in on (`/` or `/wallet/<name>`).
    pub uri: String,
    /// Authenticated user name.
    pub auth_user: String,
    /// Client address as `ip:port`.
    pub peer_addr: String,
    /// Raw named parameters before mapping, when the request used an object.
    pub named: Option<Map<String, Value>>,
    /// A key the request's named `params` held more than once (the parsed
    /// object kept only its last value).
    pub repeated_param: Option<String>,
}

impl RpcRequest {
    /// A request for `method` with positional `params`, as made in-process.
    pub fn new(method: impl Into<String>, params: Vec<Value>) -> Self {
        RpcRequest {
            method: method.into(),
            params,
            id: None,
            version: JsonRpcVersion::V2,
            uri: "/".to_string(),
            auth_user: String::new(),
            peer_addr: String::new(),
            named: None,
            repeated_param: None,
        }
    }

    /// Notifications (2.0 requests without `id`) are executed but get no reply.
    pub fn is_notification(&self) -> bool {
        self.id.is_none() && self.version == JsonRpcVersion::V2
    }

    /// The wallet name from a `/wallet/<name>` URI, percent-decoded.
    pub fn wallet_name(&self) -> Option<String> {
        self.uri.strip_prefix("/wallet/").map(percent_decode)
    }
}

/// A request parsed from JSON whose params may still be named.
#[derive(Debug, Clone)]
pub struct ParsedCall {
    /// The request with `params` empty when named.
    pub request: RpcRequest,
    /// `params` exactly as sent (array or object).
    pub raw_params: Value,
}

/// Parses one JSON-RPC request object. On error, also returns the id and dialect
/// read so far so that the error reply can carry them, as Core's does.
pub fn parse_call(
    value: &Value,
    uri: &str,
    auth_user: &str,
    peer_addr: &str,
) -> Result<ParsedCall, (RpcError, Option<Value>, JsonRpcVersion)> {
    let obj = match value.as_object() {
        Some(o) => o,
        None => {
            return Err((
                RpcError::new(
                    crate::error::code::INVALID_REQUEST,
                    "Invalid Request object",
                ),
                None,
                JsonRpcVersion::V1Legacy,
            ))
        }
    };
    let id = obj.get("id").cloned();
    let fail = |msg: &str, version| {
        Err((
            RpcError::new(crate::error::code::INVALID_REQUEST, msg),
            id.clone(),
            version,
        ))
    };
    let mut version = JsonRpcVersion::V1Legacy;
    match obj.get("jsonrpc") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if s == "1.0" => {}
        Some(Value::String(s)) if s == "2.0" => version = JsonRpcVersion::V2,
        Some(Value::String(_)) => return fail("JSON-RPC version not supported", version),
        Some(_) => return fail("jsonrpc field must be a string", version),
    }
    let method = match obj.get("method") {
        None | Some(Value::Null) => return fail("Missing method", version),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return fail("Method must be a string", version),
    };
    let raw_params = match obj.get("params") {
        None | Some(Value::Null) => Value::Array(Vec::new()),
        Some(v @ (Value::Array(_) | Value::Object(_))) => v.clone(),
        Some(_) => return fail("Params must be an array or object", version),
    };
    let log_id = match &id {
        Some(Value::String(s)) => sanitize(s),
        Some(Value::Null) | None => String::new(),
        Some(v) => sanitize(&v.to_string()),
    };
    tracing::debug!(target: "rpc", "ThreadRPCServer method={} user={} id={}", sanitize(&method), auth_user, log_id);
    Ok(ParsedCall {
        request: RpcRequest {
            method,
            params: Vec::new(),
            id,
            version,
            uri: uri.to_string(),
            auth_user: auth_user.to_string(),
            peer_addr: peer_addr.to_string(),
            named: None,
            repeated_param: None,
        },
        raw_params,
    })
}

/// Builds a reply object in the dialect's shape.
pub fn reply(result: Result<Value, RpcError>, id: Option<Value>, version: JsonRpcVersion) -> Value {
    let mut obj = Map::new();
    if version == JsonRpcVersion::V2 {
        obj.insert("jsonrpc".into(), Value::String("2.0".into()));
    }
    match result {
        Ok(v) => {
            obj.insert("result".into(), v);
            if version == JsonRpcVersion::V1Legacy {
                obj.insert("error".into(), Value::Null);
            }
        }
        Err(e) => {
            if version == JsonRpcVersion::V1Legacy {
                obj.insert("result".into(), Value::Null);
            }
            obj.insert("error".into(), e.to_json());
        }
    }
    if let Some(id) = id {
        obj.insert("id".into(), id);
    }
    Value::Object(obj)
}

/// Keeps only the characters Core's `SanitizeString` allows in log lines.
pub fn sanitize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect()
}

/// Decodes `%XX` escapes; invalid escapes are kept as they are.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn v2_success_reply_has_no_error_key() {
        let r = reply(Ok(json!(1)), Some(json!(7)), JsonRpcVersion::V2);
        assert_eq!(r, json!({"jsonrpc":"2.0","result":1,"id":7}));
    }

    #[test]
    fn v1_reply_has_both_keys() {
        let r = reply(
            Err(RpcError::misc("x")),
            Some(json!(1)),
            JsonRpcVersion::V1Legacy,
        );
        assert_eq!(
            r,
            json!({"result":null,"error":{"code":-1,"message":"x"},"id":1})
        );
    }

    #[test]
    fn bad_version_is_rejected() {
        let e = parse_call(&json!({"jsonrpc":"3.0","method":"x"}), "/", "", "").unwrap_err();
        assert_eq!(e.0.message, "JSON-RPC version not supported");
        assert_eq!(e.0.code, -32600);
    }

    #[test]
    fn wallet_uri_is_decoded() {
        let mut r = RpcRequest::new("x", vec![]);
        r.uri = "/wallet/a%20b".into();
        assert_eq!(r.wallet_name().as_deref(), Some("a b"));
    }
}
