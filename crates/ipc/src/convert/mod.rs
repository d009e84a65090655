//! Conversions between capnp values and the Rust values of `interfaces`,
//! one module per family (libmultiprocess's `type-*.h`). Generated proxies
//! pick the conversion by the field's capnp type (data, text, number,
//! struct, interface) and the Rust type it carries; lists, optional values
//! and generic structs (`Pair`, `Result`) are unrolled by the generator
//! around these leaf conversions. Every value read from the wire is checked
//! here: bad UTF-8, wrong lengths, out-of-range numbers or undecodable
//! Bitcoin serialization become errors, never panics.

pub mod data;
pub mod exception;
pub mod interface;
pub mod number;
pub mod structs;
pub mod text;

pub use data::DataValue;
pub use number::Number;
pub use structs::StructValue;
pub use text::TextValue;

use crate::client_call::ConnHandle;
use crate::connection::Connection;
use std::rc::Rc;
use std::sync::Arc;

/// What conversions of capabilities need (on the loop thread): the
/// connection to serve exported objects on, and the handle imported
/// capabilities keep.
pub struct Cx {
    /// The connection the call travels on.
    pub conn: Rc<Connection>,
    /// Handle for capabilities received on it: the owning handle of the
    /// connection we opened (client side), a non-owning one on the serving
    /// side (the peer decides when the connection ends).
    pub handle: Arc<ConnHandle>,
}

impl Cx {
    /// The context of a call served on `conn`.
    pub fn server(conn: &Rc<Connection>) -> Cx {
        Cx {
            conn: conn.clone(),
            handle: conn.borrowed_handle(),
        }
    }

    /// The context of a call made through a proxy holding `handle`.
    pub fn client(handle: Arc<ConnHandle>) -> capnp::Result<Cx> {
        let conn = Connection::get(handle.conn).ok_or_else(|| {
            capnp::Error::disconnected("IPC client method called after disconnect.".into())
        })?;
        Ok(Cx { conn, handle })
    }
}

/// Setters of capnp builders return `()` for plain fields and a `Result`
/// for generic ones; generated code treats both alike.
pub trait Settled {
    /// The setter's outcome as a `Result`.
    fn settled(self) -> capnp::Result<()>;
}

impl Settled for () {
    fn settled(self) -> capnp::Result<()> {
        Ok(())
    }
}

impl Settled for capnp::Result<()> {
    fn settled(self) -> capnp::Result<()> {
        self
    }
}

/// [`Settled::settled`] as a function.
pub fn settled(outcome: impl Settled) -> capnp::Result<()> {
    outcome.settled()
}

/// A list length as capnp wants it; lists longer than capnp can hold are
/// an error rather than a truncation.
pub fn len(n: usize) -> capnp::Result<u32> {
    u32::try_from(n).map_err(|_| crate::server_call::failed("list too long for IPC"))
}
