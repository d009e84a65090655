//! `bitcoin.conf` parsing (`key=value`, `[sections]`, `#` comments,
//! `includeconf=`) and the start-up sequence that reads the config, picks the
//! chain, creates the datadir and loads `settings.json` (Core's `InitConfig`).

use std::fmt;
use std::path::{Path, PathBuf};

use crate::args::{
    abs_path_join, interpret_key, interpret_value, setting_to_string, ArgsManager, ArgsMessage,
    SectionInfo, BITCOIN_CONF_FILENAME,
};
use crate::settings::SettingsSpan;

const TRIM: &[char] = &[' ', '\t', '\r', '\n'];

/// Splits config text into `(section.name, value)` pairs and records the
/// sections seen. `filepath` is used in section records. Errors carry
/// Core's "parse error on line N" texts.
pub fn get_config_options(
    text: &str,
    filepath: &str,
    sections: &mut Vec<SectionInfo>,
) -> Result<Vec<(String, String)>, String> {
    let mut options = Vec::new();
    let mut prefix = String::new();
    for (idx, raw) in text.split('\n').enumerate() {
        let linenr = idx + 1;
        let (line, used_hash) = match raw.find('#') {
            Some(pos) => (&raw[..pos], true),
            None => (raw, false),
        };
        let line = line.trim_matches(TRIM);
        if line.is_empty() {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') && line.len() >= 2 {
            let section = &line[1..line.len() - 1];
            sections.push(SectionInfo {
                name: section.to_string(),
                file: filepath.to_string(),
                line: linenr,
            });
            prefix = format!("{section}.");
        } else if line.starts_with('-') {
            return Err(format!(
                "parse error on line {linenr}: {line}, options in configuration file must be specified without leading -"
            ));
        } else if let Some(pos) = line.find('=') {
            let name = format!("{prefix}{}", line[..pos].trim_matches(TRIM));
            let value = line[pos + 1..].trim_matches(TRIM);
            if used_hash && name.contains("rpcpassword") {
                return Err(format!(
                    "parse error on line {linenr}, using # in rpcpassword can be ambiguous and should be avoided"
                ));
            }
            if let Some(dot) = name.rfind('.') {
                if prefix.len() <= dot {
                    sections.push(SectionInfo {
                        name: name[..dot].to_string(),
                        file: filepath.to_string(),
                        line: linenr,
                    });
                }
            }
            options.push((name, value.to_string()));
        } else {
            let mut e = format!("parse error on line {linenr}: {line}");
            if line.len() >= 2 && line.starts_with("no") {
                e.push_str(&format!(
                    ", if you intended to specify a negated option, use {line}=1 instead"
                ));
            }
            return Err(e);
        }
    }
    Ok(options)
}

/// Why reading the config files failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigFileError {
    /// A config file problem; shown as "Error reading configuration file: …".
    Read(String),
    /// Conflicting chain options; shown as is.
    Chain(String),
}

impl ConfigFileError {
    /// The message Core's `InitConfig` reports for this error.
    pub fn init_message(&self) -> String {
        match self {
            ConfigFileError::Read(e) => format!("Error reading configuration file: {e}"),
            ConfigFileError::Chain(e) => e.clone(),
        }
    }
}

impl fmt::Display for ConfigFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.init_message())
    }
}

impl std::error::Error for ConfigFileError {}

/// What kind of start-up configuration failure occurred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfigStatus {
    /// Generic failure.
    Failed,
    /// settings.json could not be written.
    FailedWrite,
}

/// A start-up configuration error (Core's `ConfigError`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// Failure kind.
    pub status: ConfigStatus,
    /// Main message.
    pub message: String,
    /// Extra details (e.g. settings.json errors), shown as a list.
    pub details: Vec<String>,
}

impl ConfigError {
    fn failed(message: impl Into<String>) -> Self {
        ConfigError {
            status: ConfigStatus::Failed,
            message: message.into(),
            details: Vec::new(),
        }
    }
}

impl fmt::Display for ConfigError {
    /// The message with details appended as ":\n- a\n- b", as Core's
    /// `InitError` prints it (without the leading "Error: ").
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if !self.details.is_empty() {
            let list: Vec<String> = self.details.iter().map(|d| format!("- {d}")).collect();
            write!(f, ":\n{}", list.join("\n"))?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Quotes a path the way `std::quoted` does.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

impl ArgsManager {
    /// Parses config text into the read-only config layer. Unknown keys
    /// are warnings with `ignore_invalid_keys`, else errors.
    pub fn read_config_stream(
        &self,
        text: &str,
        filepath: &str,
        ignore_invalid_keys: bool,
    ) -> Result<(), String> {
        let mut inner = self.write();
        let mut sections = std::mem::take(&mut inner.config_sections);
        let parsed = get_config_options(text, filepath, &mut sections);
        inner.config_sections = sections;
        for (name, value) in parsed? {
            let key = interpret_key(&name);
            let flags = inner.arg_flags(&format!("-{}", key.name));
            if key.name == "conf" {
                return Err("conf cannot be set in the configuration file; use includeconf= if you want to include additional config files".to_string());
            }
            if key.name == "reindex" {
                inner.messages.push(ArgsMessage::Warning("reindex=1 is set in the configuration file, which will significantly slow down startup. Consider removing or commenting out this option for better performance, unless there is currently a condition which makes rebuilding the indexes necessary".to_string()));
            }
            match flags {
                Some(flags) => {
                    let (v, warning) = interpret_value(&key, Some(&value), flags)?;
                    if let Some(w) = warning {
                        inner.messages.push(ArgsMessage::Warning(w));
                    }
                    inner
                        .settings
                        .ro_config
                        .entry(key.section)
                        .or_default()
                        .entry(key.name)
                        .or_default()
                        .push(v);
                }
                None if ignore_invalid_keys => inner.messages.push(ArgsMessage::Warning(format!(
                    "Ignoring unknown configuration value {name}"
                ))),
                None => return Err(format!("Invalid configuration value {name}")),
            }
        }
        Ok(())
    }

    /// Replaces the config layer with the given text (for tests and tools).
    pub fn read_config_string(&self, text: &str) -> Result<(), String> {
        {
            let mut inner = self.write();
            inner.settings.ro_config.clear();
            inner.config_sections.clear();
        }
        self.read_config_stream(text, "", false)
    }

    /// `includeconf` values in `section` from position `skip` on (after any
    /// negation); returns how many values the section has.
    fn includes(&self, section: &str, skip: usize, out: &mut Vec<String>) -> usize {
        let inner = self.read();
        let Some(values) = inner
            .settings
            .ro_config
            .get(section)
            .and_then(|m| m.get("includeconf"))
        else {
            return 0;
        };
        let start = skip.max(SettingsSpan::new(values).negated());
        out.extend(values.iter().skip(start).filter_map(setting_to_string));
        values.len()
    }

    /// Reads `-conf` (default `<datadir>/bitcoin.conf`; a missing default
    /// file is fine) and the files it includes with `includeconf=` (only
    /// from the main file's top and chain section). Then re-checks
    /// `-datadir`, which the config may set.
    pub fn read_config_files(&self, ignore_invalid_keys: bool) -> Result<(), ConfigFileError> {
        let conf_path = {
            let mut inner = self.write();
            inner.settings.ro_config.clear();
            inner.config_sections.clear();
            let conf = inner.get_path_arg("-conf", Path::new(BITCOIN_CONF_FILENAME));
            let path = if conf.is_absolute() || conf.as_os_str().is_empty() {
                conf
            } else {
                abs_path_join(&inner.get_data_dir(false), &conf)
            };
            inner.config_path = Some(path.clone());
            path
        };
        let mut content: Option<String> = None;
        if !conf_path.as_os_str().is_empty() {
            if conf_path.is_dir() {
                return Err(ConfigFileError::Read(format!(
                    "Config file \"{}\" is a directory.",
                    conf_path.display()
                )));
            }
            match std::fs::read(&conf_path) {
                Ok(bytes) => content = Some(String::from_utf8_lossy(&bytes).into_owned()),
                Err(_) if self.is_arg_set("-conf") => {
                    return Err(ConfigFileError::Read(format!(
                        "specified config file \"{}\" could not be opened.",
                        conf_path.display()
                    )))
                }
                Err(_) => {}
            }
        }
        if let Some(text) = content {
            let shown = conf_path.display().to_string();
            self.read_config_stream(&text, &shown, ignore_invalid_keys)
                .map_err(ConfigFileError::Read)?;
            let use_conf_file = !self
                .read()
                .settings
                .command_line_options
                .contains_key("includeconf");
            if use_conf_file {
                let chain_id = self
                    .get_chain_type_string()
                    .map_err(ConfigFileError::Chain)?;
                let mut names = Vec::new();
                let chain_includes = self.includes(&chain_id, 0, &mut names);
                let default_includes = self.includes("", 0, &mut names);
                for name in &names {
                    let path = self.abs_path_for_config_val(Path::new(name), false);
                    if path.is_dir() {
                        return Err(ConfigFileError::Read(format!(
                            "Included config file \"{}\" is a directory.",
                            path.display()
                        )));
                    }
                    let Ok(bytes) = std::fs::read(&path) else {
                        return Err(ConfigFileError::Read(format!(
                            "Failed to include configuration file {name}"
                        )));
                    };
                    let text = String::from_utf8_lossy(&bytes);
                    self.read_config_stream(&text, name, ignore_invalid_keys)
                        .map_err(ConfigFileError::Read)?;
                    self.write().messages.push(ArgsMessage::Info(format!(
                        "Included configuration file {name}"
                    )));
                }
                // includeconf= lines from included files are ignored, with a warning.
                let mut ignored = Vec::new();
                self.includes(&chain_id, chain_includes, &mut ignored);
                self.includes("", default_includes, &mut ignored);
                let chain_final = self
                    .get_chain_type_string()
                    .map_err(ConfigFileError::Chain)?;
                if chain_final != chain_id {
                    self.includes(&chain_final, 0, &mut ignored);
                }
                let mut inner = self.write();
                for name in ignored {
                    inner.messages.push(ArgsMessage::Stderr(format!(
                        "warning: -includeconf cannot be used from included files; ignoring -includeconf={name}"
                    )));
                }
            }
        }
        if !self.check_data_dir_option() {
            return Err(ConfigFileError::Read(format!(
                "specified data directory \"{}\" does not exist.",
                self.get_arg_or("-datadir", "")
            )));
        }
        Ok(())
    }

    /// Core's `InitConfig`: checks `-datadir`, reads the config files
    /// (unknown keys only warn), selects the chain's config section, creates
    /// `<datadir>/wallets` and `<datadir>/<chain>/wallets` for a new datadir,
    /// refuses a `bitcoin.conf` in the datadir that a different `-conf`
    /// shadows (unless `-allowignoredconf`), then reads and rewrites
    /// settings.json unless `-nosettings`. Returns the chain.
    pub fn init_config(&self) -> Result<crate::chaintype::ChainType, ConfigError> {
        if !self.check_data_dir_option() {
            return Err(ConfigError::failed(format!(
                "Specified data directory \"{}\" does not exist.",
                self.get_arg_or("-datadir", "")
            )));
        }
        let orig_datadir = self.get_data_dir_base();
        let orig_config = self.abs_path_for_config_val(
            &self.get_path_arg("-conf", Path::new(BITCOIN_CONF_FILENAME)),
            false,
        );
        self.read_config_files(true)
            .map_err(|e| ConfigError::failed(e.init_message()))?;
        let chain = self.get_chain_type().map_err(ConfigError::failed)?;
        self.select_config_network(chain.as_str());

        let base = self.get_data_dir_base();
        let create = |p: PathBuf| {
            std::fs::create_dir_all(&p).map_err(|e| {
                ConfigError::failed(format!(
                    "Failed to create directory {}: {e}",
                    quoted(&p.display().to_string())
                ))
            })
        };
        if !base.exists() {
            create(base.join("wallets"))?;
        }
        let net = self.get_data_dir_net();
        if !net.exists() {
            create(net.join("wallets"))?;
        }

        let base_config = base.join(BITCOIN_CONF_FILENAME);
        if base_config.exists() {
            let base_q = quoted(&base.display().to_string());
            if orig_config.as_os_str().is_empty() {
                self.write().messages.push(ArgsMessage::Info(format!(
                    "Data directory {base_q} contains a \"{BITCOIN_CONF_FILENAME}\" file which is explicitly ignored using -noconf."
                )));
            } else if !same_file(&orig_config, &base_config) {
                let cli_conf = self.get_arg_or("-conf", "");
                let source = if cli_conf.is_empty() {
                    format!(
                        "data directory {}",
                        quoted(&orig_datadir.display().to_string())
                    )
                } else {
                    format!(
                        "command line argument {}",
                        quoted(&format!("-conf={cli_conf}"))
                    )
                };
                let conf_q = quoted(BITCOIN_CONF_FILENAME);
                let mut error = format!(
                    "Data directory {base_q} contains a {conf_q} file which is ignored, because a different configuration file \
                     {} from {source} is being used instead. Possible ways to address this would be to:\n\
                     - Delete or rename the {conf_q} file in data directory {base_q}.\n\
                     - Change datadir= or conf= options to specify one configuration file, not two, and use \
                     includeconf= to include any other configuration files.",
                    quoted(&orig_config.display().to_string())
                );
                if self.get_bool_arg("-allowignoredconf", false) {
                    self.write().messages.push(ArgsMessage::Warning(error));
                } else {
                    error.push_str("\n- Set allowignoredconf=1 option to treat this condition as a warning, not an error.");
                    return Err(ConfigError::failed(error));
                }
            }
        }

        if self.get_settings_path(false, false).is_some() {
            if let Err(details) = self.read_settings_file() {
                return Err(ConfigError {
                    status: ConfigStatus::Failed,
                    message: "Settings file could not be read".to_string(),
                    details,
                });
            }
            if let Err(details) = self.write_settings_file(false) {
                return Err(ConfigError {
                    status: ConfigStatus::FailedWrite,
                    message: "Settings file could not be written".to_string(),
                    details,
                });
            }
        }
        Ok(chain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::test_util::{argv, manager};
    use crate::args::{ArgFlags, OptionsCategory};
    use crate::chaintype::ChainType;
    use serde_json::Value;
    use std::fs;

    /// Convenience for tests: the value stored for `name` in config `section`.
    fn ro(args: &ArgsManager, section: &str, name: &str) -> Vec<Value> {
        args.lock_settings(|s| {
            s.ro_config
                .get(section)
                .and_then(|m| m.get(name))
                .cloned()
                .unwrap_or_default()
        })
    }

    #[test]
    fn parser_basics() {
        let mut secs = Vec::new();
        let opts = get_config_options(
            "  a = 1 \n# comment\nb=2 # trailing\n[regtest]\nc=3\ntest.d=4\n\n",
            "f.conf",
            &mut secs,
        )
        .unwrap();
        assert_eq!(
            opts,
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "2".into()),
                ("regtest.c".into(), "3".into()),
                ("regtest.test.d".into(), "4".into()),
            ]
        );
        assert_eq!(
            secs[0],
            SectionInfo {
                name: "regtest".into(),
                file: "f.conf".into(),
                line: 4
            }
        );
        assert_eq!(secs[1].name, "regtest.test");
        // section.key at top level records a section
        let mut secs = Vec::new();
        get_config_options("testnot.datadir=1\n", "x", &mut secs).unwrap();
        assert_eq!(
            secs,
            vec![SectionInfo {
                name: "testnot".into(),
                file: "x".into(),
                line: 1
            }]
        );
    }

    #[test]
    fn parser_errors() {
        let mut s = Vec::new();
        assert_eq!(
            get_config_options("garbage\n", "", &mut s).unwrap_err(),
            "parse error on line 1: garbage"
        );
        assert_eq!(
            get_config_options("a=1\nnono\n", "", &mut s).unwrap_err(),
            "parse error on line 2: nono, if you intended to specify a negated option, use nono=1 instead"
        );
        assert_eq!(
            get_config_options("-dash=1\n", "", &mut s).unwrap_err(),
            "parse error on line 1: -dash=1, options in configuration file must be specified without leading -"
        );
        assert_eq!(
            get_config_options(
                "server=1\nrpcuser=someuser\nmain.rpcpassword=some#pass",
                "",
                &mut s
            )
            .unwrap_err(),
            "parse error on line 3, using # in rpcpassword can be ambiguous and should be avoided"
        );
        assert_eq!(
            get_config_options(
                "server=1\nrpcuser=someuser\n[main]\nrpcpassword=some#pass",
                "",
                &mut s
            )
            .unwrap_err(),
            "parse error on line 4, using # in rpcpassword can be ambiguous and should be avoided"
        );
        assert_eq!(
            get_config_options("n\n", "", &mut s).unwrap_err(),
            "parse error on line 1: n"
        );
    }

    #[test]
    fn config_values_and_unknown_keys() {
        let a = manager();
        a.read_config_stream(
            "server=1\nnolisten=1\nnodnsseed=0\nfoo=bar\nregtest.port=5\n",
            "c",
            true,
        )
        .unwrap();
        assert_eq!(ro(&a, "", "server"), vec![Value::String("1".into())]);
        assert_eq!(ro(&a, "", "listen"), vec![Value::Bool(false)]);
        assert_eq!(ro(&a, "", "dnsseed"), vec![Value::Bool(true)]);
        assert_eq!(ro(&a, "regtest", "port"), vec![Value::String("5".into())]);
        let msgs = a.take_messages();
        assert!(msgs.contains(&ArgsMessage::Warning(
            "Ignoring unknown configuration value foo".into()
        )));
        assert!(msgs.contains(&ArgsMessage::Warning(
            "Parsed potentially confusing double-negative -dnsseed=0".into()
        )));
        assert_eq!(
            a.read_config_stream("foo=bar\n", "c", false).unwrap_err(),
            "Invalid configuration value foo"
        );
        assert_eq!(
            a.read_config_stream("conf=x\n", "c", true).unwrap_err(),
            "conf cannot be set in the configuration file; use includeconf= if you want to include additional config files"
        );
        assert_eq!(
            a.read_config_stream("nodatadir=1\n", "c", true)
                .unwrap_err(),
            "Negating of -datadir is meaningless and therefore forbidden"
        );
        a.read_config_stream("reindex=1\n", "c", true).unwrap();
        assert!(
            matches!(&a.take_messages()[0], ArgsMessage::Warning(w) if w.starts_with("reindex=1 is set"))
        );
    }

    #[test]
    fn first_config_value_wins_last_cmdline_wins() {
        let a = manager();
        a.parse_parameters(&argv(&["-uacomment=a", "-uacomment=b"]))
            .unwrap();
        a.read_config_string("dbcache=1\ndbcache=2\nuacomment=c\n")
            .unwrap();
        assert_eq!(a.get_int_arg("-dbcache", 0), 1);
        assert_eq!(a.get_arg("-uacomment").as_deref(), Some("b"));
        assert_eq!(a.get_args("-uacomment"), vec!["a", "b", "c"]);
    }

    #[test]
    fn sections_and_network_only() {
        let a = manager();
        a.read_config_string("regtest=1\nrpcport=1\nport=7\nserver=0\n[regtest]\nserver=1\nwallet=w\n[main]\nrpcport=3\n[foo]\n")
            .unwrap();
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Regtest);
        a.select_config_network("regtest");
        // network-only top-level value ignored on regtest
        assert_eq!(a.get_arg("-rpcport"), None);
        assert_eq!(a.get_arg("-server").as_deref(), Some("1"));
        assert_eq!(a.get_args("-wallet"), vec!["w"]);
        let uns = a.get_unsuitable_section_only_args();
        assert_eq!(
            uns.into_iter().collect::<Vec<_>>(),
            vec!["-port".to_string(), "-rpcport".to_string()]
        );
        assert_eq!(
            a.unsuitable_section_only_args_error().unwrap(),
            "Config setting for -port only applied on regtest network when in [regtest] section.\nConfig setting for -rpcport only applied on regtest network when in [regtest] section.\n"
        );
        let un = a.get_unrecognized_sections();
        assert_eq!(un.len(), 1);
        assert_eq!(un[0].name, "foo");
        assert_eq!(
            a.unrecognized_sections_warning().unwrap(),
            ":10 Section [foo] is not recognized.\n"
        );
        // on main the top section applies and [main] overrides it
        a.select_config_network("main");
        assert_eq!(a.get_arg("-rpcport").as_deref(), Some("3"));
        assert_eq!(a.get_arg("-port").as_deref(), Some("7"));
        assert!(a.get_unsuitable_section_only_args().is_empty());
        // command line overrides
        a.parse_parameters(&argv(&["-rpcport=9"])).unwrap();
        a.select_config_network("regtest");
        assert_eq!(a.get_arg("-rpcport").as_deref(), Some("9"));
        assert_eq!(
            a.get_unsuitable_section_only_args()
                .into_iter()
                .collect::<Vec<_>>(),
            vec!["-port".to_string()]
        );
    }

    #[test]
    fn negated_top_level_applies_to_network_only() {
        let a = manager();
        a.read_config_string("noconnect=1\n[regtest]\n").unwrap();
        a.select_config_network("regtest");
        assert!(a.is_arg_negated("-connect"));
        assert!(a.get_args("-connect").is_empty());
    }

    fn write(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
    }

    fn datadir_args(dir: &Path, extra: &[&str]) -> ArgsManager {
        let a = manager();
        let d = format!("-datadir={}", dir.display());
        let mut v = vec![d.as_str()];
        v.extend_from_slice(extra);
        a.parse_parameters(&argv(&v)).unwrap();
        a
    }

    #[test]
    fn files_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(
            &d.join("bitcoin.conf"),
            "uacomment=main\nincludeconf=inc.conf\n[regtest]\nincludeconf=reg.conf\n",
        );
        write(
            &d.join("inc.conf"),
            "uacomment=inc\nmaxconnections=5\nincludeconf=nested.conf\n",
        );
        write(&d.join("reg.conf"), "regtest.dbcache=77\n");
        let a = datadir_args(d, &["-regtest"]);
        a.read_config_files(true).unwrap();
        assert_eq!(a.get_config_file_path(), Some(d.join("bitcoin.conf")));
        assert_eq!(a.get_args("-uacomment"), vec!["main", "inc"]);
        assert_eq!(a.get_int_arg("-maxconnections", 0), 5);
        a.select_config_network("regtest");
        assert_eq!(a.get_int_arg("-dbcache", 0), 77);
        let msgs = a.take_messages();
        assert!(msgs.contains(&ArgsMessage::Stderr(
            "warning: -includeconf cannot be used from included files; ignoring -includeconf=nested.conf".into()
        )));
        assert!(msgs.contains(&ArgsMessage::Info(
            "Included configuration file reg.conf".into()
        )));

        // -noincludeconf on the command line disables includes
        let a = datadir_args(d, &["-noincludeconf"]);
        a.read_config_files(true).unwrap();
        assert_eq!(a.get_args("-uacomment"), vec!["main"]);

        // missing include
        fs::remove_file(d.join("inc.conf")).unwrap();
        let a = datadir_args(d, &[]);
        assert_eq!(
            a.read_config_files(true).unwrap_err().init_message(),
            "Error reading configuration file: Failed to include configuration file inc.conf"
        );
        // include pointing at a directory
        write(
            &d.join("bitcoin.conf"),
            &format!("includeconf={}\n", d.display()),
        );
        assert_eq!(
            a.read_config_files(true).unwrap_err(),
            ConfigFileError::Read(format!(
                "Included config file \"{}\" is a directory.",
                d.display()
            ))
        );
    }

    #[test]
    fn conf_paths() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // missing default conf is fine
        let a = datadir_args(d, &[]);
        a.read_config_files(true).unwrap();
        // missing explicit conf is not
        let a = datadir_args(d, &["-conf=other.conf"]);
        assert_eq!(
            a.read_config_files(true).unwrap_err(),
            ConfigFileError::Read(format!(
                "specified config file \"{}\" could not be opened.",
                d.join("other.conf").display()
            ))
        );
        // relative -conf is relative to the datadir
        write(&d.join("other.conf"), "uacomment=other\n");
        a.read_config_files(true).unwrap();
        assert_eq!(a.get_arg("-uacomment").as_deref(), Some("other"));
        // conf is a directory
        fs::create_dir(d.join("bitcoin.conf")).unwrap();
        let a = datadir_args(d, &[]);
        assert_eq!(
            a.read_config_files(true).unwrap_err().init_message(),
            format!(
                "Error reading configuration file: Config file \"{}\" is a directory.",
                d.join("bitcoin.conf").display()
            )
        );
        // -noconf skips it
        let a = datadir_args(d, &["-noconf"]);
        a.read_config_files(true).unwrap();
        assert_eq!(a.get_config_file_path(), Some(PathBuf::new()));
        // garbage
        fs::remove_dir(d.join("bitcoin.conf")).unwrap();
        write(&d.join("bitcoin.conf"), "garbage\n");
        let a = datadir_args(d, &[]);
        assert_eq!(
            a.read_config_files(true).unwrap_err().init_message(),
            "Error reading configuration file: parse error on line 1: garbage"
        );
    }

    #[test]
    fn datadir_from_config() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let other = d.join("other");
        fs::create_dir(&other).unwrap();
        write(&d.join("a.conf"), &format!("datadir={}\n", other.display()));
        let a = manager();
        a.parse_parameters(&argv(&[&format!("-conf={}", d.join("a.conf").display())]))
            .unwrap();
        a.read_config_files(true).unwrap();
        assert_eq!(a.get_data_dir_base(), other);
        write(
            &d.join("a.conf"),
            &format!("datadir={}\n", d.join("missing").display()),
        );
        assert_eq!(
            a.read_config_files(true).unwrap_err().init_message(),
            format!(
                "Error reading configuration file: specified data directory \"{}\" does not exist.",
                d.join("missing").display()
            )
        );
    }

    #[test]
    fn chain_errors_from_config() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(&d.join("bitcoin.conf"), "regtest=1\nincludeconf=x.conf\n");
        let a = datadir_args(d, &["-testnet"]);
        assert_eq!(
            a.read_config_files(true).unwrap_err(),
            ConfigFileError::Chain(
                "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.".into()
            )
        );
    }

    #[test]
    fn init_config_flow() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        // nonexistent datadir
        let a = datadir_args(&d.join("nope"), &[]);
        assert_eq!(
            a.init_config().unwrap_err().to_string(),
            format!(
                "Specified data directory \"{}\" does not exist.",
                d.join("nope").display()
            )
        );
        write(
            &d.join("bitcoin.conf"),
            "regtest=1\n[regtest]\nrpcport=1234\n",
        );
        let a = datadir_args(d, &[]);
        assert_eq!(a.init_config().unwrap(), ChainType::Regtest);
        assert_eq!(a.network(), "regtest");
        assert_eq!(a.get_data_dir_net(), d.join("regtest"));
        assert!(d.join("regtest/wallets").is_dir());
        let settings = d.join("regtest/settings.json");
        assert!(settings.is_file());
        assert_eq!(a.get_int_arg("-rpcport", 0), 1234);

        // corrupt settings.json
        write(&settings, "{\"key\": 1, \"key\": 2}");
        let a = datadir_args(d, &[]);
        let e = a.init_config().unwrap_err();
        assert_eq!(e.message, "Settings file could not be read");
        assert_eq!(
            e.to_string(),
            format!(
                "Settings file could not be read:\n- Found duplicate key key in settings file {}",
                settings.display()
            )
        );
        // -nosettings skips it
        let a = datadir_args(d, &["-nosettings"]);
        a.init_config().unwrap();
        assert_eq!(a.get_settings_path(false, false), None);

        // a conf in the datadir shadowed by another -conf
        write(&d.join("alt.conf"), "regtest=1\n");
        let alt = format!("-conf={}", d.join("alt.conf").display());
        let a = datadir_args(d, &[&alt, "-nosettings"]);
        let e = a.init_config().unwrap_err().to_string();
        assert!(e.starts_with(&format!(
            "Data directory \"{}\" contains a \"bitcoin.conf\" file which is ignored",
            d.display()
        )));
        assert!(e.ends_with(
            "- Set allowignoredconf=1 option to treat this condition as a warning, not an error."
        ));
        let a = datadir_args(d, &[&alt, "-nosettings", "-allowignoredconf"]);
        a.init_config().unwrap();
        // -noconf with a conf present only logs
        let a = datadir_args(d, &["-noconf", "-regtest", "-nosettings"]);
        a.init_config().unwrap();
        assert!(a.take_messages().contains(&ArgsMessage::Info(format!(
            "Data directory \"{}\" contains a \"bitcoin.conf\" file which is explicitly ignored using -noconf.",
            d.display()
        ))));
    }

    #[test]
    fn unknown_options_with_default_flags() {
        let a = ArgsManager::new();
        a.add_arg("-known", "k", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
        a.read_config_string("known=1\n").unwrap();
        assert!(a.read_config_string("unknown=1\n").is_err());
        a.set_default_flags(Some(ArgFlags::ALLOW_ANY));
        a.read_config_string("unknown=1\n").unwrap();
        assert_eq!(a.get_arg("-unknown").as_deref(), Some("1"));
    }
}
