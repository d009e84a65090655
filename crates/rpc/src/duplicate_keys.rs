//! Finds repeated keys in a request's named `params`, which a parsed
//! `serde_json::Value` would silently collapse. Core keeps every key it reads
//! and rejects a repeated one ("Parameter X specified multiple times"), which
//! Core's `bitcoin-cli -named` relies on when it sends `args` twice.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// For the request body `body`, the first repeated key of each request's
/// `params` object: one entry for a single request, one per item for a batch.
/// Bodies that are not JSON yield an empty list (the caller reports those).
pub fn repeated_param_keys(body: &[u8]) -> Vec<Option<String>> {
    match serde_json::from_slice::<Body>(body) {
        Ok(Body(v)) => v,
        Err(_) => Vec::new(),
    }
}

struct Body(Vec<Option<String>>);

impl<'de> Deserialize<'de> for Body {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct BodyVisitor;
        impl<'de> Visitor<'de> for BodyVisitor {
            type Value = Body;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON-RPC request or batch")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Body, A::Error> {
                Ok(Body(vec![request_probe(map)?]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Body, A::Error> {
                let mut out = Vec::new();
                while let Some(Probe(dup)) = seq.next_element::<Probe<false>>()? {
                    out.push(dup);
                }
                Ok(Body(out))
            }
        }
        d.deserialize_any(BodyVisitor)
    }
}

/// A JSON value probed for a repeated key: with `PARAMS` it is a `params`
/// member (its own keys are checked), without it a request object (its
/// `params` member is). Anything that is not an object yields `None`.
struct Probe<const PARAMS: bool>(Option<String>);

impl<'de, const PARAMS: bool> Deserialize<'de> for Probe<PARAMS> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ProbeVisitor<const P: bool>;
        impl<'de, const P: bool> Visitor<'de> for ProbeVisitor<P> {
            type Value = Probe<P>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Probe<P>, A::Error> {
                Ok(Probe(if P {
                    first_repeated_key(map)?
                } else {
                    request_probe(map)?
                }))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Probe<P>, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Probe(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
            fn visit_unit<E>(self) -> Result<Probe<P>, E> {
                Ok(Probe(None))
            }
        }
        d.deserialize_any(ProbeVisitor::<PARAMS>)
    }
}

/// Walks a request object; the last `params` member is the one that counts,
/// as with the parsed value.
fn request_probe<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<String>, A::Error> {
    let mut dup = None;
    while let Some(key) = map.next_key::<String>()? {
        if key == "params" {
            dup = map.next_value::<Probe<true>>()?.0;
        } else {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(dup)
}

/// The first key that appears twice in an object.
fn first_repeated_key<'de, A: MapAccess<'de>>(mut map: A) -> Result<Option<String>, A::Error> {
    let mut seen = HashSet::new();
    let mut dup = None;
    while let Some(key) = map.next_key::<String>()? {
        map.next_value::<IgnoredAny>()?;
        if dup.is_none() && !seen.insert(key.clone()) {
            dup = Some(key);
        }
    }
    Ok(dup)
}

#[cfg(test)]
mod tests {
    use super::repeated_param_keys;

    #[test]
    fn finds_the_repeated_key_of_each_request() {
        let one = br#"{"method":"echo","params":{"args":[0],"arg0":1,"args":[4]}}"#;
        assert_eq!(repeated_param_keys(one), vec![Some("args".to_string())]);
        let batch = br#"[{"method":"a","params":{"x":1,"y":2}},3,{"params":{"y":1,"y":2}}]"#;
        assert_eq!(
            repeated_param_keys(batch),
            vec![None, None, Some("y".to_string())]
        );
        assert_eq!(repeated_param_keys(br#"{"params":[1,1]}"#), vec![None]);
        assert!(repeated_param_keys(b"{bad").is_empty());
    }
}
