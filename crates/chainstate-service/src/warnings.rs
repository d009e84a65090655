//! The node's standing warnings (Core's `node::Warnings`): what
//! `getblockchaininfo`, `getnetworkinfo` and `getmininginfo` list under
//! `warnings`, and what `-alertnotify` is told when one is raised.

use std::collections::BTreeMap;
use std::sync::Mutex;

/// A condition the node warns about while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Warning {
    /// An invalid chain more than six blocks' work ahead of the tip.
    LargeWorkInvalidChain,
}

impl Warning {
    /// The text Core shows for it.
    pub fn message(self) -> &'static str {
        match self {
            Warning::LargeWorkInvalidChain => {
                "Warning: Found invalid chain more than 6 blocks longer than our best chain. This could be due to database corruption or consensus incompatibility with peers."
            }
        }
    }
}

/// The warnings in force, and the `-alertnotify` command run when one
/// starts.
#[derive(Debug, Default)]
pub struct Warnings {
    active: Mutex<BTreeMap<Warning, &'static str>>,
    alert_notify: Option<String>,
}

impl Warnings {
    /// A registry running `alert_notify` (`%s` becomes the message) when
    /// a warning is raised.
    pub fn new(alert_notify: Option<String>) -> Warnings {
        Warnings {
            active: Mutex::new(BTreeMap::new()),
            alert_notify: alert_notify.filter(|c| !c.is_empty()),
        }
    }

    /// Raises or clears `warning`; raising one not yet in force logs it
    /// and runs `-alertnotify`.
    pub fn update(&self, warning: Warning, active: bool) {
        let mut map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        if !active {
            map.remove(&warning);
            return;
        }
        if map.insert(warning, warning.message()).is_some() {
            return;
        }
        drop(map);
        tracing::warn!("{}", warning.message().trim_start_matches("Warning: "));
        if let Some(cmd) = &self.alert_notify {
            common::system::run_command_detached(&alert_command(cmd, warning.message()));
        }
    }

    /// The messages in force, in a stable order.
    pub fn messages(&self) -> Vec<String> {
        let map = self.active.lock().unwrap_or_else(|p| p.into_inner());
        map.values().map(|m| m.to_string()).collect()
    }
}

/// `cmd` with `%s` replaced by `message`, reduced to Core's safe
/// characters and single-quoted, so the shell never interprets it.
fn alert_command(cmd: &str, message: &str) -> String {
    let safe: String = message
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || " .,;-_/:?@()".contains(*c))
        .collect();
    cmd.replace("%s", &format!("'{safe}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_warning_is_listed_while_in_force() {
        let w = Warnings::new(None);
        assert!(w.messages().is_empty());
        w.update(Warning::LargeWorkInvalidChain, true);
        w.update(Warning::LargeWorkInvalidChain, true);
        assert_eq!(
            w.messages(),
            vec![Warning::LargeWorkInvalidChain.message().to_string()]
        );
        w.update(Warning::LargeWorkInvalidChain, false);
        assert!(w.messages().is_empty());
    }

    #[test]
    fn the_alert_command_gets_a_quoted_safe_message() {
        assert_eq!(
            alert_command("echo %s >> f", "Warning: a 'quoted' $HOME!"),
            "echo 'Warning: a quoted HOME' >> f"
        );
    }

    #[test]
    fn raising_runs_alertnotify_once() {
        let dir = std::env::temp_dir().join(format!("warnings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let file = dir.join("alerts");
        let w = Warnings::new(Some(format!("echo %s >> '{}'", file.display())));
        w.update(Warning::LargeWorkInvalidChain, true);
        w.update(Warning::LargeWorkInvalidChain, true);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let text = loop {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if !text.is_empty() || std::time::Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        std::thread::sleep(std::time::Duration::from_millis(200));
        let text = std::fs::read_to_string(&file).unwrap_or(text);
        assert_eq!(text.lines().count(), 1, "{text}");
        assert!(text.starts_with("Warning: Found invalid chain more than 6 blocks"));
        std::fs::remove_dir_all(&dir).ok();
    }
}
