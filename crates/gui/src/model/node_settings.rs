//! The Options dialog's calls to the node, on the command thread: read
//! the persistent settings and which the command line overrides, write
//! changes to `settings.json`, apply port mapping, and reset.

use interfaces::node::Node;

use super::{lock, NodeModel};

/// The node's settings as the dialog last read them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NodeSettings {
    /// (name, JSON text) for each asked-for setting, once read.
    pub values: Option<Vec<(String, String)>>,
    /// Which request (see [`NodeModel::load_node_settings`]) they answer:
    /// a window's copy of the view may predate a newer request.
    pub request: u64,
    /// Those the command line overrides.
    pub ignored: Vec<String>,
    /// The last read or write failed with this.
    pub error: Option<String>,
}

/// What the Options dialog asks of the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingsAction {
    /// Read these settings, for this request number.
    Load(Vec<String>, u64),
    /// Write these (name, JSON text) to `settings.json`.
    Write(Vec<(String, String)>),
    /// Turn port mapping on or off now.
    MapPort(bool),
    /// Back up and clear `settings.json`; then stop if `quit` (Reset
    /// Options quits, `-resetguisettings` goes on).
    Reset {
        /// Shut down afterwards.
        quit: bool,
    },
}

impl NodeModel {
    /// Reads `names` afresh; the answer carries the returned number.
    pub fn load_node_settings(&self, names: &[&str]) -> u64 {
        let request = {
            let mut s = lock(&self.shared);
            let request = s.view.node_settings.request + 1;
            s.view.node_settings = NodeSettings {
                request,
                ..NodeSettings::default()
            };
            request
        };
        let names = names.iter().map(|n| n.to_string()).collect();
        self.send(super::Command::Settings(SettingsAction::Load(
            names, request,
        )));
        request
    }

    /// Runs `action` once the node has started (a spawned node takes
    /// settings only after `baseInitialize`); dropped if it never does.
    pub fn when_running(&self, action: SettingsAction) {
        let m = self.clone();
        super::spawn("gui-settings", move || loop {
            match m.view().phase {
                super::Phase::Running => {
                    return m.send(super::Command::Settings(action));
                }
                super::Phase::Starting => std::thread::sleep(super::POLL),
                _ => return,
            }
        });
    }

    /// The user has seen the last settings error.
    pub fn clear_settings_error(&self) {
        lock(&self.shared).view.node_settings.error = None;
    }

    pub(super) fn settings_action(&self, node: &dyn Node, action: SettingsAction) {
        let result = match action {
            SettingsAction::Load(names, request) => read(node, &names).map(|(values, ignored)| {
                let mut s = lock(&self.shared);
                if s.view.node_settings.request == request {
                    s.view.node_settings.values = Some(values);
                    s.view.node_settings.ignored = ignored;
                }
            }),
            SettingsAction::Write(changes) => changes.iter().try_for_each(|(name, value)| {
                node.update_rw_setting(name, value)
                    .map_err(|e| format!("Could not save setting \"{name}\": {e}"))
            }),
            SettingsAction::MapPort(on) => node
                .map_port(on)
                .map_err(|e| format!("Could not change port mapping: {e}")),
            SettingsAction::Reset { quit } => match node.reset_settings() {
                Ok(()) => {
                    if quit {
                        self.shutdown();
                    }
                    Ok(())
                }
                Err(e) => Err(format!("Could not reset the node's settings: {e}")),
            },
        };
        if let Err(e) = result {
            lock(&self.shared).view.node_settings.error = Some(e);
        }
        self.repaint();
    }
}

/// Each setting's persistent value and the overridden ones.
type Read = (Vec<(String, String)>, Vec<String>);

fn read(node: &dyn Node, names: &[String]) -> Result<Read, String> {
    let mut values = Vec::new();
    let mut ignored = Vec::new();
    for name in names {
        let value = node
            .get_persistent_setting(name)
            .map_err(|e| format!("Could not read setting \"{name}\": {e}"))?;
        if node
            .is_setting_ignored(name)
            .map_err(|e| format!("Could not read setting \"{name}\": {e}"))?
        {
            ignored.push(name.clone());
        }
        values.push((name.clone(), value));
    }
    Ok((values, ignored))
}
