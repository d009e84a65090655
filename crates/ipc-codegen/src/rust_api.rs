//! The Rust side of the contract: the traits and structs of
//! `crates/interfaces`, read with `syn`. A schema interface is served by the
//! trait of the same name, a schema struct carried by the struct of the same
//! name; the generator takes every Rust type from here, so the trait is the
//! one place a method's Rust signature is written.

use quote::ToTokens;
use std::collections::HashMap;
use std::path::Path;

/// The shape of a Rust type, as far as the generator needs to look into it.
#[derive(Debug, Clone, PartialEq)]
pub enum RType {
    /// `()`.
    Unit,
    /// `&T` (parameters only).
    Ref(Box<RType>),
    /// `str` (behind `&`).
    Str,
    /// `[T]` (behind `&`).
    Slice(Box<RType>),
    /// `Option<T>`.
    Option(Box<RType>),
    /// `Vec<T>`.
    Vec(Box<RType>),
    /// `Box<T>` of a sized type (recursive structs).
    Boxed(Box<RType>),
    /// `Box<dyn Trait>`: a capability, owned.
    DynBox(String),
    /// `Arc<dyn Trait>`: a capability, shared.
    DynArc(String),
    /// `(A, B, …)`.
    Tuple(Vec<RType>),
    /// `Outcome<T>` (Core's `util::Result<T>`).
    Outcome(Box<RType>),
    /// Any other type, as written.
    Leaf(String),
}

impl RType {
    /// The type as Rust source.
    pub fn source(&self) -> String {
        match self {
            RType::Unit => "()".into(),
            RType::Ref(t) => format!("&{}", t.source()),
            RType::Str => "str".into(),
            RType::Slice(t) => format!("[{}]", t.source()),
            RType::Option(t) => format!("Option<{}>", t.source()),
            RType::Vec(t) => format!("Vec<{}>", t.source()),
            RType::Boxed(t) => format!("Box<{}>", t.source()),
            RType::DynBox(t) => format!("Box<dyn {t}>"),
            RType::DynArc(t) => format!("std::sync::Arc<dyn {t}>"),
            RType::Tuple(ts) => {
                let inner: Vec<String> = ts.iter().map(RType::source).collect();
                format!("({},)", inner.join(", "))
            }
            RType::Outcome(t) => format!("interfaces::Outcome<{}>", t.source()),
            RType::Leaf(s) => s.clone(),
        }
    }

    /// The owned type a parameter of this type is read into on the server
    /// (`&str` → `String`, `&[T]` → `Vec<T>`, `&T` → `T`).
    pub fn owned(&self) -> RType {
        match self {
            RType::Ref(t) => match &**t {
                RType::Str => RType::Leaf("String".into()),
                RType::Slice(e) => RType::Vec(e.clone()),
                RType::Leaf(p) if p.trim().ends_with("Path") => {
                    RType::Leaf("std::path::PathBuf".into())
                }
                t => t.clone(),
            },
            t => t.clone(),
        }
    }
}

/// One parameter or field.
#[derive(Debug, Clone)]
pub struct Member {
    /// Its Rust name.
    pub name: String,
    /// The schema name it stands for, when `#[doc(alias = "…")]` renames it.
    pub alias: Option<String>,
    /// Its type.
    pub ty: RType,
}

/// One trait method.
#[derive(Debug, Clone)]
pub struct TraitMethod {
    /// Its name.
    pub name: String,
    /// Its parameters after `&self`.
    pub params: Vec<Member>,
    /// `T` of its `Result<T>`.
    pub ret: RType,
    /// Whether it has a default body.
    pub has_default: bool,
}

/// A trait of `interfaces`.
#[derive(Debug, Clone)]
pub struct TraitDef {
    /// Its module (`chain`, `node`, …).
    pub module: String,
    /// The traits of `interfaces` it extends (not `Send`/`Sync`).
    pub supertraits: Vec<String>,
    /// Its methods.
    pub methods: Vec<TraitMethod>,
}

/// A struct of `interfaces` with named fields.
#[derive(Debug, Clone)]
pub struct StructDef {
    /// Its module.
    pub module: String,
    /// Its fields.
    pub fields: Vec<Member>,
}

/// Everything read from the crate.
#[derive(Default)]
pub struct RustApi {
    /// Traits by name.
    pub traits: HashMap<String, TraitDef>,
    /// Structs by name.
    pub structs: HashMap<String, StructDef>,
    /// Per module, its `use` items rewritten for use from another crate.
    pub uses: HashMap<String, Vec<String>>,
    /// Type aliases (`type CoinsByDestination = Vec<…>`), seen through.
    pub aliases: HashMap<String, RType>,
}

fn last_segment(p: &syn::TypePath) -> Option<(&syn::Ident, Vec<&syn::Type>)> {
    let seg = p.path.segments.last()?;
    let args = match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((&seg.ident, args))
}

fn dyn_trait(t: &syn::Type) -> Option<String> {
    if let syn::Type::TraitObject(o) = t {
        for b in &o.bounds {
            if let syn::TypeParamBound::Trait(tb) = b {
                return Some(tb.path.to_token_stream().to_string().replace(' ', ""));
            }
        }
    }
    None
}

/// A type as written, with `crate::` paths as another crate writes them.
fn written(t: &syn::Type) -> String {
    let text = t.to_token_stream().to_string();
    match text.strip_prefix("crate ::") {
        Some(rest) => format!("interfaces ::{rest}"),
        None => text,
    }
}

/// The shape of a `syn` type.
pub fn shape(t: &syn::Type) -> RType {
    match t {
        syn::Type::Reference(r) => RType::Ref(Box::new(shape(&r.elem))),
        syn::Type::Slice(s) => RType::Slice(Box::new(shape(&s.elem))),
        syn::Type::Paren(p) => shape(&p.elem),
        syn::Type::Tuple(t) if t.elems.is_empty() => RType::Unit,
        syn::Type::Tuple(t) => RType::Tuple(t.elems.iter().map(shape).collect()),
        syn::Type::Path(p) => {
            let Some((ident, args)) = last_segment(p) else {
                return RType::Leaf(written(t));
            };
            let one = args.first().copied();
            match (ident.to_string().as_str(), one) {
                ("str", None) => RType::Str,
                ("Option", Some(a)) => RType::Option(Box::new(shape(a))),
                ("Vec", Some(a)) => RType::Vec(Box::new(shape(a))),
                ("Outcome", Some(a)) => RType::Outcome(Box::new(shape(a))),
                ("Box", Some(a)) => match dyn_trait(a) {
                    Some(tr) => RType::DynBox(tr),
                    None => RType::Boxed(Box::new(shape(a))),
                },
                ("Arc", Some(a)) => match dyn_trait(a) {
                    Some(tr) => RType::DynArc(tr),
                    None => RType::Leaf(written(t)),
                },
                _ => RType::Leaf(written(t)),
            }
        }
        _ => RType::Leaf(written(t)),
    }
}

fn doc_alias(attrs: &[syn::Attribute]) -> Option<String> {
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        let mut alias = None;
        let _ = a.parse_nested_meta(|m| {
            if m.path.is_ident("alias") {
                let v: syn::LitStr = m.value()?.parse()?;
                alias = Some(v.value());
            }
            Ok(())
        });
        if alias.is_some() {
            return alias;
        }
    }
    None
}

/// `T` of `Result<T>`; other return types are an error.
fn result_type(ret: &syn::ReturnType) -> Result<RType, String> {
    let syn::ReturnType::Type(_, t) = ret else {
        return Err("returns nothing (interface methods return Result<T>)".into());
    };
    if let syn::Type::Path(p) = &**t {
        if let Some((ident, args)) = last_segment(p) {
            if ident == "Result" && args.len() == 1 {
                return Ok(shape(args[0]));
            }
        }
    }
    Err(format!(
        "returns {} (interface methods return Result<T>)",
        t.to_token_stream()
    ))
}

fn module_of(root: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts.join("::")
}

/// `use crate::x::Y;` as another crate writes it (`use interfaces::x::Y;`).
fn rewrite_use(u: &syn::ItemUse) -> String {
    let text = u.tree.to_token_stream().to_string().replace(' ', "");
    let text = match text.strip_prefix("crate::") {
        Some(rest) => format!("interfaces::{rest}"),
        None => text,
    };
    let text = match text.strip_prefix("super::") {
        Some(rest) => format!("interfaces::{rest}"),
        None => text,
    };
    format!("use {text};")
}

impl RustApi {
    /// The trait for schema interface `name`: the same name, or the same
    /// letters in Rust's casing (`JSONRPCRequest` ↔ `JsonRpcRequest`).
    pub fn find_trait(&self, name: &str) -> Option<(&str, &TraitDef)> {
        find(&self.traits, name)
    }

    /// The struct for schema struct `name`, matched like [`RustApi::find_trait`].
    pub fn find_struct(&self, name: &str) -> Option<(&str, &StructDef)> {
        find(&self.structs, name)
    }

    /// Reads every `.rs` file under `root` (the crate's `src`).
    pub fn load(root: &Path) -> Result<RustApi, String> {
        let mut api = RustApi::default();
        let mut files = Vec::new();
        collect(root, &mut files).map_err(|e| format!("reading {}: {e}", root.display()))?;
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| format!("reading {}: {e}", file.display()))?;
            let parsed =
                syn::parse_file(&text).map_err(|e| format!("parsing {}: {e}", file.display()))?;
            let module = module_of(root, &file);
            api.read_items(&module, &parsed.items)?;
        }
        api.expand_aliases();
        Ok(api)
    }

    /// Replaces every alias name by the type it stands for.
    fn expand_aliases(&mut self) {
        let aliases = self.aliases.clone();
        let expand = |t: &mut RType| expand(t, &aliases, 0);
        for tr in self.traits.values_mut() {
            for m in &mut tr.methods {
                expand(&mut m.ret);
                for p in &mut m.params {
                    expand(&mut p.ty);
                }
            }
        }
        for st in self.structs.values_mut() {
            for f in &mut st.fields {
                expand(&mut f.ty);
            }
        }
    }

    fn read_items(&mut self, module: &str, items: &[syn::Item]) -> Result<(), String> {
        for item in items {
            match item {
                syn::Item::Use(u) => self
                    .uses
                    .entry(module.to_string())
                    .or_default()
                    .push(rewrite_use(u)),
                syn::Item::Trait(t) => {
                    let mut methods = Vec::new();
                    for ti in &t.items {
                        let syn::TraitItem::Fn(f) = ti else { continue };
                        let mut params = Vec::new();
                        for input in f.sig.inputs.iter().skip(1) {
                            if let syn::FnArg::Typed(pt) = input {
                                params.push(Member {
                                    name: pt.pat.to_token_stream().to_string(),
                                    alias: None,
                                    ty: shape(&pt.ty),
                                });
                            }
                        }
                        let ret = result_type(&f.sig.output)
                            .map_err(|e| format!("{module}::{}::{}: {e}", t.ident, f.sig.ident))?;
                        methods.push(TraitMethod {
                            name: f.sig.ident.to_string(),
                            params,
                            ret,
                            has_default: f.default.is_some(),
                        });
                    }
                    let supertraits = t
                        .supertraits
                        .iter()
                        .filter_map(|b| match b {
                            syn::TypeParamBound::Trait(tb) => {
                                tb.path.segments.last().map(|s| s.ident.to_string())
                            }
                            _ => None,
                        })
                        .filter(|n| n != "Send" && n != "Sync")
                        .collect();
                    self.traits.insert(
                        t.ident.to_string(),
                        TraitDef {
                            module: module.to_string(),
                            supertraits,
                            methods,
                        },
                    );
                }
                syn::Item::Type(t) if t.generics.params.is_empty() => {
                    self.aliases.insert(t.ident.to_string(), shape(&t.ty));
                }
                syn::Item::Struct(s) => {
                    if let syn::Fields::Named(named) = &s.fields {
                        let fields = named
                            .named
                            .iter()
                            .map(|f| Member {
                                name: f.ident.as_ref().map(|i| i.to_string()).unwrap_or_default(),
                                alias: doc_alias(&f.attrs),
                                ty: shape(&f.ty),
                            })
                            .collect();
                        self.structs.insert(
                            s.ident.to_string(),
                            StructDef {
                                module: module.to_string(),
                                fields,
                            },
                        );
                    }
                }
                // Unit tests are not part of the contract.
                syn::Item::Mod(m) if m.ident == "tests" => {}
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        let nested = if module.is_empty() {
                            m.ident.to_string()
                        } else {
                            format!("{module}::{}", m.ident)
                        };
                        self.read_items(&nested, inner)?;
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// `t` with alias names replaced (aliases of aliases too, a few levels deep).
fn expand(t: &mut RType, aliases: &HashMap<String, RType>, depth: u32) {
    match t {
        RType::Leaf(name) => {
            let key = name.rsplit("::").next().unwrap_or(name).trim().to_string();
            if let (Some(a), true) = (aliases.get(&key), depth < 8) {
                *t = a.clone();
                expand(t, aliases, depth + 1);
            }
        }
        RType::Ref(i)
        | RType::Slice(i)
        | RType::Option(i)
        | RType::Vec(i)
        | RType::Boxed(i)
        | RType::Outcome(i) => expand(i, aliases, depth),
        RType::Tuple(items) => items.iter_mut().for_each(|i| expand(i, aliases, depth)),
        RType::Unit | RType::Str | RType::DynBox(_) | RType::DynArc(_) => {}
    }
}

fn find<'a, T>(map: &'a HashMap<String, T>, name: &str) -> Option<(&'a str, &'a T)> {
    if let Some((k, v)) = map.get_key_value(name) {
        return Some((k.as_str(), v));
    }
    let lower = name.to_ascii_lowercase();
    map.iter()
        .find(|(k, _)| k.to_ascii_lowercase() == lower)
        .map(|(k, v)| (k.as_str(), v))
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    Ok(())
}
