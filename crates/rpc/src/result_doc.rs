//! The `Result:` section of an RPC's help, described as a tree and laid out
//! the way Core lays out its `RPCResult`s: one line per field, the JSON shape
//! on the left, `(type) description` on the right, the right column starting
//! four spaces after the widest left part.
//!
//! Describing a result once as data keeps the help in step with the fields
//! and avoids hand-aligned text blocks.

/// What a result field holds; the names follow Core's `RPCResult::Type`.
#[derive(Debug, Clone)]
pub enum Shape {
    /// `null`.
    Null,
    /// A string (`"str"`).
    Str,
    /// A hex string (`"hex"`).
    Hex,
    /// A number (`n`).
    Num,
    /// An amount in BTC (`n`).
    Amount,
    /// A UNIX time (`xxx`).
    Time,
    /// A boolean (`true|false`).
    Bool,
    /// An array of any number of the given elements.
    Array(Vec<ResultDoc>),
    /// An object with the given keys.
    Object(Vec<ResultDoc>),
    /// An object whose keys are data (`...` after the listed ones).
    DynObject(Vec<ResultDoc>),
}

/// One field of an RPC result (or the whole result, with an empty key).
#[derive(Debug, Clone)]
pub struct ResultDoc {
    key: String,
    shape: Shape,
    description: String,
    optional: bool,
}

impl ResultDoc {
    /// A field `key` of `shape`, described by `description`.
    pub fn new(key: &str, shape: Shape, description: impl Into<String>) -> ResultDoc {
        ResultDoc {
            key: key.into(),
            shape,
            description: description.into(),
            optional: false,
        }
    }

    /// The whole result: an object of `fields`.
    pub fn object(fields: Vec<ResultDoc>) -> ResultDoc {
        ResultDoc::new("", Shape::Object(fields), "")
    }

    /// Marks the field as present only sometimes.
    pub fn optional(mut self) -> ResultDoc {
        self.optional = true;
        self
    }

    /// The lines of the help's `Result:` section, as Core prints them.
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        self.push_lines(&mut lines, Outer::None, 0);
        let pad = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 4;
        let mut out = String::new();
        for (left, right) in lines {
            if right.is_empty() {
                out.push_str(&left);
            } else {
                out.push_str(&format!("{left:pad$}"));
                // Continuation lines of a description line up under its start.
                let mut parts = right.split('\n');
                out.push_str(parts.next().unwrap_or(""));
                for part in parts {
                    out.push('\n');
                    out.push_str(&" ".repeat(pad));
                    out.push_str(part.trim_start_matches(' '));
                }
            }
            out.push('\n');
        }
        out
    }

    fn describe(&self, type_name: &str) -> String {
        let optional = if self.optional { ", optional" } else { "" };
        match self.description.as_str() {
            "" => format!("({type_name}{optional})"),
            d => format!("({type_name}{optional}) {d}"),
        }
    }

    fn push_lines(&self, lines: &mut Vec<(String, String)>, outer: Outer, indent: usize) {
        let pad = " ".repeat(indent);
        let sep = if outer == Outer::None { "" } else { "," };
        let key = if outer == Outer::Object {
            format!("\"{}\" : ", self.key)
        } else {
            String::new()
        };
        let scalar = |value: &str, type_name: &str| {
            (format!("{pad}{key}{value}{sep}"), self.describe(type_name))
        };
        let line = match &self.shape {
            Shape::Null => (format!("{pad}null{sep}"), self.describe("json null")),
            Shape::Str => scalar("\"str\"", "string"),
            Shape::Hex => scalar("\"hex\"", "string"),
            Shape::Num | Shape::Amount => scalar("n", "numeric"),
            Shape::Time => scalar("xxx", "numeric"),
            Shape::Bool => scalar("true|false", "boolean"),
            Shape::Array(inner) => {
                lines.push((format!("{pad}{key}["), self.describe("json array")));
                for field in inner {
                    field.push_lines(lines, Outer::Array, indent + 2);
                }
                lines.push((format!("{pad}  ..."), String::new()));
                (format!("{pad}]{sep}"), String::new())
            }
            Shape::Object(inner) | Shape::DynObject(inner) => {
                if inner.is_empty() {
                    lines.push((
                        format!("{pad}{key}{{}}"),
                        self.describe("empty JSON object"),
                    ));
                    return;
                }
                lines.push((format!("{pad}{key}{{"), self.describe("json object")));
                for field in inner {
                    field.push_lines(lines, Outer::Object, indent + 2);
                }
                if matches!(self.shape, Shape::DynObject(_)) {
                    lines.push((format!("{pad}  ..."), String::new()));
                } else if let Some((last, _)) = lines.last_mut() {
                    // The last member takes no comma: the sketch stays JSON.
                    last.pop();
                }
                (format!("{pad}}}{sep}"), String::new())
            }
        };
        lines.push(line);
    }
}

/// What encloses a field: its key is printed only inside an object and a
/// comma follows it only inside an array or object.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outer {
    None,
    Array,
    Object,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_matches_cores_columns() {
        let doc = ResultDoc::object(vec![
            ResultDoc::new("version", Shape::Num, "the server version"),
            ResultDoc::new(
                "names",
                Shape::Array(vec![ResultDoc::new("", Shape::Str, "a name")]),
                "the names",
            ),
            ResultDoc::new("flag", Shape::Bool, "a flag\non two lines").optional(),
        ]);
        let want = "\
{                        (json object)
  \"version\" : n,         (numeric) the server version
  \"names\" : [            (json array) the names
    \"str\",               (string) a name
    ...
  ],
  \"flag\" : true|false    (boolean, optional) a flag
                         on two lines
}
";
        assert_eq!(doc.render(), want);
    }

    #[test]
    fn empty_and_dynamic_objects() {
        let doc = ResultDoc::object(vec![
            ResultDoc::new("none", Shape::Object(vec![]), "nothing"),
            ResultDoc::new(
                "map",
                Shape::DynObject(vec![ResultDoc::new("key", Shape::Time, "when")]),
                "",
            ),
        ]);
        let want = "\
{                   (json object)
  \"none\" : {}       (empty JSON object) nothing
  \"map\" : {         (json object)
    \"key\" : xxx,    (numeric) when
    ...
  }
}
";
        assert_eq!(doc.render(), want);
    }
}
