//! Adding inputs and outputs to a PSBT, and `joinpsbts`' merge of distinct
//! v0 PSBTs into one.

use crate::fields::merge_map;
use crate::{Input, Output, Psbt};
use bitcoin::Txid;

/// Why a join failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinError {
    /// Some PSBT is not version 0.
    NotVersion0,
    /// This input appears in more than one PSBT.
    DuplicateInput(Txid, u32),
}

impl Psbt {
    /// Appends `input` unless the outpoint is already spent here or the PSBT
    /// forbids it (Core's `AddInput`). A v0 input loses its signatures.
    pub fn add_input(&mut self, input: &Input) -> bool {
        if self
            .inputs
            .iter()
            .any(|i| i.prev_txid == input.prev_txid && i.prev_out == input.prev_out)
        {
            return false;
        }
        if self.psbt_version() < 2 {
            let mut i = input.clone();
            i.partial_sigs.clear();
            i.final_script_sig.clear();
            i.final_script_witness.clear();
            self.inputs.push(i);
            return true;
        }
        if self.tx_modifiable.unwrap_or(0) & 1 == 0 {
            return false;
        }
        if (input.time_locktime.is_some() || input.height_locktime.is_some())
            && !self.locktime_stays_compatible(input)
        {
            return false;
        }
        self.inputs.push(input.clone());
        true
    }

    /// Whether adding `input` keeps a satisfiable locktime that signed
    /// inputs already committed to.
    fn locktime_stays_compatible(&self, input: &Input) -> bool {
        let Some(old) = self.compute_locktime() else {
            return false;
        };
        let mut time_lock = input.time_locktime;
        let mut height_lock = input.height_locktime;
        let mut has_sigs = false;
        for i in &self.inputs {
            match (i.time_locktime, i.height_locktime) {
                (Some(_), None) => {
                    height_lock = None;
                    if time_lock.is_none() {
                        return false;
                    }
                }
                (None, Some(_)) => {
                    time_lock = None;
                    if height_lock.is_none() {
                        return false;
                    }
                }
                _ => {}
            }
            if let (Some(t), Some(cur)) = (i.time_locktime, time_lock) {
                time_lock = Some(cur.max(t));
            }
            if let (Some(h), Some(cur)) = (i.height_locktime, height_lock) {
                height_lock = Some(cur.max(h));
            }
            has_sigs |= i.has_signatures();
        }
        let new = match (height_lock.filter(|h| *h > 0), time_lock.filter(|t| *t > 0)) {
            (Some(h), _) => h,
            (None, Some(t)) => t,
            _ => self.fallback_locktime.unwrap_or(0),
        };
        !(has_sigs && old != new)
    }

    /// Appends `output` unless the PSBT forbids it (Core's `AddOutput`).
    pub fn add_output(&mut self, output: &Output) -> bool {
        if self.psbt_version() >= 2 && self.tx_modifiable.unwrap_or(0) & 2 == 0 {
            return false;
        }
        self.outputs.push(output.clone());
        true
    }
}

/// Joins distinct v0 PSBTs: the highest tx version, the lowest locktime, all
/// inputs and outputs (in order; the caller shuffles), xpubs and unknowns.
pub fn join(psbts: &[Psbt]) -> Result<Psbt, JoinError> {
    if psbts.iter().any(|p| p.psbt_version() != 0) {
        return Err(JoinError::NotVersion0);
    }
    let version = psbts.iter().map(|p| p.tx_version).fold(1, u32::max);
    let locktime = psbts
        .iter()
        .map(|p| p.fallback_locktime.unwrap_or(0))
        .fold(u32::MAX, u32::min);
    let mut out = Psbt {
        version: Some(0),
        tx_version: version,
        fallback_locktime: Some(locktime),
        ..Default::default()
    };
    for p in psbts {
        for i in &p.inputs {
            if !out.add_input(i) {
                return Err(JoinError::DuplicateInput(i.prev_txid, i.prev_out));
            }
        }
        for o in &p.outputs {
            out.add_output(o);
        }
        for (origin, xpubs) in &p.xpubs {
            merge_map(out.xpubs.entry(origin.clone()).or_default(), xpubs);
        }
        merge_map(&mut out.unknown, &p.unknown);
    }
    Ok(out)
}

/// Reorders inputs and outputs by the given permutations; xpubs are dropped
/// as Core's shuffled copy does not carry them.
pub fn reorder(p: &Psbt, input_order: &[usize], output_order: &[usize]) -> Psbt {
    let mut out = Psbt {
        version: p.version,
        tx_version: p.tx_version,
        fallback_locktime: p.fallback_locktime,
        unknown: p.unknown.clone(),
        ..Default::default()
    };
    for &i in input_order {
        if let Some(input) = p.inputs.get(i) {
            out.add_input(input);
        }
    }
    for &i in output_order {
        if let Some(o) = p.outputs.get(i) {
            out.add_output(o);
        }
    }
    out
}
