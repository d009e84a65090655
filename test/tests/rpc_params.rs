//! Every RPC method's declared parameters, seen from outside: `help <method>`
//! agrees with `help`'s list and with the argument table `bitcoin-cli` converts
//! by (`help dump_all_command_conversions`), and calling a method with named
//! parameters (aliases and options-object keys included) means the same as
//! calling it by position.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tempfile as _, tracing as _, tracing_subscriber as _,
};

use functional::TestNode;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// One row of the conversion table: position, name, whether it is a string
/// (the client converts the others from JSON).
type Row = (usize, String, bool);

/// The conversion table by method.
fn conversions(node: &TestNode) -> BTreeMap<String, Vec<Row>> {
    let mut map: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    let table = node.rpc("help", json!(["dump_all_command_conversions"]));
    for row in table.as_array().expect("array of rows") {
        let method = row[0].as_str().expect("method").to_string();
        let pos = row[1].as_u64().expect("position") as usize;
        let name = row[2].as_str().expect("name").to_string();
        let is_string = row[3].as_bool().expect("flag");
        map.entry(method).or_default().push((pos, name, is_string));
    }
    map
}

/// The synopsis line of each method `help` lists.
fn listed(node: &TestNode) -> BTreeMap<String, String> {
    let text = node.rpc("help", json!([]));
    text.as_str()
        .expect("help text")
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("== "))
        .map(|l| (l.split(' ').next().unwrap_or(l).to_string(), l.to_string()))
        .collect()
}

/// `(position, name)` of the numbered lines of the `Arguments:` section, and the
/// names of the `Named Arguments:` section.
fn help_arguments(text: &str) -> (Vec<(usize, String)>, Vec<String>) {
    let mut positional = Vec::new();
    let mut named = Vec::new();
    let mut section = "";
    for line in text.lines() {
        match line {
            "Arguments:" | "Named Arguments:" | "Result:" | "Examples:" => {
                section = line;
                continue;
            }
            "" => continue,
            _ => {}
        }
        let first = line.split_whitespace().next().unwrap_or("");
        match section {
            "Arguments:" => {
                if let Some((n, name)) = line.split_once(". ") {
                    if let Ok(n) = n.parse::<usize>() {
                        let name = name.split_whitespace().next().unwrap_or("");
                        positional.push((n, name.to_string()));
                    }
                }
            }
            // A key's line is `name    (type…`; description lines go on below it.
            "Named Arguments:"
                if !line.starts_with(' ') && line[first.len()..].trim_start().starts_with('(') =>
            {
                named.push(first.to_string())
            }
            _ => {}
        }
    }
    (positional, named)
}

#[test]
fn help_of_every_method_agrees_with_its_arguments() {
    let mut node = TestNode::new();
    node.start(&[]);
    let conv = conversions(&node);
    let list = listed(&node);
    assert!(list.len() > 50, "help lists {} methods", list.len());
    // A number is converted by the client, a hash is passed as a string.
    assert!(conv["getblockhash"].contains(&(0, "height".to_string(), false)));
    assert!(conv["getblock"].contains(&(0, "blockhash".to_string(), true)));

    let mut methods: Vec<&String> = list.keys().chain(conv.keys()).collect();
    methods.sort();
    methods.dedup();
    for method in methods {
        let help = node.rpc("help", json!([method]));
        let help = help.as_str().expect("help text");
        let synopsis = help.lines().next().unwrap_or("");
        assert!(
            synopsis == method || synopsis.starts_with(&format!("{method} ")),
            "{method}: {synopsis}"
        );
        if let Some(line) = list.get(method) {
            assert_eq!(synopsis, line, "{method}: help and the list differ");
        }
        assert!(help.contains("\n\n"), "{method}: no description");

        let rows = conv.get(method).cloned().unwrap_or_default();
        let (positional, named) = help_arguments(help);
        // Each numbered argument is the table's argument at that position; hidden
        // trailing arguments are in the table only.
        for (n, name) in &positional {
            let at: Vec<&str> = rows
                .iter()
                .filter(|(p, _, _)| p + 1 == *n)
                .map(|(_, nm, _)| nm.as_str())
                .collect();
            assert!(
                at.contains(&name.as_str()),
                "{method}: {n}. {name} not in {at:?}"
            );
        }
        let numbers: Vec<usize> = positional.iter().map(|(n, _)| *n).collect();
        let expected: Vec<usize> = (1..=positional.len()).collect();
        assert_eq!(numbers, expected, "{method}: arguments out of order");
        // Named-only keys share their options object's position.
        for key in &named {
            assert!(
                rows.iter().any(|(_, nm, _)| nm == key),
                "{method}: named argument {key} not in the table"
            );
        }
        if !rows.is_empty() && positional.is_empty() {
            // Only hidden arguments (`stop`'s wait).
            assert!(!help.contains("\nArguments:\n"), "{method}");
        }
    }
}

/// A value of the wrong JSON type for a string argument (or another).
fn wrong_value(is_string: bool) -> Value {
    if is_string {
        json!(12345)
    } else {
        json!("not-json-typed")
    }
}

#[test]
fn named_and_positional_calls_agree() {
    let mut node = TestNode::new();
    node.start(&[]);
    let conv = conversions(&node);
    let mut checked = 0;
    for (method, rows) in &conv {
        if method == "stop" {
            continue;
        }
        let positions = rows.iter().map(|(p, _, _)| p + 1).max().unwrap_or(0);
        // The main name of each position: the first row of it (`help` order).
        let mut main: Vec<Option<&Row>> = vec![None; positions];
        for row in rows {
            main[row.0].get_or_insert(row);
        }
        let Some(main) = main.into_iter().collect::<Option<Vec<&Row>>>() else {
            panic!("{method}: a position without a name");
        };
        // Every argument of the wrong type: the type check answers before the
        // method runs, naming each position it rejects.
        let positional: Vec<Value> = main.iter().map(|r| wrong_value(r.2)).collect();
        let by_position = node.try_rpc(method, json!(positional));
        let named: Map<String, Value> = main
            .iter()
            .map(|r| (r.1.clone(), wrong_value(r.2)))
            .collect();
        assert_eq!(
            node.try_rpc(method, Value::Object(named.clone())),
            by_position,
            "{method}: named and positional calls differ"
        );
        // Every other name of a position maps there: an alias in place of the
        // main name, an options key into that position's object.
        for row in rows {
            let key = &main[row.0].1;
            if &row.1 == key {
                continue;
            }
            let value = wrong_value(row.2);
            let mut renamed = named.clone();
            renamed.remove(key);
            renamed.insert(row.1.clone(), value.clone());
            let answer = node.try_rpc(method, Value::Object(renamed));
            let mut as_alias = positional.clone();
            as_alias[row.0] = value.clone();
            let mut as_option = positional.clone();
            as_option[row.0] = json!({ row.1.clone(): value });
            assert!(
                answer == node.try_rpc(method, json!(as_alias))
                    || answer == node.try_rpc(method, json!(as_option)),
                "{method}: {} does not map to position {}: {answer:?}",
                row.1,
                row.0 + 1
            );
        }
        // Unknown names and a name given twice are Core's errors.
        let e = node
            .try_rpc(method, json!({"no_such_parameter": 1}))
            .expect_err("unknown parameter")
            .expect("rpc error");
        assert_eq!(
            (e.code, e.message.as_str()),
            (-8, "Unknown named parameter no_such_parameter"),
            "{method}"
        );
        let first = &main[0].1;
        let e = node
            .try_rpc(method, json!({"args": [wrong_value(main[0].2)], first: 1}))
            .expect_err("clash")
            .expect("rpc error");
        assert_eq!(e.code, -8, "{method}");
        assert!(
            e.message.starts_with(&format!("Parameter {first}"))
                && e.message
                    .ends_with("specified twice both as positional and named argument"),
            "{method}: {}",
            e.message
        );
        checked += 1;
    }
    assert!(checked > 50, "checked {checked} methods");
}
