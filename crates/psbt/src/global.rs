//! The global map and the overall layout: magic, globals, then the input
//! and output maps, with Core's version rules.

use crate::codec::{write_compact, write_pair, DecodeError, MapKeys, Reader, Result};
use crate::fields::{expect_key_size, pubkey_valid, read_proprietary, write_raw_pairs, KeyOrigin};
use crate::input::Input;
use crate::output::Output;
use crate::tx::{read_tx, serialize_tx};
use crate::{Psbt, HIGHEST_VERSION};

const MAGIC: [u8; 5] = *b"psbt\xff";
const UNSIGNED_TX: u64 = 0x00;
const XPUB: u64 = 0x01;
const TX_VERSION: u64 = 0x02;
const FALLBACK_LOCKTIME: u64 = 0x03;
const INPUT_COUNT: u64 = 0x04;
const OUTPUT_COUNT: u64 = 0x05;
const TX_MODIFIABLE: u64 = 0x06;
const VERSION: u64 = 0xfb;
const PROPRIETARY: u64 = 0xfc;

/// A serialized extended public key with its 4-byte version (78 bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Xpub(pub [u8; 78]);

impl Xpub {
    /// The public key.
    pub fn pubkey(&self) -> [u8; 33] {
        self.0[45..78].try_into().unwrap_or([0; 33])
    }

    /// The chain code.
    pub fn chaincode(&self) -> [u8; 32] {
        self.0[13..45].try_into().unwrap_or([0; 32])
    }

    /// Core's validity: a real key, and a root (depth 0) has no parent data.
    fn valid(&self) -> bool {
        let depth = self.0[4];
        let root_ok = depth != 0 || (self.0[5..13] == [0u8; 8]);
        root_ok && pubkey_valid(&self.pubkey())
    }
}

/// The global fields as read, before the version rules are applied.
#[derive(Default)]
struct Found {
    tx: Option<bitcoin::Transaction>,
    tx_version: bool,
    fallback_locktime: bool,
    input_count: Option<u64>,
    output_count: Option<u64>,
    input_count_field: bool,
    output_count_field: bool,
}

fn read_globals(r: &mut Reader, p: &mut Psbt) -> Result<Found> {
    let mut f = Found::default();
    let mut keys = MapKeys::new("global");
    while let Some((key, ty)) = keys.next(r)? {
        match ty {
            UNSIGNED_TX => {
                expect_key_size("Global Unsigned TX", &key, 1)?;
                let tx = r.sized(|r| read_tx(r, false))?;
                if tx.input.iter().any(|i| !i.script_sig.is_empty()) {
                    return Err(DecodeError::stream(
                        "Unsigned tx does not have empty scriptSigs and scriptWitnesses.",
                    ));
                }
                p.tx_version = tx.version.0 as u32;
                p.fallback_locktime = Some(tx.lock_time.to_consensus_u32());
                f.input_count = Some(tx.input.len() as u64);
                f.output_count = Some(tx.output.len() as u64);
                f.tx = Some(tx);
            }
            TX_VERSION => {
                expect_key_size("Global Transaction Version", &key, 1)?;
                p.tx_version = r.sized(|r| r.u32())?;
                f.tx_version = true;
            }
            FALLBACK_LOCKTIME => {
                expect_key_size("Global Fallback Locktime", &key, 1)?;
                p.fallback_locktime = Some(r.sized(|r| r.u32())?);
                f.fallback_locktime = true;
            }
            INPUT_COUNT => {
                expect_key_size("Global Input Count", &key, 1)?;
                f.input_count = Some(r.sized(|r| r.compact())?);
                f.input_count_field = true;
            }
            OUTPUT_COUNT => {
                expect_key_size("Global Output Count", &key, 1)?;
                f.output_count = Some(r.sized(|r| r.compact())?);
                f.output_count_field = true;
            }
            TX_MODIFIABLE => {
                expect_key_size("Global TX Modifiable Flags", &key, 1)?;
                p.tx_modifiable = Some(r.sized(|r| r.u8())?);
            }
            XPUB => {
                expect_key_size("Global XPUB", &key, 79)?;
                let xpub = Xpub(key[1..].try_into().unwrap_or([0; 78]));
                if !xpub.valid() {
                    return Err(DecodeError::stream("Invalid pubkey"));
                }
                let origin = KeyOrigin::read_prefixed(r)?;
                p.xpubs
                    .entry(origin)
                    .or_default()
                    .entry((xpub.pubkey(), xpub.chaincode()))
                    .or_insert(xpub);
            }
            VERSION => {
                expect_key_size("Global PSBT Version", &key, 1)?;
                let v = r.sized(|r| r.u32())?;
                p.version = Some(v);
                if v > HIGHEST_VERSION {
                    return Err(DecodeError::stream("Unsupported version number"));
                }
            }
            PROPRIETARY => read_proprietary(r, &key, &mut p.proprietary)?,
            _ => {
                let v = r.bytes()?;
                p.unknown.entry(key).or_insert(v);
            }
        }
    }
    if !keys.found_separator {
        return Err(DecodeError::stream(
            "Separator is missing at the end of the global map",
        ));
    }
    Ok(f)
}

fn check_version_rules(p: &Psbt, f: &Found) -> Result<()> {
    let v = p.psbt_version();
    let fail = |m: &str| Err(DecodeError::stream(m));
    if v == 0 {
        if f.tx.is_none() {
            return fail("No unsigned transaction was provided");
        }
        if f.tx_version {
            return fail("PSBT_GLOBAL_TX_VERSION is not allowed in PSBTv0");
        }
        if f.fallback_locktime {
            return fail("PSBT_GLOBAL_FALLBACK_LOCKTIME is not allowed in PSBTv0");
        }
        if f.input_count_field {
            return fail("PSBT_GLOBAL_INPUT_COUNT is not allowed in PSBTv0");
        }
        if f.output_count_field {
            return fail("PSBT_GLOBAL_OUTPUT_COUNT is not allowed in PSBTv0");
        }
        if p.tx_modifiable.is_some() {
            return fail("PSBT_GLOBAL_TX_MODIFIABLE is not allowed in PSBTv0");
        }
    }
    if v == 1 {
        return fail("There is no PSBT version 1");
    }
    if v == 2 {
        if !f.tx_version {
            return fail("PSBT_GLOBAL_TX_VERSION is required in PSBTv2");
        }
        if !f.input_count_field {
            return fail("PSBT_GLOBAL_INPUT_COUNT is required in PSBTv2");
        }
        if !f.output_count_field {
            return fail("PSBT_GLOBAL_OUTPUT_COUNT is required in PSBTv2");
        }
        if f.tx.is_some() {
            return fail("PSBT_GLOBAL_UNSIGNED_TX is not allowed in PSBTv2");
        }
    }
    if v > 2 {
        return fail("Unknown PSBT version");
    }
    Ok(())
}

/// Reads a whole PSBT (after which the caller checks for trailing bytes).
pub fn read(r: &mut Reader) -> Result<Psbt> {
    if r.array::<5>()? != MAGIC {
        return Err(DecodeError::stream("Invalid PSBT magic bytes"));
    }
    let mut p = Psbt::default();
    let mut f = read_globals(r, &mut p)?;
    check_version_rules(&p, &f)?;
    let v = p.psbt_version();
    let tx = f.tx.take();
    let input_count = f.input_count.unwrap_or(0);
    let output_count = f.output_count.unwrap_or(0);
    let mut i = 0u64;
    while !r.is_empty() && i < input_count {
        let mut input = match tx.as_ref().and_then(|t| t.input.get(i as usize)) {
            Some(txin) => Input::new(
                txin.previous_output.txid,
                txin.previous_output.vout,
                Some(txin.sequence.0),
            ),
            None => Input::default(),
        };
        input.read(r, v)?;
        if let Some(prev) = &input.non_witness_utxo {
            if prev.compute_txid() != input.prev_txid {
                return Err(DecodeError::stream(
                    "Non-witness UTXO does not match outpoint hash",
                ));
            }
            if input.prev_out as usize >= prev.output.len() {
                return Err(DecodeError::stream(
                    "Input specifies output index that does not exist",
                ));
            }
        }
        p.inputs.push(input);
        i += 1;
    }
    if p.inputs.len() as u64 != input_count {
        return Err(DecodeError::stream(
            "Inputs provided does not match the number of inputs in transaction.",
        ));
    }
    let mut i = 0u64;
    while !r.is_empty() && i < output_count {
        let mut output = match tx.as_ref().and_then(|t| t.output.get(i as usize)) {
            Some(o) => Output::new(o.value.to_sat() as i64, o.script_pubkey.to_bytes()),
            None => Output::default(),
        };
        output.read(r, v)?;
        p.outputs.push(output);
        i += 1;
    }
    if p.outputs.len() as u64 != output_count {
        return Err(DecodeError::stream(
            "Outputs provided does not match the number of outputs in transaction.",
        ));
    }
    Ok(p)
}

/// Serializes a PSBT in Core's field order.
pub fn write(p: &Psbt) -> Vec<u8> {
    let v = p.psbt_version();
    let mut out = MAGIC.to_vec();
    if v < 2 {
        if let Some(tx) = p.unsigned_tx() {
            write_pair(&mut out, UNSIGNED_TX as u8, &[], &serialize_tx(&tx, false));
        }
    }
    for (origin, xpubs) in &p.xpubs {
        for xpub in xpubs.values() {
            write_pair(&mut out, XPUB as u8, &xpub.0, &origin.to_value());
        }
    }
    if v >= 2 {
        write_pair(&mut out, TX_VERSION as u8, &[], &p.tx_version.to_le_bytes());
        if let Some(l) = p.fallback_locktime {
            write_pair(&mut out, FALLBACK_LOCKTIME as u8, &[], &l.to_le_bytes());
        }
        let mut n = Vec::new();
        write_compact(&mut n, p.inputs.len() as u64);
        write_pair(&mut out, INPUT_COUNT as u8, &[], &n);
        let mut n = Vec::new();
        write_compact(&mut n, p.outputs.len() as u64);
        write_pair(&mut out, OUTPUT_COUNT as u8, &[], &n);
        if let Some(m) = p.tx_modifiable {
            write_pair(&mut out, TX_MODIFIABLE as u8, &[], &[m]);
        }
    }
    if v > 0 {
        write_pair(&mut out, VERSION as u8, &[], &v.to_le_bytes());
    }
    write_raw_pairs(&mut out, p.proprietary.iter().map(|(k, e)| (k, &e.value)));
    write_raw_pairs(&mut out, p.unknown.iter());
    out.push(0);
    for i in &p.inputs {
        i.write(&mut out, v);
    }
    for o in &p.outputs {
        o.write(&mut out, v);
    }
    out
}
