//! Reading option objects the way Core's handlers read `UniValue`s: a key
//! that is present counts even when null, a value of the wrong type is a
//! type error (-3) naming both types, an integer that does not fit is
//! "JSON integer out of range" (-1), and `RPCTypeCheckObj` checks the keys
//! in Core's (sorted) order.

use rpc::error::{RpcError, RpcResult};
use rpc::method::json_type_name;
use serde_json::{Map, Value};

/// Core's `UniValue::checkType` failure.
fn wrong_type(v: &Value, expected: &str) -> RpcError {
    RpcError::type_error(format!(
        "JSON value of type {} is not of expected type {expected}",
        json_type_name(v)
    ))
}

/// `get_bool`.
pub fn get_bool(v: &Value) -> RpcResult<bool> {
    v.as_bool().ok_or_else(|| wrong_type(v, "bool"))
}

/// `get_str`.
pub fn get_str(v: &Value) -> RpcResult<&str> {
    v.as_str().ok_or_else(|| wrong_type(v, "string"))
}

/// `get_array`.
pub fn get_array(v: &Value) -> RpcResult<&Vec<Value>> {
    v.as_array().ok_or_else(|| wrong_type(v, "array"))
}

/// `get_obj`.
pub fn get_obj(v: &Value) -> RpcResult<&Map<String, Value>> {
    v.as_object().ok_or_else(|| wrong_type(v, "object"))
}

/// `getInt<T>`: a number whose text is an integer that fits `T`.
pub fn get_int<T: TryFrom<i64>>(v: &Value) -> RpcResult<T> {
    let Value::Number(n) = v else {
        return Err(wrong_type(v, "number"));
    };
    let out_of_range = || RpcError::misc("JSON integer out of range");
    let i = rpc::json::number_to_i64(n).map_err(|_| out_of_range())?;
    T::try_from(i).map_err(|_| out_of_range())
}

/// An options argument as Core's handlers see it: an object, or nothing
/// when the argument is of another type (Core's lookups then find null).
#[derive(Clone, Copy)]
pub struct Opts<'a> {
    obj: Option<&'a Map<String, Value>>,
}

static NULL: Value = Value::Null;

impl<'a> Opts<'a> {
    /// The options in `v`.
    pub fn new(v: &'a Value) -> Self {
        Opts { obj: v.as_object() }
    }

    /// Whether `key` is present (null values count, as `exists` does).
    pub fn exists(&self, key: &str) -> bool {
        self.obj.is_some_and(|o| o.contains_key(key))
    }

    /// The value at `key`, null when absent.
    pub fn get(&self, key: &str) -> &'a Value {
        self.obj.and_then(|o| o.get(key)).unwrap_or(&NULL)
    }

    /// The first of `keys` present, null when none is.
    pub fn first(&self, keys: &[&str]) -> &'a Value {
        keys.iter()
            .find(|k| self.exists(k))
            .map_or(&NULL, |k| self.get(k))
    }

    /// The keys in order.
    pub fn keys(&self) -> impl Iterator<Item = &'a String> {
        self.obj.into_iter().flat_map(|o| o.keys())
    }
}

/// Core's `RPCTypeCheckObj(o, expected, fAllowNull=true, fStrict=true)`:
/// `expected` lists every accepted key with its JSON type (`None` accepts
/// any); keys are checked in sorted order, then unknown keys in the
/// object's order.
pub fn type_check_options(opts: &Opts<'_>, expected: &[(&str, Option<&str>)]) -> RpcResult<()> {
    let mut sorted: Vec<&(&str, Option<&str>)> = expected.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    for (key, ty) in sorted {
        let v = opts.get(key);
        if let Some(ty) = ty {
            if !v.is_null() && json_type_name(v) != *ty {
                return Err(RpcError::type_error(format!(
                    "JSON value of type {} for field {key} is not of expected type {ty}",
                    json_type_name(v)
                )));
            }
        }
    }
    if let Some(extra) = opts
        .keys()
        .find(|k| !expected.iter().any(|(e, _)| e == &k.as_str()))
    {
        return Err(RpcError::type_error(format!("Unexpected key {extra}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn integers_and_types_read_as_univalue() {
        assert_eq!(get_int::<i32>(&json!(5)).unwrap(), 5);
        let e = get_int::<u32>(&json!(-1)).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (-1, "JSON integer out of range")
        );
        let e = get_int::<i32>(&json!(0.5)).unwrap_err();
        assert_eq!(e.message, "JSON integer out of range");
        let e = get_int::<i32>(&json!("5")).unwrap_err();
        assert_eq!(
            (e.code, e.message.as_str()),
            (
                -3,
                "JSON value of type string is not of expected type number"
            )
        );
        let e = get_str(&Value::Null).unwrap_err();
        assert_eq!(
            e.message,
            "JSON value of type null is not of expected type string"
        );
    }

    #[test]
    fn options_are_checked_in_sorted_order_then_unknown_keys() {
        let v = json!({"zeta": 1, "lockUnspents": 1, "add_inputs": "x"});
        let opts = Opts::new(&v);
        let table = [
            ("lockUnspents", Some("bool")),
            ("add_inputs", Some("bool")),
            ("fee_rate", None),
        ];
        let e = type_check_options(&opts, &table).unwrap_err();
        assert_eq!(
            e.message,
            "JSON value of type string for field add_inputs is not of expected type bool"
        );
        let v = json!({"zeta": 1, "fee_rate": {"a": 1}, "add_inputs": null});
        let e = type_check_options(&Opts::new(&v), &table).unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (-3, "Unexpected key zeta"));
        assert!(Opts::new(&v).exists("add_inputs"));
        assert!(Opts::new(&json!(true)).get("x").is_null());
    }
}
