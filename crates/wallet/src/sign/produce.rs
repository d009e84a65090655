//! The scriptSig and witness Core's `ProduceSignature` leaves in an input
//! it cannot complete (`signrawtransactionwithwallet` writes them and then
//! names the script error they fail with). Each standard template pushes
//! what it has: a known redeem or witness script, multisig signatures
//! padded with empty pushes, nothing for a key it cannot sign with.

use std::collections::BTreeMap;

use bitcoin::opcodes::all::OP_CHECKMULTISIG;
use bitcoin::script::{Builder, Instruction, PushBytesBuf};
use bitcoin::{ecdsa, taproot, PubkeyHash, PublicKey, Script, ScriptBuf, Witness};

use bitcoin::hashes::Hash;

/// What is known about an input besides its output script.
pub(super) struct Known<'a> {
    /// The P2SH redeem script, if known.
    pub redeem_script: Option<&'a Script>,
    /// The P2WSH witness script, if known.
    pub witness_script: Option<&'a Script>,
    /// ECDSA signatures by key.
    pub sigs: &'a BTreeMap<PublicKey, ecdsa::Signature>,
    /// Keys a key-hash output may name.
    pub pubkeys: &'a [PublicKey],
    /// The taproot key path signature.
    pub tap_key_sig: Option<taproot::Signature>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    PubKey,
    PubKeyHash,
    ScriptHash,
    Multisig,
    WitnessV0KeyHash,
    WitnessV0ScriptHash,
    Taproot,
    Other,
}

fn small_int(i: &Instruction<'_>) -> Option<usize> {
    match i {
        Instruction::Op(op) => {
            let b = op.to_u8();
            (0x51..=0x60).contains(&b).then(|| usize::from(b - 0x50))
        }
        Instruction::PushBytes(_) => None,
    }
}

/// `OP_m <keys> OP_n OP_CHECKMULTISIG` (Core's `MatchMultisig`).
pub(super) fn parse_multisig(script: &Script) -> Option<(usize, Vec<PublicKey>)> {
    let ins: Vec<Instruction<'_>> = script.instructions().collect::<Result<_, _>>().ok()?;
    let (first, rest) = ins.split_first()?;
    let (last, rest) = rest.split_last()?;
    let (n_ins, key_ins) = rest.split_last()?;
    if *last != Instruction::Op(OP_CHECKMULTISIG) {
        return None;
    }
    let (m, n) = (small_int(first)?, small_int(n_ins)?);
    let keys = key_ins
        .iter()
        .map(|i| match i {
            Instruction::PushBytes(p) => PublicKey::from_slice(p.as_bytes()).ok(),
            Instruction::Op(_) => None,
        })
        .collect::<Option<Vec<_>>>()?;
    (m >= 1 && m <= n && keys.len() == n).then_some((m, keys))
}

/// Core's `PushAll`: minimal pushes, small numbers as opcodes.
pub(super) fn push_all(values: &[Vec<u8>]) -> ScriptBuf {
    let mut b = Builder::new();
    for v in values {
        b = match v.as_slice() {
            [] => b.push_int(0),
            [n @ 1..=16] => b.push_int(i64::from(*n)),
            [0x81] => b.push_int(-1),
            _ => match PushBytesBuf::try_from(v.clone()) {
                Ok(p) => b.push_slice(p),
                // Larger than any script can be: nothing sensible to push.
                Err(_) => b,
            },
        };
    }
    b.into_script()
}

/// Core's `SignStep` over known data: whether `script` is solved, the
/// stack it yields and its template.
fn step(script: &Script, known: &Known<'_>, segwit: bool) -> (bool, Vec<Vec<u8>>, Kind) {
    let sig_of = |pk: &PublicKey| {
        known
            .sigs
            .get(pk)
            .filter(|_| !segwit || pk.compressed)
            .map(|s| s.to_vec())
    };
    if let Some(pk) = script.p2pk_public_key() {
        return match sig_of(&pk) {
            Some(s) => (true, vec![s], Kind::PubKey),
            None => (false, Vec::new(), Kind::PubKey),
        };
    }
    if script.is_p2pkh() {
        let hash = script.as_bytes().get(3..23);
        let pk = known
            .pubkeys
            .iter()
            .chain(known.sigs.keys())
            .find(|pk| Some(pk.pubkey_hash().as_byte_array().as_slice()) == hash);
        return match pk.and_then(|pk| Some((sig_of(pk)?, pk.to_bytes()))) {
            Some((s, k)) => (true, vec![s, k], Kind::PubKeyHash),
            None => (false, Vec::new(), Kind::PubKeyHash),
        };
    }
    if script.is_p2sh() {
        return match known
            .redeem_script
            .filter(|rs| rs.to_p2sh().as_script() == script)
        {
            Some(rs) => (true, vec![rs.to_bytes()], Kind::ScriptHash),
            None => (false, Vec::new(), Kind::ScriptHash),
        };
    }
    if let Some((m, keys)) = parse_multisig(script) {
        // The leading empty push works around CHECKMULTISIG's extra pop.
        let mut ret = vec![Vec::new()];
        for k in &keys {
            if ret.len() < m + 1 {
                if let Some(s) = sig_of(k) {
                    ret.push(s);
                }
            }
        }
        let solved = ret.len() == m + 1;
        ret.resize(m + 1, Vec::new());
        return (solved, ret, Kind::Multisig);
    }
    if script.is_p2wpkh() {
        let program = script.as_bytes().get(2..).unwrap_or_default().to_vec();
        return (true, vec![program], Kind::WitnessV0KeyHash);
    }
    if script.is_p2wsh() {
        return match known
            .witness_script
            .filter(|ws| ws.to_p2wsh().as_script() == script)
        {
            Some(ws) => (true, vec![ws.to_bytes()], Kind::WitnessV0ScriptHash),
            None => (false, Vec::new(), Kind::WitnessV0ScriptHash),
        };
    }
    if script.is_p2tr() {
        return match known.tap_key_sig {
            Some(s) => (true, vec![s.to_vec()], Kind::Taproot),
            None => (false, Vec::new(), Kind::Taproot),
        };
    }
    (false, Vec::new(), Kind::Other)
}

/// Core's `ProduceSignature` layout for `spk` from what is known.
pub(super) fn produce(spk: &Script, known: &Known<'_>) -> (ScriptBuf, Witness) {
    let (mut solved, mut result, mut kind) = step(spk, known, false);
    let mut subscript = None;
    if solved && kind == Kind::ScriptHash {
        let sub = ScriptBuf::from_bytes(result.first().cloned().unwrap_or_default());
        let (s, r, k) = step(&sub, known, false);
        solved = s && k != Kind::ScriptHash;
        (result, kind) = (r, k);
        subscript = Some(sub);
    }
    let mut witness = Vec::new();
    if solved && kind == Kind::WitnessV0KeyHash {
        let hash = result
            .first()
            .and_then(|h| <[u8; 20]>::try_from(h.as_slice()).ok())
            .unwrap_or_default();
        let code = ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array(hash));
        witness = step(&code, known, true).1;
        result.clear();
    } else if solved && kind == Kind::WitnessV0ScriptHash {
        let ws = result.first().cloned().unwrap_or_default();
        let mut inner = step(Script::from_bytes(&ws), known, true).1;
        inner.push(ws);
        witness = inner;
        result.clear();
    } else if kind == Kind::Taproot && subscript.is_none() {
        if solved {
            witness = std::mem::take(&mut result);
        }
        result.clear();
    }
    if let Some(sub) = subscript {
        result.push(sub.into_bytes());
    }
    (push_all(&result), Witness::from_slice(&witness))
}
