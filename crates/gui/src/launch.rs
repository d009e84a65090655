//! Reaching the node: spawn `bitcoin-node -ipcfd N` next to this
//! executable (the node then spawns the wallet), or attach to a node that
//! listens with `-ipcbind` (`-ipcconnect`).

use std::sync::Arc;

use interfaces::init::Init;
use interfaces::node::Node;
use interfaces::GlobalArgs;
use ipc::{InitClient, Ipc};

use crate::model::Start;
use crate::options::Parsed;

/// The node executable the GUI spawns.
pub const NODE_EXE: &str = "bitcoin-node";

/// A reached node; dropping it closes the connection (a spawned node then
/// exits, and is reaped).
pub struct Launched {
    /// Its `Node` interface.
    pub node: Arc<dyn Node>,
    /// How the model must treat it.
    pub start: Start,
    /// The spawned node's pid.
    pub pid: Option<u32>,
    // Dropped after the node: the connection, then the event loop.
    _init: InitClient,
    _ipc: Ipc,
}

/// Spawns or attaches as the options say.
pub fn launch(argv0: &str, parsed: &Parsed) -> Result<Launched, String> {
    let ipc = Ipc::new("bitcoin-gui").map_err(|e| format!("Unable to start IPC: {e}"))?;
    let (init, pid, start) = match &parsed.gui.ipc_connect {
        Some(address) => {
            let net_dir = parsed.args.get_data_dir_net();
            let init = ipc
                .connect_address(address, &net_dir, NODE_EXE)
                .map_err(|e| e.to_string())?;
            (init, None, Start::Attached)
        }
        None => {
            let (init, pid) = ipc.spawn(argv0, NODE_EXE).map_err(|e| e.to_string())?;
            let global: GlobalArgs = ipc::args::global_args(&parsed.args);
            (init, Some(pid), Start::Spawned(global))
        }
    };
    let node: Arc<dyn Node> = match init.make_node() {
        Ok(Some(n)) => Arc::from(n),
        Ok(None) => return Err(format!("{NODE_EXE} does not serve a Node interface")),
        Err(e) => return Err(e.to_string()),
    };
    Ok(Launched {
        node,
        start,
        pid,
        _init: init,
        _ipc: ipc,
    })
}
