//! JSON-RPC over HTTP: authentication, whitelists, single and batch requests, and
//! the mapping of errors to HTTP status codes for JSON-RPC 1.x clients.

use crate::auth::Auth;
use crate::duplicate_keys::repeated_param_keys;
use crate::error::{code, RpcError};
use crate::http::{Method, Request, Response};
use crate::request::{parse_call, reply, JsonRpcVersion};
use crate::table::RpcTable;
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Serves `/` and `/wallet/<name>` with the methods of an [`RpcTable`].
pub struct JsonRpcService {
    table: Arc<RpcTable>,
    auth: Auth,
}

const WWW_AUTH: &str = "Basic realm=\"jsonrpc\"";

impl JsonRpcService {
    /// A service answering from `table` for clients that pass `auth`.
    pub fn new(table: Arc<RpcTable>, auth: Auth) -> Self {
        JsonRpcService { table, auth }
    }

    /// Handles one HTTP request (runs on a worker thread).
    pub fn handle(&self, req: &Request, peer: &crate::http::Peer) -> Response {
        if req.method != Method::Post {
            return Response::text(405, "JSONRPC server handles only POST requests");
        }
        let Some(header) = req.header("authorization") else {
            return Response::status(401).with_header("WWW-Authenticate", WWW_AUTH);
        };
        let (user, ok) = self.auth.check_header(header);
        if !ok {
            tracing::warn!(
                "ThreadRPCServer incorrect password attempt from {}",
                peer.addr
            );
            // Slows down password guessing.
            std::thread::sleep(Duration::from_millis(250));
            return Response::status(401).with_header("WWW-Authenticate", WWW_AUTH);
        }
        let peer_addr = peer.addr.to_string();
        let value: Value = match serde_json::from_slice(&req.body) {
            Ok(v) => v,
            Err(_) => {
                return error_reply(
                    RpcError::new(code::PARSE_ERROR, "Parse error"),
                    Some(Value::Null),
                )
            }
        };
        let repeated = repeated_param_keys(&req.body);
        self.execute_http(&value, &repeated, &req.target, &user, &peer_addr)
    }

    /// Runs a JSON-RPC request received over IPC (`Rpc.executeRpc`) as the
    /// HTTP server would for an authenticated `user`, returning the reply
    /// JSON (`null` where HTTP would answer with no body, e.g. a
    /// notification or a whitelist refusal). Invalid JSON is an error.
    pub fn execute_ipc(&self, request: &str, uri: &str, user: &str) -> Result<String, String> {
        let value: Value = serde_json::from_str(request)
            .map_err(|_| "invalid JSON received over IPC".to_string())?;
        let repeated = repeated_param_keys(request.as_bytes());
        let response = self.execute_http(&value, &repeated, uri, user, "ipc");
        let body = String::from_utf8_lossy(&response.body);
        let body = body.trim_end();
        Ok(if body.is_empty() {
            "null".to_string()
        } else {
            body.to_string()
        })
    }

    /// Runs a parsed body; `repeated` holds each request's repeated named
    /// parameter, as [`repeated_param_keys`] found it.
    fn execute_http(
        &self,
        value: &Value,
        repeated: &[Option<String>],
        uri: &str,
        user: &str,
        peer_addr: &str,
    ) -> Response {
        let repeated_at = |i: usize| repeated.get(i).cloned().flatten();
        let user_whitelist = self.auth.allowed_methods(user);
        if user_whitelist.is_none() && self.auth.whitelist_default() {
            tracing::warn!("RPC User {user} not allowed to call any methods");
            return Response::status(403);
        }
        match value {
            Value::Object(_) => {
                let call = match parse_call(value, uri, user, peer_addr) {
                    Ok(mut c) => {
                        c.request.repeated_param = repeated_at(0);
                        c
                    }
                    Err((e, id, version)) => return error_reply_in(e, id, version),
                };
                if let Some(allowed) = user_whitelist {
                    if !allowed.contains(&call.request.method) {
                        tracing::warn!(
                            "RPC User {user} not allowed to call method {}",
                            call.request.method
                        );
                        return Response::status(403);
                    }
                }
                let (id, version, notification) = (
                    call.request.id.clone(),
                    call.request.version,
                    call.request.is_notification(),
                );
                let result = self.table.execute(call.request, call.raw_params);
                if version == JsonRpcVersion::V1Legacy {
                    if let Err(e) = result {
                        return error_reply(e, id);
                    }
                }
                if notification {
                    return Response::status(204);
                }
                Response::json(200, format!("{}\n", reply(result, id, version)))
            }
            Value::Array(items) => {
                if let Some(allowed) = user_whitelist {
                    for item in items {
                        let Some(obj) = item.as_object() else {
                            return error_reply(
                                RpcError::new(code::INVALID_REQUEST, "Invalid Request object"),
                                None,
                            );
                        };
                        let method = obj.get("method").and_then(Value::as_str).unwrap_or("");
                        if !allowed.contains(method) {
                            tracing::warn!("RPC User {user} not allowed to call method {method}");
                            return Response::status(403);
                        }
                    }
                }
                let mut replies = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let (response, notification) = match parse_call(item, uri, user, peer_addr) {
                        Ok(mut call) => {
                            call.request.repeated_param = repeated_at(i);
                            let (id, version, notification) = (
                                call.request.id.clone(),
                                call.request.version,
                                call.request.is_notification(),
                            );
                            (
                                reply(
                                    self.table.execute(call.request, call.raw_params),
                                    id,
                                    version,
                                ),
                                notification,
                            )
                        }
                        Err((e, id, version)) => {
                            // A 2.0 request without id stays a notification even when malformed.
                            let notification = id.is_none() && version == JsonRpcVersion::V2;
                            (reply(Err(e), id, version), notification)
                        }
                    };
                    if !notification {
                        replies.push(response);
                    }
                }
                if replies.is_empty() && !items.is_empty() {
                    return Response::status(204);
                }
                Response::json(200, format!("{}\n", Value::Array(replies)))
            }
            _ => error_reply(
                RpcError::new(code::PARSE_ERROR, "Top-level object parse error"),
                Some(Value::Null),
            ),
        }
    }
}

/// A JSON-RPC 1.x error reply with the HTTP status Core uses for its code.
fn error_reply(error: RpcError, id: Option<Value>) -> Response {
    error_reply_in(error, id, JsonRpcVersion::V1Legacy)
}

/// Like [`error_reply`] for a request whose dialect is known.
fn error_reply_in(error: RpcError, id: Option<Value>, version: JsonRpcVersion) -> Response {
    let status = match error.code {
        code::INVALID_REQUEST => 400,
        code::METHOD_NOT_FOUND => 404,
        _ => 500,
    };
    Response::json(status, format!("{}\n", reply(Err(error), id, version)))
}
