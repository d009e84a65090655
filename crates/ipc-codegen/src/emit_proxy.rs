//! Per interface: the capnp `Server` implementation for `ServerObject<T>`
//! (any `T` implementing the trait) and the trait implementation for
//! `Remote<T>` (any proxy of the interface or of one extending it); per
//! struct: its `StructValue` conversion. Bodies expand through the runtime's
//! `serve!` / `call!` macros, which hold everything that is the same for
//! every method.

use crate::emit_value::{accessor, ident, rust_snake, value_fields, Values};
use crate::rust_api::{RType, StructDef, TraitDef, TraitMethod};
use crate::schema::{capnpc_snake, CType, Field, Kind, Method, Node};
use std::fmt::Write;

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => format!("{}{}", f.to_ascii_uppercase(), c.as_str()),
        None => String::new(),
    }
}

/// The marker trait implemented by `dyn X` for every interface `X` that is
/// or extends the interface `name`.
pub fn marker(name: &str) -> String {
    format!("Is{name}")
}

/// How a method's schema fields line up with its Rust signature.
struct Plan<'f> {
    params: Vec<&'f Field>,
    results: Vec<&'f Field>,
    exceptions: Vec<&'f Field>,
}

fn plan<'f>(
    m: &'f Method,
    tm: &TraitMethod,
    api: &crate::rust_api::RustApi,
) -> Result<Plan<'f>, String> {
    let mut params = value_fields(&m.params, &|_| false);
    if params.len() != tm.params.len() {
        params = value_fields(&m.params, &|_| true);
    }
    if params.len() != tm.params.len() {
        return Err(format!(
            "{} schema parameters, {} in the trait",
            params.len(),
            tm.params.len()
        ));
    }
    let exceptions = m.results.iter().filter(|f| f.exception.is_some()).collect();
    let struct_def = match &tm.ret {
        RType::Leaf(name) => api.find_struct(name.trim()).map(|(_, d)| d),
        _ => None,
    };
    let results = match struct_def {
        Some(def) if value_fields(&m.results, &|_| false).len() > 1 => {
            value_fields(&m.results, &|flag| member(def, flag).is_some())
        }
        _ => {
            let want = match &tm.ret {
                RType::Unit => 0,
                RType::Tuple(items) => items.len(),
                _ => 1,
            };
            let r = value_fields(&m.results, &|_| false);
            if r.len() == want {
                r
            } else {
                value_fields(&m.results, &|_| true)
            }
        }
    };
    Ok(Plan {
        params,
        results,
        exceptions,
    })
}

/// The Rust field of `def` standing for schema field `name`.
pub fn member<'d>(def: &'d StructDef, name: &str) -> Option<&'d crate::rust_api::Member> {
    def.fields
        .iter()
        .find(|f| f.alias.as_deref() == Some(name))
        .or_else(|| {
            def.fields
                .iter()
                .find(|f| f.alias.is_none() && f.name == rust_snake(name))
        })
}

/// The proxies of one schema interface served by trait `tr`.
pub struct InterfaceOut {
    /// Server impl.
    pub server: String,
    /// Client impl and marker trait.
    pub client: String,
}

/// Emits the server and client for interface `node` and trait `tr`.
/// `bases` are the interfaces it extends (their traits' markers get impls).
pub fn emit_interface(
    v: &Values<'_>,
    node: &Node,
    iname: &str,
    tr: &TraitDef,
    bases: &[(String, String)],
) -> Result<InterfaceOut, String> {
    let Kind::Interface { methods, .. } = &node.kind else {
        return Err(format!("{} is not an interface", node.name));
    };
    let cap = &node.rust_path;
    let schema_name = &node.name;
    let mut server = String::new();
    let mut client = String::new();
    let mk = marker(iname);
    writeln!(
        server,
        "impl<T: ?Sized + {iname} + 'static> {cap}::Server for crate::proxy::ServerObject<T> {{"
    )
    .ok();
    let supers: Vec<String> = bases
        .iter()
        .map(|(m, b)| format!("crate::generated::proxies::{m}::{}", marker(b)))
        .collect();
    let supers = if supers.is_empty() {
        String::new()
    } else {
        format!(": {}", supers.join(" + "))
    };
    writeln!(
        client,
        "/// Proxies of interfaces that are or extend `{iname}`.\npub trait {mk}{supers} {{}}\nimpl {mk} for dyn {iname} {{}}"
    )
    .ok();
    for (base_module, base) in bases {
        writeln!(
            client,
            "impl crate::generated::proxies::{base_module}::{} for dyn {iname} {{}}",
            marker(base)
        )
        .ok();
    }
    writeln!(
        client,
        "impl<T: ?Sized + {mk}> {iname} for crate::proxy::Remote<T> {{"
    )
    .ok();
    let mut used = std::collections::HashSet::new();
    for m in methods {
        let snake = capnpc_snake(&m.name);
        let cap_method = snake.clone();
        let alias = capitalize(&m.name);
        let label = format!("{schema_name}.{}", m.name);
        let sig = format!(
            "fn {cap_method}(self: ::std::rc::Rc<Self>, params: {cap}::{alias}Params, mut results: {cap}::{alias}Results) -> impl ::std::future::Future<Output = ::capnp::Result<()>> + 'static"
        );
        if m.name == "destroy" {
            writeln!(
                server,
                "{sig} {{ let _ = &mut results; crate::serve!(destroy, self, params, \"{label}\") }}"
            )
            .ok();
            continue;
        }
        let rust_name = rust_snake(m.proxy_name.as_deref().unwrap_or(&m.name));
        let Some(tm) = tr.methods.iter().find(|t| t.name == rust_name) else {
            // Not part of the trait: the runtime answers it (one line in
            // `crate::overrides` says why).
            writeln!(
                server,
                "{sig} {{ crate::overrides::{}_{}(self, params, results) }}",
                capnpc_snake(schema_name).trim_end_matches('_'),
                snake.trim_end_matches('_')
            )
            .ok();
            continue;
        };
        used.insert(rust_name.clone());
        let p = plan(m, tm, v.api).map_err(|e| format!("{label}: {e}"))?;
        server.push_str(
            &emit_server_method(v, m, tm, &p, &sig, &label).map_err(|e| format!("{label}: {e}"))?,
        );
        client.push_str(
            &emit_client_method(v, m, tm, &p, cap, &label, &snake)
                .map_err(|e| format!("{label}: {e}"))?,
        );
    }
    for tm in &tr.methods {
        if !used.contains(&tm.name) && !tm.has_default {
            return Err(format!(
                "{iname}::{} is in the trait but not in the schema",
                tm.name
            ));
        }
    }
    server.push_str("}\n");
    client.push_str("}\n");
    Ok(InterfaceOut { server, client })
}

/// `(a, b,)`, or `()` for no items.
fn tuple(items: &[String]) -> String {
    if items.is_empty() {
        "()".into()
    } else {
        format!("({},)", items.join(", "))
    }
}

fn exception_kind(f: &Field) -> Result<&'static str, String> {
    match f.exception.as_deref() {
        Some("std::exception") => Ok("Remote"),
        Some("UniValue") => Ok("Rpc"),
        Some("UniValue::type_error") => Ok("TypeError"),
        Some("HelpResult") => Ok("Help"),
        other => Err(format!("unknown exception type {other:?}")),
    }
}

fn emit_server_method(
    v: &Values<'_>,
    m: &Method,
    tm: &TraitMethod,
    p: &Plan<'_>,
    sig: &str,
    label: &str,
) -> Result<String, String> {
    let mut read = String::new();
    let mut args = Vec::new();
    let mut call_args = Vec::new();
    for (i, (f, rp)) in p.params.iter().zip(&tm.params).enumerate() {
        let a = format!("a{i}");
        let owned = rp.ty.owned();
        let expr = v.read_field("p", f, &m.params, &owned)?;
        writeln!(read, "let {a}: {} = {expr};", owned.source()).ok();
        call_args.push(if matches!(rp.ty, RType::Ref(_)) {
            format!("&{a}")
        } else {
            a.clone()
        });
        args.push(a);
    }
    let call = format!("imp.{}({})", ident(&tm.name), call_args.join(", "));
    let write_ok = build_results(v, m, tm, p, "out")?;
    let (run, write) = if p.exceptions.is_empty() {
        (call, write_ok)
    } else {
        let mut arms = String::new();
        for f in &p.exceptions {
            let kind = exception_kind(f)?;
            if kind == "TypeError" {
                continue;
            }
            let set = match &f.ty {
                CType::Text => format!("r.set_{}(&text[..]);", accessor(&f.name)),
                CType::Struct(..) => format!(
                    "r.reborrow().init_{}().set_message(&text[..]);",
                    accessor(&f.name)
                ),
                other => return Err(format!("exception field of type {other:?}")),
            };
            writeln!(arms, "interfaces::Error::{kind}(text) => {{ {set} }}").ok();
        }
        (
            format!("Ok({call})"),
            format!(
                "match out {{ Ok(out) => {{ {write_ok} }} Err(e) => match e {{ {arms} e => return Err(crate::server_call::to_capnp(e)), }} }}"
            ),
        )
    };
    let mode = if m.has_context() { "worker" } else { "inline" };
    let tuple = tuple(&args);
    Ok(format!(
        "{sig} {{ crate::serve!({mode}, self, params, results, \"{label}\", \
         |p, cx| {{ let _ = &cx; {read} Ok({tuple}) }}, \
         |imp, {tuple}| {run}, \
         |r, out| {{ let _ = &cx; {write} Ok(()) }}) }}\n",
    ))
}

/// Statements writing output `out` (the trait's return value) into `r`.
fn build_results(
    v: &Values<'_>,
    m: &Method,
    tm: &TraitMethod,
    p: &Plan<'_>,
    out: &str,
) -> Result<String, String> {
    let mut s = String::new();
    match (&tm.ret, p.results.len()) {
        (RType::Unit, 0) => writeln!(s, "let () = {out};").ok(),
        (ret, 1) => {
            s.push_str(&v.build_field("r", p.results[0], &m.results, false, ret, out, true)?);
            None
        }
        (RType::Tuple(items), n) if items.len() == n => {
            let names: Vec<String> = (0..n).map(|i| format!("o{i}")).collect();
            writeln!(s, "let ({},) = {out};", names.join(", ")).ok();
            for ((f, t), name) in p.results.iter().zip(items).zip(&names) {
                s.push_str(&v.build_field("r", f, &m.results, false, t, name, true)?);
            }
            None
        }
        (RType::Leaf(name), _) => {
            let (_, def) = v
                .api
                .find_struct(name.trim())
                .ok_or_else(|| format!("{name} is not a struct of interfaces"))?;
            for f in &p.results {
                let mem = member(def, &f.name)
                    .ok_or_else(|| format!("{name} has no field for result {}", f.name))?;
                s.push_str(&v.build_field(
                    "r",
                    f,
                    &m.results,
                    false,
                    &mem.ty,
                    &format!("{out}.{}", ident(&mem.name)),
                    true,
                )?);
            }
            None
        }
        (ret, n) => {
            return Err(format!(
                "{n} results cannot be returned as {}",
                ret.source()
            ))
        }
    };
    Ok(s)
}

/// Expression reading the trait's return value from results reader `r`.
fn read_results(
    v: &Values<'_>,
    m: &Method,
    tm: &TraitMethod,
    p: &Plan<'_>,
) -> Result<String, String> {
    Ok(match (&tm.ret, p.results.len()) {
        (RType::Unit, 0) => "()".into(),
        (ret, 1) => v.read_field("r", p.results[0], &m.results, ret)?,
        (RType::Tuple(items), n) if items.len() == n => {
            let parts: Vec<String> = p
                .results
                .iter()
                .zip(items)
                .map(|(f, t)| v.read_field("r", f, &m.results, t))
                .collect::<Result<_, _>>()?;
            format!("({},)", parts.join(", "))
        }
        (RType::Leaf(name), _) => {
            let (_, def) = v
                .api
                .find_struct(name.trim())
                .ok_or_else(|| format!("{name} is not a struct of interfaces"))?;
            let mut parts = Vec::new();
            for f in &p.results {
                let mem = member(def, &f.name)
                    .ok_or_else(|| format!("{name} has no field for result {}", f.name))?;
                parts.push(format!(
                    "{}: {}",
                    ident(&mem.name),
                    v.read_field("r", f, &m.results, &mem.ty)?
                ));
            }
            if parts.len() != def.fields.len() {
                return Err(format!("{name} has fields the schema does not carry"));
            }
            format!("{name} {{ {} }}", parts.join(", "))
        }
        (ret, n) => {
            return Err(format!(
                "{n} results cannot be returned as {}",
                ret.source()
            ))
        }
    })
}

fn emit_client_method(
    v: &Values<'_>,
    m: &Method,
    tm: &TraitMethod,
    p: &Plan<'_>,
    cap: &str,
    label: &str,
    snake: &str,
) -> Result<String, String> {
    let mut sig_params = Vec::new();
    let mut prelude = String::new();
    let mut build = String::new();
    for (i, (f, rp)) in p.params.iter().zip(&tm.params).enumerate() {
        let a = format!("a{i}");
        sig_params.push(format!("{a}: {}", rp.ty.source()));
        if matches!(rp.ty, RType::Ref(_)) {
            writeln!(prelude, "let {a} = ::std::borrow::ToOwned::to_owned({a});").ok();
        }
        build.push_str(&v.build_field("p", f, &m.params, false, &rp.ty.owned(), &a, true)?);
    }
    let value = read_results(v, m, tm, p)?;
    let mut checks = String::new();
    for f in &p.exceptions {
        let kind = exception_kind(f)?;
        let text = match &f.ty {
            CType::Text => format!(
                "crate::convert::TextValue::from_text(r.get_{}()?)?",
                accessor(&f.name)
            ),
            CType::Struct(..) => format!(
                "crate::convert::TextValue::from_text(r.get_{}()?.get_message()?)?",
                accessor(&f.name)
            ),
            other => return Err(format!("exception field of type {other:?}")),
        };
        let err = if kind == "TypeError" {
            format!("crate::convert::exception::type_error({text})")
        } else {
            format!("interfaces::Error::{kind}({text})")
        };
        writeln!(
            checks,
            "if r.has_{}() {{ return Ok(Err({err})); }}",
            accessor(&f.name)
        )
        .ok();
    }
    let (read, tail) = if p.exceptions.is_empty() {
        (format!("Ok({value})"), "")
    } else {
        (format!("{checks} Ok(Ok({value}))"), ".and_then(|r| r)")
    };
    Ok(format!(
        "fn {}(&self, {}) -> interfaces::Result<{}> {{ {prelude} crate::call!(self.cap, {cap}::Client, \"{label}\", {snake}_request, {}, \
         |p, cx| {{ let _ = &cx; {build} Ok(()) }}, \
         |r, cx| {{ let _ = &cx; {read} }}){tail} }}\n",
        ident(&tm.name),
        sig_params.join(", "),
        tm.ret.source(),
        m.has_context(),
    ))
}

/// `StructValue` for Rust struct `name` carried as schema struct `node`.
pub fn emit_struct(
    v: &Values<'_>,
    node: &Node,
    name: &str,
    def: &StructDef,
) -> Result<String, String> {
    let Kind::Struct(fields) = &node.kind else {
        return Err(format!("{} is not a struct", node.name));
    };
    let cap = &node.rust_path;
    let vf = value_fields(fields, &|flag| member(def, flag).is_some());
    let mut build = String::new();
    let mut read = Vec::new();
    for f in &vf {
        let mem =
            member(def, &f.name).ok_or_else(|| format!("{name} has no field for {}", f.name))?;
        let place = format!("self.{}", ident(&mem.name));
        build.push_str(
            &v.build_field("b", f, fields, false, &mem.ty, &place, false)
                .map_err(|e| format!("{name}: {e}"))?,
        );
        read.push(format!(
            "{}: {}",
            ident(&mem.name),
            v.read_field("r", f, fields, &mem.ty)
                .map_err(|e| format!("{name}: {e}"))?
        ));
    }
    if read.len() != def.fields.len() {
        return Err(format!(
            "{name} has fields schema struct {} does not carry",
            node.name
        ));
    }
    Ok(format!(
        "impl crate::convert::StructValue<{cap}::Owned> for {name} {{\n\
         fn build(&self, mut b: {cap}::Builder<'_>, cx: &crate::convert::Cx) -> ::capnp::Result<()> {{ let _ = cx; {build} Ok(()) }}\n\
         fn read(r: {cap}::Reader<'_>, cx: &crate::convert::Cx) -> ::capnp::Result<Self> {{ let _ = cx; Ok({name} {{ {} }}) }}\n\
         }}\n",
        read.join(", ")
    ))
}
