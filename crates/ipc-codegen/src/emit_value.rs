//! Code that moves one value between a capnp reader or builder and a Rust
//! place, chosen by the field's capnp type and the Rust type it carries:
//! leaves go through the `ipc::convert` traits (number, text, data, struct,
//! interface); lists, optional values (`hasX` flags or unset pointers),
//! boxes and the generic structs `Pair`/`PairInt64`/`PairUInt64`/`Result`/
//! `ResultVoid` are unrolled here.

use crate::rust_api::{RType, RustApi};
use crate::schema::{is_keyword, CType, Field, Kind, Schema};
use std::cell::Cell;

/// Where a value is read from.
#[derive(Clone)]
pub enum Source {
    /// Field `name` of reader `obj`.
    Field { obj: String, name: String },
    /// Element `idx` of list reader `list`.
    Elem { list: String, idx: String },
}

/// Where a value is written to.
#[derive(Clone)]
pub enum Sink {
    /// Field `name` of builder `obj`; `generic` when its type is a generic
    /// parameter (capnpc names the list initializer `initn_`).
    Field {
        obj: String,
        name: String,
        generic: bool,
    },
    /// Element `idx` of list builder `list`.
    Elem { list: String, idx: String },
}

/// Emits conversion code.
pub struct Values<'a> {
    /// The schemas.
    pub schema: &'a Schema,
    /// The Rust traits and structs.
    pub api: &'a RustApi,
    counter: Cell<u32>,
}

/// The generator's own snake case: acronyms stay together
/// (`getTransactionsByTxID` → `get_transactions_by_tx_id`).
pub fn rust_snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `name` as a Rust identifier.
pub fn ident(name: &str) -> String {
    if is_keyword(name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// capnpc's accessor suffix for a field.
pub fn accessor(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `hasX` for field `x`.
pub fn has_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(f) => format!("has{}{}", f.to_ascii_uppercase(), c.as_str()),
        None => "has".into(),
    }
}

/// The fields of a struct that carry values: `hasX` flags whose `x` is
/// carried as an `Option` are folded into it (`rust_has(name)` tells whether
/// the Rust side has a field or parameter of its own for a flag).
pub fn value_fields<'f>(
    fields: &'f [Field],
    flag_is_member: &dyn Fn(&str) -> bool,
) -> Vec<&'f Field> {
    fields
        .iter()
        .filter(|f| f.name != "context" && f.exception.is_none() && f.ty != CType::Void)
        .filter(|f| !is_presence_flag(f, fields) || flag_is_member(&f.name))
        .collect()
}

/// Whether `f` is the `hasX` flag of another field `x`.
pub fn is_presence_flag(f: &Field, fields: &[Field]) -> bool {
    f.ty == CType::Prim("Bool") && fields.iter().any(|o| has_name(&o.name) == f.name)
}

fn prim_rust(p: &str) -> &'static str {
    match p {
        "Bool" => "bool",
        "Int8" => "i8",
        "Int16" => "i16",
        "Int32" => "i32",
        "Int64" => "i64",
        "UInt8" => "u8",
        "UInt16" => "u16",
        "UInt32" => "u32",
        "UInt64" => "u64",
        "Float32" => "f32",
        _ => "f64",
    }
}

impl<'a> Values<'a> {
    /// An emitter over `schema` and `api`.
    pub fn new(schema: &'a Schema, api: &'a RustApi) -> Self {
        Values {
            schema,
            api,
            counter: Cell::new(0),
        }
    }

    fn fresh(&self, base: &str) -> String {
        let n = self.counter.get();
        self.counter.set(n + 1);
        format!("{base}{n}")
    }

    /// The fields of struct `id` with `args` bound to its generic parameters.
    pub fn struct_fields(&self, id: u64, args: &[CType]) -> Result<(String, Vec<Field>), String> {
        let node = self
            .schema
            .node(id)
            .ok_or_else(|| format!("unknown struct {id:#x}"))?;
        let Kind::Struct(fields) = &node.kind else {
            return Err(format!("{} is not a struct", node.name));
        };
        let fields = fields
            .iter()
            .map(|f| Field {
                ty: f.ty.bind(id, args),
                ..f.clone()
            })
            .collect();
        Ok((node.name.clone(), fields))
    }

    /// The Rust path of the capnp module of node `id`.
    pub fn cap_path(&self, id: u64) -> Result<String, String> {
        self.schema
            .node(id)
            .map(|n| n.rust_path.clone())
            .ok_or_else(|| format!("unknown node {id:#x}"))
    }

    fn read_expr(src: &Source, ct: &CType) -> String {
        match src {
            Source::Field { obj, name } => {
                let q = if ct.is_pointer() { "?" } else { "" };
                format!("{obj}.get_{}(){q}", accessor(name))
            }
            Source::Elem { list, idx } => {
                let q = match ct {
                    CType::Prim(_) | CType::Void | CType::Struct(..) => "",
                    _ => "?",
                };
                format!("{list}.get({idx}){q}")
            }
        }
    }

    /// Expression reading field `f` (among `fields`) of reader `obj` as `rt`.
    pub fn read_field(
        &self,
        obj: &str,
        f: &Field,
        fields: &[Field],
        rt: &RType,
    ) -> Result<String, String> {
        let src = Source::Field {
            obj: obj.into(),
            name: f.name.clone(),
        };
        if let RType::Option(inner) = rt {
            let flag = has_name(&f.name);
            if fields
                .iter()
                .any(|o| o.name == flag && o.ty == CType::Prim("Bool"))
            {
                let v = self.read_value(&f.ty, inner, &src)?;
                return Ok(format!(
                    "if {obj}.get_{}() {{ Some({v}) }} else {{ None }}",
                    accessor(&flag)
                ));
            }
            if f.ty == CType::Data {
                // Unset or (for most types) empty: none, as Core reads a
                // null `CTransactionRef`.
                let v = self.read_value(&f.ty, rt, &src)?;
                return Ok(format!(
                    "if {obj}.has_{}() {{ {v} }} else {{ None }}",
                    accessor(&f.name)
                ));
            }
            if f.ty.is_pointer() {
                let v = self.read_value(&f.ty, inner, &src)?;
                return Ok(format!(
                    "if {obj}.has_{}() {{ Some({v}) }} else {{ None }}",
                    accessor(&f.name)
                ));
            }
        }
        self.read_value(&f.ty, rt, &src)
            .map_err(|e| format!("field {}: {e}", f.name))
    }

    /// Expression reading a value of capnp type `ct` from `src` as `rt`.
    pub fn read_value(&self, ct: &CType, rt: &RType, src: &Source) -> Result<String, String> {
        if let RType::Boxed(inner) = rt {
            return Ok(format!("Box::new({})", self.read_value(ct, inner, src)?));
        }
        let get = Self::read_expr(src, ct);
        Ok(match ct {
            CType::Void => "()".into(),
            CType::Prim(_) => format!("crate::convert::Number::from_wire({get})?"),
            CType::Text => format!("crate::convert::TextValue::from_text({get})?"),
            CType::Data => format!("crate::convert::DataValue::from_data({get})?"),
            CType::Interface(_) => {
                match rt {
                    RType::DynBox(t) => format!(
                        "Box::new(crate::convert::interface::import::<dyn {t}>(cx, {get}.client)) as Box<dyn {t}>"
                    ),
                    RType::DynArc(t) => format!(
                        "::std::sync::Arc::new(crate::convert::interface::import::<dyn {t}>(cx, {get}.client)) as ::std::sync::Arc<dyn {t}>"
                    ),
                    other => {
                        return Err(format!(
                            "a capability needs Box<dyn Trait> or Arc<dyn Trait>, not {}",
                            other.source()
                        ))
                    }
                }
            }
            CType::List(elem) => {
                let inner = match rt {
                    RType::Vec(i) | RType::Slice(i) => i,
                    other => return Err(format!("a List needs Vec<T>, not {}", other.source())),
                };
                let (l, i, v) = (self.fresh("l"), self.fresh("i"), self.fresh("v"));
                let e = self.read_value(
                    elem,
                    inner,
                    &Source::Elem {
                        list: l.clone(),
                        idx: i.clone(),
                    },
                )?;
                format!(
                    "{{ let {l} = {get}; let mut {v} = Vec::with_capacity({l}.len() as usize); \
                     for {i} in 0..{l}.len() {{ {v}.push({e}); }} {v} }}"
                )
            }
            CType::Struct(id, args) => return self.read_struct(*id, args, rt, &get),
            CType::Param(..) | CType::Unsupported(_) => {
                return Err(format!("unsupported capnp type {ct:?}"))
            }
        })
    }

    fn read_struct(
        &self,
        id: u64,
        args: &[CType],
        rt: &RType,
        get: &str,
    ) -> Result<String, String> {
        let (name, fields) = self.struct_fields(id, args)?;
        let e = self.fresh("s");
        match (name.as_str(), rt) {
            ("Result", RType::Outcome(inner)) | ("ResultVoid", RType::Outcome(inner)) => {
                let err_field = fields
                    .iter()
                    .find(|f| f.name == "error")
                    .ok_or("Result without error")?;
                let err = self.read_value(
                    &err_field.ty,
                    &RType::Leaf("interfaces::BilingualStr".into()),
                    &Source::Field {
                        obj: e.clone(),
                        name: "error".into(),
                    },
                )?;
                let ok = match fields.iter().find(|f| f.name == "value") {
                    Some(vf) => self.read_field(&e, vf, &fields, inner)?,
                    None => "()".into(),
                };
                Ok(format!(
                    "{{ let {e} = {get}; if {e}.has_error() {{ Err({err}) }} else {{ Ok({ok}) }} }}"
                ))
            }
            (_, RType::Tuple(items)) if !args.is_empty() => {
                let vf = value_fields(&fields, &|_| false);
                if vf.len() != items.len() {
                    return Err(format!(
                        "{name} has {} values, the tuple {}",
                        vf.len(),
                        items.len()
                    ));
                }
                let parts: Vec<String> = vf
                    .iter()
                    .zip(items)
                    .map(|(f, t)| self.read_field(&e, f, &fields, t))
                    .collect::<Result<_, _>>()?;
                Ok(format!("{{ let {e} = {get}; ({},) }}", parts.join(", ")))
            }
            _ if !args.is_empty() => Err(format!("generic struct {name} as {}", rt.source())),
            _ => {
                let path = self.cap_path(id)?;
                Ok(format!(
                    "crate::convert::StructValue::<{path}::Owned>::read({get}, cx)?"
                ))
            }
        }
    }

    fn set_stmt(sink: &Sink, value: &str, ct: &CType) -> String {
        match sink {
            Sink::Field { obj, name, .. } => {
                let call = format!("{obj}.set_{}({value})", accessor(name));
                if ct.is_pointer() {
                    format!("crate::convert::settled({call})?;")
                } else {
                    format!("{call};")
                }
            }
            Sink::Elem { list, idx } => format!("{list}.set({idx}, {value});"),
        }
    }

    fn init_expr(sink: &Sink, len: Option<&str>) -> String {
        match (sink, len) {
            (Sink::Field { obj, name, .. }, None) => {
                format!("{obj}.reborrow().init_{}()", accessor(name))
            }
            (Sink::Field { obj, name, generic }, Some(n)) => format!(
                "{obj}.reborrow().{}_{}({n})",
                if *generic { "initn" } else { "init" },
                accessor(name)
            ),
            (Sink::Elem { list, idx }, None) => format!("{list}.reborrow().get({idx})"),
            (Sink::Elem { list, idx }, Some(n)) => format!("{list}.reborrow().init({idx}, {n})"),
        }
    }

    /// Statements writing `place` (of type `rt`) into field `f` (among
    /// `fields`) of builder `obj`. `owned` when the place may be moved from.
    #[allow(clippy::too_many_arguments)]
    pub fn build_field(
        &self,
        obj: &str,
        f: &Field,
        fields: &[Field],
        generic: bool,
        rt: &RType,
        place: &str,
        owned: bool,
    ) -> Result<String, String> {
        let sink = Sink::Field {
            obj: obj.into(),
            name: f.name.clone(),
            generic,
        };
        if let RType::Option(inner) = rt {
            let flag = has_name(&f.name);
            let has_flag = fields
                .iter()
                .any(|o| o.name == flag && o.ty == CType::Prim("Bool"));
            if has_flag || f.ty.is_pointer() {
                let v = self.fresh("o");
                let (pat, inner_place) = if owned {
                    (format!("Some({v})"), v.clone())
                } else {
                    (format!("Some({v})"), format!("(*{v})"))
                };
                let scrutinee = if owned {
                    place.to_string()
                } else {
                    format!("&{place}")
                };
                let body = self.build_value(&f.ty, inner, &inner_place, owned, &sink)?;
                let set_flag = if has_flag {
                    format!("{obj}.set_{}(true);", accessor(&flag))
                } else {
                    String::new()
                };
                return Ok(format!(
                    "if let {pat} = {scrutinee} {{ {body} {set_flag} }}"
                ));
            }
        }
        self.build_value(&f.ty, rt, place, owned, &sink)
            .map_err(|e| format!("field {}: {e}", f.name))
    }

    /// Statements writing `place` (of type `rt`) as capnp type `ct` to `sink`.
    pub fn build_value(
        &self,
        ct: &CType,
        rt: &RType,
        place: &str,
        owned: bool,
        sink: &Sink,
    ) -> Result<String, String> {
        if let RType::Boxed(inner) = rt {
            return self.build_value(ct, inner, &format!("(*{place})"), owned, sink);
        }
        Ok(match ct {
            CType::Void => String::new(),
            CType::Prim(p) => Self::set_stmt(
                sink,
                &format!(
                    "<_ as crate::convert::Number<{}>>::to_wire(&{place})?",
                    prim_rust(p)
                ),
                ct,
            ),
            CType::Text => Self::set_stmt(
                sink,
                &format!("crate::convert::TextValue::to_text(&{place})"),
                ct,
            ),
            CType::Data => Self::set_stmt(
                sink,
                &format!("crate::convert::DataValue::to_data(&{place})?.as_ref()"),
                ct,
            ),
            CType::Interface(id) => {
                let path = self.cap_path(*id)?;
                let (tr, arc) = match (rt, owned) {
                    (RType::DynBox(t), true) => (t, format!("::std::sync::Arc::from({place})")),
                    (RType::DynArc(t), true) => (t, place.to_string()),
                    (RType::DynArc(t), false) => (t, format!("{place}.clone()")),
                    (other, _) => {
                        return Err(format!(
                            "a capability {} here must be Arc<dyn Trait>",
                            other.source()
                        ))
                    }
                };
                let client = format!(
                    "crate::convert::interface::export::<dyn {tr}, {path}::Client>(cx, {arc})"
                );
                match sink {
                    Sink::Elem { .. } => Self::set_stmt(sink, &format!("{client}.client.hook"), ct),
                    Sink::Field { .. } => Self::set_stmt(sink, &client, ct),
                }
            }
            CType::List(elem) => {
                let inner = match rt {
                    RType::Vec(i) | RType::Slice(i) => i,
                    other => return Err(format!("a List needs Vec<T>, not {}", other.source())),
                };
                let (l, i, e) = (self.fresh("l"), self.fresh("i"), self.fresh("e"));
                let len = format!("crate::convert::len({place}.len())?");
                let (iter, elem_place) = if owned {
                    (format!("{place}.into_iter()"), e.clone())
                } else {
                    (format!("{place}.iter()"), format!("(*{e})"))
                };
                let body = self.build_value(
                    elem,
                    inner,
                    &elem_place,
                    owned,
                    &Sink::Elem {
                        list: l.clone(),
                        idx: format!("{i} as u32"),
                    },
                )?;
                format!(
                    "{{ let mut {l} = {}; for ({i}, {e}) in {iter}.enumerate() {{ {body} }} }}",
                    Self::init_expr(sink, Some(&len))
                )
            }
            CType::Struct(id, args) => self.build_struct(*id, args, rt, place, owned, sink)?,
            CType::Param(..) | CType::Unsupported(_) => {
                return Err(format!("unsupported capnp type {ct:?}"))
            }
        })
    }

    fn build_struct(
        &self,
        id: u64,
        args: &[CType],
        rt: &RType,
        place: &str,
        owned: bool,
        sink: &Sink,
    ) -> Result<String, String> {
        let (name, fields) = self.struct_fields(id, args)?;
        let b = self.fresh("b");
        let init = Self::init_expr(sink, None);
        let generic = !args.is_empty();
        let field_of = |n: &str| fields.iter().find(|f| f.name == n);
        match (name.as_str(), rt) {
            ("Result", RType::Outcome(inner)) | ("ResultVoid", RType::Outcome(inner)) => {
                let (v, err) = (self.fresh("v"), self.fresh("err"));
                let (scrutinee, vp, ep) = if owned {
                    (place.to_string(), v.clone(), err.clone())
                } else {
                    (format!("&{place}"), format!("(*{v})"), format!("(*{err})"))
                };
                let ef = field_of("error").ok_or("Result without error")?;
                let err_build = self.build_field(
                    &b,
                    ef,
                    &fields,
                    false,
                    &RType::Leaf("interfaces::BilingualStr".into()),
                    &ep,
                    owned,
                )?;
                let ok_build = match field_of("value") {
                    Some(vf) => self.build_field(&b, vf, &fields, true, inner, &vp, owned)?,
                    None => String::new(),
                };
                Ok(format!(
                    "{{ #[allow(unused_mut)] let mut {b} = {init}; match {scrutinee} {{ Ok({v}) => {{ let _ = &{v}; {ok_build} }} Err({err}) => {{ {err_build} }} }} }}"
                ))
            }
            (_, RType::Tuple(items)) if generic => {
                let vf = value_fields(&fields, &|_| false);
                if vf.len() != items.len() {
                    return Err(format!(
                        "{name} has {} values, the tuple {}",
                        vf.len(),
                        items.len()
                    ));
                }
                let names: Vec<String> = items.iter().map(|_| self.fresh("t")).collect();
                let (scrutinee, places): (String, Vec<String>) = if owned {
                    (place.to_string(), names.clone())
                } else {
                    (
                        format!("&{place}"),
                        names.iter().map(|n| format!("(*{n})")).collect(),
                    )
                };
                let mut body = String::new();
                for ((f, t), p) in vf.iter().zip(items).zip(&places) {
                    body.push_str(&self.build_field(&b, f, &fields, true, t, p, owned)?);
                }
                Ok(format!(
                    "{{ let mut {b} = {init}; let ({},) = {scrutinee}; {body} }}",
                    names.join(", ")
                ))
            }
            _ if generic => Err(format!("generic struct {name} as {}", rt.source())),
            _ => {
                let path = self.cap_path(id)?;
                Ok(format!(
                    "crate::convert::StructValue::<{path}::Owned>::build(&{place}, {init}, cx)?;"
                ))
            }
        }
    }
}
