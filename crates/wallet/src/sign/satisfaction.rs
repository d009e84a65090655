//! How large spending an owned output will be, as Core sizes it before
//! signing (`MaxSatisfactionWeight`, `MaxSatisfactionElems` of the
//! descriptor Core infers for the script). Fees are paid on these numbers,
//! so they follow Core's formulas exactly, including its choices: `tr()` is
//! always sized as a key path spend, miniscript assumes 72-byte signatures,
//! and `use_max_sig` (a wallet that cannot grind low-R signatures, or an
//! external input) sizes plain ECDSA signatures at 72 rather than 71 bytes.

use bitcoin::{PublicKey, Script};
use miniscript::descriptor::{ShInner, WshInner};
use miniscript::{Descriptor, Miniscript, MiniscriptKey, ScriptContext, Terminal};

use super::produce::parse_multisig;
use super::update::descriptor_for_script;
use crate::coinselection::WITNESS_SCALE_FACTOR;
use crate::keys::KeyAccess;
use crate::spend::InputSatisfaction;
use crate::wallet::keystore::Keystore;

/// The output type coin selection keeps a coin paying `script` under
/// (Core's `AvailableCoins`): for a P2SH output the wallet can solve, the
/// redeem script decides, so a wrapped segwit v0 program is P2SH-segwit and
/// never joins the legacy coins.
pub fn coin_output_type(keystore: &Keystore, script: &Script) -> crate::coinselection::OutputType {
    let redeem = script
        .is_p2sh()
        .then(|| {
            let spk = script.to_owned();
            keystore
                .spkms
                .values()
                .filter(|s| s.is_mine(&spk))
                .find_map(|spkm| {
                    let provider = spkm
                        .signing_provider(&spk, false, KeyAccess::Locked)
                        .ok()??;
                    match descriptor_for_script(&provider, script)? {
                        Descriptor::Sh(sh) => Some(sh.inner_script()),
                        _ => None,
                    }
                })
        })
        .flatten();
    crate::spend::script::coin_output_type(script, redeem.as_deref())
}

/// The satisfaction size of `script` when the wallet can solve it; `None`
/// otherwise. The first descriptor owning the script that can describe it
/// answers.
pub fn input_satisfaction(
    keystore: &Keystore,
    script: &Script,
    use_max_sig: bool,
) -> Option<InputSatisfaction> {
    let sig = if use_max_sig { 72 } else { 71 };
    let spk = script.to_owned();
    for spkm in keystore.spkms.values().filter(|s| s.is_mine(&spk)) {
        // Core infers tr() or rawtr() for any valid taproot output and
        // assumes the key path for both.
        if script.is_p2tr() {
            let valid = script
                .as_bytes()
                .get(2..34)
                .is_some_and(|x| bitcoin::secp256k1::XOnlyPublicKey::from_slice(x).is_ok());
            return valid.then_some(InputSatisfaction::p2tr());
        }
        let provider = spkm
            .signing_provider(&spk, false, KeyAccess::Locked)
            .ok()??;
        let found = descriptor_for_script(&provider, script)
            .and_then(|d| d.derived_descriptor(crate::keys::secp()).ok())
            .and_then(|d| of_descriptor(&d, sig))
            .or_else(|| of_bare_script(script, sig));
        if found.is_some() {
            return found;
        }
    }
    None
}

fn legacy(weight: i64, elems: i64) -> Option<InputSatisfaction> {
    Some(InputSatisfaction {
        weight: weight * WITNESS_SCALE_FACTOR,
        elems: u32::try_from(elems).ok()?,
        is_segwit: false,
    })
}

fn segwit(weight: i64, elems: i64) -> Option<InputSatisfaction> {
    Some(InputSatisfaction {
        weight,
        elems: u32::try_from(elems).ok()?,
        is_segwit: true,
    })
}

/// Scripts Core infers a descriptor for without any wallet data: `pk()`
/// and bare `multi()` (for `raw()` and `addr()` descriptors).
fn of_bare_script(script: &Script, sig: i64) -> Option<InputSatisfaction> {
    if script.p2pk_public_key().is_some() {
        return legacy(1 + sig, 1);
    }
    let (k, _) = parse_multisig(script)?;
    let k = i64::try_from(k).ok()?;
    legacy(1 + (1 + sig) * k, 1 + k)
}

fn key_size(pk: &PublicKey) -> i64 {
    if pk.compressed {
        33
    } else {
        65
    }
}

/// `GetSizeOfCompactSize`.
fn compact_size_len(n: i64) -> i64 {
    match n {
        ..=252 => 1,
        253..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    }
}

/// Core's `MaxSatSize` and `MaxSatisfactionElems` of the descriptors Core
/// parses outside miniscript (`pk`, `pkh`, `multi`, `sortedmulti`).
fn plain<Ctx: ScriptContext>(ms: &Miniscript<PublicKey, Ctx>, sig: i64) -> Option<(i64, i64)> {
    match ms.as_inner() {
        Terminal::Check(sub) => match sub.as_inner() {
            Terminal::PkK(_) => Some((1 + sig, 1)),
            Terminal::PkH(pk) => Some((1 + sig + 1 + key_size(pk), 2)),
            _ => None,
        },
        Terminal::Multi(t) => {
            let k = i64::try_from(t.k()).ok()?;
            Some((1 + (1 + sig) * k, 1 + k))
        }
        _ => None,
    }
}

/// `MaxSatSize` and elements of what a `wsh()` wraps.
fn wsh_inner(inner: &WshInner<PublicKey>, sig: i64) -> Option<(i64, i64, i64)> {
    let (sat, elems, script_size) = match inner {
        WshInner::SortedMulti(smv) => {
            let k = i64::try_from(smv.k()).ok()?;
            (1 + (1 + sig) * k, 1 + k, smv.encode().len())
        }
        WshInner::Ms(ms) => {
            let (sat, elems) = plain(ms, sig).or_else(|| {
                let ws = witness_size(ms).sat?;
                let ss = stack_elems(ms).sat?;
                Some((i64::from(ws), i64::from(ss)))
            })?;
            (sat, elems, ms.script_size())
        }
    };
    let ss = i64::try_from(script_size).ok()?;
    // The witness script is pushed after the satisfaction.
    Some((compact_size_len(ss) + ss + sat, 1 + elems, ss))
}

/// The satisfaction size of an output described by `d` (Core's
/// `MaxSatisfactionWeight` of a descriptor the caller supplies, as for
/// `solving_data`); `use_max_sig` as in [`input_satisfaction`].
pub fn descriptor_satisfaction(
    d: &Descriptor<PublicKey>,
    use_max_sig: bool,
) -> Option<InputSatisfaction> {
    of_descriptor(d, if use_max_sig { 72 } else { 71 })
}

fn of_descriptor(d: &Descriptor<PublicKey>, sig: i64) -> Option<InputSatisfaction> {
    match d {
        Descriptor::Bare(b) => {
            let (sat, elems) = plain(b.as_inner(), sig)?;
            legacy(sat, elems)
        }
        Descriptor::Pkh(p) => legacy(1 + sig + 1 + key_size(p.as_inner()), 2),
        Descriptor::Wpkh(_) => segwit(1 + sig + 1 + 33, 2),
        Descriptor::Wsh(w) => {
            let (sat, elems, _) = wsh_inner(w.as_inner(), sig)?;
            segwit(sat, elems)
        }
        Descriptor::Sh(sh) => {
            // The redeem script is a push in the scriptSig.
            let (sat, elems, sub_script, is_segwit) = match sh.as_inner() {
                ShInner::Wpkh(_) => (1 + sig + 1 + 33, 2, 22, true),
                ShInner::Wsh(w) => {
                    let (sat, elems, _) = wsh_inner(w.as_inner(), sig)?;
                    (sat, elems, 34, true)
                }
                ShInner::SortedMulti(smv) => {
                    let k = i64::try_from(smv.k()).ok()?;
                    let len = i64::try_from(smv.encode().len()).ok()?;
                    (1 + (1 + sig) * k, 1 + k, len, false)
                }
                ShInner::Ms(ms) => {
                    let (sat, elems) = plain(ms, sig)?;
                    (sat, elems, i64::try_from(ms.script_size()).ok()?, false)
                }
            };
            let sub_weight = (1 + sub_script) * WITNESS_SCALE_FACTOR;
            if is_segwit {
                segwit(sub_weight + sat, 1 + elems)
            } else {
                Some(InputSatisfaction {
                    weight: sub_weight + sat * WITNESS_SCALE_FACTOR,
                    elems: u32::try_from(1 + elems).ok()?,
                    is_segwit: false,
                })
            }
        }
        // Core's FIXME: always the key path, whatever the tree.
        Descriptor::Tr(_) => Some(InputSatisfaction::p2tr()),
    }
}

/// A satisfaction and a dissatisfaction measure; `None` where none exists.
#[derive(Debug, Clone, Copy)]
struct Pair {
    sat: Option<u32>,
    dsat: Option<u32>,
}

fn add(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    a?.checked_add(b?)
}

fn add_n(a: Option<u32>, n: u32) -> Option<u32> {
    a?.checked_add(n)
}

/// The larger of two alternatives (Core's `MaxInt` `|`).
fn either(a: Option<u32>, b: Option<u32>) -> Option<u32> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.max(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

fn pair(sat: Option<u32>, dsat: Option<u32>) -> Pair {
    Pair { sat, dsat }
}

/// Core's thresh recurrence: the measure of exactly j satisfied subs.
fn thresh(subs: impl Iterator<Item = Pair>, k: usize) -> Pair {
    let mut sats = vec![Some(0u32)];
    for sub in subs {
        let mut next = vec![add(sats[0], sub.dsat)];
        for j in 1..sats.len() {
            next.push(either(add(sats[j], sub.dsat), add(sats[j - 1], sub.sat)));
        }
        next.push(add(sats[sats.len() - 1], sub.sat));
        sats = next;
    }
    pair(sats.get(k).copied().flatten(), sats[0])
}

fn count(n: usize) -> Option<u32> {
    u32::try_from(n).ok()
}

/// Core's `CalcWitnessSize` for segwit v0: every element with its one-byte
/// length, signatures at 72 bytes plus the sighash byte.
fn witness_size<Pk: MiniscriptKey, Ctx: ScriptContext>(ms: &Miniscript<Pk, Ctx>) -> Pair {
    const SIG: u32 = 1 + 72;
    const PUBKEY: u32 = 1 + 33;
    let w = |m: &Miniscript<Pk, Ctx>| witness_size(m);
    match ms.as_inner() {
        Terminal::False => pair(None, Some(0)),
        Terminal::True | Terminal::Older(_) | Terminal::After(_) => pair(Some(0), None),
        Terminal::PkK(_) => pair(Some(SIG), Some(1)),
        Terminal::PkH(_) | Terminal::RawPkH(_) => pair(Some(SIG + PUBKEY), Some(1 + PUBKEY)),
        Terminal::Sha256(_)
        | Terminal::Hash256(_)
        | Terminal::Ripemd160(_)
        | Terminal::Hash160(_) => pair(Some(1 + 32), None),
        Terminal::AndOr(x, y, z) => {
            let (x, y, z) = (w(x), w(y), w(z));
            pair(
                either(add(x.sat, y.sat), add(x.dsat, z.sat)),
                add(x.dsat, z.dsat),
            )
        }
        Terminal::AndV(x, y) => pair(add(w(x).sat, w(y).sat), None),
        Terminal::AndB(x, y) => {
            let (x, y) = (w(x), w(y));
            pair(add(x.sat, y.sat), add(x.dsat, y.dsat))
        }
        Terminal::OrB(x, y) => {
            let (x, y) = (w(x), w(y));
            pair(
                either(add(x.dsat, y.sat), add(x.sat, y.dsat)),
                add(x.dsat, y.dsat),
            )
        }
        Terminal::OrC(x, y) => {
            let (x, y) = (w(x), w(y));
            pair(either(x.sat, add(x.dsat, y.sat)), None)
        }
        Terminal::OrD(x, y) => {
            let (x, y) = (w(x), w(y));
            pair(either(x.sat, add(x.dsat, y.sat)), add(x.dsat, y.dsat))
        }
        Terminal::OrI(x, y) => {
            let (x, y) = (w(x), w(y));
            pair(
                either(add_n(x.sat, 2), add_n(y.sat, 1)),
                either(add_n(x.dsat, 2), add_n(y.dsat, 1)),
            )
        }
        Terminal::Multi(t) => {
            let k = count(t.k());
            pair(add_n(k.and_then(|k| k.checked_mul(SIG)), 1), add_n(k, 1))
        }
        Terminal::MultiA(t) => {
            // Not valid in segwit v0; kept for completeness with
            // tapscript-sized signatures.
            let (k, n) = (count(t.k()), count(t.n()));
            let sat = match (k, n) {
                (Some(k), Some(n)) => k
                    .checked_mul(1 + 65)
                    .and_then(|s| s.checked_add(n.checked_sub(k)?)),
                _ => None,
            };
            pair(sat, n)
        }
        Terminal::Alt(x) | Terminal::Swap(x) | Terminal::Check(x) | Terminal::ZeroNotEqual(x) => {
            w(x)
        }
        Terminal::DupIf(x) => pair(add_n(w(x).sat, 2), Some(1)),
        Terminal::Verify(x) => pair(w(x).sat, None),
        Terminal::NonZero(x) => pair(w(x).sat, Some(1)),
        Terminal::Thresh(t) => thresh(t.iter().map(|s| w(s)), t.k()),
    }
}

/// The number of witness elements of the largest satisfaction (what Core's
/// `GetStackSize` amounts to for a whole script).
fn stack_elems<Pk: MiniscriptKey, Ctx: ScriptContext>(ms: &Miniscript<Pk, Ctx>) -> Pair {
    let e = |m: &Miniscript<Pk, Ctx>| stack_elems(m);
    match ms.as_inner() {
        Terminal::False => pair(None, Some(0)),
        Terminal::True | Terminal::Older(_) | Terminal::After(_) => pair(Some(0), None),
        Terminal::PkK(_) => pair(Some(1), Some(1)),
        Terminal::PkH(_) | Terminal::RawPkH(_) => pair(Some(2), Some(2)),
        Terminal::Sha256(_)
        | Terminal::Hash256(_)
        | Terminal::Ripemd160(_)
        | Terminal::Hash160(_) => pair(Some(1), None),
        Terminal::AndOr(x, y, z) => {
            let (x, y, z) = (e(x), e(y), e(z));
            pair(
                either(add(x.sat, y.sat), add(x.dsat, z.sat)),
                add(x.dsat, z.dsat),
            )
        }
        Terminal::AndV(x, y) => pair(add(e(x).sat, e(y).sat), None),
        Terminal::AndB(x, y) => {
            let (x, y) = (e(x), e(y));
            pair(add(x.sat, y.sat), add(x.dsat, y.dsat))
        }
        Terminal::OrB(x, y) => {
            let (x, y) = (e(x), e(y));
            pair(
                either(add(x.sat, y.dsat), add(x.dsat, y.sat)),
                add(x.dsat, y.dsat),
            )
        }
        Terminal::OrC(x, y) => {
            let (x, y) = (e(x), e(y));
            pair(either(x.sat, add(x.dsat, y.sat)), None)
        }
        Terminal::OrD(x, y) => {
            let (x, y) = (e(x), e(y));
            pair(either(x.sat, add(x.dsat, y.sat)), add(x.dsat, y.dsat))
        }
        Terminal::OrI(x, y) => {
            let (x, y) = (e(x), e(y));
            pair(
                add_n(either(x.sat, y.sat), 1),
                add_n(either(x.dsat, y.dsat), 1),
            )
        }
        Terminal::Multi(t) => {
            let n = add_n(count(t.k()), 1);
            pair(n, n)
        }
        Terminal::MultiA(t) => pair(count(t.n()), count(t.n())),
        Terminal::Alt(x) | Terminal::Swap(x) | Terminal::Check(x) | Terminal::ZeroNotEqual(x) => {
            e(x)
        }
        Terminal::DupIf(x) => pair(add_n(e(x).sat, 1), Some(1)),
        Terminal::Verify(x) => pair(e(x).sat, None),
        Terminal::NonZero(x) => pair(e(x).sat, Some(1)),
        Terminal::Thresh(t) => thresh(t.iter().map(|s| e(s)), t.k()),
    }
}
