//! The method table: registration (also at run time, for wallet methods arriving
//! over IPC), warm-up state, named-parameter mapping, dispatch and `help`.

use crate::error::{code, RpcError, RpcResult};
use crate::method::RpcMethod;
use crate::request::RpcRequest;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::Instant;

/// A method being executed, for `getrpcinfo`.
#[derive(Debug, Clone)]
pub struct ActiveCommand {
    /// Method name.
    pub method: String,
    /// When it started.
    pub start: Instant,
}

/// All RPC methods the server knows, and the state shared by every call.
pub struct RpcTable {
    methods: RwLock<BTreeMap<String, RpcMethod>>,
    warmup: Mutex<Option<String>>,
    running: std::sync::atomic::AtomicBool,
    active: Mutex<BTreeMap<u64, ActiveCommand>>,
    next_active: AtomicU64,
}

impl Default for RpcTable {
    fn default() -> Self {
        Self::new()
    }
}

impl RpcTable {
    /// An empty table in warm-up ("Loading...") and running state.
    pub fn new() -> Self {
        RpcTable {
            methods: RwLock::new(BTreeMap::new()),
            warmup: Mutex::new(Some("RPC server started".to_string())),
            running: std::sync::atomic::AtomicBool::new(true),
            active: Mutex::new(BTreeMap::new()),
            next_active: AtomicU64::new(0),
        }
    }

    /// Adds (or replaces) a method.
    pub fn register(&self, method: RpcMethod) {
        let mut methods = self.methods.write().unwrap_or_else(|e| e.into_inner());
        methods.insert(method.name.to_string(), method);
    }

    /// Removes a method; returns whether it was there.
    pub fn unregister(&self, name: &str) -> bool {
        let mut methods = self.methods.write().unwrap_or_else(|e| e.into_inner());
        methods.remove(name).is_some()
    }

    /// Names of all registered methods, sorted.
    pub fn list(&self) -> Vec<String> {
        self.methods
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .cloned()
            .collect()
    }

    /// A copy of a method's description.
    pub fn get(&self, name: &str) -> Option<RpcMethod> {
        self.methods
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
            .cloned()
    }

    /// Sets the warm-up status message; while set, every call fails with -28.
    pub fn set_warmup_status(&self, status: &str) {
        *self.warmup.lock().unwrap_or_else(|e| e.into_inner()) = Some(status.to_string());
    }

    /// Ends warm-up: calls are executed from now on.
    pub fn finish_warmup(&self) {
        *self.warmup.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// Whether the table is still in warm-up.
    pub fn in_warmup(&self) -> bool {
        self.warmup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some()
    }

    /// Marks RPC as shutting down: long polls should return.
    pub fn interrupt(&self) {
        self.running.store(false, Ordering::SeqCst);
    }

    /// False once shutdown has begun.
    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// Methods currently executing, oldest first.
    pub fn active_commands(&self) -> Vec<ActiveCommand> {
        self.active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Runs `request` (params as sent: array or object) through the table.
    pub fn execute(&self, mut request: RpcRequest, raw_params: Value) -> RpcResult {
        if let Some(status) = self
            .warmup
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
        {
            return Err(RpcError::new(code::IN_WARMUP, status));
        }
        let method = self
            .get(&request.method)
            .ok_or_else(|| RpcError::new(code::METHOD_NOT_FOUND, "Method not found"))?;
        let _guard = self.track(&request.method);
        request.params = match raw_params {
            Value::Array(a) => a,
            Value::Object(o) => {
                if let Some(key) = request.repeated_param.take() {
                    return Err(RpcError::invalid_parameter(format!(
                        "Parameter {key} specified multiple times"
                    )));
                }
                let positional = transform_named(&o, &method.arg_names())?;
                request.named = Some(o);
                positional
            }
            Value::Null => Vec::new(),
            _ => {
                return Err(RpcError::new(
                    code::INVALID_REQUEST,
                    "Params must be an array or object",
                ))
            }
        };
        method.check_params(&request.params)?;
        (method.handler)(&request)
    }

    fn track(&self, method: &str) -> ActiveGuard<'_> {
        let key = self.next_active.fetch_add(1, Ordering::Relaxed);
        self.active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(
                key,
                ActiveCommand {
                    method: method.to_string(),
                    start: Instant::now(),
                },
            );
        ActiveGuard { table: self, key }
    }

    /// `help` output: the list of all (non-hidden) commands by category, or one
    /// command's full help.
    pub fn help(&self, command: &str) -> String {
        let methods = self.methods.read().unwrap_or_else(|e| e.into_inner());
        let mut sorted: Vec<&RpcMethod> = methods.values().collect();
        sorted.sort_by(|a, b| (a.category, a.name).cmp(&(b.category, b.name)));
        let mut out = String::new();
        let mut category = "";
        for m in sorted {
            if command.is_empty() {
                if m.category == "hidden" || m.hidden {
                    continue;
                }
                if category != m.category {
                    if !category.is_empty() {
                        out.push('\n');
                    }
                    category = m.category;
                    out.push_str(&format!("== {} ==\n", capitalize(category)));
                }
                out.push_str(&m.synopsis());
                out.push('\n');
            } else if m.name == command {
                out.push_str(&m.help_text());
                out.push('\n');
            }
        }
        if out.is_empty() {
            out = format!("help: unknown command: {command}\n");
        }
        out.pop();
        out
    }

    /// The map of every method's parameters (`help dump_all_command_conversions`),
    /// each method's [`RpcMethod::arg_map`] rows.
    pub fn arg_map(&self) -> Value {
        let methods: Vec<RpcMethod> = self
            .methods
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect();
        // Declared methods ask their process: not under the table's lock.
        Value::Array(methods.iter().flat_map(RpcMethod::arg_map).collect())
    }
}

struct ActiveGuard<'a> {
    table: &'a RpcTable,
    key: u64,
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.table
            .active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.key);
    }
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Maps named parameters onto positions following Core's rules: holes between given
/// parameters become nulls, named-only options are gathered into their object, and
/// an `args` array supplies leading positional values.
pub fn transform_named(
    named: &Map<String, Value>,
    arg_names: &[(String, bool)],
) -> RpcResult<Vec<Value>> {
    let mut remaining: Map<String, Value> = named.clone();
    let mut out: Vec<Value> = Vec::new();
    let mut hole = 0usize;
    let mut initial_hole_size = 0usize;
    let mut initial_param: Option<&str> = None;
    let mut options: Map<String, Value> = Map::new();
    for (pattern, named_only) in arg_names {
        let found = pattern
            .split('|')
            .find(|n| remaining.contains_key(*n))
            .map(str::to_string);
        if *named_only {
            if let Some(key) = found {
                if options.contains_key(&key) {
                    return Err(RpcError::invalid_parameter(format!(
                        "Parameter {key} specified multiple times"
                    )));
                }
                if let Some(v) = remaining.remove(&key) {
                    options.insert(key, v);
                }
            }
            continue;
        }
        if !options.is_empty() || found.is_some() {
            out.extend(std::iter::repeat_n(Value::Null, hole));
            hole = 0;
            if initial_param.is_none() {
                initial_param = Some(pattern);
            }
        } else {
            hole += 1;
            if out.is_empty() {
                initial_hole_size = hole;
            }
        }
        if let Some(key) = found {
            if let Some(first) = options.keys().next() {
                return Err(RpcError::invalid_parameter(format!(
                    "Parameter {key} conflicts with parameter {first}"
                )));
            }
            if let Some(v) = remaining.remove(&key) {
                out.push(v);
            }
        }
        if !options.is_empty() {
            out.push(Value::Object(std::mem::take(&mut options)));
        }
    }
    if let Some(Value::Array(positional)) = remaining.get("args").cloned() {
        remaining.remove("args");
        if initial_hole_size < positional.len() {
            if let Some(p) = initial_param {
                return Err(RpcError::invalid_parameter(format!(
                    "Parameter {p} specified twice both as positional and named argument"
                )));
            }
        }
        let named_args = std::mem::replace(&mut out, positional);
        let start = out.len();
        out.extend(named_args.into_iter().skip(start));
    }
    if let Some(key) = remaining.keys().next() {
        return Err(RpcError::invalid_parameter(format!(
            "Unknown named parameter {key}"
        )));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(list: &[&str]) -> Vec<(String, bool)> {
        list.iter().map(|n| (n.to_string(), false)).collect()
    }

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn holes_become_nulls_but_not_trailing() {
        let out = transform_named(&obj(json!({"c": 3})), &names(&["a", "b", "c", "d"])).unwrap();
        assert_eq!(out, vec![Value::Null, Value::Null, json!(3)]);
    }

    #[test]
    fn unknown_named_parameter_is_rejected() {
        let e = transform_named(&obj(json!({"zz": 1})), &names(&["a"])).unwrap_err();
        assert_eq!(e.message, "Unknown named parameter zz");
        assert_eq!(e.code, -8);
    }

    #[test]
    fn args_mix_positional_and_named() {
        let out = transform_named(
            &obj(json!({"args": [1, 2], "d": 4})),
            &names(&["a", "b", "c", "d"]),
        )
        .unwrap();
        assert_eq!(out, vec![json!(1), json!(2), Value::Null, json!(4)]);
        let e = transform_named(&obj(json!({"args": [1, 2], "b": 4})), &names(&["a", "b"]))
            .unwrap_err();
        assert_eq!(
            e.message,
            "Parameter b specified twice both as positional and named argument"
        );
    }

    #[test]
    fn named_only_options_are_gathered() {
        let spec = vec![
            ("a".to_string(), false),
            ("x".to_string(), true),
            ("options".to_string(), false),
        ];
        let out = transform_named(&obj(json!({"a": 1, "x": 2})), &spec).unwrap();
        assert_eq!(out, vec![json!(1), json!({"x": 2})]);
    }
}
