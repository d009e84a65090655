//! `Text` fields: UTF-8 checked on the way in.

use crate::server_call::failed;

/// A Rust value carried in a capnp `Text` field.
pub trait TextValue: Sized {
    /// The text to send.
    fn to_text(&self) -> &str;
    /// The value read from a received field.
    fn from_text(r: capnp::text::Reader<'_>) -> capnp::Result<Self>;
}

impl TextValue for String {
    fn to_text(&self) -> &str {
        self
    }

    fn from_text(r: capnp::text::Reader<'_>) -> capnp::Result<Self> {
        r.to_string()
            .map_err(|_| failed("text received over IPC is not valid UTF-8"))
    }
}
