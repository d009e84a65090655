//! The arguments a process hands a process it spawned (Core's
//! `GlobalArgs`: `Node.baseInitialize`, `Init.makeWalletLoader`): every
//! settings source as the parent read them, values as JSON text, written
//! from one `ArgsManager` and read back into another (Core keeps this in its
//! IPC code too, `ipc/capnp/common.cpp`).

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

/// Every setting of `args`, for a child process.
pub fn global_args(args: &ArgsManager) -> GlobalArgs {
    let text = |v: &SettingsValue| v.to_string();
    let texts = |l: &Vec<SettingsValue>| l.iter().map(text).collect::<Vec<_>>();
    let settings = args.lock_settings(|s| interfaces::Settings {
        forced_settings: s
            .forced_settings
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
        command_line_options: s
            .command_line_options
            .iter()
            .map(|(k, v)| (k.clone(), texts(v)))
            .collect(),
        rw_settings: s
            .rw_settings
            .iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect(),
        ro_config: s
            .ro_config
            .iter()
            .map(|(section, opts)| {
                let opts = opts.iter().map(|(k, v)| (k.clone(), texts(v))).collect();
                (section.clone(), opts)
            })
            .collect(),
    });
    GlobalArgs {
        settings,
        config_path: args
            .get_config_file_path()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
    }
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
                    ("debug".into(), vec!["\"net\"".into(), "\"rpc\"".into()]),
                    ("regtest".into(), vec!["\"1\"".into()]),
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
        // And back: the same settings travel on.
        let again = global_args(&args);
        assert_eq!(again.settings, global.settings);
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
