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

use crate::generated::wallet_capnp::tx_destination;
use crate::server_call::failed;
use interfaces::wallet::TxDestination;

fn fixed<const N: usize>(d: &[u8]) -> capnp::Result<[u8; N]> {
    <[u8; N]>::try_from(d).map_err(|_| failed(&format!("expected {N} bytes, got {}", d.len())))
}

/// Core's `CTxDestination` is a variant; its schema struct has one field per
/// kind, of which at most one is set.
impl StructValue<tx_destination::Owned> for TxDestination {
    fn build(&self, mut b: tx_destination::Builder<'_>, _cx: &Cx) -> capnp::Result<()> {
        match self {
            TxDestination::None => {}
            TxDestination::PubKey(k) => b.set_pub_key(k),
            TxDestination::PkHash(h) => b.set_pk_hash(h),
            TxDestination::ScriptHash(h) => b.set_script_hash(h),
            TxDestination::WitnessV0ScriptHash(h) => b.set_witness_v0_script_hash(h),
            TxDestination::WitnessV0KeyHash(h) => b.set_witness_v0_key_hash(h),
            TxDestination::WitnessV1Taproot(k) => b.set_witness_v1_taproot(k),
            TxDestination::WitnessUnknown { version, program } => {
                let mut w = b.init_witness_unknown();
                w.set_version(*version);
                w.set_program(program);
            }
        }
        Ok(())
    }

    fn read(r: tx_destination::Reader<'_>, _cx: &Cx) -> capnp::Result<Self> {
        Ok(if r.has_pub_key() {
            TxDestination::PubKey(r.get_pub_key()?.to_vec())
        } else if r.has_pk_hash() {
            TxDestination::PkHash(fixed(r.get_pk_hash()?)?)
        } else if r.has_script_hash() {
            TxDestination::ScriptHash(fixed(r.get_script_hash()?)?)
        } else if r.has_witness_v0_script_hash() {
            TxDestination::WitnessV0ScriptHash(fixed(r.get_witness_v0_script_hash()?)?)
        } else if r.has_witness_v0_key_hash() {
            TxDestination::WitnessV0KeyHash(fixed(r.get_witness_v0_key_hash()?)?)
        } else if r.has_witness_v1_taproot() {
            TxDestination::WitnessV1Taproot(fixed(r.get_witness_v1_taproot()?)?)
        } else if r.has_witness_unknown() {
            let w = r.get_witness_unknown()?;
            TxDestination::WitnessUnknown {
                version: w.get_version(),
                program: w.get_program()?.to_vec(),
            }
        } else {
            TxDestination::None
        })
    }
}
