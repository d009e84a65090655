//! Interface fields: capabilities. An implementation we pass to the peer is
//! served as a [`ServerObject`] on the call's connection; a capability we
//! receive becomes a [`Remote`] usable from any thread, which keeps the
//! connection it came from.

use super::Cx;
use crate::client_call::RemoteCap;
use crate::proxy::{Remote, ServerObject};
use std::sync::Arc;

/// Serves `imp` to the peer and returns the capability to send (`C` is the
/// capnp client type of the field).
pub fn export<T, C>(cx: &Cx, imp: Arc<T>) -> C
where
    T: ?Sized + 'static,
    C: capnp::capability::FromServer<ServerObject<T>>,
{
    capnp_rpc::new_client(ServerObject::new(cx.conn.clone(), imp))
}

/// A proxy for a capability the peer sent.
pub fn import<T: ?Sized>(cx: &Cx, client: capnp::capability::Client) -> Remote<T> {
    Remote::new(RemoteCap::on_loop(cx.handle.clone(), client))
}
