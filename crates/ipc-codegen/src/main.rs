//! `ipc-codegen SCHEMA_DIR INTERFACES_SRC OUT_DIR`: compiles every `.capnp`
//! file under `SCHEMA_DIR` with the `capnp` compiler and writes capnpc's Rust
//! modules to `OUT_DIR`, then the proxies (`OUT_DIR/proxies/`): for every
//! schema interface, the server and client of the trait of the same name in
//! `INTERFACES_SRC`, and for every schema struct, the conversion of the Rust
//! struct of the same name (see `emit_proxy`); plus `methods.rs`, a table of
//! every interface method (id, ordinal, name, whether it takes a `context`).
//! `contrib/regen-ipc.sh` runs it; the output is committed so that building
//! the project never needs the compiler.

mod emit_fakes;
mod emit_proxy;
mod emit_value;
mod rust_api;
mod schema;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn schema_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            schema_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "capnp") {
            out.push(path);
        }
    }
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 5 {
        eprintln!("usage: ipc-codegen SCHEMA_DIR INTERFACES_SRC OUT_DIR FAKES_FILE");
        std::process::exit(2);
    }
    let fakes_file = PathBuf::from(&args[4]);
    let (schema_dir, interfaces_dir, out_dir) = (
        PathBuf::from(&args[1]),
        PathBuf::from(&args[2]),
        PathBuf::from(&args[3]),
    );
    let mut files = Vec::new();
    if let Err(e) = schema_files(&schema_dir, &mut files) {
        eprintln!("Error: reading {}: {e}", schema_dir.display());
        std::process::exit(1);
    }
    // Sorted so that the output does not depend on directory order.
    files.sort();
    let request_path = out_dir.join("request.bin");
    let mut cmd = capnpc::CompilerCommand::new();
    cmd.raw_code_generator_request_path(&request_path);
    cmd.src_prefix(&schema_dir)
        .import_path(&schema_dir)
        .output_path(&out_dir)
        .default_parent_module(vec!["generated".into()]);
    for f in &files {
        cmd.file(f);
    }
    if let Err(e) = cmd.run() {
        eprintln!("Error: capnp compile failed: {e}");
        std::process::exit(1);
    }
    let bytes = std::fs::read(&request_path);
    let _ = std::fs::remove_file(&request_path);
    let result = bytes
        .map_err(|e| format!("reading the code generator request: {e}"))
        .and_then(|bytes| {
            let table = method_table(&bytes).map_err(|e| e.to_string())?;
            std::fs::write(out_dir.join("methods.rs"), table)
                .map_err(|e| format!("writing methods.rs: {e}"))?;
            let schema = schema::Schema::load(&bytes).map_err(|e| e.to_string())?;
            let api = rust_api::RustApi::load(&interfaces_dir)?;
            write_proxies(&schema, &api, &out_dir.join("proxies"))?;
            let (labels, exceptions) = method_labels(&schema, &api);
            std::fs::write(&fakes_file, emit_fakes::emit(&api, &labels, &exceptions))
                .map_err(|e| format!("writing {}: {e}", fakes_file.display()))
        });
    if let Err(e) = result {
        eprintln!("Error: {e}");
        std::process::exit(1);
    }
}

/// Writes `proxies/<module>.rs` for every module of `interfaces` with a
/// served trait or a carried struct, and `proxies/mod.rs`.
fn write_proxies(
    schema: &schema::Schema,
    api: &rust_api::RustApi,
    dir: &Path,
) -> Result<(), String> {
    use schema::Kind;
    let values = emit_value::Values::new(schema, api);
    let mut modules: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut without_trait = Vec::new();
    let mut nodes: Vec<&schema::Node> = schema.nodes.values().collect();
    nodes.sort_by(|a, b| (&a.file, &a.name).cmp(&(&b.file, &b.name)));
    for node in &nodes {
        if node.implicit || node.file.starts_with("mp/") {
            continue;
        }
        match &node.kind {
            Kind::Interface { .. } => {
                let Some((_, tr)) = api.find_trait(&node.name) else {
                    without_trait.push(node.name.clone());
                    continue;
                };
                let bases = ancestors(schema, node.id)
                    .into_iter()
                    .filter_map(|id| schema.node(id))
                    .filter_map(|b| {
                        api.find_trait(&b.name)
                            .map(|(n, t)| (file_name(&t.module), n.to_string()))
                    })
                    .collect::<Vec<_>>();
                let rust_name = api
                    .find_trait(&node.name)
                    .map(|(n, _)| n)
                    .unwrap_or(&node.name);
                let out = emit_proxy::emit_interface(&values, node, rust_name, tr, &bases)?;
                let items = modules.entry(tr.module.clone()).or_default();
                items.push((format!("1 {}", node.name), out.server));
                items.push((format!("2 {}", node.name), out.client));
            }
            Kind::Struct(fields) => {
                let generic = fields.iter().any(|f| contains_param(&f.ty));
                let Some((rust_name, def)) = api.find_struct(&node.name) else {
                    continue;
                };
                if generic {
                    continue;
                }
                let text = emit_proxy::emit_struct(&values, node, rust_name, def)?;
                modules
                    .entry(def.module.clone())
                    .or_default()
                    .push((format!("0 {}", node.name), text));
            }
            Kind::Other => {}
        }
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut mod_rs = String::from(
        "//! Proxies and struct conversions for the traits and structs of `interfaces`,\n\
         //! one module per module there (generated by ipc-codegen from `schema/` and\n\
         //! `crates/interfaces`; do not edit).\n",
    );
    if !without_trait.is_empty() {
        without_trait.sort();
        mod_rs.push_str(&format!(
            "//!\n//! Schema interfaces without a trait (not served): {}.\n",
            without_trait.join(", ")
        ));
    }
    mod_rs.push('\n');
    for (module, mut items) in modules {
        items.sort();
        let file = file_name(&module);
        mod_rs.push_str(&format!("pub mod {file};\n"));
        let import = if module.is_empty() {
            "use interfaces::*;".to_string()
        } else {
            format!("use interfaces::{module}::*;")
        };
        let uses = api
            .uses
            .get(&module)
            .cloned()
            .unwrap_or_default()
            .join("\n");
        let body: Vec<String> = items.into_iter().map(|(_, t)| t).collect();
        let text = format!(
            "//! Proxies for `interfaces::{module}` (generated by ipc-codegen; do not edit).\n\n\
             {import}\n{uses}\n\n{}",
            body.join("\n")
        );
        std::fs::write(dir.join(format!("{file}.rs")), text)
            .map_err(|e| format!("writing {file}.rs: {e}"))?;
    }
    std::fs::write(dir.join("mod.rs"), mod_rs).map_err(|e| format!("writing mod.rs: {e}"))
}

/// For every trait method that serves a schema method: its schema label
/// (`Chain.findBlock`), and the error kinds its exception fields carry.
#[allow(clippy::type_complexity)]
fn method_labels(
    schema: &schema::Schema,
    api: &rust_api::RustApi,
) -> (
    BTreeMap<String, String>,
    BTreeMap<String, Vec<&'static str>>,
) {
    let mut labels = BTreeMap::new();
    let mut exceptions = BTreeMap::new();
    for node in schema.nodes.values() {
        let schema::Kind::Interface { methods, .. } = &node.kind else {
            continue;
        };
        let Some((trait_name, _)) = api.find_trait(&node.name) else {
            continue;
        };
        for m in methods {
            let rust = emit_value::rust_snake(m.proxy_name.as_deref().unwrap_or(&m.name));
            let label = format!("{}.{}", node.name, m.name);
            let kinds: Vec<&'static str> = m
                .results
                .iter()
                .filter_map(|f| match f.exception.as_deref() {
                    Some("std::exception") => Some("Remote"),
                    Some("UniValue") => Some("Rpc"),
                    Some("HelpResult") => Some("Help"),
                    _ => None,
                })
                .collect();
            if !kinds.is_empty() {
                exceptions.insert(label.clone(), kinds);
            }
            labels.insert(format!("{trait_name}::{rust}"), label);
        }
    }
    (labels, exceptions)
}

/// The file name for module `m` of `interfaces`.
fn file_name(m: &str) -> String {
    if m.is_empty() {
        "root".into()
    } else {
        m.replace("::", "_")
    }
}

fn contains_param(t: &schema::CType) -> bool {
    match t {
        schema::CType::Param(..) => true,
        schema::CType::List(e) => contains_param(e),
        schema::CType::Struct(_, a) => a.iter().any(contains_param),
        _ => false,
    }
}

/// Every interface `id` extends, directly or not.
fn ancestors(schema: &schema::Schema, id: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut todo = vec![id];
    while let Some(i) = todo.pop() {
        if let Some(schema::Node {
            kind: schema::Kind::Interface { extends, .. },
            ..
        }) = schema.node(i)
        {
            for e in extends {
                if !out.contains(e) {
                    out.push(*e);
                    todo.push(*e);
                }
            }
        }
    }
    out
}

/// Rust source listing every interface method of the compiled schemas.
fn method_table(bytes: &[u8]) -> capnp::Result<String> {
    use capnp::schema_capnp::{code_generator_request, node};
    let message = capnp::serialize::read_message_from_flat_slice(
        &mut &bytes[..],
        capnp::message::ReaderOptions::new(),
    )?;
    let request = message.get_root::<code_generator_request::Reader>()?;
    let mut structs = std::collections::HashMap::new();
    for n in request.get_nodes()? {
        if let node::Struct(st) = n.which()? {
            let names: Vec<String> = st
                .get_fields()?
                .iter()
                .map(|f| Ok(f.get_name()?.to_string()?))
                .collect::<capnp::Result<_>>()?;
            structs.insert(n.get_id(), names);
        }
    }
    let mut rows = Vec::new();
    for n in request.get_nodes()? {
        if let node::Interface(iface) = n.which()? {
            let display = n.get_display_name()?.to_string()?;
            let prefix = n.get_display_name_prefix_length() as usize;
            let name = display.get(prefix..).unwrap_or(&display).to_string();
            for (ordinal, m) in iface.get_methods()?.iter().enumerate() {
                let method = m.get_name()?.to_string()?;
                let has_context = structs
                    .get(&m.get_param_struct_type())
                    .is_some_and(|f| f.iter().any(|f| f == "context"));
                rows.push((name.clone(), ordinal, format!(
                    "    Method {{ interface: \"{name}\", interface_id: {:#x}, ordinal: {ordinal}, name: \"{method}\", has_context: {has_context} }},",
                    n.get_id()
                )));
            }
        }
    }
    rows.sort();
    let rows: Vec<String> = rows.into_iter().map(|(_, _, row)| row).collect();
    Ok(format!(
        "//! Every interface method of `schema/` (generated by ipc-codegen).\n\n\
         /// One method of a schema interface.\n\
         #[derive(Debug, Clone, Copy)]\n\
         pub struct Method {{\n\
         /// Interface name, e.g. `Echo`.\n\
         pub interface: &'static str,\n\
         /// Interface id on the wire.\n\
         pub interface_id: u64,\n\
         /// Method ordinal on the wire.\n\
         pub ordinal: u16,\n\
         /// Method name, e.g. `echo`.\n\
         pub name: &'static str,\n\
         /// Whether it takes `context :Proxy.Context` (runs on a worker).\n\
         pub has_context: bool,\n\
         }}\n\n\
         /// All methods, sorted.\n\
         pub const METHODS: &[Method] = &[\n{}\n];\n",
        rows.join("\n")
    ))
}
