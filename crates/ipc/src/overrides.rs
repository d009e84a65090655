//! Schema methods the runtime answers itself rather than a trait method:
//! the generator sends them here, and each says in one line why.

use crate::connection::Connection;
use crate::generated::calculator_capnp::calculator;
use crate::generated::init_capnp::init;
use crate::generated::proxy_capnp::thread_map;
use crate::proxy::ServerObject;
use std::future::{ready, Ready};
use std::rc::Rc;

/// Core's answer to clients of the v30 mining interface.
pub const OLD_MINING_ERROR: &str =
    "Old mining interface (@2) not supported. Please update your client!";

/// Keeps the peer's `ThreadMap` (for calls back to it) and returns ours.
fn swap_thread_maps(
    conn: &Connection,
    peer: Option<capnp::Result<thread_map::Client>>,
) -> capnp::Result<thread_map::Client> {
    if let Some(map) = peer {
        *conn.peer_thread_map.borrow_mut() = Some(map?);
    }
    Ok(conn.thread_map_client())
}

/// Answers a context-less call at once on the loop, logged like any other.
fn logged(name: &str, f: impl FnOnce() -> capnp::Result<()>) -> Ready<capnp::Result<()>> {
    let req = crate::server_call::recv(name);
    let res = f();
    crate::server_call::finish(req, name, &res);
    ready(res)
}

/// `Init.construct`: the session handshake (libmultiprocess swaps
/// `ThreadMap`s here), part of the protocol rather than of any service.
pub fn init_construct<T: ?Sized>(
    this: Rc<ServerObject<T>>,
    params: init::ConstructParams,
    mut results: init::ConstructResults,
) -> Ready<capnp::Result<()>> {
    logged("Init.construct", || {
        let p = params.get()?;
        let map = swap_thread_maps(&this.conn, p.has_thread_map().then(|| p.get_thread_map()))?;
        results.get().set_thread_map(map);
        Ok(())
    })
}

/// `Init.makeMiningOld2`: where v30 clients look for `makeMining`; Core
/// answers them with a fixed error, and so do we.
pub fn init_make_mining_old2<T: ?Sized>(
    _this: Rc<ServerObject<T>>,
    _params: init::MakeMiningOld2Params,
    _results: init::MakeMiningOld2Results,
) -> Ready<capnp::Result<()>> {
    logged("Init.makeMiningOld2", || {
        Err(crate::server_call::failed(OLD_MINING_ERROR))
    })
}

/// `Calculator.construct`: the same handshake for the runtime's test interface.
pub fn calculator_construct<T: ?Sized>(
    this: Rc<ServerObject<T>>,
    params: calculator::ConstructParams,
    mut results: calculator::ConstructResults,
) -> Ready<capnp::Result<()>> {
    logged("Calculator.construct", || {
        let p = params.get()?;
        let map = swap_thread_maps(&this.conn, p.has_thread_map().then(|| p.get_thread_map()))?;
        results.get().set_thread_map(map);
        Ok(())
    })
}
