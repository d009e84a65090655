//! Keys and descriptors with Bitcoin Core's semantics: parsing (with Core's
//! checksum rules and `h`/`'` memory), the stored public string and the
//! descriptor id, root secrets, the xpub caches, expansion of ranges from
//! caches alone, the eight default descriptors of a seed, and
//! [`DescriptorSpkm`], Core's `DescriptorScriptPubKeyMan`.

mod cache;
mod descriptor;
mod error;
mod keyexpr;

pub use cache::{decode_xpub74, encode_xpub74, DescriptorCache, XPUB74_LEN};
pub use descriptor::{
    add_checksum, check_checksum, DerivedKey, DescriptorId, Expansion, KeyMap, OutputType,
    ParsedDescriptor,
};
pub use error::KeyError;

#[cfg(test)]
mod tests;
