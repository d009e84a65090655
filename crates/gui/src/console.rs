//! The node window's console (bitcoin-qt's `RPCConsole`): Core's command
//! syntax (`method arg "quoted arg"`, nested calls `f(g(x), 1)`, result
//! indexing `getblock(getbestblockhash())[tx][0]`), run through
//! `Node.executeRpc`, with sensitive arguments masked in the transcript.

use interfaces::node::Node;
use serde_json::Value;

/// One line of the transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConsoleLine {
    /// What bitcoin-qt prints when the console opens.
    Banner(String),
    /// A command as typed (masked if sensitive).
    Input(String),
    /// A result.
    Reply(String),
    /// An error.
    Error(String),
}

/// The opening lines.
pub fn welcome() -> Vec<ConsoleLine> {
    vec![ConsoleLine::Banner(
        "Welcome to the Bitcoin Core RPC console.\nUse up and down arrows to navigate history, and Ctrl-L to clear screen.\nType help for an overview of available commands.\nWARNING: Scammers have been active, telling users to type commands here, stealing their wallet contents. Do not use this console without fully understanding the ramifications of a command."
            .into(),
    )]
}

/// Commands whose arguments bitcoin-qt keeps out of the history.
const SENSITIVE: &[&str] = &[
    "importprivkey",
    "importmulti",
    "sethdseed",
    "signmessagewithprivkey",
    "signrawtransactionwithkey",
    "walletpassphrase",
    "walletpassphrasechange",
    "encryptwallet",
    "createwallet",
    "migratewallet",
];

/// The line as the transcript shows it: arguments of sensitive commands
/// replaced by `(…)`.
pub fn mask(line: &str) -> String {
    let trimmed = line.trim();
    let method: String = trimmed
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect();
    if SENSITIVE.contains(&method.as_str()) && trimmed.len() > method.len() {
        format!("{method}(…)")
    } else {
        trimmed.to_string()
    }
}

/// A parsed console expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A literal argument.
    Text(String),
    /// A call with its arguments, then indexes into its result.
    Call(String, Vec<Expr>, Vec<String>),
}

struct Parser<'a> {
    chars: std::iter::Peekable<std::str::Chars<'a>>,
}

impl Parser<'_> {
    fn skip_space(&mut self) {
        while self.chars.peek().is_some_and(|c| c.is_whitespace()) {
            self.chars.next();
        }
    }

    /// A word or a quoted string; `None` at a delimiter.
    fn token(&mut self) -> Result<Option<String>, String> {
        self.skip_space();
        match self.chars.peek() {
            None | Some('(' | ')' | ',' | '[' | ']') => Ok(None),
            Some(&q @ ('"' | '\'')) => {
                self.chars.next();
                let mut s = String::new();
                loop {
                    match self.chars.next() {
                        None => return Err("Parse error: unbalanced ' or \"".into()),
                        Some(c) if c == q => return Ok(Some(s)),
                        Some('\\') if q == '"' => match self.chars.next() {
                            Some(c) => s.push(c),
                            None => return Err("Parse error: unbalanced ' or \"".into()),
                        },
                        Some(c) => s.push(c),
                    }
                }
            }
            Some(_) => {
                let mut s = String::new();
                while let Some(&c) = self.chars.peek() {
                    if c.is_whitespace() || "(),[]".contains(c) {
                        break;
                    }
                    s.push(c);
                    self.chars.next();
                }
                Ok(Some(s))
            }
        }
    }

    /// `[key]` suffixes.
    fn indexes(&mut self) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        loop {
            self.skip_space();
            if self.chars.peek() != Some(&'[') {
                return Ok(out);
            }
            self.chars.next();
            let key = self.token()?.unwrap_or_default();
            self.skip_space();
            if self.chars.next() != Some(']') {
                return Err("Parse error: unbalanced [ or ]".into());
            }
            out.push(key);
        }
    }

    /// An argument inside parentheses: a nested call or a literal.
    fn argument(&mut self) -> Result<Expr, String> {
        let word = self.token()?.ok_or("Parse error: empty argument")?;
        self.skip_space();
        if self.chars.peek() == Some(&'(') {
            return self.call_with_parens(word);
        }
        Ok(Expr::Text(word))
    }

    fn call_with_parens(&mut self, method: String) -> Result<Expr, String> {
        self.chars.next(); // '('
        let mut args = Vec::new();
        self.skip_space();
        if self.chars.peek() == Some(&')') {
            self.chars.next();
        } else {
            loop {
                args.push(self.argument()?);
                self.skip_space();
                match self.chars.next() {
                    Some(',') => continue,
                    Some(')') => break,
                    _ => return Err("Parse error: unbalanced ( or )".into()),
                }
            }
        }
        let idx = self.indexes()?;
        Ok(Expr::Call(method, args, idx))
    }
}

/// Parses a console line (Core's `RPCParseCommandLine` syntax).
pub fn parse(line: &str) -> Result<Expr, String> {
    let mut p = Parser {
        chars: line.chars().peekable(),
    };
    let method = p.token()?.ok_or("Parse error")?;
    p.skip_space();
    let expr = if p.chars.peek() == Some(&'(') {
        p.call_with_parens(method)?
    } else {
        // `method arg arg …`, each argument a literal or a nested call.
        let mut args = Vec::new();
        loop {
            p.skip_space();
            match p.chars.peek() {
                None | Some('[') => break,
                Some(_) => args.push(p.argument()?),
            }
        }
        let idx = p.indexes()?;
        Expr::Call(method, args, idx)
    };
    p.skip_space();
    if p.chars.next().is_some() {
        return Err("Parse error: unexpected text after the command".into());
    }
    Ok(expr)
}

/// An argument as JSON: numbers, booleans, null, arrays and objects as
/// themselves, anything else as a string (bitcoin-qt converts by Core's
/// per-method table; a string that reads as JSON must be quoted here).
fn to_json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

/// A result as the console prints it: strings bare, the rest as JSON.
fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn eval(node: &dyn Node, e: &Expr, uri: &str) -> Result<Value, String> {
    match e {
        Expr::Text(t) => Ok(to_json(t)),
        Expr::Call(method, args, idx) => {
            let params = args
                .iter()
                .map(|a| eval(node, a, uri))
                .collect::<Result<Vec<_>, _>>()?;
            let text = node
                .execute_rpc(method, &Value::Array(params).to_string(), uri)
                .map_err(rpc_error)?;
            let mut v: Value = serde_json::from_str(&text).unwrap_or(Value::String(text));
            for k in idx {
                v = match &v {
                    Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i).cloned()),
                    Value::Object(o) => o.get(k).cloned(),
                    _ => None,
                }
                .ok_or_else(|| "Invalid result query".to_string())?;
            }
            Ok(v)
        }
    }
}

/// Core's console shows a JSON-RPC error as `message (code N)`.
fn rpc_error(e: interfaces::Error) -> String {
    let text = e.to_string();
    match serde_json::from_str::<Value>(&text) {
        Ok(v) if v.get("message").is_some() => format!(
            "{} (code {})",
            v["message"].as_str().unwrap_or_default(),
            v["code"]
        ),
        _ => text,
    }
}

/// Runs a console line against the node (against `/wallet/<name>` when a
/// wallet is chosen).
pub fn run(node: &dyn Node, line: &str, wallet: Option<&str>) -> ConsoleLine {
    let uri = match wallet {
        Some(w) => format!("/wallet/{}", percent_encode(w)),
        None => "/".to_string(),
    };
    match parse(line).and_then(|e| eval(node, &e, &uri)) {
        Ok(v) => ConsoleLine::Reply(show(&v)),
        Err(e) => ConsoleLine::Error(e),
    }
}

/// RFC 3986 percent-encoding of everything but unreserved characters (wallet
/// names in RPC paths, labels in BIP21 URIs).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Method names starting with `prefix` (tab completion).
pub fn complete<'a>(commands: &'a [String], prefix: &str) -> Vec<&'a str> {
    if prefix.is_empty() {
        return Vec::new();
    }
    commands
        .iter()
        .filter(|c| c.starts_with(prefix))
        .map(String::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(m: &str, args: Vec<Expr>) -> Expr {
        Expr::Call(m.into(), args, Vec::new())
    }

    #[test]
    fn core_syntax_parses() {
        assert_eq!(
            parse("getblockcount").unwrap(),
            call("getblockcount", vec![])
        );
        assert_eq!(
            parse(r#"getblockhash 0"#).unwrap(),
            call("getblockhash", vec![Expr::Text("0".into())])
        );
        assert_eq!(
            parse(r#"setlabel addr "two words""#).unwrap(),
            call(
                "setlabel",
                vec![Expr::Text("addr".into()), Expr::Text("two words".into())]
            )
        );
        assert_eq!(
            parse("getblock(getbestblockhash())[tx][0]").unwrap(),
            Expr::Call(
                "getblock".into(),
                vec![call("getbestblockhash", vec![])],
                vec!["tx".into(), "0".into()]
            )
        );
        assert_eq!(
            parse("getblockheader(getblockhash(1), true)").unwrap(),
            call(
                "getblockheader",
                vec![
                    call("getblockhash", vec![Expr::Text("1".into())]),
                    Expr::Text("true".into())
                ]
            )
        );
        for bad in ["", "getblock(", "f(a,", "x \"open", "f(a))", "g[1"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sensitive_arguments_are_masked() {
        assert_eq!(mask("walletpassphrase secret 60"), "walletpassphrase(…)");
        assert_eq!(mask("getblockcount"), "getblockcount");
        assert_eq!(mask("encryptwallet"), "encryptwallet");
    }

    #[test]
    fn arguments_become_json_as_typed() {
        assert_eq!(to_json("1"), Value::from(1));
        assert_eq!(to_json("true"), Value::Bool(true));
        assert_eq!(to_json("bcrt1qabc"), Value::from("bcrt1qabc"));
        assert_eq!(to_json(r#"["a"]"#), serde_json::json!(["a"]));
    }

    #[test]
    fn completion_offers_matching_methods() {
        let cmds = vec![
            "getblock".to_string(),
            "getblockcount".into(),
            "help".into(),
        ];
        assert_eq!(complete(&cmds, "getb"), vec!["getblock", "getblockcount"]);
        assert!(complete(&cmds, "").is_empty());
    }
}
