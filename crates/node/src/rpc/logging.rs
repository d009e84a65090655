//! The `logging` RPC: reads and changes which debug categories are logged.

use common::logging;
use rpc::method::json_type_name;
use rpc::{rpc_params, Arg, ArgType, RpcError, RpcMethod, RpcResult, RpcTable};
use serde_json::{Map, Value};

/// Enables (`enable`) or disables each category named in `cats`, stopping at the
/// first unknown name (earlier changes stay, as in Core).
fn apply(cats: &[Value], enable: bool) -> RpcResult<()> {
    for cat in cats {
        let name = match cat {
            Value::String(s) => s.as_str(),
            other => {
                return Err(RpcError::type_error(format!(
                    "JSON value of type {} is not of expected type string",
                    json_type_name(other)
                )))
            }
        };
        let ok = if enable {
            logging::enable_category(name)
        } else {
            logging::disable_category(name)
        };
        if !ok {
            return Err(RpcError::invalid_parameter(format!(
                "unknown logging category {name}"
            )));
        }
    }
    Ok(())
}

/// The result object: every category mapped to whether it is enabled.
fn status() -> Value {
    let mut obj = Map::new();
    for (name, on) in logging::all_categories() {
        obj.insert(name.to_string(), Value::Bool(on));
    }
    Value::Object(obj)
}

rpc_params! {
    /// `logging`'s parameters. The items stay JSON values: the inclusions apply
    /// before a bad exclusion fails, as in Core.
    struct LoggingParams {
        /// The categories to add to debug logging
        include: Vec<Value> [Arr, optional, inner = vec![
            Arg::optional("include_category", ArgType::Str, "the valid logging category"),
        ]],
        /// The categories to remove from debug logging
        exclude: Vec<Value> [Arr, optional, inner = vec![
            Arg::optional("exclude_category", ArgType::Str, "the valid logging category"),
        ]],
    }
}

/// Handles one `logging` call: enables the categories of `include`, then
/// disables those of `exclude`.
pub fn logging_rpc(include: &[Value], exclude: &[Value]) -> RpcResult {
    apply(include, true)?;
    apply(exclude, false)?;
    Ok(status())
}

fn description() -> String {
    format!(
        "Gets and sets the logging configuration.\n\
         When called without an argument, returns the list of categories with status that are currently being debug logged or not.\n\
         When called with arguments, adds or removes categories from debug logging and return the lists above.\n\
         The arguments are evaluated in order \"include\", \"exclude\".\n\
         If an item is both included and excluded, it will thus end up being excluded.\n\
         The valid logging categories are: {}\n\
         In addition, the following are available as category names with special meanings:\n  \
         - \"all\",  \"1\" : represent all logging categories.\n",
        logging::categories_string()
    )
}

fn result_help() -> String {
    let rows = [
        (
            "{",
            "(json object) keys are the logging categories, and values indicates its status",
        ),
        (
            "  \"category\" : true|false,",
            "(boolean) if being debug logged or not. false:inactive, true:active",
        ),
        ("  ...", ""),
        ("}", ""),
    ];
    let pad = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 4;
    let mut s = String::new();
    for (left, right) in rows {
        if right.is_empty() {
            s.push_str(left);
        } else {
            s.push_str(&format!("{left:<pad$}{right}"));
        }
        s.push('\n');
    }
    s
}

/// Registers `logging` (category `control`) into `table`.
pub fn register(table: &RpcTable) {
    table.register(
        RpcMethod::new("logging", "control", description(), |_, p: LoggingParams| {
            logging_rpc(&p.include, &p.exclude)
        })
        .result(result_help())
            .examples(
                "> bitcoin-cli logging \"[\\\"all\\\"]\" \"[\\\"http\\\"]\"\n\
                 > curl --user myusername --data-binary '{\"jsonrpc\": \"2.0\", \"id\": \"curltest\", \"method\": \"logging\", \"params\": [[\"all\"], [\"leveldb\"]]}' -H 'content-type: application/json' http://127.0.0.1:8332/\n",
            ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    // The global logger is shared by every test in this binary, so all checks of
    // it live in one test.
    #[test]
    fn include_exclude_and_errors() {
        let r = logging_rpc(&[json!("all")], &[json!("http")]).unwrap();
        assert_eq!(r["http"], json!(false));
        assert_eq!(r["net"], json!(true));
        assert_eq!(
            r.as_object().map(|o| o.len()),
            Some(logging::categories::CATEGORIES.len())
        );

        let r = logging_rpc(&[], &[json!("1")]).unwrap();
        assert!(r.as_object().unwrap().values().all(|v| v == &json!(false)));

        let e = logging_rpc(&[json!("net"), json!("abc")], &[]).unwrap_err();
        assert_eq!(
            e,
            RpcError::invalid_parameter("unknown logging category abc")
        );
        // The category before the bad one stays enabled.
        assert_eq!(logging::enabled_categories(), vec!["net".to_string()]);

        let e = logging_rpc(&[], &[json!(5)]).unwrap_err();
        assert_eq!(e.code, rpc::code::TYPE_ERROR);
        assert_eq!(logging_rpc(&[], &[]).unwrap()["net"], json!(true));

        let table = RpcTable::new();
        register(&table);
        let help = table.help("logging");
        assert!(
            help.starts_with("logging ( [\"include_category\",...] [\"exclude_category\",...] )\n"),
            "{help}"
        );
        assert!(
            help.contains("  \"category\" : true|false,    (boolean) if being debug logged"),
            "{help}"
        );
    }
}
