//! capnp structs carried as Rust structs. The generator writes the field by
//! field conversion for every Rust struct of `interfaces` whose name and
//! fields match a schema struct; the conversions it cannot derive (a Rust
//! type shaped differently from its capnp struct) are written here.

use super::Cx;

/// A Rust value carried in a capnp struct of type `S`.
pub trait StructValue<S: capnp::traits::OwnedStruct>: Sized {
    /// Writes the value into a struct builder.
    fn build(&self, b: S::Builder<'_>, cx: &Cx) -> capnp::Result<()>;
    /// Reads a value from a received struct.
    fn read(r: S::Reader<'_>, cx: &Cx) -> capnp::Result<Self>;
}
