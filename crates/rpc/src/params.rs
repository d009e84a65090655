//! Typed RPC parameters: a method declares its parameters once, as a struct written
//! with [`rpc_params!`](crate::rpc_params), and the framework derives from that one
//! declaration the [`Arg`] list (help, arity and type checks, named-parameter mapping,
//! `bitcoin-cli`'s conversion table) and the conversion of the request into the
//! struct the handler receives.
//!
//! ```
//! use rpc::{rpc_params, RpcMethod};
//! use serde_json::json;
//!
//! rpc_params! {
//!     /// `getblockheader`'s parameters.
//!     struct GetBlockHeaderParams {
//!         /// The block hash
//!         blockhash: bitcoin::BlockHash [StrHex, required, label = "hash"],
//!         /// true for a json object, false for the hex-encoded data
//!         verbose: bool [Bool, default = true],
//!     }
//! }
//!
//! let method = RpcMethod::new(
//!     "getblockheader",
//!     "blockchain",
//!     "Returns a block header.",
//!     |_, p: GetBlockHeaderParams| Ok(json!([p.blockhash.to_string(), p.verbose])),
//! );
//! assert_eq!(method.synopsis(), "getblockheader \"blockhash\" ( verbose )");
//! ```
//!
//! A field is `name: Type [ArgType, fallback, options…]`:
//! - `ArgType` is a variant of [`ArgType`] (the JSON type help shows and the
//!   generic type check enforces);
//! - the fallback is `required`, `optional` (the type is then an `Option`),
//!   `default = <json>` (shown in help and converted when the argument is left
//!   out) or `hint = "<text>"` (help shows the text; the type is an `Option` and
//!   the handler decides);
//! - options: `names = "a|b"` (Core's name with aliases, instead of the field
//!   name), `label = "…"` (the name hash errors use, when Core's differs),
//!   `help = <expr>` (a computed description instead of the doc comment),
//!   `inner = <Vec<Arg>>`, `oneline = "…"`, `hidden`, `skip_type_check`.
//!
//! The doc comment of a field is its help text (lines joined with `\n`). A field
//! `name: Other [flatten]` splices the parameters of another `rpc_params!` struct
//! in at that position. A struct whose type is used as a field becomes an object
//! argument: its fields are the object's keys (for [`ArgType::ObjNamedParams`]
//! they may also be passed as named parameters).

use crate::error::{RpcError, RpcResult};
use crate::method::{json_type_name, Arg, Fallback};
use serde_json::Value;

/// A set of parameters a method handler receives, converted from the positional
/// parameters of a request (named ones are mapped to positions before).
pub trait RpcParams: Sized {
    /// How many positional arguments the set takes.
    const ARG_COUNT: usize;
    /// The argument descriptions, in position order.
    fn args() -> Vec<Arg>;
    /// Converts `values` (positional, possibly fewer than the arguments) using
    /// `args`, which must be what [`RpcParams::args`] returns.
    fn from_positional(values: &[Value], args: &[Arg]) -> RpcResult<Self>;
}

impl RpcParams for () {
    const ARG_COUNT: usize = 0;
    fn args() -> Vec<Arg> {
        Vec::new()
    }
    fn from_positional(_: &[Value], _: &[Arg]) -> RpcResult<Self> {
        Ok(())
    }
}

/// A type one argument converts into. The value is the argument as given, or its
/// declared default, or null; the conversion fails with Core's texts.
pub trait FromParam: Sized {
    /// Converts `value`, the argument described by `arg`.
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self>;
    /// The fields (objects) or element (arrays) help lists under the argument.
    fn inner_args() -> Vec<Arg> {
        Vec::new()
    }
}

/// Core's text for a JSON value of the wrong type (`UniValue::checkType`), -3.
pub fn type_mismatch(value: &Value, expected: &str) -> RpcError {
    RpcError::type_error(format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(value)
    ))
}

impl FromParam for Value {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        Ok(value.clone())
    }
}

impl<T: FromParam> FromParam for Option<T> {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        match value {
            Value::Null => Ok(None),
            v => T::from_param(v, arg).map(Some),
        }
    }
    fn inner_args() -> Vec<Arg> {
        T::inner_args()
    }
}

impl FromParam for bool {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        value.as_bool().ok_or_else(|| type_mismatch(value, "bool"))
    }
}

impl FromParam for String {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        match value {
            Value::String(s) => Ok(s.clone()),
            v => Err(type_mismatch(v, "string")),
        }
    }
}

impl FromParam for i64 {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        match value {
            Value::Number(n) => crate::json::number_to_i64(n),
            v => Err(type_mismatch(v, "number")),
        }
    }
}

/// Integers narrower than `i64`: a number outside the type's range is Core's
/// "JSON integer out of range" (-1), as `UniValue::getInt<T>` answers.
macro_rules! narrow_int {
    ($($t:ty),*) => {$(
        impl FromParam for $t {
            fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
                <$t>::try_from(i64::from_param(value, arg)?)
                    .map_err(|_| RpcError::misc("JSON integer out of range"))
            }
        }
    )*};
}
narrow_int!(i32, u16, u32, u64, usize);

impl FromParam for f64 {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        value.as_f64().ok_or_else(|| type_mismatch(value, "number"))
    }
}

impl FromParam for bitcoin::BlockHash {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        crate::json::parse_hash(&String::from_param(value, arg)?, arg.error_name())
    }
}

impl FromParam for bitcoin::Txid {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        crate::json::parse_txid(&String::from_param(value, arg)?, arg.error_name())
    }
}

/// An amount in BTC given as a number or a numeric string, with Core's
/// `AmountFromValue` errors.
impl FromParam for bitcoin::Amount {
    fn from_param(value: &Value, _: &Arg) -> RpcResult<Self> {
        let sats = crate::json::amount_from_value(value, 8)?;
        Ok(bitcoin::Amount::from_sat(sats.unsigned_abs()))
    }
}

/// An array; an absent (null) array is empty. Elements convert as the argument's
/// own type would (a string element of `Vec<String>`, …).
impl<T: FromParam> FromParam for Vec<T> {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        match value {
            Value::Null => Ok(Vec::new()),
            Value::Array(items) => items.iter().map(|v| T::from_param(v, arg)).collect(),
            v => Err(type_mismatch(v, "array")),
        }
    }
}

/// An argument converted only when the handler asks for it, for arguments Core
/// reads on some paths only (so that their conversion errors appear only there).
#[derive(Debug, Clone)]
pub struct Deferred<T> {
    value: Value,
    arg: Arg,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: FromParam> Deferred<T> {
    /// Converts the argument (its declared default when left out).
    pub fn get(&self) -> RpcResult<T> {
        T::from_param(&self.value, &self.arg)
    }
}

impl<T: FromParam> FromParam for Deferred<T> {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        Ok(Deferred {
            value: value.clone(),
            arg: arg.clone(),
            _type: std::marker::PhantomData,
        })
    }
    fn inner_args() -> Vec<Arg> {
        T::inner_args()
    }
}

/// An options object whose keys are checked as Core's `RPCTypeCheckObj(…,
/// allow_null=true, strict=STRICT)` before it converts into `T`: a key of the
/// wrong JSON type is a type error (-3) naming the field, and with `STRICT` so
/// is a key `T` does not declare ("Unexpected key …").
#[derive(Debug, Clone)]
pub struct TypeCheckedObject<T, const STRICT: bool>(pub T);

/// An options object checked as `RPCTypeCheckObj` (unknown keys ignored).
pub type CheckedObject<T> = TypeCheckedObject<T, false>;

/// An options object checked as strict `RPCTypeCheckObj` (unknown keys fail).
pub type StrictObject<T> = TypeCheckedObject<T, true>;

/// `RPCTypeCheckObj` over the keys `args` declare, with Core's texts.
fn type_check_object(value: &Value, args: &[Arg], strict: bool) -> RpcResult<()> {
    let Value::Object(obj) = value else {
        return Ok(());
    };
    for a in args {
        let v = obj.get(a.first_name()).unwrap_or(&Value::Null);
        match a.ty.expected_json_type() {
            Some(ty) if !v.is_null() && json_type_name(v) != ty => {
                return Err(RpcError::type_error(format!(
                    "JSON value of type {} for field {} is not of expected type {ty}",
                    json_type_name(v),
                    a.first_name()
                )))
            }
            _ => {}
        }
    }
    if strict {
        if let Some(extra) = obj
            .keys()
            .find(|k| !args.iter().any(|a| a.first_name() == k.as_str()))
        {
            return Err(RpcError::type_error(format!("Unexpected key {extra}")));
        }
    }
    Ok(())
}

impl<T: RpcParams + FromParam, const STRICT: bool> FromParam for TypeCheckedObject<T, STRICT> {
    fn from_param(value: &Value, arg: &Arg) -> RpcResult<Self> {
        type_check_object(value, &T::args(), STRICT)?;
        T::from_param(value, arg).map(TypeCheckedObject)
    }
    fn inner_args() -> Vec<Arg> {
        T::args()
    }
}

/// The value of argument `i`: as given, else its declared default, else null.
pub fn value_at<'a>(values: &'a [Value], i: usize, arg: &'a Arg) -> &'a Value {
    static NULL: Value = Value::Null;
    match values.get(i) {
        Some(v) if !v.is_null() => v,
        _ => match &arg.fallback {
            Fallback::Default(v) => v,
            _ => &NULL,
        },
    }
}

/// The positional values of an object argument: for each of `args`, the value of
/// the first of its names the object has. Null reads as an empty object.
pub fn object_fields(value: &Value, args: &[Arg]) -> RpcResult<Vec<Value>> {
    let obj = match value {
        Value::Null => return Ok(vec![Value::Null; args.len()]),
        Value::Object(o) => o,
        v => return Err(type_mismatch(v, "object")),
    };
    Ok(args
        .iter()
        .map(|a| {
            a.names
                .split('|')
                .find_map(|n| obj.get(n))
                .cloned()
                .unwrap_or(Value::Null)
        })
        .collect())
}

/// A parameter struct asked for more arguments than it declared (a bug).
pub fn missing_arg() -> RpcError {
    RpcError::new(
        crate::error::code::INTERNAL_ERROR,
        "parameter declaration and arguments differ",
    )
}

/// A field's name as written, without the `r#` of a raw identifier.
pub fn field_name(name: &'static str) -> &'static str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Help text from doc-comment lines: joined with newlines, one leading space each
/// (the one after `///`) dropped.
pub fn doc_text(lines: &[&str]) -> String {
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect();
    lines.join("\n")
}

/// Declares a parameter struct; see the [module documentation](crate::params).
#[macro_export]
macro_rules! rpc_params {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $(
                $(#[doc = $doc:literal])*
                $fvis:vis $field:ident : $ty:ty [ $($spec:tt)* ]
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[doc = $doc])* $fvis $field: $ty, )*
        }

        impl $crate::params::RpcParams for $name {
            const ARG_COUNT: usize = 0 $( + $crate::rpc_params!(@count $ty; $($spec)*) )*;

            #[allow(unused_mut, clippy::vec_init_then_push)]
            fn args() -> ::std::vec::Vec<$crate::Arg> {
                let mut args = ::std::vec::Vec::new();
                $( $crate::rpc_params!(@push args; $field; $ty; [$($doc),*]; $($spec)*); )*
                args
            }

            #[allow(unused_assignments, unused_mut, unused_variables)]
            fn from_positional(
                values: &[$crate::params::__Value],
                args: &[$crate::Arg],
            ) -> $crate::RpcResult<Self> {
                let mut next = 0usize;
                ::std::result::Result::Ok($name {
                    $( $field: $crate::rpc_params!(@take values, args, next; $ty; $($spec)*), )*
                })
            }
        }

        impl $crate::params::FromParam for $name {
            fn from_param(
                value: &$crate::params::__Value,
                _: &$crate::Arg,
            ) -> $crate::RpcResult<Self> {
                let args = <Self as $crate::params::RpcParams>::args();
                let values = $crate::params::object_fields(value, &args)?;
                <Self as $crate::params::RpcParams>::from_positional(&values, &args)
            }
            fn inner_args() -> ::std::vec::Vec<$crate::Arg> {
                <Self as $crate::params::RpcParams>::args()
            }
        }
    };

    (@count $ty:ty; flatten) => { <$ty as $crate::params::RpcParams>::ARG_COUNT };
    (@count $ty:ty; $($spec:tt)*) => { 1 };

    (@push $args:ident; $field:ident; $ty:ty; [$($doc:literal),*]; flatten) => {
        $args.extend(<$ty as $crate::params::RpcParams>::args())
    };
    (@push $args:ident; $field:ident; $ty:ty; [$($doc:literal),*]; $argty:ident $($opts:tt)*) => {
        $args.push($crate::rpc_params!(@opts (
            $crate::Arg::required(
                $crate::params::field_name(stringify!($field)),
                $crate::ArgType::$argty,
                $crate::params::doc_text(&[$($doc),*]),
            )
            .inner(<$ty as $crate::params::FromParam>::inner_args())
        ) $($opts)*))
    };

    (@take $values:ident, $args:ident, $next:ident; $ty:ty; flatten) => {{
        let n = <$ty as $crate::params::RpcParams>::ARG_COUNT;
        let v = <$ty as $crate::params::RpcParams>::from_positional(
            $values.get($next..).unwrap_or(&[]),
            $args.get($next..$next + n).ok_or_else($crate::params::missing_arg)?,
        )?;
        $next += n;
        v
    }};
    (@take $values:ident, $args:ident, $next:ident; $ty:ty; $($spec:tt)*) => {{
        let arg = $args.get($next).ok_or_else($crate::params::missing_arg)?;
        let v = <$ty as $crate::params::FromParam>::from_param(
            $crate::params::value_at($values, $next, arg),
            arg,
        )?;
        $next += 1;
        v
    }};

    (@opts ($($acc:tt)*)) => { $($acc)* };
    (@opts ($($acc:tt)*) , required $($rest:tt)*) => {
        $crate::rpc_params!(@opts ($($acc)*) $($rest)*)
    };
    (@opts ($($acc:tt)*) , optional $($rest:tt)*) => {
        $crate::rpc_params!(@opts ($($acc)*.fallback($crate::Fallback::Omitted)) $($rest)*)
    };
    (@opts ($($acc:tt)*) , hidden $($rest:tt)*) => {
        $crate::rpc_params!(@opts ($($acc)*.hidden()) $($rest)*)
    };
    (@opts ($($acc:tt)*) , skip_type_check $($rest:tt)*) => {
        $crate::rpc_params!(@opts ($($acc)*.skip_type_check()) $($rest)*)
    };
    (@opts ($($acc:tt)*) , default = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.fallback($crate::Fallback::Default(
            $crate::params::__json!($e)
        ))) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , hint = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.fallback($crate::Fallback::DefaultHint(
            ::std::string::String::from($e)
        ))) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , names = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.names($e)) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , label = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.label($e)) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , help = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.description($e)) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , inner = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.inner($e)) $(, $($rest)*)?)
    };
    (@opts ($($acc:tt)*) , oneline = $e:expr $(, $($rest:tt)*)?) => {
        $crate::rpc_params!(@opts ($($acc)*.oneline($e)) $(, $($rest)*)?)
    };
}

#[doc(hidden)]
pub use serde_json::json as __json;
#[doc(hidden)]
pub use serde_json::Value as __Value;

#[cfg(test)]
mod tests {
    use crate::{ArgType, Fallback, RpcMethod, RpcRequest, RpcTable};
    use serde_json::{json, Value};

    rpc_params! {
        /// Options of `demo`.
        #[derive(Debug)]
        struct DemoOptions {
            /// Keep it in memory
            in_memory: bool [Bool, default = false],
            /// Height or hash
            rollback: Option<Value> [Num, optional, skip_type_check],
        }
    }

    rpc_params! {
        /// The leading pair of `demo`.
        #[derive(Debug)]
        struct Head {
            /// The block hash
            blockhash: bitcoin::BlockHash [StrHex, required, label = "hash"],
            /// How much
            /// to say
            verbosity: i64 [Num, default = 1, names = "verbosity|verbose"],
        }
    }

    rpc_params! {
        /// `demo`'s parameters.
        #[derive(Debug)]
        struct Demo {
            head: Head [flatten],
            /// A count
            r#type: Option<u32> [Num, hint = "all"],
            options: DemoOptions [ObjNamedParams, optional],
        }
    }

    fn table() -> RpcTable {
        let t = RpcTable::new();
        t.finish_warmup();
        t.register(RpcMethod::new("demo", "test", "Demo.", |_, p: Demo| {
            Ok(json!([
                p.head.blockhash.to_string(),
                p.head.verbosity,
                p.r#type,
                p.options.in_memory,
                p.options.rollback
            ]))
        }));
        t
    }

    fn call(params: Value) -> Result<Value, (i32, String)> {
        table()
            .execute(RpcRequest::new("demo", vec![]), params)
            .map_err(|e| (e.code, e.message))
    }

    const H: &str = "0000000000000000000000000000000000000000000000000000000000000001";

    #[test]
    fn declaration_gives_the_argument_list() {
        use super::RpcParams;
        let args = Demo::args();
        assert_eq!(Demo::ARG_COUNT, 4);
        let names: Vec<&str> = args.iter().map(|a| a.names).collect();
        assert_eq!(names, ["blockhash", "verbosity|verbose", "type", "options"]);
        assert_eq!(args[1].fallback, Fallback::Default(json!(1)));
        assert_eq!(args[1].description, "How much\nto say");
        assert_eq!(args[2].fallback, Fallback::DefaultHint("all".into()));
        assert_eq!(args[3].ty, ArgType::ObjNamedParams);
        assert_eq!(args[3].inner.len(), 2);
        assert!(args[3].inner[1].skip_type_check);
        let m = table().get("demo").expect("registered");
        assert_eq!(
            m.synopsis(),
            "demo \"blockhash\" ( verbosity type {\"in_memory\":bool,\"rollback\":n,...} )"
        );
    }

    #[test]
    fn values_defaults_and_named_forms() {
        assert_eq!(call(json!([H])), Ok(json!([H, 1, null, false, null])));
        assert_eq!(
            call(json!([H, 3, 7, {"in_memory": true, "rollback": "x"}])),
            Ok(json!([H, 3, 7, true, "x"]))
        );
        assert_eq!(
            call(json!({"blockhash": H, "verbose": 2, "in_memory": true})),
            Ok(json!([H, 2, null, true, null]))
        );
        assert_eq!(
            call(json!({"args": [H], "type": 5})),
            Ok(json!([H, 1, 5, false, null]))
        );
    }

    #[test]
    fn conversion_errors_are_cores() {
        assert_eq!(
            call(json!(["abc"])),
            Err((-8, "hash must be of length 64 (not 3, for 'abc')".into()))
        );
        assert_eq!(
            call(json!([H, 1.5])),
            Err((-1, "JSON integer out of range".into()))
        );
        assert_eq!(
            call(json!([H, 1, -1])),
            Err((-1, "JSON integer out of range".into()))
        );
        assert_eq!(
            call(json!([H, 1, 1, {"in_memory": 1}])),
            Err((
                -3,
                "JSON value of type number is not of expected type bool".into()
            ))
        );
        let (code, text) = call(json!([H, "x"])).unwrap_err();
        assert_eq!(code, -3);
        assert!(text.starts_with("Wrong type passed:"));
        assert_eq!(
            call(json!({"blockhash": H, "zz": 1})),
            Err((-8, "Unknown named parameter zz".into()))
        );
    }
}
