//! Keys and descriptors with Bitcoin Core's semantics: parsing (with Core's
//! checksum rules and `h`/`'` memory), the stored public string and the
//! descriptor id, root secrets, the xpub caches, expansion of ranges from
//! caches alone, the eight default descriptors of a seed, and
//! [`DescriptorSpkm`], Core's `DescriptorScriptPubKeyMan`.

mod cache;
mod der;
mod descriptor;
mod error;
mod keyexpr;
mod musig;
mod spkm;
mod wallet_descriptor;

pub use cache::{decode_xpub74, encode_xpub74, DescriptorCache, XPUB74_LEN};
pub use der::{
    descriptor_key_checksum, privkey_from_der, privkey_to_der, DER_COMPRESSED_SIZE,
    DER_UNCOMPRESSED_SIZE,
};
pub use descriptor::{
    add_checksum, check_checksum, DerivedKey, DescriptorId, Expansion, KeyMap, OutputType,
    ParsedDescriptor,
};
pub use error::KeyError;
pub use musig::MuSigKey;
pub use spkm::{
    DescriptorSpkm, KeyAccess, KeyRecord, MarkUsed, NewDestination, SigningProvider, TopUp,
    DEFAULT_KEYPOOL_SIZE,
};
pub use wallet_descriptor::{
    default_descriptor_string, default_descriptors, generate_seed, generate_wallet_descriptor,
    is_test_chain, master_key_from_seed, DefaultDescriptor, WalletDescriptor,
};

#[cfg(test)]
mod tests;

/// One shared secp256k1 context: creating a context per derivation would
/// dominate the cost of topping up 1000-key windows.
pub(crate) fn secp() -> &'static bitcoin::secp256k1::Secp256k1<bitcoin::secp256k1::All> {
    static CTX: std::sync::OnceLock<bitcoin::secp256k1::Secp256k1<bitcoin::secp256k1::All>> =
        std::sync::OnceLock::new();
    CTX.get_or_init(bitcoin::secp256k1::Secp256k1::new)
}
