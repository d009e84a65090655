//! Test support for the round-trip test of every method: a `Fake` that
//! implements every trait of `interfaces` (records each call's arguments,
//! answers with sample values), `probe_*` functions that call every method of
//! an object with sample arguments, and `Sample` / `Fingerprint` for every
//! struct. A capability's fingerprint is the probe of it, so capabilities
//! passed either way are exercised in both directions. The helpers these
//! build on (`Sample`, `Fingerprint`, the call log) are hand-written in the
//! test support next to the output.

use crate::rust_api::{RType, RustApi};
use std::collections::BTreeMap;
use std::fmt::Write;

fn exception_kinds(label: &str, exceptions: &BTreeMap<String, Vec<&'static str>>) -> String {
    match exceptions.get(label) {
        Some(kinds) => format!(
            "&[{}]",
            kinds
                .iter()
                .map(|k| format!("\"{k}\""))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        None => "&[]".into(),
    }
}

/// The fakes file. `labels` maps a Rust `Trait::method` to its schema label
/// (`Chain.findBlock`); `exceptions` names the error kinds a method can
/// carry in exception fields.
pub fn emit(
    api: &RustApi,
    labels: &BTreeMap<String, String>,
    exceptions: &BTreeMap<String, Vec<&'static str>>,
) -> String {
    let mut by_module: BTreeMap<&str, String> = BTreeMap::new();
    let mut traits: Vec<(&String, &crate::rust_api::TraitDef)> = api.traits.iter().collect();
    traits.sort_by_key(|(n, _)| n.as_str());
    for (name, tr) in traits {
        let out = by_module.entry(tr.module.as_str()).or_default();
        writeln!(out, "impl {name} for super::Fake {{").ok();
        let mut probe = String::new();
        for m in &tr.methods {
            let key = format!("{name}::{}", m.name);
            let label = labels.get(&key).cloned().unwrap_or(key.clone());
            let params: Vec<String> = m
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| format!("a{i}: {}", p.ty.source()))
                .collect();
            let prints: Vec<String> = m
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| match p.ty {
                    RType::Ref(_) => format!("super::Fingerprint::fingerprint(a{i})"),
                    _ => format!("super::Fingerprint::fingerprint(&a{i})"),
                })
                .collect();
            writeln!(
                out,
                "fn {}(&self, {}) -> interfaces::Result<{}> {{ super::record(\"{label}\", vec![{}]); super::answer({}) }}",
                m.name,
                params.join(", "),
                m.ret.source(),
                prints.join(", "),
                exception_kinds(&label, exceptions),
            )
            .ok();
            let args: Vec<String> = m
                .params
                .iter()
                .map(|p| match &p.ty {
                    RType::Ref(_) => {
                        format!("&<{} as super::Sample>::sample()", p.ty.owned().source())
                    }
                    t => format!("<{} as super::Sample>::sample()", t.source()),
                })
                .collect();
            writeln!(
                probe,
                "out.push(format!(\"{label} -> {{}}\", super::outcome(x.{}({}))));",
                m.name,
                args.join(", ")
            )
            .ok();
        }
        writeln!(out, "}}").ok();
        for sup in &tr.supertraits {
            if let Some(st) = api.traits.get(sup) {
                writeln!(
                    probe,
                    "out.push(crate::fakes::{}::probe_{}(x));",
                    if st.module.is_empty() {
                        "root".to_string()
                    } else {
                        st.module.replace("::", "_")
                    },
                    crate::emit_value::rust_snake(sup)
                )
                .ok();
            }
        }
        writeln!(
            out,
            "/// Calls every method of `x` with sample arguments.\n\
             pub fn probe_{}(x: &dyn {name}) -> String {{ let mut out = Vec::new(); {probe} out.join(\"; \") }}",
            crate::emit_value::rust_snake(name)
        )
        .ok();
        let probe_fn = format!("probe_{}", crate::emit_value::rust_snake(name));
        writeln!(
            out,
            "impl super::Fingerprint for Box<dyn {name}> {{ fn fingerprint(&self) -> String {{ super::nested(|| {probe_fn}(&**self)) }} }}\n\
             impl super::Fingerprint for std::sync::Arc<dyn {name}> {{ fn fingerprint(&self) -> String {{ super::nested(|| {probe_fn}(&**self)) }} }}\n\
             impl super::Sample for Box<dyn {name}> {{ fn sample() -> Self {{ Box::new(super::Fake) }} }}\n\
             impl super::Sample for std::sync::Arc<dyn {name}> {{ fn sample() -> Self {{ std::sync::Arc::new(super::Fake) }} }}"
        )
        .ok();
    }
    let mut structs: Vec<(&String, &crate::rust_api::StructDef)> = api.structs.iter().collect();
    structs.sort_by_key(|(n, _)| n.as_str());
    for (name, def) in structs {
        let out = by_module.entry(def.module.as_str()).or_default();
        let samples: Vec<String> = def
            .fields
            .iter()
            .map(|f| {
                format!(
                    "{}: super::Sample::sample()",
                    crate::emit_value::ident(&f.name)
                )
            })
            .collect();
        let prints: Vec<String> = def
            .fields
            .iter()
            .map(|f| {
                format!(
                    "format!(\"{}: {{}}\", super::Fingerprint::fingerprint(&self.{}))",
                    f.name,
                    crate::emit_value::ident(&f.name)
                )
            })
            .collect();
        writeln!(
            out,
            "impl super::Sample for {name} {{ fn sample() -> Self {{ {name} {{ {} }} }} }}\n\
             impl super::Fingerprint for {name} {{ fn fingerprint(&self) -> String {{ format!(\"{name} {{{{ {{}} }}}}\", [{}].join(\", \")) }} }}",
            samples.join(", "),
            prints.join(", ")
        )
        .ok();
    }
    let mut text = String::from(
        "//! Fakes, probes and samples for the round-trip test (generated by\n\
         //! ipc-codegen from `crates/interfaces`; do not edit).\n\n\
         #![allow(unused_imports, clippy::all)]\n\n\
         use super::samples::*;\n\n",
    );
    for (module, body) in by_module {
        let modname = if module.is_empty() {
            "root".to_string()
        } else {
            module.replace("::", "_")
        };
        let import = if module.is_empty() {
            "use interfaces::*;".to_string()
        } else {
            format!("use interfaces::{module}::*;")
        };
        let uses = api.uses.get(module).cloned().unwrap_or_default().join("\n");
        writeln!(
            text,
            "pub mod {modname} {{\nuse super::super::samples as support;\n{import}\n{uses}\nuse support::*;\n{}\n}}\n",
            body.replace("super::", "support::")
        )
        .ok();
    }
    text
}
