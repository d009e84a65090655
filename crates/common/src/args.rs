//! Command-line arguments, option registry and setting lookup, with the
//! semantics of Bitcoin Core's `ArgsManager`.
//!
//! The manager is thread-safe: every method takes `&self` and the state sits
//! behind an internal lock, so it can be shared as `Arc<ArgsManager>`.
//! Config-file reading lives in [`crate::config`], the read-write settings
//! layer in [`crate::settings`].

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{BitOr, BitOrAssign};
use std::path::{Component, Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::Value;

pub use crate::chaintype::ChainType;
use crate::settings::{self, Settings, SettingsValue};

/// Default config file name, relative to the datadir.
pub const BITCOIN_CONF_FILENAME: &str = "bitcoin.conf";
/// Default read-write settings file name, relative to the network datadir.
pub const BITCOIN_SETTINGS_FILENAME: &str = "settings.json";

/// Flags controlling how an option is validated and interpreted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct ArgFlags(pub u32);

impl ArgFlags {
    /// No validation of the value.
    pub const ALLOW_ANY: ArgFlags = ArgFlags(0x01);
    /// `-nofoo` is rejected.
    pub const DISALLOW_NEGATION: ArgFlags = ArgFlags(0x20);
    /// `-foo` without `=value` is rejected.
    pub const DISALLOW_ELISION: ArgFlags = ArgFlags(0x40);
    /// Only shown by `-help-debug`.
    pub const DEBUG_ONLY: ArgFlags = ArgFlags(0x100);
    /// Taken from the top of the config file only on mainnet; other chains
    /// need it in their own section.
    pub const NETWORK_ONLY: ArgFlags = ArgFlags(0x200);
    /// Value is secret and is masked when logged.
    pub const SENSITIVE: ArgFlags = ArgFlags(0x400);
    /// A command (for tools with sub-commands).
    pub const COMMAND: ArgFlags = ArgFlags(0x800);

    /// Whether every bit of `other` is set in `self`.
    pub fn contains(self, other: ArgFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for ArgFlags {
    type Output = ArgFlags;
    fn bitor(self, rhs: ArgFlags) -> ArgFlags {
        ArgFlags(self.0 | rhs.0)
    }
}

impl BitOrAssign for ArgFlags {
    fn bitor_assign(&mut self, rhs: ArgFlags) {
        self.0 |= rhs.0;
    }
}

/// Help-message group of an option. The order of the variants is the order
/// of the groups in `-help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum OptionsCategory {
    /// General options.
    Options,
    /// P2P connection options.
    Connection,
    /// Wallet options.
    Wallet,
    /// Wallet debugging options (header shown only with `-help-debug`).
    WalletDebugTest,
    /// ZeroMQ notifications.
    Zmq,
    /// Debugging and testing.
    DebugTest,
    /// Chain selection.
    ChainParams,
    /// Transaction relay policy.
    NodeRelay,
    /// Block template creation.
    BlockCreation,
    /// JSON-RPC / REST server.
    Rpc,
    /// GUI options.
    Gui,
    /// Sub-commands.
    Commands,
    /// Register commands.
    RegisterCommands,
    /// CLI commands.
    CliCommands,
    /// IPC (multiprocess) options.
    Ipc,
    /// Options specific to a command.
    CommandOptions,
    /// Accepted but never shown.
    Hidden,
}

impl OptionsCategory {
    fn header(self, show_debug: bool) -> Option<&'static str> {
        Some(match self {
            OptionsCategory::Options => "Options:",
            OptionsCategory::Connection => "Connection options:",
            OptionsCategory::Zmq => "ZeroMQ notification options:",
            OptionsCategory::DebugTest => "Debugging/Testing options:",
            OptionsCategory::NodeRelay => "Node relay options:",
            OptionsCategory::BlockCreation => "Block creation options:",
            OptionsCategory::Rpc => "RPC server options:",
            OptionsCategory::Ipc => "IPC interprocess connection options:",
            OptionsCategory::Wallet => "Wallet options:",
            OptionsCategory::WalletDebugTest if show_debug => "Wallet debugging/testing options:",
            OptionsCategory::ChainParams => "Chain selection options:",
            OptionsCategory::Gui => "UI Options:",
            OptionsCategory::Commands => "Commands:",
            OptionsCategory::RegisterCommands => "Register Commands:",
            OptionsCategory::CliCommands => "CLI Commands:",
            _ => return None,
        })
    }
}

/// A parsed setting key: `[section.][no]name`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyInfo {
    /// Option name without dash, section or `no` prefix.
    pub name: String,
    /// Section prefix (`regtest` in `regtest.rpcport`), or "".
    pub section: String,
    /// Whether the key had a `no` prefix.
    pub negated: bool,
}

/// Splits a key like `regtest.nolisten` into section, name and negation.
pub fn interpret_key(key: &str) -> KeyInfo {
    let mut result = KeyInfo::default();
    let mut key = key;
    if let Some(pos) = key.find('.') {
        result.section = key[..pos].to_string();
        key = &key[pos + 1..];
    }
    if let Some(rest) = key.strip_prefix("no") {
        key = rest;
        result.negated = true;
    }
    result.name = key.to_string();
    result
}

/// Turns a key and optional value into a setting value according to the
/// option's flags. Returns `(value, warning)`; `Err` carries Core's message
/// for forbidden negation / elision.
pub fn interpret_value(
    key: &KeyInfo,
    value: Option<&str>,
    flags: ArgFlags,
) -> Result<(SettingsValue, Option<String>), String> {
    if key.negated {
        if flags.contains(ArgFlags::DISALLOW_NEGATION) {
            return Err(format!(
                "Negating of -{} is meaningless and therefore forbidden",
                key.name
            ));
        }
        if let Some(v) = value {
            if !interpret_bool(v) {
                let warning = format!(
                    "Parsed potentially confusing double-negative -{}={}",
                    key.name, v
                );
                return Ok((Value::Bool(true), Some(warning)));
            }
        }
        return Ok((Value::Bool(false), None));
    }
    match value {
        None if flags.contains(ArgFlags::DISALLOW_ELISION) => Err(format!(
            "Can not set -{} with no value. Please specify value with -{}=value.",
            key.name, key.name
        )),
        None => Ok((Value::String(String::new()), None)),
        Some(v) => Ok((Value::String(v.to_string()), None)),
    }
}

/// Core's `InterpretBool`: empty means true, otherwise the leading integer
/// is non-zero ("true" and "yes" are therefore false).
pub fn interpret_bool(s: &str) -> bool {
    s.is_empty() || locale_independent_atoi(s) != 0
}

/// Core's `LocaleIndependentAtoi<int64_t>`: skips surrounding whitespace,
/// accepts one leading `+` or `-`, parses leading digits, ignores the rest,
/// returns 0 when there are no digits and saturates on overflow.
pub fn locale_independent_atoi(s: &str) -> i64 {
    let s = s.trim_matches(|c: char| matches!(c, ' ' | '\x0c' | '\n' | '\r' | '\t' | '\x0b'));
    let mut s = s.as_bytes();
    if let Some(rest) = s.strip_prefix(b"+") {
        if rest.first() == Some(&b'-') {
            return 0;
        }
        s = rest;
    }
    let (negative, digits) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 {
        return 0;
    }
    let mut acc: i64 = 0;
    for &d in &digits[..n] {
        let d = i64::from(d - b'0');
        let next = acc.checked_mul(10).and_then(|a| {
            if negative {
                a.checked_sub(d)
            } else {
                a.checked_add(d)
            }
        });
        match next {
            Some(v) => acc = v,
            None => return if negative { i64::MIN } else { i64::MAX },
        }
    }
    acc
}

/// Converts a setting value to a string (`false` → "0", `true` → "1").
pub fn setting_to_string(v: &SettingsValue) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Bool(false) => Some("0".into()),
        Value::Bool(true) => Some("1".into()),
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(settings::write_value(other)),
    }
}

/// Converts a setting value to an integer with atoi semantics.
pub fn setting_to_int(v: &SettingsValue) -> Option<i64> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Number(n) => Some(
            n.as_i64()
                .or_else(|| n.as_u64().map(|u| i64::try_from(u).unwrap_or(i64::MAX)))
                .or_else(|| n.as_f64().map(|f| f as i64))
                .unwrap_or(0),
        ),
        Value::String(s) => Some(locale_independent_atoi(s)),
        _ => Some(0),
    }
}

/// Converts a setting value to a bool with `InterpretBool` semantics.
pub fn setting_to_bool(v: &SettingsValue) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        Value::String(s) => Some(interpret_bool(s)),
        Value::Number(n) => Some(interpret_bool(&n.to_string())),
        _ => Some(false),
    }
}

/// Where a `[section]` (or `section.key`) appeared in a config file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    /// Section name.
    pub name: String,
    /// File it appeared in.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
}

/// A message produced while parsing, for the caller to log or print once
/// logging is set up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ArgsMessage {
    /// Log at info level.
    Info(String),
    /// Log at warning level (Core's `LogWarning`).
    Warning(String),
    /// Print verbatim to stderr (Core writes these directly to `std::cerr`).
    Stderr(String),
}

/// The command (first non-option token) and what follows it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Command {
    /// The registered command, or "" when any command is accepted.
    pub command: String,
    /// Arguments after the command (or the unregistered command and its args).
    pub args: Vec<String>,
}

#[derive(Clone, Debug)]
struct Arg {
    help_param: String,
    help_text: String,
    flags: ArgFlags,
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub(crate) settings: Settings,
    command: Vec<String>,
    pub(crate) network: String,
    network_only_args: BTreeSet<String>,
    available_args: BTreeMap<OptionsCategory, BTreeMap<String, Arg>>,
    default_flags: Option<ArgFlags>,
    command_args: BTreeMap<String, BTreeSet<String>>,
    accept_any_command: bool,
    pub(crate) config_sections: Vec<SectionInfo>,
    pub(crate) config_path: Option<PathBuf>,
    pub(crate) messages: Vec<ArgsMessage>,
}

impl Inner {
    pub(crate) fn arg_flags(&self, name: &str) -> Option<ArgFlags> {
        for args in self.available_args.values() {
            if let Some(a) = args.get(name) {
                return Some(a.flags);
            }
        }
        self.default_flags
    }

    fn use_default_section(&self, arg: &str) -> bool {
        self.network == ChainType::Main.as_str() || !self.network_only_args.contains(arg)
    }

    pub(crate) fn get_setting(&self, arg: &str) -> SettingsValue {
        settings::get_setting(
            &self.settings,
            &self.network,
            setting_name(arg),
            !self.use_default_section(arg),
            false,
            false,
        )
    }

    pub(crate) fn get_path_arg(&self, arg: &str, default: &Path) -> PathBuf {
        let value = self.get_setting(arg);
        if settings::is_false(&value) {
            return PathBuf::new();
        }
        let s = setting_to_string(&value).unwrap_or_default();
        if s.is_empty() {
            return default.to_path_buf();
        }
        lexically_normal(Path::new(&s))
    }

    fn chain_flag(&self, arg: &str) -> bool {
        let v = settings::get_setting(&self.settings, "", setting_name(arg), false, false, true);
        setting_to_bool(&v).unwrap_or(false)
    }

    /// `Ok(Ok(chain))` for a known chain, `Ok(Err(name))` for an unknown
    /// `-chain=` name, `Err` for conflicting options.
    pub(crate) fn chain_arg(&self) -> Result<Result<ChainType, String>, String> {
        let flags = ["-regtest", "-signet", "-testnet", "-testnet4"].map(|a| self.chain_flag(a));
        let chain = setting_to_string(&self.get_setting("-chain"));
        let count = flags.iter().filter(|f| **f).count() + usize::from(chain.is_some());
        if count > 1 {
            return Err("Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.".to_string());
        }
        if let Some(name) = chain {
            return Ok(ChainType::from_name(&name).ok_or(name));
        }
        let chain = match flags {
            [true, ..] => ChainType::Regtest,
            [_, true, ..] => ChainType::Signet,
            [_, _, true, _] => ChainType::Testnet,
            [_, _, _, true] => ChainType::Testnet4,
            _ => ChainType::Main,
        };
        Ok(Ok(chain))
    }

    pub(crate) fn get_data_dir(&self, net_specific: bool) -> PathBuf {
        let datadir = self.get_path_arg("-datadir", Path::new(""));
        let mut path = if !datadir.as_os_str().is_empty() {
            let abs = absolute(&datadir);
            if !abs.is_dir() {
                return PathBuf::new();
            }
            abs
        } else {
            default_data_dir()
        };
        if net_specific {
            let sub = self.selected_chain().data_subdir();
            if !sub.is_empty() {
                path.push(sub);
            }
        }
        path
    }

    fn selected_chain(&self) -> ChainType {
        ChainType::from_name(&self.network)
            .or_else(|| self.chain_arg().ok().and_then(|r| r.ok()))
            .unwrap_or(ChainType::Main)
    }
}

/// Strips one leading dash: "-foo" → "foo".
fn setting_name(arg: &str) -> &str {
    arg.strip_prefix('-').unwrap_or(arg)
}

/// Makes a path absolute against the current directory without touching the
/// filesystem (like `std::filesystem::absolute`).
pub fn absolute(path: &Path) -> PathBuf {
    if path.is_absolute() {
        return path.to_path_buf();
    }
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Lexically normalises a path (drops `.`, folds `dir/..`, merges slashes)
/// and removes any trailing separator, as Core's `GetPathArg` does.
pub fn lexically_normal(path: &Path) -> PathBuf {
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    if out.is_empty() {
        return PathBuf::from(".");
    }
    out.iter().collect()
}

/// Core's default datadir: `$HOME/.bitcoin` (or `/.bitcoin` without HOME).
pub fn default_data_dir() -> PathBuf {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty());
    let base = home
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"));
    base.join(".bitcoin")
}

/// Joins `path` to `base` unless it is already absolute.
pub fn abs_path_join(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Text for a command-line parse error (the init error printer adds
/// "Error: " in front).
pub fn parse_error_message(error: &str) -> String {
    format!("Error parsing command line arguments: {error}")
}

/// Core's check for loose non-option words on the command line (run after
/// the config has been read). `argv[0]` is the program name.
pub fn check_unexpected_tokens(argv: &[String]) -> Result<(), String> {
    for a in argv.iter().skip(1) {
        if !a.starts_with('-') {
            return Err(format!(
                "Command line contains unexpected token '{a}', see bitcoind -h for a list of options."
            ));
        }
    }
    Ok(())
}

/// Formats a help group header.
pub fn help_message_group(message: &str) -> String {
    format!("{message}\n\n")
}

/// Formats one option's help entry, wrapped at 79 columns.
pub fn help_message_opt(option: &str, help_param: &str, message: &str, subopt: bool) -> String {
    let (mut opt_indent, mut msg_indent) = (2usize, 7usize);
    if subopt {
        let bump = msg_indent - opt_indent;
        opt_indent += bump;
        msg_indent += bump;
    }
    let width = 79 - msg_indent;
    format!(
        "{:opt_indent$}{option}{help_param}\n{:msg_indent$}{}\n\n",
        "",
        "",
        format_paragraph(message, width, msg_indent)
    )
}

/// Word-wraps `text` to `width` columns, indenting continuation lines by
/// `indent` spaces.
pub fn format_paragraph(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    for (n, line) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut limit = width;
        let mut len = 0usize;
        for (i, word) in line.split(' ').enumerate() {
            if i > 0 && len + 1 + word.len() > limit {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                limit = width.saturating_sub(indent);
                len = 0;
            } else if i > 0 {
                out.push(' ');
                len += 1;
            }
            out.push_str(word);
            len += word.len();
        }
    }
    out
}

/// Bitcoin Core's argument manager. See the module documentation.
#[derive(Debug)]
pub struct ArgsManager {
    inner: RwLock<Inner>,
}

impl Default for ArgsManager {
    fn default() -> Self {
        Self::new()
    }
}

impl ArgsManager {
    /// Creates an empty manager (no options registered).
    pub fn new() -> Self {
        ArgsManager {
            inner: RwLock::new(Inner {
                accept_any_command: true,
                ..Inner::default()
            }),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers an option. `name` may carry its help parameter
    /// (`"-rpcport=<port>"`); the part from `=` on is only used in help.
    pub fn add_arg(&self, name: &str, help: &str, flags: ArgFlags, category: OptionsCategory) {
        let eq = name.find('=').unwrap_or(name.len());
        let arg_name = name[..eq].to_string();
        let mut inner = self.write();
        debug_assert!(
            category == OptionsCategory::Hidden
                || inner
                    .available_args
                    .iter()
                    .filter(|(c, _)| **c != OptionsCategory::Hidden)
                    .all(|(_, m)| !m.contains_key(&arg_name)),
            "duplicate option {arg_name}"
        );
        if flags.contains(ArgFlags::NETWORK_ONLY) {
            inner.network_only_args.insert(arg_name.clone());
        }
        inner.available_args.entry(category).or_default().insert(
            arg_name,
            Arg {
                help_param: name[eq..].to_string(),
                help_text: help.to_string(),
                flags,
            },
        );
    }

    /// Registers options that are accepted but never shown in help.
    pub fn add_hidden_args(&self, names: &[&str]) {
        for n in names {
            self.add_arg(n, "", ArgFlags::ALLOW_ANY, OptionsCategory::Hidden);
        }
    }

    /// Registers a sub-command (for tools like `bitcoin-wallet`); after the
    /// first call, the first non-option word must be a registered command.
    pub fn add_command(&self, cmd: &str, help: &str, options: &[&str]) {
        let mut inner = self.write();
        inner.accept_any_command = false;
        inner
            .available_args
            .entry(OptionsCategory::Commands)
            .or_default()
            .insert(
                cmd.to_string(),
                Arg {
                    help_param: String::new(),
                    help_text: help.to_string(),
                    flags: ArgFlags::COMMAND,
                },
            );
        if !options.is_empty() {
            inner.command_args.insert(
                cmd.to_string(),
                options.iter().map(|s| s.to_string()).collect(),
            );
        }
    }

    /// Removes all registered options and all settings.
    pub fn clear_args(&self) {
        let mut inner = self.write();
        inner.settings = Settings::default();
        inner.available_args.clear();
        inner.command_args.clear();
        inner.network_only_args.clear();
        inner.config_sections.clear();
    }

    /// Flags of a registered option (`"-name"`), or the default flags for
    /// unknown options (`None` unless [`Self::set_default_flags`] was used).
    pub fn get_arg_flags(&self, name: &str) -> Option<ArgFlags> {
        self.read().arg_flags(name)
    }

    /// Sets the flags assumed for unregistered options (`None`: reject them).
    pub fn set_default_flags(&self, flags: Option<ArgFlags>) {
        self.write().default_flags = flags;
    }

    /// Parses the command line. `argv[0]` is the program name and is skipped.
    /// Parsing stops at the first word not starting with `-` (kept as the
    /// command, see [`Self::get_command`]) or at a lone `-`.
    pub fn parse_parameters(&self, argv: &[String]) -> Result<(), String> {
        let mut inner = self.write();
        inner.settings.command_line_options.clear();
        inner.command.clear();
        let mut i = 1;
        while i < argv.len() {
            let original = &argv[i];
            if original == "-" {
                break;
            }
            let (mut key, val) = match original.find('=') {
                Some(pos) => (
                    original[..pos].to_string(),
                    Some(original[pos + 1..].to_string()),
                ),
                None => (original.clone(), None),
            };
            if !key.starts_with('-') {
                if !inner.accept_any_command && inner.command.is_empty() {
                    let flags = inner.arg_flags(&key);
                    if !flags.is_some_and(|f| f.contains(ArgFlags::COMMAND)) {
                        return Err(format!("Invalid command '{original}'"));
                    }
                }
                inner.command.push(key);
                inner.command.extend(argv[i + 1..].iter().cloned());
                break;
            }
            if key.starts_with("--") {
                key.remove(0);
            }
            let key = &key[1..];
            let keyinfo = interpret_key(key);
            let flags = inner.arg_flags(&format!("-{}", keyinfo.name));
            let flags = match flags {
                Some(f) if keyinfo.section.is_empty() => f,
                _ => return Err(format!("Invalid parameter {original}")),
            };
            let (value, warning) = interpret_value(&keyinfo, val.as_deref(), flags)?;
            if let Some(w) = warning {
                inner.messages.push(ArgsMessage::Warning(w));
            }
            inner
                .settings
                .command_line_options
                .entry(keyinfo.name)
                .or_default()
                .push(value);
            i += 1;
        }
        if let Some(values) = inner.settings.command_line_options.get("includeconf") {
            let span = settings::SettingsSpan::new(values);
            if !span.is_empty() {
                if let Some(first) = span.values().first() {
                    return Err(format!(
                        "-includeconf cannot be used from commandline; -includeconf={}",
                        settings::write_value(first)
                    ));
                }
            }
        }
        Ok(())
    }

    /// The command and its arguments, if a non-option word was given.
    pub fn get_command(&self) -> Option<Command> {
        let inner = self.read();
        let mut it = inner.command.iter();
        let first = it.next()?;
        if inner.accept_any_command {
            Some(Command {
                command: String::new(),
                args: inner.command.clone(),
            })
        } else {
            Some(Command {
                command: first.clone(),
                args: it.cloned().collect(),
            })
        }
    }

    /// Selects the network whose config section is used (`"main"`,
    /// `"regtest"`, ...). Normally called with `ChainType::as_str()`.
    pub fn select_config_network(&self, network: &str) {
        self.write().network = network.to_string();
    }

    /// The selected network name ("" before selection).
    pub fn network(&self) -> String {
        self.read().network.clone()
    }

    /// The merged value of a setting (`Null` if unset).
    pub fn get_setting(&self, arg: &str) -> SettingsValue {
        self.read().get_setting(arg)
    }

    /// All values of a list setting.
    pub fn get_settings_list(&self, arg: &str) -> Vec<SettingsValue> {
        let inner = self.read();
        settings::get_settings_list(
            &inner.settings,
            &inner.network,
            setting_name(arg),
            !inner.use_default_section(arg),
        )
    }

    /// Value from the config file or settings.json only, ignoring the
    /// command line and forced values. `name` has no leading dash.
    pub fn get_persistent_setting(&self, name: &str) -> SettingsValue {
        let inner = self.read();
        settings::get_setting(
            &inner.settings,
            &inner.network,
            name,
            !inner.use_default_section(&format!("-{name}")),
            true,
            false,
        )
    }

    /// Runs `f` with mutable access to all settings under the lock.
    pub fn lock_settings<R>(&self, f: impl FnOnce(&mut Settings) -> R) -> R {
        f(&mut self.write().settings)
    }

    /// All values of an option as strings (negation clears earlier values).
    pub fn get_args(&self, arg: &str) -> Vec<String> {
        self.get_settings_list(arg)
            .iter()
            .filter_map(setting_to_string)
            .collect()
    }

    /// Whether the option has any value (including a negation).
    pub fn is_arg_set(&self, arg: &str) -> bool {
        !self.get_setting(arg).is_null()
    }

    /// Whether the option's effective value is a negation (`-nofoo`).
    pub fn is_arg_negated(&self, arg: &str) -> bool {
        settings::is_false(&self.get_setting(arg))
    }

    /// The option's value as a string, if set (negated → "0").
    pub fn get_arg(&self, arg: &str) -> Option<String> {
        setting_to_string(&self.get_setting(arg))
    }

    /// The option's value, or `default` if unset.
    pub fn get_arg_or(&self, arg: &str, default: &str) -> String {
        self.get_arg(arg).unwrap_or_else(|| default.to_string())
    }

    /// The option's value as an integer (atoi semantics), if set.
    pub fn get_int_arg_opt(&self, arg: &str) -> Option<i64> {
        setting_to_int(&self.get_setting(arg))
    }

    /// The option's value as an integer, or `default` if unset.
    pub fn get_int_arg(&self, arg: &str, default: i64) -> i64 {
        self.get_int_arg_opt(arg).unwrap_or(default)
    }

    /// The option's value as a bool, if set.
    pub fn get_bool_arg_opt(&self, arg: &str) -> Option<bool> {
        setting_to_bool(&self.get_setting(arg))
    }

    /// The option's value as a bool ("" → true, else leading integer ≠ 0),
    /// or `default` if unset.
    pub fn get_bool_arg(&self, arg: &str, default: bool) -> bool {
        self.get_bool_arg_opt(arg).unwrap_or(default)
    }

    /// The option as a normalised path; `default` if unset or empty, empty
    /// if negated.
    pub fn get_path_arg(&self, arg: &str, default: &Path) -> PathBuf {
        self.read().get_path_arg(arg, default)
    }

    /// Sets the option unless it already has a value; returns whether it was set.
    pub fn soft_set_arg(&self, arg: &str, value: &str) -> bool {
        let mut inner = self.write();
        if !inner.get_setting(arg).is_null() {
            return false;
        }
        inner.settings.forced_settings.insert(
            setting_name(arg).to_string(),
            Value::String(value.to_string()),
        );
        true
    }

    /// [`Self::soft_set_arg`] with "1" / "0".
    pub fn soft_set_bool_arg(&self, arg: &str, value: bool) -> bool {
        self.soft_set_arg(arg, if value { "1" } else { "0" })
    }

    /// Sets `arg` as if `-no<arg>` had been given, unless it is set
    /// (for options whose `0` would be read as a value, like `-settings`).
    pub fn soft_negate_arg(&self, arg: &str) -> bool {
        let mut inner = self.write();
        if !inner.get_setting(arg).is_null() {
            return false;
        }
        inner
            .settings
            .forced_settings
            .insert(setting_name(arg).to_string(), Value::Bool(false));
        true
    }

    /// Sets the option, overriding every other source.
    pub fn force_set_arg(&self, arg: &str, value: &str) {
        self.write().settings.forced_settings.insert(
            setting_name(arg).to_string(),
            Value::String(value.to_string()),
        );
    }

    /// The chain selected by `-chain`, `-regtest`, `-testnet`, `-testnet4`
    /// and `-signet`; errors with Core's texts on conflicts or unknown names.
    pub fn get_chain_type(&self) -> Result<ChainType, String> {
        match self.read().chain_arg()? {
            Ok(c) => Ok(c),
            Err(name) => Err(format!("Unknown chain {name}.")),
        }
    }

    /// The selected chain name, which may be an unknown `-chain=` value.
    pub fn get_chain_type_string(&self) -> Result<String, String> {
        Ok(match self.read().chain_arg()? {
            Ok(c) => c.as_str().to_string(),
            Err(name) => name,
        })
    }

    /// Datadir (`-datadir` made absolute, or the default); empty if
    /// `-datadir` is not an existing directory.
    pub fn get_data_dir_base(&self) -> PathBuf {
        self.read().get_data_dir(false)
    }

    /// Datadir plus the chain subdirectory (`regtest`, `testnet3`, ...).
    /// Uses the selected network, or the chain options if none is selected.
    pub fn get_data_dir_net(&self) -> PathBuf {
        self.read().get_data_dir(true)
    }

    /// `<blocksdir or datadir>/<chain subdir>/blocks`, created if missing;
    /// empty if `-blocksdir` is not an existing directory.
    pub fn get_blocks_dir_path(&self) -> PathBuf {
        let inner = self.read();
        let mut path = if !inner.get_setting("-blocksdir").is_null() {
            let p = absolute(&inner.get_path_arg("-blocksdir", Path::new("")));
            if !p.is_dir() {
                return PathBuf::new();
            }
            p
        } else {
            inner.get_data_dir(false)
        };
        let sub = inner.selected_chain().data_subdir();
        if !sub.is_empty() {
            path.push(sub);
        }
        path.push("blocks");
        // Creation failures surface later when the directory is used.
        let _ = std::fs::create_dir_all(&path);
        path
    }

    /// Resolves a relative path option against the (network) datadir.
    pub fn abs_path_for_config_val(&self, path: &Path, net_specific: bool) -> PathBuf {
        if path.is_absolute() || path.as_os_str().is_empty() {
            return path.to_path_buf();
        }
        let base = if net_specific {
            self.get_data_dir_net()
        } else {
            self.get_data_dir_base()
        };
        base.join(path)
    }

    /// Whether `-datadir` is unset or names an existing directory.
    pub fn check_data_dir_option(&self) -> bool {
        let d = self.get_path_arg("-datadir", Path::new(""));
        d.as_os_str().is_empty() || absolute(&d).is_dir()
    }

    /// The config file path used by the last `read_config_files` (empty
    /// with `-noconf`), or `None` before reading.
    pub fn get_config_file_path(&self) -> Option<PathBuf> {
        self.read().config_path.clone()
    }

    /// Network-only options set only at the top of the config file while a
    /// non-main network is selected (they are ignored; Core refuses to start).
    pub fn get_unsuitable_section_only_args(&self) -> BTreeSet<String> {
        let inner = self.read();
        if inner.network.is_empty() || inner.network == ChainType::Main.as_str() {
            return BTreeSet::new();
        }
        inner
            .network_only_args
            .iter()
            .filter(|arg| {
                settings::only_has_default_section_setting(
                    &inner.settings,
                    &inner.network,
                    setting_name(arg),
                )
            })
            .cloned()
            .collect()
    }

    /// Error text Core gives for [`Self::get_unsuitable_section_only_args`]
    /// (one line per option), or `None` if there are none.
    pub fn unsuitable_section_only_args_error(&self) -> Option<String> {
        let network = self.network();
        let args = self.get_unsuitable_section_only_args();
        if args.is_empty() {
            return None;
        }
        Some(
            args.iter()
                .map(|a| format!("Config setting for {a} only applied on {network} network when in [{network}] section.\n"))
                .collect(),
        )
    }

    /// Config sections whose name is not a known chain.
    pub fn get_unrecognized_sections(&self) -> Vec<SectionInfo> {
        self.read()
            .config_sections
            .iter()
            .filter(|s| ChainType::from_name(&s.name).is_none())
            .cloned()
            .collect()
    }

    /// Warning text Core gives for unrecognized sections, or `None`.
    pub fn unrecognized_sections_warning(&self) -> Option<String> {
        let secs = self.get_unrecognized_sections();
        if secs.is_empty() {
            return None;
        }
        Some(
            secs.iter()
                .map(|s| {
                    format!(
                        "{}:{} Section [{}] is not recognized.\n",
                        s.file, s.line, s.name
                    )
                })
                .collect(),
        )
    }

    /// Path of the settings file (`temp` adds `.tmp`, `backup` adds `.bak`),
    /// or `None` when disabled with `-nosettings`.
    pub fn get_settings_path(&self, temp: bool, backup: bool) -> Option<PathBuf> {
        let settings = self.get_path_arg("-settings", Path::new(BITCOIN_SETTINGS_FILENAME));
        if settings.as_os_str().is_empty() {
            return None;
        }
        let mut s = settings.into_os_string();
        if backup {
            s.push(".bak");
        }
        if temp {
            s.push(".tmp");
        }
        Some(abs_path_join(&self.get_data_dir_net(), Path::new(&s)))
    }

    /// Loads settings.json into the read-write layer. Unknown keys are kept
    /// but produce "Ignoring unknown rw_settings value" warnings.
    pub fn read_settings_file(&self) -> Result<(), Vec<String>> {
        let Some(path) = self.get_settings_path(false, false) else {
            return Ok(());
        };
        let mut inner = self.write();
        inner.settings.rw_settings.clear();
        let values = settings::read_settings(&path)?;
        let mut warnings = Vec::new();
        for key in values.keys() {
            let k = interpret_key(key);
            if inner.arg_flags(&format!("-{}", k.name)).is_none() {
                warnings.push(ArgsMessage::Warning(format!(
                    "Ignoring unknown rw_settings value {key}"
                )));
            }
        }
        inner.settings.rw_settings = values;
        inner.messages.extend(warnings);
        Ok(())
    }

    /// Writes the read-write layer to settings.json (or its `.bak`)
    /// atomically via a temporary file and rename.
    pub fn write_settings_file(&self, backup: bool) -> Result<(), Vec<String>> {
        let (Some(path), Some(tmp)) = (
            self.get_settings_path(false, backup),
            self.get_settings_path(true, backup),
        ) else {
            return Err(vec![
                "Attempt to write settings file when dynamic settings are disabled.".to_string(),
            ]);
        };
        let inner = self.read();
        settings::write_settings(&tmp, &inner.settings.rw_settings)?;
        if std::fs::rename(&tmp, &path).is_err() {
            return Err(vec![format!(
                "Failed renaming settings file {} to {}\n",
                tmp.display(),
                path.display()
            )]);
        }
        Ok(())
    }

    /// Takes the messages gathered while parsing (warnings, info, stderr lines).
    pub fn take_messages(&self) -> Vec<ArgsMessage> {
        std::mem::take(&mut self.write().messages)
    }

    /// Lines Core logs at startup describing config-file, settings-file and
    /// command-line values (sensitive values masked as `****`).
    pub fn log_args_lines(&self) -> Vec<String> {
        let inner = self.read();
        let mut lines = Vec::new();
        let prefix_lines = |prefix: &str,
                            section: &str,
                            args: &BTreeMap<String, Vec<Value>>,
                            lines: &mut Vec<String>| {
            let section_str = if section.is_empty() {
                String::new()
            } else {
                format!("[{section}] ")
            };
            for (name, values) in args {
                let Some(flags) = inner.arg_flags(&format!("-{name}")) else {
                    continue;
                };
                for v in values {
                    let shown = if flags.contains(ArgFlags::SENSITIVE) {
                        "****".to_string()
                    } else {
                        settings::write_value(v)
                    };
                    lines.push(format!("{prefix} {section_str}{name}={shown}"));
                }
            }
        };
        for (section, args) in &inner.settings.ro_config {
            prefix_lines("Config file arg:", section, args, &mut lines);
        }
        for (k, v) in &inner.settings.rw_settings {
            lines.push(format!(
                "Setting file arg: {k} = {}",
                settings::write_value(v)
            ));
        }
        prefix_lines(
            "Command-line arg:",
            "",
            &inner.settings.command_line_options,
            &mut lines,
        );
        lines
    }

    /// Whether `-?`, `-h`, `-help` or `-help-debug` was given.
    pub fn help_requested(&self) -> bool {
        ["-?", "-h", "-help", "-help-debug"]
            .iter()
            .any(|a| self.is_arg_set(a))
    }

    /// Core's `CheckCommandOptions`: one complaint for each command option
    /// that was given but does not belong to `command`.
    pub fn check_command_options(&self, command: &str) -> Vec<String> {
        let names: Vec<String> = {
            let inner = self.read();
            let valid = inner.command_args.get(command);
            inner
                .available_args
                .get(&OptionsCategory::CommandOptions)
                .map(|opts| {
                    opts.keys()
                        .filter(|name| !valid.is_some_and(|v| v.contains(*name)))
                        .cloned()
                        .collect()
                })
                .unwrap_or_default()
        };
        names
            .into_iter()
            .filter(|name| self.is_arg_set(name))
            .map(|name| format!("The {name} option cannot be used with the '{command}' command."))
            .collect()
    }

    /// Whether `-test=<option>` was given with this option.
    pub fn has_test_option(&self, option: &str) -> bool {
        self.get_args("-test").iter().any(|o| o == option)
    }

    /// The grouped help text for all visible options (debug-only options and
    /// groups only with `-help-debug`).
    pub fn get_help_message(&self) -> String {
        let show_debug = self.get_bool_arg("-help-debug", false);
        let inner = self.read();
        let mut usage = String::new();
        for (category, args) in &inner.available_args {
            if *category == OptionsCategory::Hidden {
                break;
            }
            if *category == OptionsCategory::CommandOptions {
                continue;
            }
            if let Some(h) = category.header(show_debug) {
                usage.push_str(&help_message_group(h));
            }
            for (name, arg) in args {
                if !show_debug && arg.flags.contains(ArgFlags::DEBUG_ONLY) {
                    continue;
                }
                usage.push_str(&help_message_opt(
                    name,
                    &arg.help_param,
                    &arg.help_text,
                    false,
                ));
                if *category == OptionsCategory::Commands {
                    if let (Some(opts), Some(cmd_opts)) = (
                        inner.command_args.get(name),
                        inner.available_args.get(&OptionsCategory::CommandOptions),
                    ) {
                        for (oname, oarg) in cmd_opts {
                            if opts.contains(oname)
                                && (show_debug || !oarg.flags.contains(ArgFlags::DEBUG_ONLY))
                            {
                                usage.push_str(&help_message_opt(
                                    oname,
                                    &oarg.help_param,
                                    &oarg.help_text,
                                    true,
                                ));
                            }
                        }
                    }
                }
            }
        }
        usage
    }
}

/// Helpers shared by the unit tests of the argument and config modules.
#[cfg(test)]
pub(crate) mod test_util {
    use super::ArgsManager;

    /// A manager with every node option registered.
    pub(crate) fn manager() -> ArgsManager {
        let a = ArgsManager::new();
        crate::options::register_node_options(&a);
        a
    }

    /// `argv` with the program name in front.
    pub(crate) fn argv(items: &[&str]) -> Vec<String> {
        std::iter::once("bitcoin-node")
            .chain(items.iter().copied())
            .map(String::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::test_util::{argv, manager};
    use super::*;

    #[test]
    fn atoi_and_bool() {
        assert_eq!(locale_independent_atoi("12abc"), 12);
        assert_eq!(locale_independent_atoi("  -7 "), -7);
        assert_eq!(locale_independent_atoi("+5"), 5);
        assert_eq!(locale_independent_atoi("+-5"), 0);
        assert_eq!(locale_independent_atoi("abc"), 0);
        assert_eq!(locale_independent_atoi(""), 0);
        assert_eq!(locale_independent_atoi("99999999999999999999"), i64::MAX);
        assert_eq!(locale_independent_atoi("-99999999999999999999"), i64::MIN);
        assert!(interpret_bool(""));
        assert!(interpret_bool("1"));
        assert!(interpret_bool("2x"));
        assert!(!interpret_bool("0"));
        assert!(!interpret_bool("true"));
        assert!(!interpret_bool("yes"));
    }

    #[test]
    fn keys() {
        assert_eq!(
            interpret_key("regtest.nofoo"),
            KeyInfo {
                name: "foo".into(),
                section: "regtest".into(),
                negated: true
            }
        );
        assert_eq!(
            interpret_key("bar"),
            KeyInfo {
                name: "bar".into(),
                section: String::new(),
                negated: false
            }
        );
    }

    #[test]
    fn parse_forms() {
        let a = manager();
        a.parse_parameters(&argv(&[
            "-server",
            "--rpcport=5",
            "-nolisten",
            "-dnsseed=0",
            "-uacomment=a",
            "-uacomment=b",
        ]))
        .unwrap();
        assert!(a.get_bool_arg("-server", false));
        assert_eq!(a.get_arg("-server").as_deref(), Some(""));
        assert_eq!(a.get_int_arg("-rpcport", 0), 5);
        assert!(a.is_arg_negated("-listen"));
        assert!(!a.get_bool_arg("-listen", true));
        assert_eq!(a.get_arg("-listen").as_deref(), Some("0"));
        assert!(!a.get_bool_arg("-dnsseed", true));
        assert_eq!(a.get_arg("-uacomment").as_deref(), Some("b"));
        assert_eq!(a.get_args("-uacomment"), vec!["a", "b"]);
        assert!(!a.is_arg_set("-txindex"));
        assert_eq!(a.get_arg_or("-txindex", "x"), "x");
        assert_eq!(a.get_int_arg("-txindex", 42), 42);
    }

    #[test]
    fn double_negative() {
        let a = manager();
        a.parse_parameters(&argv(&["-nolisten=0"])).unwrap();
        assert!(a.get_bool_arg("-listen", false));
        assert!(!a.is_arg_negated("-listen"));
        assert_eq!(
            a.take_messages(),
            vec![ArgsMessage::Warning(
                "Parsed potentially confusing double-negative -listen=0".into()
            )]
        );
        // -nofoo=1 is a plain negation
        a.parse_parameters(&argv(&["-nolisten=1"])).unwrap();
        assert!(a.is_arg_negated("-listen"));
    }

    #[test]
    fn negation_clears_list() {
        let a = manager();
        a.parse_parameters(&argv(&["-addnode=a", "-noaddnode", "-addnode=b"]))
            .unwrap();
        assert_eq!(a.get_args("-addnode"), vec!["b"]);
        a.parse_parameters(&argv(&["-addnode=a", "-noaddnode"]))
            .unwrap();
        assert!(a.get_args("-addnode").is_empty());
        assert!(a.is_arg_set("-addnode"));
    }

    #[test]
    fn parse_errors() {
        let a = manager();
        assert_eq!(
            a.parse_parameters(&argv(&["-dash_cli=1"])).unwrap_err(),
            "Invalid parameter -dash_cli=1"
        );
        assert_eq!(
            parse_error_message("Invalid parameter -x"),
            "Error parsing command line arguments: Invalid parameter -x"
        );
        assert_eq!(
            a.parse_parameters(&argv(&["-regtest.rpcport=1"]))
                .unwrap_err(),
            "Invalid parameter -regtest.rpcport=1"
        );
        assert_eq!(
            a.parse_parameters(&argv(&["--"])).unwrap_err(),
            "Invalid parameter --"
        );
        assert_eq!(
            a.parse_parameters(&argv(&["-proxy"])).unwrap_err(),
            "Can not set -proxy with no value. Please specify value with -proxy=value."
        );
        assert_eq!(
            a.parse_parameters(&argv(&["-nodatadir"])).unwrap_err(),
            "Negating of -datadir is meaningless and therefore forbidden"
        );
        assert_eq!(
            a.parse_parameters(&argv(&["-loglevel"])).unwrap_err(),
            "Can not set -loglevel with no value. Please specify value with -loglevel=value."
        );
        assert_eq!(
            a.parse_parameters(&argv(&["-noincludeconf=0"]))
                .unwrap_err(),
            "-includeconf cannot be used from commandline; -includeconf=true"
        );
        assert_eq!(
            a.parse_parameters(&argv(&[
                "-includeconf=relative2.conf",
                "-includeconf=no_warn.conf"
            ]))
            .unwrap_err(),
            "-includeconf cannot be used from commandline; -includeconf=\"relative2.conf\""
        );
        a.parse_parameters(&argv(&["-noincludeconf"])).unwrap();
        a.parse_parameters(&argv(&["-includeconf=x", "-noincludeconf"]))
            .unwrap();
    }

    #[test]
    fn loose_tokens() {
        let a = manager();
        let v = argv(&["-server", "foo", "-bogus"]);
        // parsing stops at the first word; the check runs later
        a.parse_parameters(&v).unwrap();
        assert_eq!(a.get_command().unwrap().args, vec!["foo", "-bogus"]);
        assert_eq!(
            check_unexpected_tokens(&v).unwrap_err(),
            "Command line contains unexpected token 'foo', see bitcoind -h for a list of options."
        );
        assert!(check_unexpected_tokens(&argv(&["-server"])).is_ok());
        // a lone "-" ends parsing
        a.parse_parameters(&argv(&["-server", "-", "-bogus"]))
            .unwrap();
    }

    #[test]
    fn registered_commands() {
        let a = ArgsManager::new();
        a.add_arg("-opt", "o", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
        a.add_command("info", "show info", &[]);
        assert_eq!(
            a.parse_parameters(&argv(&["bogus"])).unwrap_err(),
            "Invalid command 'bogus'"
        );
        a.parse_parameters(&argv(&["-opt", "info", "x"])).unwrap();
        assert_eq!(
            a.get_command(),
            Some(Command {
                command: "info".into(),
                args: vec!["x".into()]
            })
        );
        assert!(a.get_help_message().contains("Commands:"));
    }

    #[test]
    fn chain_selection() {
        let a = manager();
        a.parse_parameters(&argv(&[])).unwrap();
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Main);
        for (flag, chain) in [
            ("-regtest", ChainType::Regtest),
            ("-testnet", ChainType::Testnet),
            ("-testnet4", ChainType::Testnet4),
            ("-signet", ChainType::Signet),
            ("-chain=test", ChainType::Testnet),
            ("-chain=main", ChainType::Main),
        ] {
            a.parse_parameters(&argv(&[flag])).unwrap();
            assert_eq!(a.get_chain_type().unwrap(), chain, "{flag}");
        }
        a.parse_parameters(&argv(&["-chain=foo"])).unwrap();
        assert_eq!(a.get_chain_type().unwrap_err(), "Unknown chain foo.");
        assert_eq!(a.get_chain_type_string().unwrap(), "foo");
        a.parse_parameters(&argv(&["-regtest", "-testnet"]))
            .unwrap();
        assert_eq!(
            a.get_chain_type().unwrap_err(),
            "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."
        );
        a.parse_parameters(&argv(&["-regtest", "-chain=regtest"]))
            .unwrap();
        assert!(a.get_chain_type().is_err());
        a.parse_parameters(&argv(&["-regtest=0", "-testnet"]))
            .unwrap();
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Testnet);
        // a negated command-line chain flag does not override the config file
        a.parse_parameters(&argv(&["-noregtest"])).unwrap();
        a.read_config_string("regtest=1\n").unwrap();
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Regtest);
        // config: last value wins for chain flags
        a.parse_parameters(&argv(&[])).unwrap();
        a.read_config_string("regtest=1\nregtest=0\n").unwrap();
        assert_eq!(a.get_chain_type().unwrap(), ChainType::Main);
    }

    #[test]
    fn soft_and_force_set() {
        let a = manager();
        a.parse_parameters(&argv(&["-listen=1"])).unwrap();
        assert!(!a.soft_set_bool_arg("-listen", false));
        assert!(a.get_bool_arg("-listen", false));
        assert!(a.soft_set_bool_arg("-server", true));
        assert_eq!(a.get_arg("-server").as_deref(), Some("1"));
        assert!(!a.soft_set_arg("-server", "0"));
        a.force_set_arg("-listen", "0");
        assert!(!a.get_bool_arg("-listen", true));
        // a forced value hides the command line but (as in Core) not the config file
        a.parse_parameters(&argv(&["-uacomment=cmd"])).unwrap();
        a.read_config_string("uacomment=c\n").unwrap();
        a.force_set_arg("-uacomment", "f");
        assert_eq!(a.get_args("-uacomment"), vec!["f", "c"]);
        assert_eq!(a.get_arg("-uacomment").as_deref(), Some("f"));
    }

    #[test]
    fn rw_settings_precedence() {
        let a = manager();
        a.parse_parameters(&argv(&[])).unwrap();
        a.read_config_string("dbcache=5\n").unwrap();
        a.lock_settings(|s| {
            s.rw_settings.insert("dbcache".into(), serde_json::json!(7));
        });
        assert_eq!(a.get_int_arg("-dbcache", 0), 7);
        assert_eq!(a.get_arg("-dbcache").as_deref(), Some("7"));
        assert_eq!(a.get_persistent_setting("dbcache"), serde_json::json!(7));
        a.parse_parameters(&argv(&["-dbcache=9"])).unwrap();
        assert_eq!(a.get_int_arg("-dbcache", 0), 9);
        assert_eq!(a.get_persistent_setting("dbcache"), serde_json::json!(7));
    }

    #[test]
    fn paths_and_datadir() {
        assert_eq!(
            lexically_normal(Path::new("/a/./b//c/")),
            PathBuf::from("/a/b/c")
        );
        assert_eq!(lexically_normal(Path::new("a/../b")), PathBuf::from("b"));
        assert_eq!(lexically_normal(Path::new("../x")), PathBuf::from("../x"));
        assert_eq!(lexically_normal(Path::new("/..")), PathBuf::from("/"));
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let a = manager();
        a.parse_parameters(&argv(&[&format!("-datadir={}/", d.display()), "-regtest"]))
            .unwrap();
        assert_eq!(a.get_data_dir_base(), d);
        assert_eq!(a.get_data_dir_net(), d.join("regtest"));
        a.select_config_network("test");
        assert_eq!(a.get_data_dir_net(), d.join("testnet3"));
        assert_eq!(a.get_blocks_dir_path(), d.join("testnet3/blocks"));
        assert!(d.join("testnet3/blocks").is_dir());
        assert_eq!(
            a.get_path_arg("-pid", Path::new("def")),
            PathBuf::from("def")
        );
        a.parse_parameters(&argv(&[&format!(
            "-datadir={}",
            d.join("missing").display()
        )]))
        .unwrap();
        assert_eq!(a.get_data_dir_base(), PathBuf::new());
        assert!(!a.check_data_dir_option());
        a.parse_parameters(&argv(&["-nodebuglogfile"])).unwrap();
        assert_eq!(
            a.get_path_arg("-debuglogfile", Path::new("debug.log")),
            PathBuf::new()
        );
        assert!(default_data_dir().ends_with(".bitcoin"));
    }

    #[test]
    fn settings_file_via_manager() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let a = manager();
        a.parse_parameters(&argv(&[&format!("-datadir={}", d.display())]))
            .unwrap();
        a.select_config_network("main");
        assert_eq!(
            a.get_settings_path(false, false),
            Some(d.join("settings.json"))
        );
        assert_eq!(
            a.get_settings_path(true, true),
            Some(d.join("settings.json.bak.tmp"))
        );
        a.lock_settings(|s| {
            s.rw_settings
                .insert("wallet".into(), serde_json::json!(["w1"]));
            s.rw_settings.insert("bogus".into(), serde_json::json!(1));
        });
        a.write_settings_file(false).unwrap();
        assert!(!d.join("settings.json.tmp").exists());
        a.lock_settings(|s| s.rw_settings.clear());
        a.read_settings_file().unwrap();
        assert_eq!(a.get_args("-wallet"), vec!["w1"]);
        assert_eq!(
            a.take_messages(),
            vec![ArgsMessage::Warning(
                "Ignoring unknown rw_settings value bogus".into()
            )]
        );
        let lines = a.log_args_lines();
        assert!(lines.contains(&"Setting file arg: wallet = [\"w1\"]".to_string()));
        // alternate path
        std::fs::write(d.join("alt.json"), "{\"key\": \"value\"}").unwrap();
        a.parse_parameters(&argv(&[
            &format!("-datadir={}", d.display()),
            &format!("-settings={}", d.join("alt.json").display()),
        ]))
        .unwrap();
        a.read_settings_file().unwrap();
        assert!(a
            .log_args_lines()
            .contains(&"Setting file arg: key = \"value\"".to_string()));
        // -nosettings disables
        a.parse_parameters(&argv(&["-nosettings"])).unwrap();
        assert_eq!(a.get_settings_path(false, false), None);
        assert!(a.write_settings_file(false).is_err());
        assert!(a
            .log_args_lines()
            .contains(&"Command-line arg: settings=false".to_string()));
    }

    #[test]
    fn log_args_masks_sensitive() {
        let a = manager();
        a.parse_parameters(&argv(&[
            "-addnode=some.node",
            "-rpcpassword=secret",
            "-rpcbind=127.0.0.1",
        ]))
        .unwrap();
        a.read_config_string("regtest=1\n[regtest]\nserver=1\n")
            .unwrap();
        let lines = a.log_args_lines();
        assert!(lines.contains(&"Command-line arg: addnode=\"some.node\"".to_string()));
        assert!(lines.contains(&"Command-line arg: rpcpassword=****".to_string()));
        assert!(lines.contains(&"Command-line arg: rpcbind=\"127.0.0.1\"".to_string()));
        assert!(lines.contains(&"Config file arg: regtest=\"1\"".to_string()));
        assert!(lines.contains(&"Config file arg: [regtest] server=\"1\"".to_string()));
    }

    #[test]
    fn format_wraps() {
        let text = "word ".repeat(40);
        let out = format_paragraph(text.trim_end(), 72, 7);
        for (i, l) in out.lines().enumerate() {
            assert!(l.len() <= 72, "{l}");
            if i > 0 {
                assert!(l.starts_with("       w"));
            }
        }
        assert_eq!(
            help_message_opt("-x", "=<n>", "hi", false),
            "  -x=<n>\n       hi\n\n"
        );
    }
}
