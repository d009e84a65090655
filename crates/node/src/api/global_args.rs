//! The arguments a GUI hands a node it spawned (`Node.baseInitialize`):
//! every settings source as the GUI read them, values as JSON text, turned
//! back into the node's `ArgsManager` (Core's `GlobalArgs` read on the
//! node side).

use common::args::ArgsManager;
use common::chaintype::ChainType;
use common::settings::SettingsValue;
use interfaces::GlobalArgs;
use std::collections::BTreeMap;

fn value(text: &str) -> Result<SettingsValue, String> {
    serde_json::from_str(text).map_err(|_| format!("invalid setting value received: {text}"))
}

fn values(list: &[String]) -> Result<Vec<SettingsValue>, String> {
    list.iter().map(|v| value(v)).collect()
}

/// An `ArgsManager` with the node's options holding `global`'s settings, and
/// the chain they select.
pub fn args_from(global: &GlobalArgs) -> Result<(ArgsManager, ChainType), String> {
    let args = ArgsManager::new();
    common::options::register_node_options(&args);
    let s = &global.settings;
    let forced: BTreeMap<_, _> = s
        .forced_settings
        .iter()
        .map(|(k, v)| Ok((k.clone(), value(v)?)))
        .collect::<Result<_, String>>()?;
    let command_line: BTreeMap<_, _> = s
        .command_line_options
        .iter()
        .map(|(k, v)| Ok((k.clone(), values(v)?)))
        .collect::<Result<_, String>>()?;
    let rw: BTreeMap<_, _> = s
        .rw_settings
        .iter()
        .map(|(k, v)| Ok((k.clone(), value(v)?)))
        .collect::<Result<_, String>>()?;
    let mut ro = BTreeMap::new();
    for (section, options) in &s.ro_config {
        let mut opts = BTreeMap::new();
        for (k, v) in options {
            opts.insert(k.clone(), values(v)?);
        }
        ro.insert(section.clone(), opts);
    }
    args.lock_settings(|settings| {
        settings.forced_settings = forced;
        settings.command_line_options = command_line;
        settings.rw_settings = rw;
        settings.ro_config = ro;
    });
    let chain = args.get_chain_type()?;
    args.select_config_network(chain.as_str());
    Ok((args, chain))
}

#[cfg(test)]
mod tests {
    use super::*;
    use interfaces::Settings;

    #[test]
    fn settings_arrive_with_their_sources_and_select_the_chain() {
        let global = GlobalArgs {
            settings: Settings {
                forced_settings: vec![("server".into(), "true".into())],
                command_line_options: vec![
                    ("regtest".into(), vec!["\"1\"".into()]),
                    ("debug".into(), vec!["\"net\"".into(), "\"rpc\"".into()]),
                ],
                rw_settings: vec![("prune".into(), "\"0\"".into())],
                ro_config: vec![(
                    "regtest".into(),
                    vec![("rpcport".into(), vec!["\"18999\"".into()])],
                )],
            },
            config_path: String::new(),
        };
        let (args, chain) = args_from(&global).expect("valid");
        assert_eq!(chain, ChainType::Regtest);
        assert_eq!(args.get_args("-debug"), vec!["net", "rpc"]);
        assert_eq!(args.get_int_arg("-rpcport", 0), 18999);
        assert!(args.get_bool_arg("-server", false));
        let bad = GlobalArgs {
            settings: Settings {
                rw_settings: vec![("prune".into(), "{not json".into())],
                ..Default::default()
            },
            config_path: String::new(),
        };
        assert!(args_from(&bad).is_err());
    }
}
