//! The GUI's own settings where bitcoin-qt keeps them: QSettings in INI
//! format, organisation "Bitcoin", application "Bitcoin-Qt" plus a chain
//! suffix (`~/.config/Bitcoin/Bitcoin-Qt-regtest.conf` on Linux), with Qt's
//! keys and value spellings, so both programs read each other's choices.
//! Node options are not here: they live in the node's `settings.json`.
//!
//! Entries this GUI does not know (window geometry, header states, …) are
//! kept as written, so saving never loses what bitcoin-qt stored.

use std::path::{Path, PathBuf};

use common::chaintype::ChainType;

use crate::units::Unit;

/// Qt's section for keys outside any group.
const GENERAL: &str = "General";

/// bitcoin-qt's QSettings application name for `chain`.
pub fn app_name(chain: ChainType) -> &'static str {
    match chain {
        ChainType::Main => "Bitcoin-Qt",
        ChainType::Testnet => "Bitcoin-Qt-testnet",
        ChainType::Testnet4 => "Bitcoin-Qt-testnet4",
        ChainType::Signet => "Bitcoin-Qt-signet",
        ChainType::Regtest => "Bitcoin-Qt-regtest",
    }
}

/// Where Qt keeps the settings of application `app` on Linux:
/// `$XDG_CONFIG_HOME/Bitcoin/<app>.conf`, else `$HOME/.config/…`; `None`
/// when neither is set.
pub fn settings_path(app: &str) -> Option<PathBuf> {
    let var = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let config = var("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("Bitcoin").join(format!("{app}.conf")))
}

/// A QSettings INI file: sections of `key=value` lines, values kept in
/// their written (escaped) form until read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QtSettings {
    path: PathBuf,
    sections: Vec<(String, Vec<(String, String)>)>,
}

impl QtSettings {
    /// Reads the file at `path`; a missing file is an empty store.
    pub fn open(path: &Path) -> Result<QtSettings, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(format!("Cannot read {}: {e}", path.display())),
        };
        let mut store = QtSettings {
            path: path.to_path_buf(),
            sections: Vec::new(),
        };
        let mut section = GENERAL.to_string();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
                continue;
            }
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                store.set_raw(&section, key.trim(), value.trim().to_string());
            }
        }
        Ok(store)
    }

    /// An empty store that saves to `path`.
    pub fn at(path: &Path) -> QtSettings {
        QtSettings {
            path: path.to_path_buf(),
            sections: Vec::new(),
        }
    }

    /// The store of `app` (see [`settings_path`]).
    pub fn open_app(app: &str) -> Result<QtSettings, String> {
        let path = settings_path(app)
            .ok_or("Neither XDG_CONFIG_HOME nor HOME is set: no place for the GUI settings")?;
        QtSettings::open(&path)
    }

    /// The file it reads and writes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the store to its file (creating the directory).
    pub fn save(&self) -> Result<(), String> {
        self.save_to(&self.path)
    }

    /// Writes the store to `path`, as Qt does: `[General]` first.
    pub fn save_to(&self, path: &Path) -> Result<(), String> {
        let mut text = String::new();
        let general = self.sections.iter().filter(|(s, _)| s == GENERAL);
        let others = self.sections.iter().filter(|(s, _)| s != GENERAL);
        for (name, entries) in general.chain(others) {
            if entries.is_empty() {
                continue;
            }
            if !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("[{name}]\n"));
            for (key, value) in entries {
                text.push_str(&format!("{key}={value}\n"));
            }
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("Cannot create {}: {e}", dir.display()))?;
        }
        std::fs::write(path, text).map_err(|e| format!("Cannot write {}: {e}", path.display()))
    }

    /// Whether `key` (outside any group) is set.
    pub fn contains(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    /// `key` as a string, Qt's escaping undone.
    pub fn get_str(&self, key: &str) -> Option<String> {
        self.raw(key).map(unescape)
    }

    /// `key` as QVariant's `toBool` reads a string: false for "", "0" and
    /// "false", true otherwise.
    pub fn get_bool(&self, key: &str) -> Option<bool> {
        self.get_str(key)
            .map(|v| !(v.is_empty() || v == "0" || v.eq_ignore_ascii_case("false")))
    }

    /// `key` as a whole number.
    pub fn get_int(&self, key: &str) -> Option<i64> {
        self.get_str(key).and_then(|v| v.trim().parse().ok())
    }

    /// Sets `key` to the string `value`, escaped as Qt writes it.
    pub fn set_str(&mut self, key: &str, value: &str) {
        self.set_raw(GENERAL, key, escape(value));
    }

    /// Sets `key` to `true` or `false`.
    pub fn set_bool(&mut self, key: &str, value: bool) {
        self.set_raw(GENERAL, key, value.to_string());
    }

    /// Sets `key` to a whole number.
    pub fn set_int(&mut self, key: &str, value: i64) {
        self.set_raw(GENERAL, key, value.to_string());
    }

    /// Removes `key`.
    pub fn remove(&mut self, key: &str) {
        if let Some((_, entries)) = self.sections.iter_mut().find(|(s, _)| s == GENERAL) {
            entries.retain(|(k, _)| k != key);
        }
    }

    /// Removes every entry (QSettings' `clear`).
    pub fn clear(&mut self) {
        self.sections.clear();
    }

    fn raw(&self, key: &str) -> Option<&str> {
        self.sections
            .iter()
            .find(|(s, _)| s == GENERAL)
            .and_then(|(_, entries)| entries.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str())
    }

    fn set_raw(&mut self, section: &str, key: &str, value: String) {
        let index = match self.sections.iter().position(|(s, _)| s == section) {
            Some(i) => i,
            None => {
                self.sections.push((section.to_string(), Vec::new()));
                self.sections.len() - 1
            }
        };
        let entries = &mut self.sections[index].1;
        match entries.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value,
            None => entries.push((key.to_string(), value)),
        }
    }
}

/// A string value as Qt's INI writer spells it: backslash escapes for
/// quotes, backslashes and control characters, double quotes around values
/// with `;`, `,`, `=` or edge spaces, and a doubled `@` in front of one
/// that starts with `@` (which Qt reserves for typed values).
pub fn escape(value: &str) -> String {
    let value = if value.starts_with('@') {
        format!("@{value}")
    } else {
        value.to_string()
    };
    let mut out = String::with_capacity(value.len());
    let mut quote = value.starts_with(' ') || value.ends_with(' ');
    // After a \0 or \x escape a following hex digit would be read as part
    // of it, so it is escaped as well.
    let mut hex_escape_next = false;
    for c in value.chars() {
        if matches!(c, ';' | ',' | '=') {
            quote = true;
        }
        if hex_escape_next && c.is_ascii_hexdigit() {
            out.push_str(&format!("\\x{:x}", u32::from(c)));
            continue;
        }
        hex_escape_next = false;
        match c {
            '\0' => {
                out.push_str("\\0");
                hex_escape_next = true;
            }
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            c if u32::from(c) <= 0x1f || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:x}", u32::from(c)));
                hex_escape_next = true;
            }
            c => out.push(c),
        }
    }
    if quote {
        format!("\"{out}\"")
    } else {
        out
    }
}

/// Undoes [`escape`] (and Qt's other spellings: octal `\0nn`, `\x` with up
/// to four hex digits, quoted parts); a list (unquoted commas) is joined
/// with ", ".
pub fn unescape(raw: &str) -> String {
    let mut out = String::new();
    let mut chars = raw.trim().chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                while out.ends_with(' ') {
                    out.pop();
                }
                out.push_str(", ");
                while chars.peek() == Some(&' ') {
                    chars.next();
                }
            }
            '\\' => match chars.next() {
                Some('a') => out.push('\u{7}'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('t') => out.push('\t'),
                Some('v') => out.push('\u{b}'),
                Some('x') => {
                    let mut code = 0u32;
                    for _ in 0..4 {
                        match chars.peek().and_then(|d| d.to_digit(16)) {
                            Some(d) => {
                                code = code * 16 + d;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(d @ '0'..='7') => {
                    let mut code = d.to_digit(8).unwrap_or(0);
                    for _ in 0..2 {
                        match chars.peek().and_then(|d| d.to_digit(8)) {
                            Some(d) => {
                                code = code * 8 + d;
                                chars.next();
                            }
                            None => break,
                        }
                    }
                    out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                }
                Some(other) => out.push(other),
                None => {}
            },
            c => out.push(c),
        }
    }
    match out.strip_prefix("@@") {
        Some(rest) => format!("@{rest}"),
        None => out,
    }
}

/// bitcoin-qt stores the unit as a Qt-serialised custom type (its name,
/// then one byte 0..3); this is that value as Qt's INI writer spells it.
fn unit_variant(unit: Unit) -> String {
    let byte = match unit.index() {
        0 => "\\0".to_string(),
        n => format!("\\x{n:x}"),
    };
    format!("@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\fBitcoinUnit\\0{byte})")
}

/// The unit from bitcoin-qt's serialised form, or a plain number.
fn read_unit(store: &QtSettings) -> Option<Unit> {
    let raw = store.raw("DisplayBitcoinUnit")?;
    if let Some(n) = store.get_int("DisplayBitcoinUnit") {
        return Unit::from_index(n);
    }
    let decoded = unescape(raw);
    let inner = decoded.strip_prefix("@Variant(")?.strip_suffix(')')?;
    let (_, value) = inner.split_once("BitcoinUnit\0")?;
    let mut bytes = value.chars();
    match (bytes.next(), bytes.next()) {
        (Some(c), None) => Unit::from_index(i64::from(u32::from(c))),
        _ => None,
    }
}

/// The settings bitcoin-qt keeps in QSettings, with its defaults.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuiSettings {
    /// `DisplayBitcoinUnit`: the unit amounts are shown and typed in.
    pub display_unit: Unit,
    /// `fCoinControlFeatures`: Send shows coin control.
    pub coin_control: bool,
    /// `SubFeeFromAmount`: new Send entries subtract the fee.
    pub sub_fee_from_amount: bool,
    /// `enable_psbt_controls`: Send offers "Create Unsigned".
    pub psbt_controls: bool,
    /// `fMinimizeOnClose`: closing the window minimises it instead.
    pub minimize_on_close: bool,
    /// `strThirdPartyTxUrls`: `|`-separated URLs with `%s` for the txid.
    pub third_party_tx_urls: String,
}

/// bitcoin-qt's keys for [`GuiSettings`].
pub mod keys {
    /// The display unit.
    pub const DISPLAY_UNIT: &str = "DisplayBitcoinUnit";
    /// Coin control features.
    pub const COIN_CONTROL: &str = "fCoinControlFeatures";
    /// Subtract fee from amount by default.
    pub const SUB_FEE: &str = "SubFeeFromAmount";
    /// PSBT controls.
    pub const PSBT: &str = "enable_psbt_controls";
    /// Minimise on close.
    pub const MINIMIZE_ON_CLOSE: &str = "fMinimizeOnClose";
    /// Third-party transaction URLs.
    pub const THIRD_PARTY_URLS: &str = "strThirdPartyTxUrls";
    /// A changed option needs a restart.
    pub const RESTART_REQUIRED: &str = "fRestartRequired";
    /// The data directory the Intro chose (base store).
    pub const DATA_DIR: &str = "strDataDir";
    /// The settings were reset: show the Intro (base store).
    pub const RESET: &str = "fReset";
    /// The client version that last wrote the store.
    pub const VERSION: &str = "nSettingsVersion";
}

impl GuiSettings {
    /// Reads them from `store`, defaults for what is missing or unreadable.
    pub fn load(store: &QtSettings) -> GuiSettings {
        let flag = |key| store.get_bool(key).unwrap_or(false);
        GuiSettings {
            display_unit: read_unit(store).unwrap_or_default(),
            coin_control: flag(keys::COIN_CONTROL),
            sub_fee_from_amount: flag(keys::SUB_FEE),
            psbt_controls: flag(keys::PSBT),
            minimize_on_close: flag(keys::MINIMIZE_ON_CLOSE),
            third_party_tx_urls: store.get_str(keys::THIRD_PARTY_URLS).unwrap_or_default(),
        }
    }

    /// Writes them into `store` (which the caller saves).
    pub fn store(&self, store: &mut QtSettings) {
        store.set_raw(GENERAL, keys::DISPLAY_UNIT, unit_variant(self.display_unit));
        store.set_bool(keys::COIN_CONTROL, self.coin_control);
        store.set_bool(keys::SUB_FEE, self.sub_fee_from_amount);
        store.set_bool(keys::PSBT, self.psbt_controls);
        store.set_bool(keys::MINIMIZE_ON_CLOSE, self.minimize_on_close);
        store.set_str(keys::THIRD_PARTY_URLS, &self.third_party_tx_urls);
        store.set_int(
            keys::VERSION,
            i64::from(common::version::CORE_CLIENT_VERSION),
        );
    }
}

/// bitcoin-qt's reset of its QSettings (`OptionsModel::Reset`, the GUI
/// half): back the store up to `backup` (INI), clear it but keep
/// `strDataDir`, and set `fReset` so the next start shows the Intro.
pub fn reset(store: &mut QtSettings, backup: &Path) -> Result<(), String> {
    store.save_to(backup)?;
    let data_dir = store.get_str(keys::DATA_DIR);
    store.clear();
    if let Some(dir) = data_dir {
        store.set_str(keys::DATA_DIR, &dir);
    }
    store.set_bool(keys::RESET, true);
    store.save()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("gui-settings-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn strings_are_escaped_as_qt_writes_them() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a;b"), "\"a;b\"");
        assert_eq!(
            escape("https://x/tx/%s|https://y/%s"),
            "https://x/tx/%s|https://y/%s"
        );
        assert_eq!(escape("say \"hi\"\\"), "say \\\"hi\\\"\\\\");
        assert_eq!(escape("line\nbreak"), "line\\nbreak");
        assert_eq!(escape("@home"), "@@home");
        assert_eq!(escape(" edge"), "\" edge\"");
        for s in [
            "plain",
            "a;b,c=d",
            "say \"hi\"\\",
            "line\nbreak\t",
            "@home",
            " edge ",
            "µBTC",
        ] {
            assert_eq!(unescape(&escape(s)), s, "{s:?}");
        }
        // What Qt itself writes for a list and an old-style non-ASCII escape.
        assert_eq!(unescape("a, b"), "a, b");
        assert_eq!(unescape("\\xb5\\x42TC"), "µBTC");
    }

    #[test]
    fn the_store_round_trips_and_keeps_what_it_does_not_know() {
        let dir = temp("round-trip");
        let path = dir.join("Bitcoin/Bitcoin-Qt-regtest.conf");
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(
            &path,
            "[General]\nMainWindowGeometry=@ByteArray(\\x1\\xd9\\xd0)\nfMinimizeOnClose=true\n\n[Other]\nx=1\n",
        )
        .unwrap();
        let mut store = QtSettings::open(&path).unwrap();
        assert_eq!(store.get_bool("fMinimizeOnClose"), Some(true));
        let mut gui = GuiSettings::load(&store);
        assert!(gui.minimize_on_close && !gui.coin_control);
        gui.display_unit = Unit::Sat;
        gui.coin_control = true;
        gui.third_party_tx_urls = "https://a/%s|https://b/%s".into();
        gui.store(&mut store);
        store.save().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("[General]\n"), "{text}");
        assert!(text.contains("MainWindowGeometry=@ByteArray(\\x1\\xd9\\xd0)\n"));
        assert!(text.contains("fCoinControlFeatures=true\n"));
        assert!(text.contains("SubFeeFromAmount=false\n"));
        assert!(text.contains(
            "DisplayBitcoinUnit=@Variant(\\0\\0\\0\\x7f\\0\\0\\0\\fBitcoinUnit\\0\\x3)\n"
        ));
        assert!(text.contains("nSettingsVersion=310000\n"));
        assert!(text.contains("[Other]\nx=1\n"));
        let again = QtSettings::open(&path).unwrap();
        assert_eq!(GuiSettings::load(&again), gui);
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_unit_is_read_in_either_spelling() {
        let mut store = QtSettings::default();
        for unit in Unit::ALL {
            store.set_raw(GENERAL, keys::DISPLAY_UNIT, unit_variant(unit));
            assert_eq!(GuiSettings::load(&store).display_unit, unit);
        }
        store.set_int(keys::DISPLAY_UNIT, 2);
        assert_eq!(GuiSettings::load(&store).display_unit, Unit::UBtc);
        store.set_str(keys::DISPLAY_UNIT, "nonsense");
        assert_eq!(GuiSettings::load(&store).display_unit, Unit::Btc);
    }

    #[test]
    fn reset_backs_up_and_keeps_only_the_data_dir() {
        let dir = temp("reset");
        let path = dir.join("Bitcoin/Bitcoin-Qt.conf");
        let mut store = QtSettings::open(&path).unwrap();
        store.set_str(keys::DATA_DIR, "/data/btc");
        store.set_bool(keys::COIN_CONTROL, true);
        store.save().unwrap();
        let backup = dir.join("regtest/guisettings.ini.bak");
        reset(&mut store, &backup).unwrap();
        let after = QtSettings::open(&path).unwrap();
        assert_eq!(after.get_str(keys::DATA_DIR).as_deref(), Some("/data/btc"));
        assert_eq!(after.get_bool(keys::RESET), Some(true));
        assert!(!after.contains(keys::COIN_CONTROL));
        let saved = QtSettings::open(&backup).unwrap();
        assert_eq!(saved.get_bool(keys::COIN_CONTROL), Some(true));
        std::fs::remove_dir_all(&dir).ok();
    }

    #[test]
    fn the_file_is_where_qt_puts_it() {
        assert_eq!(app_name(ChainType::Regtest), "Bitcoin-Qt-regtest");
        assert_eq!(app_name(ChainType::Main), "Bitcoin-Qt");
        // Only the path's shape: the environment belongs to the whole test
        // process, so it is not changed here.
        if let Some(p) = settings_path("Bitcoin-Qt") {
            assert!(p.ends_with("Bitcoin/Bitcoin-Qt.conf"), "{}", p.display());
        }
    }
}
