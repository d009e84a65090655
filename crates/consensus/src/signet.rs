//! BIP325 signet block solutions (Core's `signet.cpp`): the solution is a
//! push in the witness commitment output starting with the signet header;
//! it must satisfy the chain's challenge script in a virtual transaction
//! committing to the block.

use bitcoin::hashes::Hash;
use bitcoin::script::Instruction;
use bitcoin::{
    absolute, transaction, Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Witness,
};

use crate::flags::{
    SCRIPT_VERIFY_DERSIG, SCRIPT_VERIFY_NULLDUMMY, SCRIPT_VERIFY_P2SH, SCRIPT_VERIFY_WITNESS,
};
use crate::merkle::{compute_merkle_root, witness_commitment_index};
use crate::params::Params;
use crate::script::ScriptVerifier;

/// The 4-byte header marking the signet solution inside a commitment push.
pub const SIGNET_HEADER: [u8; 4] = [0xec, 0xc7, 0xda, 0xa2];

/// Flags the signet solution is verified with.
pub const SIGNET_SCRIPT_VERIFY_FLAGS: u32 =
    SCRIPT_VERIFY_P2SH | SCRIPT_VERIFY_WITNESS | SCRIPT_VERIFY_DERSIG | SCRIPT_VERIFY_NULLDUMMY;

fn push_data(out: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n < 0x4c {
        out.push(n as u8);
    } else if n <= 0xff {
        out.extend([0x4c, n as u8]);
    } else if n <= 0xffff {
        out.push(0x4d);
        out.extend((n as u16).to_le_bytes());
    } else {
        out.push(0x4e);
        out.extend((n as u32).to_le_bytes());
    }
    out.extend_from_slice(data);
}

/// Finds the first push starting with `header` (and longer than it),
/// returns the bytes after the header and the script with them removed.
fn fetch_and_clear(header: &[u8], script: &ScriptBuf) -> Option<(Vec<u8>, ScriptBuf)> {
    let mut replacement = Vec::new();
    let mut found: Option<Vec<u8>> = None;
    for ins in script.instructions() {
        let Ok(ins) = ins else { break };
        match ins {
            Instruction::PushBytes(b) if !b.is_empty() => {
                let data = b.as_bytes();
                if found.is_none() && data.len() > header.len() && data.starts_with(header) {
                    found = Some(data[header.len()..].to_vec());
                    push_data(&mut replacement, header);
                } else {
                    push_data(&mut replacement, data);
                }
            }
            Instruction::PushBytes(_) => replacement.push(0x00),
            Instruction::Op(op) => replacement.push(op.to_u8()),
        }
    }
    found.map(|f| (f, ScriptBuf::from_bytes(replacement)))
}

/// The virtual "to_spend" and "to_sign" transactions of a signet block
/// (Core's `SignetTxs::Create`); `None` if the block has no coinbase or
/// witness commitment, or the solution does not parse.
pub fn signet_txs(block: &Block, challenge: &[u8]) -> Option<(Transaction, Transaction)> {
    let mut cb = block.txdata.first()?.clone();
    let idx = witness_commitment_index(block)?;
    let mut script_sig = ScriptBuf::new();
    let mut witness = Witness::new();
    if let Some((solution, cleared)) =
        fetch_and_clear(&SIGNET_HEADER, &cb.output[idx].script_pubkey)
    {
        cb.output[idx].script_pubkey = cleared;
        let mut cursor = &solution[..];
        script_sig = bitcoin::consensus::Decodable::consensus_decode(&mut cursor).ok()?;
        witness = bitcoin::consensus::Decodable::consensus_decode(&mut cursor).ok()?;
        if !cursor.is_empty() {
            return None;
        }
    }
    let mut leaves = vec![cb.compute_txid().to_byte_array()];
    leaves.extend(
        block
            .txdata
            .iter()
            .skip(1)
            .map(|t| t.compute_txid().to_byte_array()),
    );
    let merkle = compute_merkle_root(leaves).0;

    let mut block_data = Vec::with_capacity(72);
    block_data.extend(block.header.version.to_consensus().to_le_bytes());
    block_data.extend(block.header.prev_blockhash.to_byte_array());
    block_data.extend(merkle);
    block_data.extend(block.header.time.to_le_bytes());
    let mut spend_sig = vec![0x00];
    push_data(&mut spend_sig, &block_data);

    let to_spend = Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(spend_sig),
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(challenge.to_vec()),
        }],
    };
    let to_sign = Transaction {
        version: transaction::Version(0),
        lock_time: absolute::LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::new(to_spend.compute_txid(), 0),
            script_sig,
            sequence: Sequence(0),
            witness,
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a]),
        }],
    };
    Some((to_spend, to_sign))
}

/// Whether the block carries a valid signet solution for the chain's
/// challenge (Core's `CheckSignetBlockSolution`; the genesis block always
/// passes). On failure the caller rejects the block with
/// "bad-signet-blksig" / "signet block signature validation failure".
pub fn check_signet_block_solution(
    block: &Block,
    params: &Params,
    verifier: &dyn ScriptVerifier,
) -> bool {
    if block.block_hash() == params.genesis_hash {
        return true;
    }
    let Some((to_spend, to_sign)) = signet_txs(block, &params.signet_challenge) else {
        return false;
    };
    let spent = &to_spend.output[0];
    let bytes = bitcoin::consensus::serialize(&to_sign);
    verifier
        .verify_input(
            spent,
            &bytes,
            0,
            SIGNET_SCRIPT_VERIFY_FLAGS,
            std::slice::from_ref(spent),
        )
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::generate_coinbase_commitment;
    use crate::script::ConsensusScriptVerifier;

    fn block_with_commitment() -> Block {
        let mut b = bitcoin::blockdata::constants::genesis_block(bitcoin::Network::Signet);
        b.header.time += 1;
        generate_coinbase_commitment(&mut b, true);
        b
    }

    #[test]
    fn op_true_challenge_needs_no_solution() {
        let mut p = Params::signet(Some(vec![0x51]));
        let b = block_with_commitment();
        assert!(check_signet_block_solution(
            &b,
            &p,
            &ConsensusScriptVerifier
        ));
        // Without a witness commitment there is nothing to check: invalid.
        let mut nb = b.clone();
        nb.txdata[0].output.truncate(1);
        assert!(!check_signet_block_solution(
            &nb,
            &p,
            &ConsensusScriptVerifier
        ));
        // Genesis always passes.
        assert!(check_signet_block_solution(
            &p.genesis.clone(),
            &p,
            &ConsensusScriptVerifier
        ));
        // OP_FALSE challenge fails.
        p.signet_challenge = vec![0x00];
        assert!(!check_signet_block_solution(
            &b,
            &p,
            &ConsensusScriptVerifier
        ));
    }

    #[test]
    fn solution_is_extracted_and_cleared() {
        let mut b = block_with_commitment();
        // Append a solution push: empty scriptSig, witness with one item [0x01].
        let mut solution = SIGNET_HEADER.to_vec();
        solution.extend([0x00, 0x01, 0x01, 0x01]);
        let mut spk = b.txdata[0].output[1].script_pubkey.to_bytes();
        push_data(&mut spk, &solution);
        b.txdata[0].output[1].script_pubkey = ScriptBuf::from_bytes(spk);
        let (to_spend, to_sign) = signet_txs(&b, &[0x51]).unwrap();
        assert_eq!(to_sign.input[0].witness.len(), 1);
        assert!(to_sign.input[0].script_sig.is_empty());
        assert_eq!(to_spend.input[0].script_sig.len(), 2 + 72);
        // Extraneous bytes make it unparsable.
        let mut spk = b.txdata[0].output[1].script_pubkey.to_bytes();
        spk.truncate(38);
        let mut bad = SIGNET_HEADER.to_vec();
        bad.extend([0x00, 0x00, 0x07]);
        push_data(&mut spk, &bad);
        b.txdata[0].output[1].script_pubkey = ScriptBuf::from_bytes(spk);
        assert!(signet_txs(&b, &[0x51]).is_none());
    }
}
