//! The ledger against hand-built chains: receiving, spending, conflicts,
//! reorgs, mempool events, abandonment and the balances they give.

use super::balance::{amounts, balance, credit, debit};
use super::*;
use bitcoin::absolute::LockTime;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{
    Amount, Block, BlockHash, OutPoint, Script, ScriptBuf, Sequence, Transaction, TxIn, TxOut,
    Txid, Witness,
};
use std::cell::RefCell;
use std::collections::BTreeSet;

struct Env {
    mine: BTreeSet<ScriptBuf>,
    mempool: RefCell<BTreeSet<Txid>>,
    now: i64,
}

impl LedgerEnv for Env {
    fn is_mine(&self, script: &Script) -> bool {
        self.mine.contains(script)
    }
    fn block_times(&self, hash: &BlockHash) -> Option<(i64, i64)> {
        // Block "times" derived from the hash's first byte.
        let t = 1_000_000 + i64::from(hash.to_byte_array()[0]) * 600;
        Some((t, t))
    }
    fn in_mempool(&self, txid: &Txid) -> bool {
        self.mempool.borrow().contains(txid)
    }
    fn now(&self) -> i64 {
        self.now
    }
}

fn script(n: u8) -> ScriptBuf {
    ScriptBuf::from_bytes(vec![0x51, n])
}

fn env() -> Env {
    Env {
        mine: [script(1), script(2)].into_iter().collect(),
        mempool: RefCell::new(BTreeSet::new()),
        now: 2_000_000,
    }
}

fn coinbase(height: u8, to: ScriptBuf, sats: u64) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(vec![1, height]),
            sequence: Sequence::MAX,
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::from_sat(sats),
            script_pubkey: to,
        }],
    }
}

fn spend(from: &[OutPoint], to: &[(ScriptBuf, u64)]) -> Transaction {
    Transaction {
        version: Version::TWO,
        lock_time: LockTime::ZERO,
        input: from
            .iter()
            .map(|p| TxIn {
                previous_output: *p,
                script_sig: ScriptBuf::new(),
                sequence: Sequence::MAX,
                witness: Witness::new(),
            })
            .collect(),
        output: to
            .iter()
            .map(|(s, v)| TxOut {
                value: Amount::from_sat(*v),
                script_pubkey: s.clone(),
            })
            .collect(),
    }
}

fn block(txs: Vec<Transaction>) -> Block {
    Block {
        header: bitcoin::block::Header {
            version: bitcoin::block::Version::TWO,
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: bitcoin::TxMerkleNode::all_zeros(),
            time: 0,
            bits: bitcoin::CompactTarget::from_consensus(0),
            nonce: 0,
        },
        txdata: txs,
    }
}

fn hash(n: u8) -> BlockHash {
    BlockHash::from_byte_array([n; 32])
}

/// A ledger that has seen blocks 1..=n of filler, with the birth time
/// early enough that every block is scanned.
fn ledger_at(n: i32) -> Ledger {
    let mut l = Ledger::new("w");
    l.maybe_update_birth_time(1);
    l.set_last_block(hash(n as u8), n);
    l
}

fn connect(l: &mut Ledger, env: &Env, height: i32, txs: Vec<Transaction>) {
    l.block_connected(&block(txs), hash(height as u8), height, 1_500_000, env);
}

#[test]
fn a_received_coinbase_matures_after_100_blocks() {
    let env = env();
    let mut l = ledger_at(0);
    let cb = coinbase(1, script(1), 50_0000_0000);
    connect(&mut l, &env, 1, vec![cb.clone()]);
    let e = l.get(&cb.compute_txid()).unwrap();
    assert_eq!(l.depth(e), 1);
    assert!(l.is_immature_coinbase(e));
    assert_eq!(credit(&l, e), 0);
    let b = balance(&l, 0, None, false, true);
    assert_eq!((b.trusted, b.immature), (0, 50_0000_0000));
    for h in 2..=100 {
        connect(&mut l, &env, h, vec![]);
    }
    let e = l.get(&cb.compute_txid()).unwrap();
    assert_eq!(l.depth(e), 100);
    assert!(l.is_immature_coinbase(e));
    connect(&mut l, &env, 101, vec![]);
    let e = l.get(&cb.compute_txid()).unwrap();
    assert!(!l.is_immature_coinbase(e));
    let b = balance(&l, 0, None, false, true);
    assert_eq!((b.trusted, b.immature), (50_0000_0000, 0));
    // Foreign transactions are not added.
    connect(&mut l, &env, 102, vec![coinbase(102, script(9), 1)]);
    assert_eq!(l.len(), 1);
    let p = l.take_pending();
    assert!(p.write.contains(&cb.compute_txid()));
    assert!(p.best_block);
}

#[test]
fn own_unconfirmed_change_is_trusted_but_foreign_payments_are_pending() {
    let env = env();
    let mut l = ledger_at(0);
    let funding = spend(
        &[OutPoint::new(Txid::all_zeros(), 7)],
        &[(script(1), 100_000)],
    );
    connect(&mut l, &env, 1, vec![funding.clone()]);
    // We pay 30k out, 69k change back to us, 1k fee.
    let pay = spend(
        &[OutPoint::new(funding.compute_txid(), 0)],
        &[(script(9), 30_000), (script(2), 69_000)],
    );
    env.mempool.borrow_mut().insert(pay.compute_txid());
    l.transaction_added_to_mempool(&pay, &env);
    // A stranger pays us unconfirmed.
    let gift = spend(
        &[OutPoint::new(Txid::all_zeros(), 9)],
        &[(script(1), 5_000)],
    );
    env.mempool.borrow_mut().insert(gift.compute_txid());
    l.transaction_added_to_mempool(&gift, &env);

    let b = balance(&l, 0, None, false, true);
    assert_eq!(b.trusted, 69_000, "own change counts");
    assert_eq!(b.untrusted_pending, 5_000);
    // Without -spendzeroconfchange the change waits too.
    let b = balance(&l, 0, None, false, false);
    assert_eq!((b.trusted, b.untrusted_pending), (0, 74_000));
    // min_depth 1 leaves unconfirmed change out.
    assert_eq!(balance(&l, 1, None, false, true).trusted, 0);

    let e = l.get(&pay.compute_txid()).unwrap();
    assert_eq!(debit(&l, e.tx()), 100_000);
    let is_change = |s: &Script| s == script(2).as_script();
    let a = amounts(&l, e, &is_change, false);
    assert_eq!(a.fee, 1_000);
    assert_eq!(a.sent.len(), 1);
    assert_eq!(a.sent[0].amount, 30_000);
    // Change is left out of both lists, as Core does.
    assert!(a.received.is_empty());
    let a = amounts(&l, e, &is_change, true);
    assert_eq!(a.sent.len(), 2);
    assert_eq!(a.received.len(), 1);
    assert_eq!(a.received[0].amount, 69_000);
    assert!(l.is_spent(&OutPoint::new(funding.compute_txid(), 0)));
}

#[test]
fn a_block_spending_our_inputs_conflicts_our_transaction_until_it_is_disconnected() {
    let env = env();
    let mut l = ledger_at(0);
    let funding = spend(
        &[OutPoint::new(Txid::all_zeros(), 1)],
        &[(script(1), 100_000)],
    );
    connect(&mut l, &env, 1, vec![funding.clone()]);
    let coin = OutPoint::new(funding.compute_txid(), 0);
    let ours = spend(&[coin], &[(script(2), 90_000)]);
    l.transaction_added_to_mempool(&ours, &env);
    let child = spend(
        &[OutPoint::new(ours.compute_txid(), 0)],
        &[(script(1), 80_000)],
    );
    l.transaction_added_to_mempool(&child, &env);
    // A double spend of the same coin (say, a fee bump elsewhere) is mined.
    let other = spend(&[coin], &[(script(9), 95_000)]);
    connect(&mut l, &env, 2, vec![other.clone()]);
    for t in [&ours, &child] {
        let e = l.get(&t.compute_txid()).unwrap();
        assert!(e.state.is_block_conflicted(), "{:?}", e.state);
        assert_eq!(l.depth(e), -1);
    }
    // The conflicting transaction spends our coin: it is in the wallet as ours-from-me.
    assert!(l.get(&other.compute_txid()).is_some());
    assert_eq!(l.conflicts(&ours.compute_txid()).len(), 2);
    connect(&mut l, &env, 3, vec![]);
    assert_eq!(l.depth(l.get(&ours.compute_txid()).unwrap()), -2);
    // Disconnecting the conflicting block makes ours unconfirmed again.
    l.block_disconnected(&block(vec![]), 3, hash(2), &env);
    l.block_disconnected(&block(vec![other.clone()]), 2, hash(1), &env);
    for t in [&ours, &child] {
        let e = l.get(&t.compute_txid()).unwrap();
        assert_eq!(e.state, TxState::Inactive { abandoned: false });
    }
    assert_eq!(l.last_height(), 1);
}

#[test]
fn abandoning_frees_the_inputs_and_reaches_descendants() {
    let env = env();
    let mut l = ledger_at(0);
    let funding = spend(
        &[OutPoint::new(Txid::all_zeros(), 1)],
        &[(script(1), 100_000)],
    );
    connect(&mut l, &env, 1, vec![funding.clone()]);
    let coin = OutPoint::new(funding.compute_txid(), 0);
    let ours = spend(&[coin], &[(script(2), 90_000)]);
    env.mempool.borrow_mut().insert(ours.compute_txid());
    l.transaction_added_to_mempool(&ours, &env);
    // In the mempool: cannot be abandoned.
    assert!(!l.can_abandon(&ours.compute_txid()));
    assert!(!l.abandon(&ours.compute_txid()));
    // Evicted: now it can.
    env.mempool.borrow_mut().clear();
    l.transaction_removed_from_mempool(&ours, false, &env);
    let child = spend(
        &[OutPoint::new(ours.compute_txid(), 0)],
        &[(script(1), 80_000)],
    );
    l.add(
        child.clone(),
        TxState::Inactive { abandoned: false },
        false,
        &env,
        None,
    );
    assert!(l.is_spent(&coin));
    assert_eq!(balance(&l, 0, None, false, true).trusted, 0);
    l.take_pending();
    assert!(l.abandon(&ours.compute_txid()));
    for t in [&ours, &child] {
        assert!(l.get(&t.compute_txid()).unwrap().state.is_abandoned());
    }
    assert!(!l.is_spent(&coin));
    assert_eq!(balance(&l, 0, None, false, true).trusted, 100_000);
    let p = l.take_pending();
    assert!(p.write.contains(&ours.compute_txid()) && p.write.contains(&child.compute_txid()));
    // Confirmation later overrides the abandoned state.
    connect(&mut l, &env, 2, vec![ours.clone()]);
    assert!(l.get(&ours.compute_txid()).unwrap().state.is_confirmed());
}

#[test]
fn a_disconnected_coinbase_and_its_spends_are_abandoned() {
    let env = env();
    let mut l = ledger_at(0);
    let cb = coinbase(1, script(1), 50_0000_0000);
    connect(&mut l, &env, 1, vec![cb.clone()]);
    let spend_cb = spend(
        &[OutPoint::new(cb.compute_txid(), 0)],
        &[(script(2), 1_000)],
    );
    l.add(
        spend_cb.clone(),
        TxState::Inactive { abandoned: false },
        false,
        &env,
        None,
    );
    l.block_disconnected(&block(vec![cb.clone()]), 1, hash(0), &env);
    assert!(l.get(&cb.compute_txid()).unwrap().state.is_abandoned());
    assert!(l
        .get(&spend_cb.compute_txid())
        .unwrap()
        .state
        .is_abandoned());
    assert_eq!(balance(&l, 0, None, false, true), Balance::default());
}

#[test]
fn mempool_conflicts_come_and_go_with_the_replacement() {
    let env = env();
    let mut l = ledger_at(0);
    let funding = spend(
        &[OutPoint::new(Txid::all_zeros(), 1)],
        &[(script(1), 100_000)],
    );
    connect(&mut l, &env, 1, vec![funding.clone()]);
    let coin = OutPoint::new(funding.compute_txid(), 0);
    let a = spend(&[coin], &[(script(2), 90_000)]);
    l.transaction_added_to_mempool(&a, &env);
    let b = spend(&[coin], &[(script(2), 80_000)]);
    l.transaction_added_to_mempool(&b, &env);
    let ea = l.get(&a.compute_txid()).unwrap();
    assert_eq!(ea.mempool_conflicts, BTreeSet::from([b.compute_txid()]));
    assert!(!ea.is_unconfirmed());
    l.transaction_removed_from_mempool(&b, false, &env);
    assert!(l
        .get(&a.compute_txid())
        .unwrap()
        .mempool_conflicts
        .is_empty());
}

#[test]
fn order_positions_and_smart_times_follow_arrival() {
    let mut env = env();
    let mut l = ledger_at(0);
    let t1 = spend(&[OutPoint::new(Txid::all_zeros(), 1)], &[(script(1), 1)]);
    let t2 = spend(&[OutPoint::new(Txid::all_zeros(), 2)], &[(script(1), 2)]);
    l.add(t1.clone(), TxState::InMempool, false, &env, None);
    env.now += 10;
    connect(&mut l, &env, 1, vec![t2.clone()]);
    let e1 = l.get(&t1.compute_txid()).unwrap();
    let e2 = l.get(&t2.compute_txid()).unwrap();
    assert_eq!(
        (e1.record.order_pos, e2.record.order_pos),
        (Some(0), Some(1))
    );
    assert_eq!(l.order_pos_next(), 2);
    assert_eq!(e1.record.time_received, 2_000_000);
    // Block time 1_000_600 is earlier than the listed transaction: the
    // smart time keeps the list in order.
    assert_eq!(e2.record.time_smart, 2_000_000);
    let order: Vec<Txid> = l.ordered().map(|e| e.tx().compute_txid()).collect();
    assert_eq!(order, vec![t1.compute_txid(), t2.compute_txid()]);
}

#[test]
fn blocks_before_the_birth_time_are_skipped() {
    let env = env();
    let mut l = Ledger::new("blank");
    let cb = coinbase(1, script(1), 1);
    connect(&mut l, &env, 1, vec![cb]);
    assert!(l.is_empty());
    assert_eq!(l.last_height(), 1);
}

#[test]
fn a_removed_transaction_takes_its_outputs_and_spends_but_not_a_rival_spend() {
    let env = env();
    let mut l = ledger_at(0);
    let funding = spend(
        &[OutPoint::new(Txid::all_zeros(), 3)],
        &[(script(1), 100_000)],
    );
    connect(&mut l, &env, 1, vec![funding.clone()]);
    let coin = OutPoint::new(funding.compute_txid(), 0);
    // Two wallet transactions spend the same coin (a replacement).
    let first = spend(&[coin], &[(script(2), 90_000)]);
    let second = spend(&[coin], &[(script(2), 80_000)]);
    l.add(
        first.clone(),
        TxState::Inactive { abandoned: false },
        false,
        &env,
        None,
    );
    l.add(second.clone(), TxState::InMempool, false, &env, None);
    l.take_pending();
    assert!(l
        .txos()
        .contains_key(&OutPoint::new(first.compute_txid(), 0)));

    assert!(l.remove(&first.compute_txid()));
    assert!(!l.remove(&first.compute_txid()), "already gone");
    assert!(l.get(&first.compute_txid()).is_none());
    assert!(!l
        .txos()
        .contains_key(&OutPoint::new(first.compute_txid(), 0)));
    assert_eq!(l.spenders(&coin), &[second.compute_txid()]);
    assert!(l.is_spent(&coin), "the rival still spends it");
    let order: Vec<Txid> = l.ordered().map(|e| e.txid).collect();
    assert_eq!(order, vec![funding.compute_txid(), second.compute_txid()]);
    assert!(l.take_pending().write.is_empty());

    assert!(l.remove(&second.compute_txid()));
    assert!(l.spenders(&coin).is_empty());
    assert!(!l.is_spent(&coin));
    assert_eq!(balance(&l, 0, None, false, true).trusted, 100_000);
}
