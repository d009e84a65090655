//! BIP327 key aggregation (`KeyAgg`, `KeyAggCoeff`) and tweaking
//! (`ApplyTweak`).

use bitcoin::secp256k1::PublicKey;

use super::scalar::{self, has_even_y, Point, Scalar};
use super::{tagged_hash, Error};

/// A tweak of an aggregate key: the 32-byte scalar and whether it is an
/// x-only (BIP341 taproot) tweak rather than a plain (BIP32) one.
pub type Tweak = ([u8; 32], bool);

/// BIP327's `KeyAggContext`: the (tweaked) aggregate key `Q` with the
/// accumulated sign `gacc` and tweak `tacc`, and the participant list the
/// key aggregation coefficients depend on.
#[derive(Debug, Clone)]
pub struct KeyAggContext {
    keys: Vec<[u8; 33]>,
    list_hash: [u8; 32],
    second: Option<[u8; 33]>,
    q: PublicKey,
    /// `gacc` is -1 (else 1).
    gacc_negated: bool,
    tacc: Scalar,
}

impl KeyAggContext {
    /// `KeyAgg` of the serialized keys in the order given. A key that is
    /// not a valid compressed point is blamed by its index.
    pub fn new<K: AsRef<[u8]>>(pubkeys: &[K]) -> Result<KeyAggContext, Error> {
        let mut points = Vec::with_capacity(pubkeys.len());
        let mut keys = Vec::with_capacity(pubkeys.len());
        for (i, k) in pubkeys.iter().enumerate() {
            let p = scalar::cpoint(k.as_ref()).ok_or(Error::InvalidPubkey(i))?;
            points.push(p);
            keys.push(p.serialize());
        }
        let first = keys.first().copied().ok_or(Error::NoParticipants)?;
        let parts: Vec<&[u8]> = keys.iter().map(|k| &k[..]).collect();
        let list_hash = tagged_hash("KeyAgg list", &parts);
        let second = keys.iter().find(|k| **k != first).copied();
        let mut ctx = KeyAggContext {
            keys,
            list_hash,
            second,
            // Replaced below; any valid point will do until then.
            q: points[0],
            gacc_negated: false,
            tacc: Scalar::ZERO,
        };
        let mut q: Point = None;
        for (p, ser) in points.iter().zip(&ctx.keys) {
            q = scalar::add(q, scalar::mul(Some(*p), ctx.coefficient_of(ser)));
        }
        ctx.q = q.ok_or(Error::InfiniteKey)?;
        Ok(ctx)
    }

    /// The aggregate key `Q` (tweaked, once tweaks are applied).
    pub fn aggregate(&self) -> PublicKey {
        self.q
    }

    /// The x-only form of `Q`, which BIP340 signatures verify against.
    pub fn xonly(&self) -> [u8; 32] {
        scalar::xbytes(&self.q)
    }

    /// `ApplyTweak`: adds `tweak·G` to `Q`, negating `Q` first for an
    /// x-only tweak of a key with odd y.
    pub fn apply_tweak(&mut self, (tweak, xonly): &Tweak) -> Result<(), Error> {
        let negate = *xonly && !has_even_y(&self.q);
        let t = Scalar::from_canonical(*tweak).ok_or(Error::InvalidTweak)?;
        let base = if negate {
            scalar::neg(Some(self.q))
        } else {
            Some(self.q)
        };
        self.q = scalar::add(base, scalar::base_mul(t)).ok_or(Error::InfiniteKey)?;
        self.gacc_negated ^= negate;
        self.tacc = t.add(self.tacc.neg_if(negate));
        Ok(())
    }

    /// Applies `tweaks` in order.
    pub fn apply_tweaks(&mut self, tweaks: &[Tweak]) -> Result<(), Error> {
        tweaks.iter().try_for_each(|t| self.apply_tweak(t))
    }

    /// Whether `pk` is one of the participants.
    pub(crate) fn contains(&self, pk: &[u8; 33]) -> bool {
        self.keys.contains(pk)
    }

    /// `KeyAggCoeff` of participant `pk`: 1 for the second distinct key,
    /// else the hash of the list and the key.
    pub(crate) fn coefficient_of(&self, pk: &[u8; 33]) -> Scalar {
        if Some(*pk) == self.second {
            return Scalar::one();
        }
        Scalar::reduce(tagged_hash("KeyAgg coefficient", &[&self.list_hash, pk]))
    }

    /// Whether `gacc` is -1.
    pub(crate) fn gacc_negated(&self) -> bool {
        self.gacc_negated
    }

    /// The accumulated tweak `tacc`.
    pub(crate) fn tacc(&self) -> Scalar {
        self.tacc
    }
}
