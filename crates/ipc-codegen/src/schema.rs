//! The compiled schemas (capnp's `CodeGeneratorRequest`) as plain data: every
//! struct and interface with its fields, methods, generic parameters and the
//! `mp/proxy.capnp` annotations the generator reads, plus the Rust path
//! capnpc gave each of them.

use capnp::schema_capnp::{brand, code_generator_request, field, node, type_, value};
use std::collections::HashMap;

/// A capnp type, with generic parameters bound where the schema binds them.
#[derive(Debug, Clone, PartialEq)]
pub enum CType {
    /// `Void`.
    Void,
    /// `Bool` and the numbers, by capnp name (`Int32`, `Float64`, …).
    Prim(&'static str),
    /// `Text`.
    Text,
    /// `Data`.
    Data,
    /// `List(T)`.
    List(Box<CType>),
    /// A struct and the types bound to its generic parameters.
    Struct(u64, Vec<CType>),
    /// An interface.
    Interface(u64),
    /// A generic parameter (index into the scope's parameters).
    Param(u64, u16),
    /// Anything else (enums, `AnyPointer`): not used by our schemas.
    Unsupported(String),
}

impl CType {
    /// Whether values of this type sit in the pointer section (can be unset).
    pub fn is_pointer(&self) -> bool {
        matches!(
            self,
            CType::Text | CType::Data | CType::List(_) | CType::Struct(..) | CType::Interface(_)
        )
    }

    /// The type with generic parameters of `scope` replaced by `args`.
    pub fn bind(&self, scope: u64, args: &[CType]) -> CType {
        match self {
            CType::Param(s, i) if *s == scope => args
                .get(*i as usize)
                .cloned()
                .unwrap_or_else(|| CType::Unsupported("unbound parameter".into())),
            CType::List(t) => CType::List(Box::new(t.bind(scope, args))),
            CType::Struct(id, a) => {
                CType::Struct(*id, a.iter().map(|t| t.bind(scope, args)).collect())
            }
            t => t.clone(),
        }
    }
}

/// One field of a struct (or of a method's parameter or result struct).
#[derive(Debug, Clone)]
pub struct Field {
    /// Its capnp name.
    pub name: String,
    /// Its type.
    pub ty: CType,
    /// `$Proxy.exception("…")`: the C++ exception type this field carries.
    pub exception: Option<String>,
}

/// One method of an interface.
#[derive(Debug, Clone)]
pub struct Method {
    /// Its capnp name.
    pub name: String,
    /// `$Proxy.name("…")`: the name of the implementing method, if renamed.
    pub proxy_name: Option<String>,
    /// The parameter struct's fields.
    pub params: Vec<Field>,
    /// The result struct's fields.
    pub results: Vec<Field>,
}

impl Method {
    /// Whether it takes `context :Proxy.Context` (runs on a worker).
    pub fn has_context(&self) -> bool {
        self.params.iter().any(|f| f.name == "context")
    }
}

/// What a schema node is.
#[derive(Debug, Clone)]
pub enum Kind {
    /// A struct with its fields.
    Struct(Vec<Field>),
    /// An interface with its methods and the interfaces it extends.
    Interface {
        /// Its own methods.
        methods: Vec<Method>,
        /// Ids of the interfaces it extends.
        extends: Vec<u64>,
    },
    /// Files, enums, constants, annotations.
    Other,
}

/// A named struct or interface.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its id.
    pub id: u64,
    /// Its name within its scope (`FoundBlockParam`).
    pub name: String,
    /// The schema file it is declared in (`chain.capnp`).
    pub file: String,
    /// The Rust module capnpc generated for it
    /// (`crate::generated::chain_capnp::found_block_param`).
    pub rust_path: String,
    /// Its kind.
    pub kind: Kind,
    /// Whether it is a method's implicit parameter or result struct.
    pub implicit: bool,
}

/// Every node of the request.
pub struct Schema {
    /// Nodes by id.
    pub nodes: HashMap<u64, Node>,
}

/// capnpc's module naming: an underscore before every capital, lowercase,
/// and a trailing underscore on Rust keywords.
pub fn capnpc_snake(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_lowercase());
    }
    if RUST_KEYWORDS.contains(&out.as_str()) {
        out.push('_');
    }
    out
}

const RUST_KEYWORDS: &[&str] = &[
    "abstract", "alignof", "as", "be", "become", "box", "break", "const", "continue", "crate",
    "do", "else", "enum", "extern", "false", "final", "fn", "for", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "offsetof", "once", "override", "priv", "proc",
    "pub", "pure", "ref", "return", "self", "sizeof", "static", "struct", "super", "trait", "true",
    "type", "typeof", "unsafe", "unsized", "use", "virtual", "where", "while", "yield",
];

/// Whether `name` must be written `r#name` in Rust.
pub fn is_keyword(name: &str) -> bool {
    RUST_KEYWORDS.contains(&name) || name == "async" || name == "await" || name == "dyn"
}

fn read_type(t: type_::Reader<'_>) -> capnp::Result<CType> {
    use type_::Which;
    Ok(match t.which()? {
        Which::Void(()) => CType::Void,
        Which::Bool(()) => CType::Prim("Bool"),
        Which::Int8(()) => CType::Prim("Int8"),
        Which::Int16(()) => CType::Prim("Int16"),
        Which::Int32(()) => CType::Prim("Int32"),
        Which::Int64(()) => CType::Prim("Int64"),
        Which::Uint8(()) => CType::Prim("UInt8"),
        Which::Uint16(()) => CType::Prim("UInt16"),
        Which::Uint32(()) => CType::Prim("UInt32"),
        Which::Uint64(()) => CType::Prim("UInt64"),
        Which::Float32(()) => CType::Prim("Float32"),
        Which::Float64(()) => CType::Prim("Float64"),
        Which::Text(()) => CType::Text,
        Which::Data(()) => CType::Data,
        Which::List(l) => CType::List(Box::new(read_type(l.get_element_type()?)?)),
        Which::Struct(s) => CType::Struct(
            s.get_type_id(),
            brand_args(s.get_brand()?, s.get_type_id())?,
        ),
        Which::Interface(i) => CType::Interface(i.get_type_id()),
        Which::AnyPointer(p) => match p.which()? {
            type_::any_pointer::Which::Parameter(p) => {
                CType::Param(p.get_scope_id(), p.get_parameter_index())
            }
            _ => CType::Unsupported("AnyPointer".into()),
        },
        Which::Enum(_) => CType::Unsupported("enum".into()),
    })
}

/// The types a brand binds to `scope`'s generic parameters.
fn brand_args(b: brand::Reader<'_>, scope: u64) -> capnp::Result<Vec<CType>> {
    for s in b.get_scopes()? {
        if s.get_scope_id() != scope {
            continue;
        }
        if let brand::scope::Which::Bind(binds) = s.which()? {
            let mut out = Vec::new();
            for bind in binds? {
                out.push(match bind.which()? {
                    brand::binding::Which::Type(t) => read_type(t?)?,
                    brand::binding::Which::Unbound(()) => CType::Unsupported("unbound".into()),
                });
            }
            return Ok(out);
        }
    }
    Ok(Vec::new())
}

fn text_annotation(
    annotations: capnp::struct_list::Reader<'_, capnp::schema_capnp::annotation::Owned>,
    id: Option<u64>,
) -> capnp::Result<Option<String>> {
    let Some(id) = id else { return Ok(None) };
    for a in annotations {
        if a.get_id() == id {
            if let value::Text(t) = a.get_value()?.which()? {
                return Ok(Some(t?.to_string()?));
            }
        }
    }
    Ok(None)
}

impl Schema {
    /// Reads a serialized `CodeGeneratorRequest`.
    pub fn load(bytes: &[u8]) -> capnp::Result<Schema> {
        let message = capnp::serialize::read_message_from_flat_slice(
            &mut &bytes[..],
            capnp::message::ReaderOptions::new(),
        )?;
        let request = message.get_root::<code_generator_request::Reader>()?;
        let all: Vec<node::Reader<'_>> = request.get_nodes()?.iter().collect();
        let by_id: HashMap<u64, node::Reader<'_>> = all.iter().map(|n| (n.get_id(), *n)).collect();
        // The annotations of mp/proxy.capnp, found by name.
        let mut annotation_ids = HashMap::new();
        for n in &all {
            if let node::Annotation(_) = n.which()? {
                annotation_ids.insert(n.get_display_name()?.to_string()?, n.get_id());
            }
        }
        let exception_id = annotation_ids.get("mp/proxy.capnp:exception").copied();
        let name_id = annotation_ids.get("mp/proxy.capnp:name").copied();

        // Rust paths: files first, then nested nodes by their scope.
        let mut paths: HashMap<u64, String> = HashMap::new();
        let mut files: HashMap<u64, String> = HashMap::new();
        for n in &all {
            if let node::File(()) = n.which()? {
                let display = n.get_display_name()?.to_string()?;
                let stem = display
                    .rsplit('/')
                    .next()
                    .unwrap_or(&display)
                    .trim_end_matches(".capnp")
                    .to_string();
                paths.insert(n.get_id(), format!("crate::generated::{stem}_capnp"));
                files.insert(n.get_id(), display);
            }
        }
        let mut queue: Vec<u64> = paths.keys().copied().collect();
        let mut file_of: HashMap<u64, String> = files.clone();
        while let Some(parent) = queue.pop() {
            let Some(p) = by_id.get(&parent) else {
                continue;
            };
            let parent_path = paths[&parent].clone();
            let file = file_of[&parent].clone();
            for nested in p.get_nested_nodes()? {
                let name = nested.get_name()?.to_string()?;
                paths.insert(
                    nested.get_id(),
                    format!("{parent_path}::{}", capnpc_snake(&name)),
                );
                file_of.insert(nested.get_id(), file.clone());
                queue.push(nested.get_id());
            }
            // Method parameter and result structs live in the interface's module.
            if let node::Interface(i) = p.which()? {
                for m in i.get_methods()? {
                    let mname = capnpc_snake(m.get_name()?.to_str()?);
                    let mname = mname.trim_end_matches('_');
                    paths.insert(
                        m.get_param_struct_type(),
                        format!("{parent_path}::{mname}_params"),
                    );
                    paths.insert(
                        m.get_result_struct_type(),
                        format!("{parent_path}::{mname}_results"),
                    );
                    file_of.insert(m.get_param_struct_type(), file.clone());
                    file_of.insert(m.get_result_struct_type(), file.clone());
                }
            }
        }

        let read_fields = |n: &node::Reader<'_>| -> capnp::Result<Vec<Field>> {
            let mut out = Vec::new();
            if let node::Struct(st) = n.which()? {
                for f in st.get_fields()? {
                    let ty = match f.which()? {
                        field::Slot(s) => read_type(s.get_type()?)?,
                        field::Group(_) => CType::Unsupported("group".into()),
                    };
                    out.push(Field {
                        name: f.get_name()?.to_string()?,
                        ty,
                        exception: text_annotation(f.get_annotations()?, exception_id)?,
                    });
                }
            }
            Ok(out)
        };

        let mut implicit = std::collections::HashSet::new();
        for n in &all {
            if let node::Interface(i) = n.which()? {
                for m in i.get_methods()? {
                    implicit.insert(m.get_param_struct_type());
                    implicit.insert(m.get_result_struct_type());
                }
            }
        }

        let mut nodes = HashMap::new();
        for n in &all {
            let id = n.get_id();
            let display = n.get_display_name()?.to_string()?;
            let prefix = n.get_display_name_prefix_length() as usize;
            let name = display.get(prefix..).unwrap_or(&display).to_string();
            let kind = match n.which()? {
                node::Struct(_) => Kind::Struct(read_fields(n)?),
                node::Interface(i) => {
                    let mut methods = Vec::new();
                    for m in i.get_methods()? {
                        let params = by_id
                            .get(&m.get_param_struct_type())
                            .map(&read_fields)
                            .transpose()?
                            .unwrap_or_default();
                        let results = by_id
                            .get(&m.get_result_struct_type())
                            .map(&read_fields)
                            .transpose()?
                            .unwrap_or_default();
                        methods.push(Method {
                            name: m.get_name()?.to_string()?,
                            proxy_name: text_annotation(m.get_annotations()?, name_id)?,
                            params,
                            results,
                        });
                    }
                    let extends = i.get_superclasses()?.iter().map(|s| s.get_id()).collect();
                    Kind::Interface { methods, extends }
                }
                _ => Kind::Other,
            };
            nodes.insert(
                id,
                Node {
                    id,
                    name,
                    file: file_of.get(&id).cloned().unwrap_or_default(),
                    rust_path: paths.get(&id).cloned().unwrap_or_default(),
                    kind,
                    implicit: implicit.contains(&id),
                },
            );
        }
        Ok(Schema { nodes })
    }

    /// The node with `id` (every id in a request names a node).
    pub fn node(&self, id: u64) -> Option<&Node> {
        self.nodes.get(&id)
    }
}
