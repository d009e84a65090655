//! Layered settings storage and the read-write `settings.json` file.
//!
//! A setting can come from five sources, highest precedence first: values
//! forced by the program, the command line, the read-write settings file
//! (`settings.json`), the network section of the config file (`[regtest]`
//! etc.), and the top of the config file. [`get_setting`] and
//! [`get_settings_list`] merge them with the same quirks as Bitcoin Core
//! (first config value wins, last command-line value wins, negation
//! semantics).

use std::collections::BTreeMap;
use std::fs;
use std::io::{Read, Write};
use std::path::Path;

use serde_json::Value;

/// A single setting value: `null` (unset), `false` (negated), `true`, a
/// string, or (from `settings.json`) any JSON value.
pub type SettingsValue = Value;

/// Key of the auto-generated comment in `settings.json`.
pub const SETTINGS_WARN_MSG_KEY: &str = "_warning_";

/// Product name written into the `settings.json` comment. The functional
/// test suite compares it with Core's `CLIENT_NAME`.
pub const CLIENT_NAME: &str = "Bitcoin Core";

/// All setting sources, keyed by setting name (without leading dash).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Settings {
    /// Values set by the program (`force_set_arg`, `soft_set_arg`).
    pub forced_settings: BTreeMap<String, SettingsValue>,
    /// Values from the command line, in the order given.
    pub command_line_options: BTreeMap<String, Vec<SettingsValue>>,
    /// Values from the read-write settings file.
    pub rw_settings: BTreeMap<String, SettingsValue>,
    /// Values from config files: section ("" for the top) → name → values.
    pub ro_config: BTreeMap<String, BTreeMap<String, Vec<SettingsValue>>>,
}

/// Where a merged value came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    Forced,
    CommandLine,
    RwSettings,
    ConfigNetworkSection,
    ConfigDefaultSection,
}

/// A list of values for one setting from one source, with negation
/// bookkeeping: a `false` value cancels everything before it.
#[derive(Clone, Copy, Debug)]
pub struct SettingsSpan<'a> {
    data: &'a [SettingsValue],
}

impl<'a> SettingsSpan<'a> {
    /// Wraps a list of values.
    pub fn new(data: &'a [SettingsValue]) -> Self {
        SettingsSpan { data }
    }

    /// Number of leading values cancelled by the last negation (the
    /// position just after the last `false`).
    pub fn negated(&self) -> usize {
        self.data
            .iter()
            .rposition(is_false)
            .map(|i| i + 1)
            .unwrap_or(0)
    }

    /// Whether the last value is a negation.
    pub fn last_negated(&self) -> bool {
        self.data.last().is_some_and(is_false)
    }

    /// Whether no value is in effect (nothing given, or the last is a negation).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty() || self.last_negated()
    }

    /// The values in effect: those after the last negation.
    pub fn values(&self) -> &'a [SettingsValue] {
        &self.data[self.negated()..]
    }
}

/// True for the JSON value `false` (a negated setting).
pub fn is_false(v: &SettingsValue) -> bool {
    matches!(v, Value::Bool(false))
}

fn merge_settings<F>(settings: &Settings, section: &str, name: &str, mut f: F)
where
    F: FnMut(SettingsSpan<'_>, Source),
{
    if let Some(v) = settings.forced_settings.get(name) {
        f(SettingsSpan::new(std::slice::from_ref(v)), Source::Forced);
    }
    if let Some(vs) = settings.command_line_options.get(name) {
        f(SettingsSpan::new(vs), Source::CommandLine);
    }
    if let Some(v) = settings.rw_settings.get(name) {
        f(
            SettingsSpan::new(std::slice::from_ref(v)),
            Source::RwSettings,
        );
    }
    if !section.is_empty() {
        if let Some(vs) = settings.ro_config.get(section).and_then(|m| m.get(name)) {
            f(SettingsSpan::new(vs), Source::ConfigNetworkSection);
        }
    }
    if let Some(vs) = settings.ro_config.get("").and_then(|m| m.get(name)) {
        f(SettingsSpan::new(vs), Source::ConfigDefaultSection);
    }
}

/// Returns the effective value of a setting (`Null` if unset).
///
/// * `section`: the selected network's config section ("" for none).
/// * `ignore_default_section_config`: skip the top of the config file
///   (network-only options on a non-main chain), except negations there.
/// * `ignore_nonpersistent`: skip forced and command-line values.
/// * `get_chain_type`: chain-selection mode: config values use the last
///   occurrence and negated command-line values are skipped.
pub fn get_setting(
    settings: &Settings,
    section: &str,
    name: &str,
    ignore_default_section_config: bool,
    ignore_nonpersistent: bool,
    get_chain_type: bool,
) -> SettingsValue {
    let mut result = Value::Null;
    let mut done = false;
    merge_settings(settings, section, name, |span, source| {
        if done {
            return;
        }
        let never_ignore_negated = span.last_negated();
        let is_config = matches!(
            source,
            Source::ConfigNetworkSection | Source::ConfigDefaultSection
        );
        let reverse_precedence = is_config && !get_chain_type;
        if ignore_default_section_config
            && source == Source::ConfigDefaultSection
            && !never_ignore_negated
        {
            return;
        }
        if ignore_nonpersistent && matches!(source, Source::CommandLine | Source::Forced) {
            return;
        }
        if get_chain_type && span.last_negated() {
            return;
        }
        if !span.is_empty() {
            let values = span.values();
            let picked = if reverse_precedence {
                values.first()
            } else {
                values.last()
            };
            if let Some(v) = picked {
                result = v.clone();
            }
            done = true;
        } else if span.last_negated() {
            result = Value::Bool(false);
            done = true;
        }
    });
    result
}

/// Returns all effective values of a list setting (e.g. `-addnode`), with
/// Core's negation rules: a negation on the command line discards lower
/// sources unless it is followed by new values, in which case config-file
/// values come back.
pub fn get_settings_list(
    settings: &Settings,
    section: &str,
    name: &str,
    ignore_default_section_config: bool,
) -> Vec<SettingsValue> {
    let mut result: Vec<SettingsValue> = Vec::new();
    let mut done = false;
    let mut prev_negated_empty = false;
    merge_settings(settings, section, name, |span, source| {
        let is_config = matches!(
            source,
            Source::ConfigNetworkSection | Source::ConfigDefaultSection
        );
        let add_zombie_config_values = is_config && !prev_negated_empty;
        if ignore_default_section_config && source == Source::ConfigDefaultSection {
            return;
        }
        if !done || add_zombie_config_values {
            for v in span.values() {
                if let Value::Array(items) = v {
                    result.extend(items.iter().cloned());
                } else {
                    result.push(v.clone());
                }
            }
        }
        done |= span.negated() > 0 || source == Source::Forced;
        prev_negated_empty |= span.last_negated() && result.is_empty();
    });
    result
}

/// True if the setting only has a value in the top section of the config
/// file (and not on the command line, in settings.json or in `section`).
pub fn only_has_default_section_setting(settings: &Settings, section: &str, name: &str) -> bool {
    let mut has_default = false;
    let mut has_other = false;
    merge_settings(settings, section, name, |span, source| {
        if span.is_empty() {
            return;
        }
        if source == Source::ConfigDefaultSection {
            has_default = true;
        } else {
            has_other = true;
        }
    });
    has_default && !has_other
}

/// Serialises a value as compact JSON (as Core's `UniValue::write`).
pub fn write_value(v: &SettingsValue) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_string())
}

/// Reads a settings file. A missing file yields an empty map. Errors use
/// Core's texts (invalid JSON, non-object, duplicate key, unreadable).
pub fn read_settings(path: &Path) -> Result<BTreeMap<String, SettingsValue>, Vec<String>> {
    let shown = path.display();
    if !path.exists() {
        return Ok(BTreeMap::new());
    }
    let mut file = match fs::File::open(path) {
        Ok(f) => f,
        Err(_) => return Err(vec![format!("{shown}. Please check permissions.")]),
    };
    let mut bytes = Vec::new();
    if file.read_to_end(&mut bytes).is_err() {
        // A directory opens fine on Unix but cannot be read.
        if path.is_dir() {
            return Err(vec![invalid_json_error(path)]);
        }
        return Err(vec![format!("Failed reading settings file {shown}")]);
    }
    drop(file);
    let parsed: Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(_) => return Err(vec![invalid_json_error(path)]),
    };
    let Value::Object(map) = parsed else {
        return Err(vec![format!(
            "Found non-object value {} in settings file {shown}",
            write_value(&parsed)
        )]);
    };
    // serde_json silently keeps one of duplicated keys: look for them in the text.
    let text = String::from_utf8_lossy(&bytes);
    let mut seen = std::collections::BTreeSet::new();
    for key in top_level_keys(&text) {
        if !seen.insert(key.clone()) {
            return Err(vec![format!(
                "Found duplicate key {key} in settings file {shown}"
            )]);
        }
    }
    let mut values: BTreeMap<String, SettingsValue> = map.into_iter().collect();
    values.remove(SETTINGS_WARN_MSG_KEY);
    Ok(values)
}

fn invalid_json_error(path: &Path) -> String {
    format!(
        "Settings file {} does not contain valid JSON. This may be caused by a crash, power loss, \
         full disk, or storage error, and can be fixed by removing the file, which will reset \
         settings to default values.",
        path.display()
    )
}

/// Lists the keys of the outermost JSON object in `text` (already known to
/// be a valid JSON object), in order, duplicates included.
fn top_level_keys(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let mut keys = Vec::new();
    let mut depth = 0usize;
    let mut expect_key = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                let end = (i + 1).min(bytes.len());
                if depth == 1 && expect_key {
                    if let Some(raw) = text.get(start..end) {
                        if let Ok(k) = serde_json::from_str::<String>(raw) {
                            keys.push(k);
                        }
                    }
                    expect_key = false;
                }
            }
            b'{' | b'[' => {
                depth += 1;
                expect_key = depth == 1 && bytes[i] == b'{';
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 1 => expect_key = true,
            _ => {}
        }
        i += 1;
    }
    keys
}

/// Writes a settings file (not atomically; see
/// `ArgsManager::write_settings_file` for the tmp + rename wrapper), with
/// the auto-generated comment first and the values in key order.
pub fn write_settings(
    path: &Path,
    values: &BTreeMap<String, SettingsValue>,
) -> Result<(), Vec<String>> {
    let shown = path.display();
    let mut out = serde_json::Map::new();
    out.insert(
        SETTINGS_WARN_MSG_KEY.to_string(),
        Value::String(format!(
            "This file is automatically generated and updated by {CLIENT_NAME}. Please do not edit \
             this file while the node is running, as any changes might be ignored or overwritten."
        )),
    );
    for (k, v) in values {
        out.insert(k.clone(), v.clone());
    }
    let mut text = String::new();
    write_pretty(&Value::Object(out), 0, &mut text);
    text.push('\n');
    let mut file = match fs::File::create(path) {
        Ok(f) => f,
        Err(_) => {
            return Err(vec![format!(
                "Error: Unable to open settings file {shown} for writing"
            )])
        }
    };
    if file.write_all(text.as_bytes()).is_err() || file.flush().is_err() {
        return Err(vec![format!(
            "Error: Unable to write settings file {shown}"
        )]);
    }
    if file.sync_all().is_err() {
        return Err(vec![format!(
            "Error: Unable to close settings file {shown}"
        )]);
    }
    Ok(())
}

/// Pretty-prints JSON with four-space indentation.
fn write_pretty(v: &Value, indent: usize, out: &mut String) {
    let pad = |n: usize, out: &mut String| out.extend(std::iter::repeat_n(' ', n));
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (i, (k, item)) in map.iter().enumerate() {
                pad(indent + 4, out);
                out.push_str(&write_value(&Value::String(k.clone())));
                out.push_str(": ");
                write_pretty(item, indent + 4, out);
                if i + 1 < map.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(indent, out);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                pad(indent + 4, out);
                write_pretty(item, indent + 4, out);
                if i + 1 < items.len() {
                    out.push(',');
                }
                out.push('\n');
            }
            pad(indent, out);
            out.push(']');
        }
        other => out.push_str(&write_value(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn s(v: &str) -> Value {
        Value::String(v.to_string())
    }

    #[test]
    fn span_negation() {
        let vals = vec![s("a"), Value::Bool(false), s("b"), s("c")];
        let span = SettingsSpan::new(&vals);
        assert_eq!(span.negated(), 2);
        assert!(!span.last_negated());
        assert_eq!(span.values(), &[s("b"), s("c")]);
        let vals = vec![s("a"), Value::Bool(false)];
        let span = SettingsSpan::new(&vals);
        assert!(span.is_empty());
        assert!(span.last_negated());
        assert!(span.values().is_empty());
    }

    #[test]
    fn precedence() {
        let mut st = Settings::default();
        st.ro_config
            .entry(String::new())
            .or_default()
            .insert("x".into(), vec![s("top1"), s("top2")]);
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, false),
            s("top1")
        );
        // chain-type mode takes the last config value
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, true),
            s("top2")
        );
        st.ro_config
            .entry("regtest".into())
            .or_default()
            .insert("x".into(), vec![s("net1"), s("net2")]);
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, false),
            s("net1")
        );
        st.rw_settings.insert("x".into(), s("rw"));
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, false),
            s("rw")
        );
        st.command_line_options
            .insert("x".into(), vec![s("c1"), s("c2")]);
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, false),
            s("c2")
        );
        assert_eq!(
            get_setting(&st, "regtest", "x", false, true, false),
            s("rw")
        );
        st.forced_settings.insert("x".into(), s("forced"));
        assert_eq!(
            get_setting(&st, "regtest", "x", false, false, false),
            s("forced")
        );
    }

    #[test]
    fn default_section_ignored_except_negation() {
        let mut st = Settings::default();
        st.ro_config
            .entry(String::new())
            .or_default()
            .insert("x".into(), vec![s("top")]);
        assert_eq!(
            get_setting(&st, "regtest", "x", true, false, false),
            Value::Null
        );
        st.ro_config
            .entry(String::new())
            .or_default()
            .insert("x".into(), vec![s("top"), Value::Bool(false)]);
        assert_eq!(
            get_setting(&st, "regtest", "x", true, false, false),
            Value::Bool(false)
        );
        assert!(!only_has_default_section_setting(&st, "regtest", "x"));
        st.ro_config
            .entry(String::new())
            .or_default()
            .insert("x".into(), vec![s("top")]);
        assert!(only_has_default_section_setting(&st, "regtest", "x"));
        st.command_line_options.insert("x".into(), vec![s("c")]);
        assert!(!only_has_default_section_setting(&st, "regtest", "x"));
    }

    #[test]
    fn list_zombies() {
        let mut st = Settings::default();
        st.ro_config
            .entry(String::new())
            .or_default()
            .insert("a".into(), vec![s("conf")]);
        st.command_line_options
            .insert("a".into(), vec![s("c1"), Value::Bool(false)]);
        assert!(get_settings_list(&st, "", "a", false).is_empty());
        st.command_line_options
            .insert("a".into(), vec![s("c1"), Value::Bool(false), s("c2")]);
        assert_eq!(
            get_settings_list(&st, "", "a", false),
            vec![s("c2"), s("conf")]
        );
        st.command_line_options
            .insert("a".into(), vec![s("c1"), s("c2")]);
        assert_eq!(
            get_settings_list(&st, "", "a", false),
            vec![s("c1"), s("c2"), s("conf")]
        );
        st.rw_settings.insert("a".into(), json!(["r1", "r2"]));
        assert_eq!(
            get_settings_list(&st, "", "a", false),
            vec![s("c1"), s("c2"), s("r1"), s("r2"), s("conf")]
        );
    }

    #[test]
    fn settings_file_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        assert!(read_settings(&path).unwrap().is_empty());
        let mut values = BTreeMap::new();
        values.insert("string".to_string(), s("string"));
        values.insert("num".to_string(), json!(5));
        values.insert("list".to_string(), json!([6, 7]));
        values.insert("null".to_string(), Value::Null);
        write_settings(&path, &values).unwrap();
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.starts_with("{\n    \"_warning_\": \"This file is automatically generated"));
        assert!(text.ends_with("}\n"));
        let back = read_settings(&path).unwrap();
        assert_eq!(back, values);
        assert_eq!(write_value(&back["list"]), "[6,7]");
    }

    #[test]
    fn settings_file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("settings.json");
        fs::write(&path, "invalid json").unwrap();
        let e = read_settings(&path).unwrap_err();
        assert!(e[0].contains("does not contain valid JSON. This may be caused by a crash"));
        fs::write(&path, "\"string\"").unwrap();
        let e = read_settings(&path).unwrap_err();
        assert_eq!(
            e[0],
            format!(
                "Found non-object value \"string\" in settings file {}",
                path.display()
            )
        );
        fs::write(&path, "{\"key\": 1, \"key\": 2}").unwrap();
        let e = read_settings(&path).unwrap_err();
        assert_eq!(
            e[0],
            format!(
                "Found duplicate key key in settings file {}",
                path.display()
            )
        );
        // nested duplicates are fine; keys inside strings do not confuse the scanner
        fs::write(
            &path,
            "{\"a\": {\"k\": 1, \"k\": 2}, \"b\": \"x,\\\"a\\\"\", \"c\": [{\"a\":1}]}",
        )
        .unwrap();
        assert_eq!(read_settings(&path).unwrap().len(), 3);
        fs::write(&path, "{\"_warning_\": \"x\", \"k\": true}").unwrap();
        let v = read_settings(&path).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v["k"], Value::Bool(true));
    }
}
