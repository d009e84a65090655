//! `Chain` proxies (`chain.capnp`, first version).

use crate::client_call::RemoteCap;
use crate::connection::Connection;
use crate::convert;
use crate::generated::chain_capnp::chain;
use crate::proxies::ImplSlot;
use crate::{client_method, server_method};
use bitcoin::hashes::Hash;
use bitcoin::BlockHash;
use interfaces::chain::Chain;
use std::rc::Rc;
use std::sync::Arc;

/// Serves a [`Chain`] implementation to a peer.
pub struct ChainServer {
    conn: Rc<Connection>,
    target: ImplSlot<dyn Chain>,
}

impl ChainServer {
    /// A capability serving `imp` on `conn`.
    pub fn client(conn: Rc<Connection>, imp: Arc<dyn Chain>) -> chain::Client {
        capnp_rpc::new_client(ChainServer {
            conn,
            target: ImplSlot::new(imp),
        })
    }
}

impl chain::Server for ChainServer {
    server_method!(destroy destroy(chain::DestroyParams, chain::DestroyResults) "Chain.destroy");
    server_method!(worker get_height(chain::GetHeightParams, chain::GetHeightResults) "Chain.getHeight",
    |p, _conn| { }
    |imp| imp.get_height(),
    |r, out, _conn| if let Some(h) = out {
        r.set_result(h);
        r.set_has_result(true);
    });
    server_method!(worker get_block_hash(chain::GetBlockHashParams, chain::GetBlockHashResults) "Chain.getBlockHash",
        |p, _conn| { let height = p.get_height(); }
        |imp| imp.get_block_hash(height),
        |r, out, _conn| r.set_result(out.as_byte_array()));
    server_method!(worker have_block_on_disk(chain::HaveBlockOnDiskParams, chain::HaveBlockOnDiskResults) "Chain.haveBlockOnDisk",
        |p, _conn| { let height = p.get_height(); }
        |imp| imp.have_block_on_disk(height),
        |r, out, _conn| r.set_result(out));
}

/// A [`Chain`] in another process.
pub struct ChainClient {
    cap: RemoteCap,
}

impl ChainClient {
    /// Wraps a remote capability.
    pub fn new(cap: RemoteCap) -> Self {
        ChainClient { cap }
    }
}

impl Chain for ChainClient {
    fn get_height(&self) -> interfaces::Result<Option<i32>> {
        client_method!(
            self.cap,
            chain::Client,
            "Chain.getHeight",
            get_height_request,
            |p| {},
            |r, _conn| Ok(r.get_has_result().then(|| r.get_result()))
        )
    }

    fn get_block_hash(&self, height: i32) -> interfaces::Result<BlockHash> {
        client_method!(
            self.cap,
            chain::Client,
            "Chain.getBlockHash",
            get_block_hash_request,
            |p| {
                p.set_height(height);
            },
            |r, _conn| convert::hash32(r.get_result()).map(BlockHash::from_byte_array)
        )
    }

    fn have_block_on_disk(&self, height: i32) -> interfaces::Result<bool> {
        client_method!(
            self.cap,
            chain::Client,
            "Chain.haveBlockOnDisk",
            have_block_on_disk_request,
            |p| {
                p.set_height(height);
            },
            |r, _conn| Ok(r.get_result())
        )
    }
}
