//! Declarative description of one RPC method: its arguments (names, types,
//! optionality, defaults), help text, and handler. The description drives argument
//! checking, named-parameter mapping and `help` output, the way Core's `RPCHelpMan`
//! does, so each method states its contract once.

use crate::error::{RpcError, RpcResult};
use crate::params::RpcParams;
use crate::request::RpcRequest;
use serde_json::Value;
use std::sync::Arc;

/// JSON type expected for an argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    /// Any string.
    Str,
    /// A hex string.
    StrHex,
    /// A number.
    Num,
    /// A number or a numeric string, in BTC.
    Amount,
    /// A number or a `[begin, end]` array.
    Range,
    /// A boolean.
    Bool,
    /// An object with the listed keys.
    Obj,
    /// An object whose keys are chosen by the user.
    ObjUserKeys,
    /// An options object whose keys may also be passed as named parameters.
    ObjNamedParams,
    /// An array.
    Arr,
}

impl ArgType {
    /// The JSON type name Core uses in type errors, or `None` if several types fit.
    pub fn expected_json_type(self) -> Option<&'static str> {
        match self {
            ArgType::Str | ArgType::StrHex => Some("string"),
            ArgType::Num => Some("number"),
            ArgType::Amount | ArgType::Range => None,
            ArgType::Bool => Some("bool"),
            ArgType::Obj | ArgType::ObjUserKeys | ArgType::ObjNamedParams => Some("object"),
            ArgType::Arr => Some("array"),
        }
    }

    fn help_name(self) -> &'static str {
        match self {
            ArgType::Str | ArgType::StrHex => "string",
            ArgType::Num => "numeric",
            ArgType::Amount => "numeric or string",
            ArgType::Range => "numeric or array",
            ArgType::Bool => "boolean",
            ArgType::Obj | ArgType::ObjUserKeys | ArgType::ObjNamedParams => "json object",
            ArgType::Arr => "json array",
        }
    }
}

/// Whether an argument may be left out, and what it then means.
#[derive(Debug, Clone, PartialEq)]
pub enum Fallback {
    /// The argument must be given.
    Required,
    /// The argument may be left out; it then has no value.
    Omitted,
    /// The argument may be left out; the help shows this hint as its default.
    DefaultHint(String),
    /// The argument may be left out; it then takes this value.
    Default(Value),
}

/// One argument of an RPC method (or one field inside an object/array argument).
#[derive(Debug, Clone)]
pub struct Arg {
    /// Name; several aliases are separated by `|` (first is the main one).
    pub names: &'static str,
    /// Expected JSON type.
    pub ty: ArgType,
    /// Optionality and default.
    pub fallback: Fallback,
    /// Help text.
    pub description: String,
    /// Fields of an object argument, or element of an array argument.
    pub inner: Vec<Arg>,
    /// Shown instead of the generated one-line form in the synopsis.
    pub oneline: Option<&'static str>,
    /// Hidden arguments (and all after them) are left out of help.
    pub hidden: bool,
    /// Accepted without a type check (the handler checks it).
    pub skip_type_check: bool,
    /// The name Core's error texts use for the argument, when not its own
    /// (`getblockheader`'s hash errors say `hash`).
    pub label: Option<&'static str>,
}

impl Arg {
    /// A required argument.
    pub fn required(names: &'static str, ty: ArgType, description: impl Into<String>) -> Self {
        Arg {
            names,
            ty,
            fallback: Fallback::Required,
            description: description.into(),
            inner: Vec::new(),
            oneline: None,
            hidden: false,
            skip_type_check: false,
            label: None,
        }
    }
    /// An optional argument with no default value.
    pub fn optional(names: &'static str, ty: ArgType, description: impl Into<String>) -> Self {
        Arg {
            fallback: Fallback::Omitted,
            ..Arg::required(names, ty, description)
        }
    }
    /// An optional argument that defaults to `value`.
    pub fn with_default(
        names: &'static str,
        ty: ArgType,
        value: Value,
        description: impl Into<String>,
    ) -> Self {
        Arg {
            fallback: Fallback::Default(value),
            ..Arg::required(names, ty, description)
        }
    }
    /// An optional argument whose default is described by `hint` in help.
    pub fn with_hint(
        names: &'static str,
        ty: ArgType,
        hint: &str,
        description: impl Into<String>,
    ) -> Self {
        Arg {
            fallback: Fallback::DefaultHint(hint.to_string()),
            ..Arg::required(names, ty, description)
        }
    }
    /// Sets the nested fields (objects) or element description (arrays).
    pub fn inner(mut self, inner: Vec<Arg>) -> Self {
        self.inner = inner;
        self
    }
    /// Marks the argument as hidden from help.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
    /// Replaces the synopsis form of the argument.
    pub fn oneline(mut self, text: &'static str) -> Self {
        self.oneline = Some(text);
        self
    }
    /// Disables the generic type check for this argument.
    pub fn skip_type_check(mut self) -> Self {
        self.skip_type_check = true;
        self
    }
    /// Replaces the name (`a|b` for aliases).
    pub fn names(mut self, names: &'static str) -> Self {
        self.names = names;
        self
    }
    /// Replaces the optionality and default.
    pub fn fallback(mut self, fallback: Fallback) -> Self {
        self.fallback = fallback;
        self
    }
    /// Replaces the help text.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }
    /// Sets the name error texts use for the argument.
    pub fn label(mut self, label: &'static str) -> Self {
        self.label = Some(label);
        self
    }

    /// The name error texts use: the label, else the main name.
    pub fn error_name(&self) -> &'static str {
        self.label.unwrap_or_else(|| self.first_name())
    }

    /// The main name (before any `|`).
    pub fn first_name(&self) -> &'static str {
        self.names.split('|').next().unwrap_or(self.names)
    }

    /// Whether the argument may be left out.
    pub fn is_optional(&self) -> bool {
        !matches!(self.fallback, Fallback::Required)
    }

    /// `None` if `value` fits the declared type, or Core's mismatch message.
    fn type_mismatch(&self, value: &Value) -> Option<String> {
        if self.skip_type_check || (self.is_optional() && value.is_null()) {
            return None;
        }
        let expected = self.ty.expected_json_type()?;
        let actual = json_type_name(value);
        (actual != expected)
            .then(|| format!("JSON value of type {actual} is not of expected type {expected}"))
    }

    fn synopsis(&self) -> String {
        if let Some(text) = self.oneline {
            return text.to_string();
        }
        match self.ty {
            ArgType::Str | ArgType::StrHex => format!("\"{}\"", self.first_name()),
            ArgType::Num | ArgType::Range | ArgType::Amount | ArgType::Bool => {
                self.first_name().to_string()
            }
            ArgType::Obj | ArgType::ObjUserKeys | ArgType::ObjNamedParams => {
                let fields: Vec<String> =
                    self.inner.iter().map(|a| a.synopsis_in_object()).collect();
                if self.ty == ArgType::Obj {
                    format!("{{{}}}", fields.join(","))
                } else {
                    format!("{{{},...}}", fields.join(","))
                }
            }
            ArgType::Arr => {
                let mut s = String::from("[");
                for a in &self.inner {
                    s.push_str(&a.synopsis());
                    s.push(',');
                }
                s.push_str("...]");
                s
            }
        }
    }

    fn synopsis_in_object(&self) -> String {
        let value = match self.ty {
            ArgType::Str => format!("\"{}\"", "str"),
            ArgType::StrHex => "\"hex\"".to_string(),
            ArgType::Num => "n".to_string(),
            ArgType::Range => "n or [n,n]".to_string(),
            ArgType::Amount => "amount".to_string(),
            ArgType::Bool => "bool".to_string(),
            _ => self.synopsis(),
        };
        format!("\"{}\":{}", self.first_name(), value)
    }

    fn description_line(&self, named: bool) -> String {
        let mut s = String::from("(");
        s.push_str(self.ty.help_name());
        match &self.fallback {
            Fallback::Required => s.push_str(", required"),
            Fallback::Omitted => {
                if named {
                    s.push_str(", optional");
                }
            }
            Fallback::DefaultHint(h) => {
                s.push_str(", optional, default=");
                s.push_str(h);
            }
            Fallback::Default(v) => {
                s.push_str(", optional, default=");
                s.push_str(&v.to_string());
            }
        }
        s.push(')');
        if self.ty == ArgType::ObjNamedParams {
            s.push_str(" Options object that can be used to pass named arguments, listed below.");
        }
        if !self.description.is_empty() {
            s.push(' ');
            s.push_str(&self.description);
        }
        s
    }
}

/// Name of a JSON value's type as Core's UniValue prints it.
pub fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Signature of an RPC handler.
pub type Handler = Arc<dyn Fn(&RpcRequest) -> RpcResult + Send + Sync>;

/// Fetches a method's help from the process that declared it (a wallet
/// process's methods); `None` when that process cannot answer.
pub type RemoteHelp = Arc<dyn Fn() -> Option<String> + Send + Sync>;

/// Fetches a method's rows of `help dump_all_command_conversions` from the
/// process that declared it; `None` when that process cannot answer.
pub type RemoteArgMap = Arc<dyn Fn() -> Option<Vec<serde_json::Value>> + Send + Sync>;

/// One RPC method: its description and the function that runs it.
#[derive(Clone)]
pub struct RpcMethod {
    /// Method name as sent in `"method"`.
    pub name: &'static str,
    /// Help category (`control`, `util`, `blockchain`, …).
    pub category: &'static str,
    /// Description shown by `help <name>`.
    pub description: String,
    /// Positional arguments in order.
    pub args: Vec<Arg>,
    /// Free-form `Result:` section of the help.
    pub result_help: String,
    /// Free-form `Examples:` section of the help.
    pub examples: String,
    /// Hidden methods are left out of `help`'s list.
    pub hidden: bool,
    /// The function that runs the method.
    pub handler: Handler,
    /// Where the help comes from when another process declared the method.
    pub remote_help: Option<RemoteHelp>,
    /// Where the argument map comes from when another process declared it.
    pub remote_arg_map: Option<RemoteArgMap>,
}

impl RpcMethod {
    /// A method whose parameters are the set `P` (declared with
    /// [`rpc_params!`](crate::rpc_params), or `()` for none): its arguments
    /// come from `P`, and `handler` receives the request converted into `P`.
    pub fn new<P: RpcParams + 'static>(
        name: &'static str,
        category: &'static str,
        description: impl Into<String>,
        handler: impl Fn(&RpcRequest, P) -> RpcResult + Send + Sync + 'static,
    ) -> Self {
        let args = P::args();
        let declared = args.clone();
        Self::untyped(name, category, description, args, move |req| {
            handler(req, P::from_positional(&req.params, &declared)?)
        })
    }

    /// The escape hatch: a method with the argument list `args` whose handler
    /// reads the positional `req.params` itself. For arguments that are not a
    /// fixed set (`echo`) or are declared in another process.
    pub fn untyped(
        name: &'static str,
        category: &'static str,
        description: impl Into<String>,
        args: Vec<Arg>,
        handler: impl Fn(&RpcRequest) -> RpcResult + Send + Sync + 'static,
    ) -> Self {
        RpcMethod {
            name,
            category,
            description: description.into(),
            args,
            result_help: String::new(),
            examples: String::new(),
            hidden: false,
            handler: Arc::new(handler),
            remote_help: None,
            remote_arg_map: None,
        }
    }
    /// Sets the help's default of argument `name` to `hint`, for a default only
    /// known at run time (one of the node's options).
    pub fn default_hint(mut self, name: &str, hint: impl Into<String>) -> Self {
        if let Some(arg) = self.args.iter_mut().find(|a| a.first_name() == name) {
            arg.fallback = Fallback::DefaultHint(hint.into());
        }
        self
    }
    /// Sets the `Result:` help text.
    pub fn result(mut self, text: impl Into<String>) -> Self {
        self.result_help = text.into();
        self
    }
    /// Sets the `Examples:` help text.
    pub fn examples(mut self, text: impl Into<String>) -> Self {
        self.examples = text.into();
        self
    }
    /// Hides the method from `help`'s list.
    pub fn hidden(mut self) -> Self {
        self.hidden = true;
        self
    }
    /// Takes the help from `help` (the declaring process) instead of the
    /// local description.
    pub fn remote_help(mut self, help: RemoteHelp) -> Self {
        self.remote_help = Some(help);
        self
    }

    /// Takes the argument map from `map` (the declaring process), whose
    /// types the node does not know.
    pub fn remote_arg_map(mut self, map: RemoteArgMap) -> Self {
        self.remote_arg_map = Some(map);
        self
    }

    /// This method's rows of `help dump_all_command_conversions`:
    /// `[method, position, name, is-string]` for every name of every
    /// argument and of the keys of a named-parameters object, as Core prints
    /// them (the client converts the arguments that are not strings).
    pub fn arg_map(&self) -> Vec<serde_json::Value> {
        if let Some(rows) = self.remote_arg_map.as_ref().and_then(|m| m()) {
            return rows;
        }
        let mut rows = Vec::new();
        let mut push = |name: &str, pos: usize, ty: ArgType| {
            let is_string = matches!(ty, ArgType::Str | ArgType::StrHex);
            rows.push(serde_json::json!([self.name, pos, name, is_string]));
        };
        for (i, arg) in self.args.iter().enumerate() {
            for name in arg.names.split('|') {
                push(name, i, arg.ty);
            }
            if arg.ty == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    for name in inner.names.split('|') {
                        push(name, i, inner.ty);
                    }
                }
            }
        }
        rows
    }

    fn fetch_remote_help(&self) -> Option<String> {
        self.remote_help.as_ref().and_then(|h| h())
    }

    /// Names used to map named parameters to positions: one entry per argument,
    /// plus the inner keys of an options object, flagged as named-only.
    pub fn arg_names(&self) -> Vec<(String, bool)> {
        let mut names = Vec::new();
        for arg in &self.args {
            if arg.ty == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    names.push((inner.names.to_string(), true));
                }
            }
            names.push((arg.names.to_string(), false));
        }
        names
    }

    fn valid_arg_count(&self, n: usize) -> bool {
        let required = self
            .args
            .iter()
            .rposition(|a| !a.is_optional())
            .map_or(0, |p| p + 1);
        n >= required && n <= self.args.len()
    }

    /// Checks arity and types; on bad arity returns the full help as error -1, as Core does.
    pub fn check_params(&self, params: &[Value]) -> Result<(), RpcError> {
        if !self.valid_arg_count(params.len()) {
            return Err(RpcError::misc(self.help_text()));
        }
        let mut mismatches = serde_json::Map::new();
        for (i, arg) in self.args.iter().enumerate() {
            let value = params.get(i).unwrap_or(&Value::Null);
            if let Some(msg) = arg.type_mismatch(value) {
                mismatches.insert(
                    format!("Position {} ({})", i + 1, arg.names),
                    Value::String(msg),
                );
            }
        }
        if mismatches.is_empty() {
            return Ok(());
        }
        let text = crate::json::to_string_pretty4(&Value::Object(mismatches));
        Err(RpcError::type_error(format!("Wrong type passed:\n{text}")))
    }

    /// The one-line synopsis used by `help` with no arguments.
    pub fn synopsis(&self) -> String {
        if let Some(text) = self.fetch_remote_help() {
            return text.lines().next().unwrap_or_default().to_string();
        }
        let mut s = self.name.to_string();
        let mut was_optional = false;
        for arg in &self.args {
            if arg.hidden {
                break;
            }
            s.push(' ');
            if arg.is_optional() {
                if !was_optional {
                    s.push_str("( ");
                }
                was_optional = true;
            } else {
                if was_optional {
                    s.push_str(") ");
                }
                was_optional = false;
            }
            s.push_str(&arg.synopsis());
        }
        if was_optional {
            s.push_str(" )");
        }
        s
    }

    /// Full help text as shown by `help <name>`.
    pub fn help_text(&self) -> String {
        if let Some(text) = self.fetch_remote_help() {
            return text;
        }
        let mut s = self.synopsis();
        s.push_str("\n\n");
        s.push_str(self.description.trim());
        s.push('\n');
        let mut sections: Vec<(String, String)> = Vec::new();
        let mut named_only: Vec<(String, String)> = Vec::new();
        for (i, arg) in self.args.iter().enumerate() {
            if arg.hidden {
                break;
            }
            sections.push((
                format!("{}. {}", i + 1, arg.first_name()),
                arg.description_line(true),
            ));
            push_inner(&mut sections, arg, 1);
            if arg.ty == ArgType::ObjNamedParams {
                for inner in &arg.inner {
                    named_only.push((inner.first_name().to_string(), inner.description_line(true)));
                }
            }
        }
        if !sections.is_empty() {
            s.push_str("\nArguments:\n");
            s.push_str(&format_sections(&sections));
        }
        if !named_only.is_empty() {
            s.push_str("\nNamed Arguments:\n");
            s.push_str(&format_sections(&named_only));
        }
        if !self.result_help.is_empty() {
            s.push_str("\nResult:\n");
            s.push_str(self.result_help.trim_end());
            s.push('\n');
        }
        if !self.examples.is_empty() {
            s.push_str("\nExamples:\n");
            s.push_str(&self.examples);
        }
        s
    }
}

fn push_inner(sections: &mut Vec<(String, String)>, arg: &Arg, depth: usize) {
    if arg.inner.is_empty() {
        return;
    }
    let indent = "     ".repeat(depth.saturating_sub(1)) + "  ";
    let (open, close) = match arg.ty {
        ArgType::Arr => ("[", "]"),
        _ => ("{", "}"),
    };
    sections.push((format!("{indent}{open}"), String::new()));
    for inner in &arg.inner {
        let left = if arg.ty == ArgType::Arr {
            format!("{indent}  {}", inner.synopsis())
        } else {
            format!(
                "{indent}  \"{}\": {}",
                inner.first_name(),
                inner_value_hint(inner)
            )
        };
        sections.push((left + ",", inner.description_line(true)));
        push_inner(sections, inner, depth + 1);
    }
    sections.push((format!("{indent}{close}"), String::new()));
}

fn inner_value_hint(arg: &Arg) -> String {
    match arg.ty {
        ArgType::Str | ArgType::StrHex => "\"str\"".to_string(),
        ArgType::Num => "n".to_string(),
        ArgType::Amount => "amount".to_string(),
        ArgType::Range => "n or [n,n]".to_string(),
        ArgType::Bool => "bool".to_string(),
        ArgType::Arr => "[".to_string(),
        _ => "{".to_string(),
    }
}

fn format_sections(sections: &[(String, String)]) -> String {
    let pad = sections.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (left, right) in sections {
        if right.is_empty() {
            out.push_str(left);
        } else {
            out.push_str(&format!("{left:<pad$}    {right}"));
        }
        out.push('\n');
    }
    out
}
