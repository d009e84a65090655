//! Signatures into a PSBT input with the keys at hand (Core's `CreateSig`
//! and `CreateSchnorrSig` as `ProduceSignature` reaches them): ECDSA for
//! legacy and segwit v0 scripts, Schnorr for taproot key and script paths.
//! Every key of ours the script uses signs, as Core creates every signature
//! it can so later PSBT steps may combine them.

use bitcoin::ecdsa;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::key::{Keypair, TapTweak};
use bitcoin::psbt::Input;
use bitcoin::script::Instruction;
use bitcoin::secp256k1::{Message, Parity, XOnlyPublicKey};
use bitcoin::sighash::{EcdsaSighashType, Prevouts, SighashCache, TapSighashType};
use bitcoin::taproot::{self, LeafVersion, TapLeafHash};
use bitcoin::{Amount, PrivateKey, PublicKey, Script, ScriptBuf, Transaction, TxOut};
use consensus::interpreter::SigVersion;

use super::musig::fields::InputMuSig;
use super::musig::{sign_musig, MuSigSessions, MuSigSpend};
use super::sighash::SIGHASH_DEFAULT;
use crate::keys::KeyMap;

/// What an ECDSA signature of an input commits to.
#[derive(Debug, Clone)]
pub(super) enum ScriptCode {
    /// A legacy script (the output script or a P2SH redeem script).
    Legacy(ScriptBuf),
    /// A P2WPKH program (bare or P2SH-wrapped).
    P2wpkh(ScriptBuf),
    /// A P2WSH witness script.
    P2wsh(ScriptBuf),
}

/// How an input's ECDSA signatures are made and which keys make them.
#[derive(Debug, Clone)]
pub(super) struct EcdsaPlan {
    /// The script signatures commit to.
    pub code: ScriptCode,
    /// For key-hash outputs, the hash the key must have.
    keyhash: Option<[u8; 20]>,
}

/// The byte pushes of a script, stopping at anything unparsable.
pub(super) fn pushes(script: &Script) -> impl Iterator<Item = &[u8]> {
    script
        .instructions()
        .map_while(|i| match i {
            Ok(Instruction::PushBytes(p)) => Some(Some(p.as_bytes())),
            Ok(Instruction::Op(_)) => Some(None),
            Err(_) => None,
        })
        .flatten()
}

fn hash_of(bytes: &[u8]) -> Option<[u8; 20]> {
    bytes.try_into().ok()
}

impl EcdsaPlan {
    /// The plan for spending `spk`, with the redeem and witness scripts the
    /// input carries (each used only if it hashes to what it must). `None`
    /// for taproot and unknown witness programs, or a P2SH/P2WSH output
    /// whose script is unknown.
    pub(super) fn resolve(
        spk: &Script,
        redeem: Option<&Script>,
        witness_script: Option<&Script>,
    ) -> Option<EcdsaPlan> {
        let wsh = |program: &Script| -> Option<EcdsaPlan> {
            let ws = witness_script.filter(|ws| ws.to_p2wsh().as_script() == program)?;
            Some(EcdsaPlan {
                code: ScriptCode::P2wsh(ws.to_owned()),
                keyhash: None,
            })
        };
        let wpkh = |program: &Script| EcdsaPlan {
            code: ScriptCode::P2wpkh(program.to_owned()),
            keyhash: program.as_bytes().get(2..).and_then(hash_of),
        };
        if spk.is_p2pkh() {
            return Some(EcdsaPlan {
                code: ScriptCode::Legacy(spk.to_owned()),
                keyhash: spk.as_bytes().get(3..23).and_then(hash_of),
            });
        }
        if spk.is_p2wpkh() {
            return Some(wpkh(spk));
        }
        if spk.is_p2wsh() {
            return wsh(spk);
        }
        if spk.is_p2sh() {
            let rs = redeem.filter(|rs| rs.to_p2sh().as_script() == spk)?;
            if rs.is_p2wpkh() {
                return Some(wpkh(rs));
            }
            if rs.is_p2wsh() {
                return wsh(rs);
            }
            return Some(EcdsaPlan {
                code: ScriptCode::Legacy(rs.to_owned()),
                keyhash: None,
            });
        }
        if spk.is_witness_program() {
            return None;
        }
        Some(EcdsaPlan {
            code: ScriptCode::Legacy(spk.to_owned()),
            keyhash: None,
        })
    }

    fn is_segwit(&self) -> bool {
        !matches!(self.code, ScriptCode::Legacy(_))
    }

    /// The script whose keys sign (none for key-hash outputs).
    pub(super) fn script(&self) -> Option<&Script> {
        if self.keyhash.is_some() {
            return None;
        }
        match &self.code {
            ScriptCode::Legacy(s) | ScriptCode::P2wsh(s) | ScriptCode::P2wpkh(s) => Some(s),
        }
    }

    /// Whether `pk` signs this input: it hashes to the key hash, or the
    /// script pushes it or its hash. Segwit never signs with uncompressed
    /// keys (Core refuses to).
    pub(super) fn involves(&self, pk: &PublicKey) -> bool {
        if self.is_segwit() && !pk.compressed {
            return false;
        }
        let h = pk.pubkey_hash().to_byte_array();
        match (self.keyhash, self.script()) {
            (Some(kh), _) => kh == h,
            (None, Some(s)) => {
                let bytes = pk.to_bytes();
                pushes(s).any(|p| p == bytes.as_slice() || p == h.as_slice())
            }
            (None, None) => false,
        }
    }

    /// The script code and signature version the interpreter checks
    /// signatures of this input against.
    pub(super) fn checker_code(&self) -> (ScriptBuf, SigVersion) {
        match &self.code {
            ScriptCode::Legacy(s) => (s.clone(), SigVersion::Base),
            ScriptCode::P2wpkh(p) => match self.keyhash {
                Some(h) => (
                    ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array(h)),
                    SigVersion::WitnessV0,
                ),
                // Not a P2WPKH program after all: nothing will verify.
                None => (p.clone(), SigVersion::WitnessV0),
            },
            ScriptCode::P2wsh(s) => (s.clone(), SigVersion::WitnessV0),
        }
    }

    /// The signature hash of input `index` for type `ty`.
    fn sighash(
        &self,
        cache: &mut SighashCache<&Transaction>,
        index: usize,
        amount: Amount,
        ty: EcdsaSighashType,
    ) -> Option<[u8; 32]> {
        Some(match &self.code {
            ScriptCode::Legacy(s) => cache
                .legacy_signature_hash(index, s, ty.to_u32())
                .ok()?
                .to_byte_array(),
            ScriptCode::P2wpkh(p) => cache
                .p2wpkh_signature_hash(index, p, amount, ty)
                .ok()?
                .to_byte_array(),
            ScriptCode::P2wsh(s) => cache
                .p2wsh_signature_hash(index, s, amount, ty)
                .ok()?
                .to_byte_array(),
        })
    }
}

/// The key in `keys` whose x-only form is `x`, of either parity.
pub(super) fn key_for_xonly(keys: &KeyMap, x: &XOnlyPublicKey) -> Option<PrivateKey> {
    [Parity::Even, Parity::Odd]
        .into_iter()
        .find_map(|p| keys.get(&PublicKey::new(x.public_key(p))).copied())
}

/// What signing an input needs besides the input itself.
pub(super) struct SigningContext<'a, 'c> {
    /// Sighash computations over the unsigned transaction.
    pub cache: &'c mut SighashCache<&'a Transaction>,
    /// The input's index.
    pub index: usize,
    /// The output it spends.
    pub utxo: &'c TxOut,
    /// Every input's spent output, when all are known (taproot needs them).
    pub spent: Option<&'c [TxOut]>,
    /// The sighash type (Core's `int`).
    pub sighash: u32,
    /// Where MuSig2 secret nonces are kept; `None` makes no MuSig2 steps
    /// (a raw transaction has nowhere to carry nonces).
    pub musig: Option<&'c MuSigSessions>,
}

/// Adds the signatures `keys` can make for this input. Nothing happens when
/// the sighash type cannot be used for the input's kind of signature.
pub(super) fn sign_input(input: &mut Input, keys: &KeyMap, ctx: &mut SigningContext<'_, '_>) {
    // Aggregating MuSig2 partial signatures needs no key of ours.
    if keys.is_empty() && (ctx.musig.is_none() || !ctx.utxo.script_pubkey.is_p2tr()) {
        return;
    }
    if ctx.utxo.script_pubkey.is_p2tr() {
        sign_taproot(input, keys, ctx);
        return;
    }
    let Some(plan) = EcdsaPlan::resolve(
        &ctx.utxo.script_pubkey,
        input.redeem_script.as_deref(),
        input.witness_script.as_deref(),
    ) else {
        return;
    };
    // ECDSA has no DEFAULT: Core signs it as ALL.
    let ty = if ctx.sighash == SIGHASH_DEFAULT {
        EcdsaSighashType::All
    } else {
        match EcdsaSighashType::from_standard(ctx.sighash) {
            Ok(t) => t,
            Err(_) => return,
        }
    };
    let secp = crate::keys::secp();
    let mut digest = None;
    for (pk, sk) in keys {
        if input.partial_sigs.contains_key(pk) || !plan.involves(pk) {
            continue;
        }
        let hash = match digest {
            Some(h) => h,
            None => match plan.sighash(ctx.cache, ctx.index, ctx.utxo.value, ty) {
                Some(h) => *digest.insert(h),
                None => return,
            },
        };
        // Low-R grinding with RFC6979 nonces, as Core signs: the same
        // signatures, and never more than 71 bytes with the sighash byte.
        let signature = secp.sign_ecdsa_low_r(&Message::from_digest(hash), &sk.inner);
        input.partial_sigs.insert(
            *pk,
            ecdsa::Signature {
                signature,
                sighash_type: ty,
            },
        );
    }
}

fn sign_taproot(input: &mut Input, keys: &KeyMap, ctx: &mut SigningContext<'_, '_>) {
    // Without every spent output there is no BIP341 signature hash.
    let Some(spent) = ctx.spent else {
        return;
    };
    let Some(ty) = u8::try_from(ctx.sighash)
        .ok()
        .and_then(|b| TapSighashType::from_consensus_u8(b).ok())
    else {
        return;
    };
    let secp = crate::keys::secp();
    let prevouts = Prevouts::All(spent);
    let (cache, index) = (&mut *ctx.cache, ctx.index);
    let mut sighash = |leaf: Option<TapLeafHash>| -> Option<[u8; 32]> {
        Some(match leaf {
            None => cache
                .taproot_key_spend_signature_hash(index, &prevouts, ty)
                .ok()?
                .to_byte_array(),
            Some(l) => cache
                .taproot_script_spend_signature_hash(index, &prevouts, l, ty)
                .ok()?
                .to_byte_array(),
        })
    };
    let mut musig = ctx
        .musig
        .map(|sessions| (InputMuSig::read(input), sessions))
        .filter(|(fields, _)| !fields.participants.is_empty());
    if keys.is_empty() && musig.is_none() {
        return;
    }
    let output_key = ctx
        .utxo
        .script_pubkey
        .as_bytes()
        .get(2..34)
        .and_then(|x| XOnlyPublicKey::from_slice(x).ok());
    // Core tries the internal key with the taproot tweak, then the output
    // key itself (`rawtr()`); each by our own key, else by MuSig2.
    let attempts = [
        input
            .tap_internal_key
            .map(|ik| (ik, Some(input.tap_merkle_root))),
        output_key.map(|k| (k, None)),
    ];
    for (key, root) in attempts.into_iter().flatten() {
        if input.tap_key_sig.is_some() {
            break;
        }
        if let Some(sk) = key_for_xonly(keys, &key) {
            let keypair = Keypair::from_secret_key(secp, &sk.inner);
            let signer = match root {
                Some(r) => keypair.tap_tweak(secp, r).to_keypair(),
                None => keypair,
            };
            // A wrong merkle root would only make a useless signature.
            let signs_output = output_key == Some(XOnlyPublicKey::from_keypair(&signer).0);
            if let (true, Some(h)) = (signs_output, sighash(None)) {
                input.tap_key_sig = Some(taproot::Signature {
                    signature: secp.sign_schnorr(&Message::from_digest(h), &signer),
                    sighash_type: ty,
                });
            }
        }
        if let (None, Some((fields, sessions))) = (input.tap_key_sig, musig.as_mut()) {
            let mut spend = MuSigSpend {
                ty,
                sighash: &mut sighash,
                sessions,
            };
            sign_musig(input, fields, keys, &mut spend, key, root, None);
        }
    }
    // A key path signature is the whole spend: Core stops there.
    if input.tap_key_sig.is_none() {
        sign_leaves(input, keys, &mut musig, ty, &mut sighash);
    }
    if let Some((fields, _)) = musig {
        fields.write(input);
    }
}

/// Script-path signatures: every key of ours each tapscript leaf names
/// signs, and MuSig2 steps for the aggregate keys in it.
fn sign_leaves(
    input: &mut Input,
    keys: &KeyMap,
    musig: &mut Option<(InputMuSig, &MuSigSessions)>,
    ty: TapSighashType,
    sighash: &mut dyn FnMut(Option<TapLeafHash>) -> Option<[u8; 32]>,
) {
    let secp = crate::keys::secp();
    let leaves: Vec<ScriptBuf> = input
        .tap_scripts
        .values()
        .filter(|(_, v)| *v == LeafVersion::TapScript)
        .map(|(s, _)| s.clone())
        .collect();
    for script in leaves {
        let leaf_hash = TapLeafHash::from_script(&script, LeafVersion::TapScript);
        for sk in keys.values() {
            let keypair = Keypair::from_secret_key(secp, &sk.inner);
            let xonly = XOnlyPublicKey::from_keypair(&keypair).0;
            if input.tap_script_sigs.contains_key(&(xonly, leaf_hash)) || !names(&script, &xonly) {
                continue;
            }
            let Some(h) = sighash(Some(leaf_hash)) else {
                return;
            };
            input.tap_script_sigs.insert(
                (xonly, leaf_hash),
                taproot::Signature {
                    signature: secp.sign_schnorr(&Message::from_digest(h), &keypair),
                    sighash_type: ty,
                },
            );
        }
        let Some((fields, sessions)) = musig.as_mut() else {
            continue;
        };
        // The leaf's keys, as pushed or (`pkh()`) hashed: aggregates have
        // no private key, so these are the ones MuSig2 may sign for.
        let mut named: Vec<XOnlyPublicKey> = pushes(&script)
            .filter_map(|p| XOnlyPublicKey::from_slice(p).ok())
            .collect();
        named.extend(input.tap_key_origins.keys().filter(|k| names(&script, k)));
        named.sort();
        named.dedup();
        for key in named {
            if input.tap_script_sigs.contains_key(&(key, leaf_hash)) {
                continue;
            }
            let mut spend = MuSigSpend {
                ty,
                sighash: &mut *sighash,
                sessions,
            };
            sign_musig(input, fields, keys, &mut spend, key, None, Some(leaf_hash));
        }
    }
}

/// Whether `script` pushes `key` or (a tapscript `pkh()`) its hash.
fn names(script: &Script, key: &XOnlyPublicKey) -> bool {
    let bytes = key.serialize();
    let hash = hash160::Hash::hash(&bytes).to_byte_array();
    pushes(script).any(|p| p == bytes.as_slice() || p == hash.as_slice())
}
