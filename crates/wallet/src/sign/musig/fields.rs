//! The MuSig2 fields of PSBT inputs and outputs (BIP373). The `bitcoin`
//! crate's PSBT model predates them and keeps them as unknown entries, so
//! they are read from and written back to those, in the `psbt` crate's
//! layout.

use bitcoin::psbt::{raw, Input, Output};
use psbt::fields::{
    musig_entry_key, parse_musig_entry_key, parse_participants, pubkey_valid, Participants,
    IN_MUSIG2_PARTIAL_SIG, IN_MUSIG2_PARTICIPANT_PUBKEYS, IN_MUSIG2_PUB_NONCE,
    OUT_MUSIG2_PARTICIPANT_PUBKEYS,
};
use psbt::input::MusigData;

/// An input's MuSig2 fields.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(in crate::sign) struct InputMuSig {
    /// Participants by aggregate key.
    pub participants: Participants,
    /// Public nonces by (key signed for, leaf hash or zeros), then by
    /// participant.
    pub pubnonces: MusigData<Vec<u8>>,
    /// Partial signatures, keyed as the nonces.
    pub partial_sigs: MusigData<[u8; 32]>,
}

fn read_participants(
    unknown: &std::collections::BTreeMap<raw::Key, Vec<u8>>,
    ty: u8,
) -> Participants {
    let mut out = Participants::new();
    for (k, v) in unknown.iter().filter(|(k, _)| k.type_value == ty) {
        // The `psbt` crate refused malformed entries when the PSBT was
        // decoded; anything else is skipped rather than trusted.
        if let (true, Some(parts)) = (
            k.key.len() == 33 && pubkey_valid(&k.key),
            parse_participants(v),
        ) {
            out.entry(k.key.clone()).or_insert(parts);
        }
    }
    out
}

fn write_participants(
    unknown: &mut std::collections::BTreeMap<raw::Key, Vec<u8>>,
    ty: u8,
    participants: &Participants,
) {
    for (agg, parts) in participants {
        unknown.insert(
            raw::Key {
                type_value: ty,
                key: agg.clone(),
            },
            parts.concat(),
        );
    }
}

impl InputMuSig {
    /// The MuSig2 fields of `input`.
    pub fn read(input: &Input) -> InputMuSig {
        let mut out = InputMuSig {
            participants: read_participants(&input.unknown, IN_MUSIG2_PARTICIPANT_PUBKEYS),
            ..InputMuSig::default()
        };
        for (k, v) in &input.unknown {
            let Some((agg, part, leaf)) = parse_musig_entry_key(&k.key) else {
                continue;
            };
            match k.type_value {
                IN_MUSIG2_PUB_NONCE if v.len() == 66 => {
                    out.pubnonces
                        .entry((agg, leaf))
                        .or_default()
                        .insert(part, v.clone());
                }
                IN_MUSIG2_PARTIAL_SIG => {
                    if let Ok(sig) = <[u8; 32]>::try_from(v.as_slice()) {
                        out.partial_sigs
                            .entry((agg, leaf))
                            .or_default()
                            .insert(part, sig);
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Replaces `input`'s MuSig2 fields with these.
    pub fn write(&self, input: &mut Input) {
        input.unknown.retain(|k, _| {
            ![
                IN_MUSIG2_PARTICIPANT_PUBKEYS,
                IN_MUSIG2_PUB_NONCE,
                IN_MUSIG2_PARTIAL_SIG,
            ]
            .contains(&k.type_value)
        });
        write_participants(
            &mut input.unknown,
            IN_MUSIG2_PARTICIPANT_PUBKEYS,
            &self.participants,
        );
        for ((agg, leaf), nonces) in &self.pubnonces {
            for (part, nonce) in nonces {
                input.unknown.insert(
                    raw::Key {
                        type_value: IN_MUSIG2_PUB_NONCE,
                        key: musig_entry_key(part, agg, leaf),
                    },
                    nonce.clone(),
                );
            }
        }
        for ((agg, leaf), sigs) in &self.partial_sigs {
            for (part, sig) in sigs {
                input.unknown.insert(
                    raw::Key {
                        type_value: IN_MUSIG2_PARTIAL_SIG,
                        key: musig_entry_key(part, agg, leaf),
                    },
                    sig.to_vec(),
                );
            }
        }
    }
}

/// Adds `participants` to `output`'s, keeping entries it already has (as
/// Core merges them).
pub(in crate::sign) fn set_output_participants(output: &mut Output, participants: &Participants) {
    let mut all = read_participants(&output.unknown, OUT_MUSIG2_PARTICIPANT_PUBKEYS);
    psbt::fields::merge_map(&mut all, participants);
    write_participants(&mut output.unknown, OUT_MUSIG2_PARTICIPANT_PUBKEYS, &all);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> Vec<u8> {
        let sk = bitcoin::secp256k1::SecretKey::from_slice(&[b; 32]).expect("key");
        sk.public_key(crate::keys::secp()).serialize().to_vec()
    }

    /// The fields survive the unknown map, and the `psbt` crate reads what
    /// is written as BIP373 fields.
    #[test]
    fn fields_round_trip_through_unknown_entries() {
        let mut fields = InputMuSig::default();
        fields.participants.insert(key(1), vec![key(2), key(3)]);
        let leaf = [7u8; 32];
        fields
            .pubnonces
            .entry((key(1), [0; 32]))
            .or_default()
            .insert(key(2), [2u8; 66].to_vec());
        fields
            .partial_sigs
            .entry((key(1), leaf))
            .or_default()
            .insert(key(3), [9u8; 32]);
        let tx = bitcoin::Transaction {
            version: bitcoin::transaction::Version::TWO,
            lock_time: bitcoin::absolute::LockTime::ZERO,
            input: vec![bitcoin::TxIn::default()],
            output: Vec::new(),
        };
        let mut p = bitcoin::psbt::Psbt::from_unsigned_tx(tx).expect("psbt");
        fields.write(&mut p.inputs[0]);
        assert_eq!(InputMuSig::read(&p.inputs[0]), fields);
        let ours = psbt::Psbt::deserialize(&p.serialize()).expect("decodes");
        assert_eq!(ours.inputs[0].musig2_participants, fields.participants);
        assert_eq!(ours.inputs[0].musig2_partial_sigs, fields.partial_sigs);
    }
}
