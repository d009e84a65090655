//! BIP328: an aggregate key as an xpub (the synthetic xpub) from which
//! descriptors derive keys, and the plain tweaks that derivation adds, which
//! signers apply to the key aggregation.

use bitcoin::bip32::{ChainCode, ChildNumber, Xpub};
use bitcoin::secp256k1::PublicKey;
use bitcoin::NetworkKind;

use super::keyagg::Tweak;
use super::scalar::secp;

/// The chain code of the synthetic xpub.
pub const MUSIG_CHAINCODE: [u8; 32] = [
    0x86, 0x80, 0x87, 0xca, 0x02, 0xa6, 0xf9, 0x74, 0xc4, 0x59, 0x89, 0x24, 0xc3, 0x6b, 0x57, 0x76,
    0x2d, 0x32, 0xcb, 0x45, 0x71, 0x71, 0x67, 0xe3, 0x00, 0x62, 0x2c, 0x71, 0x67, 0xe3, 0x89, 0x65,
];

/// The synthetic xpub of `agg`: depth 0, no parent, the MuSig2 chain code.
pub fn synthetic_xpub(agg: &PublicKey, network: NetworkKind) -> Xpub {
    Xpub {
        network,
        depth: 0,
        parent_fingerprint: Default::default(),
        child_number: ChildNumber::Normal { index: 0 },
        public_key: *agg,
        chain_code: ChainCode::from(MUSIG_CHAINCODE),
    }
}

/// The plain tweaks deriving `agg`'s synthetic xpub along `path`, and the
/// derived key; `None` for a hardened step (an aggregate has no private
/// key to derive it with) or an invalid child.
pub fn derivation_tweaks(agg: &PublicKey, path: &[u32]) -> Option<(Vec<Tweak>, PublicKey)> {
    let mut xpub = synthetic_xpub(agg, NetworkKind::Main);
    let mut tweaks = Vec::with_capacity(path.len());
    for &i in path {
        let child = ChildNumber::from_normal_idx(i).ok()?;
        let (tweak, _) = xpub.ckd_pub_tweak(child).ok()?;
        tweaks.push((tweak.secret_bytes(), false));
        xpub = xpub.ckd_pub(secp(), child).ok()?;
    }
    Some((tweaks, xpub.public_key))
}
