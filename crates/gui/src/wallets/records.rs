//! The rows of bitcoin-qt's transaction list (`TransactionRecord`): a
//! wallet transaction becomes one row per payment it makes and one per
//! output it receives, each with a status from the wallet's
//! `WalletTxStatus`. Pure functions over interface values, so the screen
//! tests and the model share them.

use bitcoin::{Network, Txid};
use interfaces::wallet::{TxDestination, WalletTx, WalletTxStatus};

use super::address_of;

/// Confirmations after which bitcoin-qt calls a transaction confirmed.
pub const RECOMMENDED_CONFIRMATIONS: i32 = 6;

/// bitcoin-qt's record types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordKind {
    /// Spends mixed with someone else's inputs: one net row.
    Other,
    /// A coinbase output of ours.
    Generated,
    /// A payment to an address.
    SendToAddress,
    /// A payment to a script without an address.
    SendToOther,
    /// Received at one of our addresses.
    RecvWithAddress,
    /// Received by a script of ours without an address.
    RecvFromOther,
}

impl RecordKind {
    /// The Type column (bitcoin-qt's `formatTxType`; empty for Other).
    pub fn label(self) -> &'static str {
        match self {
            RecordKind::RecvWithAddress => "Received with",
            RecordKind::RecvFromOther => "Received from",
            RecordKind::SendToAddress | RecordKind::SendToOther => "Sent to",
            RecordKind::Generated => "Mined",
            RecordKind::Other => "",
        }
    }

    /// Whether the row shows an address the address book may label.
    pub fn has_address(self) -> bool {
        matches!(
            self,
            RecordKind::RecvWithAddress | RecordKind::SendToAddress | RecordKind::Generated
        )
    }

    /// The type filter this row falls under.
    pub fn filter(self) -> TypeFilter {
        match self {
            RecordKind::RecvWithAddress | RecordKind::RecvFromOther => TypeFilter::Received,
            RecordKind::SendToAddress | RecordKind::SendToOther => TypeFilter::Sent,
            RecordKind::Generated => TypeFilter::Mined,
            RecordKind::Other => TypeFilter::Other,
        }
    }
}

/// The Transactions tab's type filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TypeFilter {
    /// Every row.
    #[default]
    All,
    /// Received with / from.
    Received,
    /// Sent to.
    Sent,
    /// Mined.
    Mined,
    /// Other.
    Other,
}

impl TypeFilter {
    /// Every choice, in bitcoin-qt's order.
    pub const ALL: [TypeFilter; 5] = [
        TypeFilter::All,
        TypeFilter::Received,
        TypeFilter::Sent,
        TypeFilter::Mined,
        TypeFilter::Other,
    ];

    /// Its name in the combo box.
    pub fn label(self) -> &'static str {
        match self {
            TypeFilter::All => "All",
            TypeFilter::Received => "Received with",
            TypeFilter::Sent => "Sent to",
            TypeFilter::Mined => "Mined",
            TypeFilter::Other => "Other",
        }
    }
}

/// bitcoin-qt's `TransactionStatus::Status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Status {
    /// Not in a block and not abandoned.
    #[default]
    Unconfirmed,
    /// Abandoned by the user.
    Abandoned,
    /// In a block, fewer than six confirmations.
    Confirming,
    /// Six or more confirmations (or a mature coinbase).
    Confirmed,
    /// Conflicts with a transaction in the chain.
    Conflicted,
    /// A coinbase not yet spendable.
    Immature,
    /// A coinbase whose block left the chain.
    NotAccepted,
}

/// A row's status and the numbers its text needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RowStatus {
    /// The status.
    pub status: Status,
    /// Confirmations (negative when conflicted).
    pub depth: i32,
    /// Blocks until a coinbase matures.
    pub matures_in: i32,
    /// Counts for the available balance.
    pub counts_for_balance: bool,
}

impl RowStatus {
    /// The status of a row of `kind` from the wallet's status.
    pub fn new(kind: RecordKind, s: &WalletTxStatus) -> RowStatus {
        let status = if kind == RecordKind::Generated && s.blocks_to_maturity > 0 {
            if s.is_in_main_chain {
                Status::Immature
            } else {
                Status::NotAccepted
            }
        } else if kind == RecordKind::Generated {
            Status::Confirmed
        } else {
            match s.depth_in_main_chain {
                d if d < 0 => Status::Conflicted,
                0 if s.is_abandoned => Status::Abandoned,
                0 => Status::Unconfirmed,
                d if d < RECOMMENDED_CONFIRMATIONS => Status::Confirming,
                _ => Status::Confirmed,
            }
        };
        RowStatus {
            status,
            depth: s.depth_in_main_chain,
            matures_in: if status == Status::Immature {
                s.blocks_to_maturity
            } else {
                0
            },
            counts_for_balance: s.is_trusted && s.blocks_to_maturity <= 0,
        }
    }

    /// bitcoin-qt's status tooltip text.
    pub fn text(&self) -> String {
        match self.status {
            Status::Unconfirmed => "Unconfirmed".into(),
            Status::Abandoned => "Abandoned".into(),
            Status::Confirming => format!(
                "Confirming ({} of {RECOMMENDED_CONFIRMATIONS} recommended confirmations)",
                self.depth
            ),
            Status::Confirmed => format!("Confirmed ({} confirmations)", self.depth),
            Status::Conflicted => "Conflicted".into(),
            Status::Immature => format!(
                "Immature ({} confirmations, will be available after {})",
                self.depth,
                self.depth + self.matures_in
            ),
            Status::NotAccepted => "Generated but not accepted".into(),
        }
    }

    /// Whether the row counts as confirmed (the CSV's first column).
    pub fn is_confirmed(&self) -> bool {
        self.status == Status::Confirmed
    }
}

/// One row of the transaction list.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRecord {
    /// The transaction.
    pub txid: Txid,
    /// The output the row is about (0 for Other).
    pub vout: u32,
    /// When the wallet received it (seconds since 1970).
    pub time: i64,
    /// What kind of row.
    pub kind: RecordKind,
    /// The address, or for rows without one the empty string.
    pub address: String,
    /// Net amount for the wallet, satoshis (negative when paying).
    pub amount: i64,
    /// Status at the last refresh.
    pub status: RowStatus,
}

/// The rows of one wallet transaction (bitcoin-qt's `decomposeTransaction`).
pub fn decompose(wtx: &WalletTx, network: Network) -> Vec<TxRecord> {
    let txid = wtx.tx.compute_txid();
    let row = |vout: usize, kind, address: String, amount| TxRecord {
        txid,
        vout: vout as u32,
        time: wtx.time,
        kind,
        address,
        amount,
        status: RowStatus::default(),
    };
    let any_mine = !wtx.is_coinbase && wtx.txin_is_mine.iter().any(|m| *m);
    let all_mine = !wtx.is_coinbase && wtx.txin_is_mine.iter().all(|m| *m);
    if any_mine && !all_mine {
        return vec![row(
            0,
            RecordKind::Other,
            String::new(),
            wtx.credit - wtx.debit,
        )];
    }
    let value_out: i64 = wtx.tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
    // The fee goes on the first payment row, as bitcoin-qt shows it.
    let mut fee = if all_mine { wtx.debit - value_out } else { 0 };
    let mut rows = Vec::new();
    for (i, out) in wtx.tx.output.iter().enumerate() {
        let flag = |v: &Vec<bool>| v.get(i).copied().unwrap_or(false);
        let dest = wtx.txout_address.get(i).unwrap_or(&TxDestination::None);
        let value = out.value.to_sat() as i64;
        // Change of our own payment is no row at all.
        if all_mine && flag(&wtx.txout_is_change) {
            continue;
        }
        if all_mine {
            let (kind, address) = match address_of(dest, network) {
                Some(a) => (RecordKind::SendToAddress, a),
                None => (RecordKind::SendToOther, String::new()),
            };
            let paid = value + fee.max(0);
            fee = 0;
            rows.push(row(i, kind, address, -paid));
        }
        if flag(&wtx.txout_is_mine) {
            let (kind, address) =
                match (flag(&wtx.txout_address_is_mine), address_of(dest, network)) {
                    (true, Some(a)) => (RecordKind::RecvWithAddress, a),
                    _ => (RecordKind::RecvFromOther, String::new()),
                };
            let kind = if wtx.is_coinbase {
                RecordKind::Generated
            } else {
                kind
            };
            rows.push(row(i, kind, address, value));
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use bitcoin::absolute::LockTime;
    use bitcoin::transaction::Version;
    use bitcoin::{Amount, ScriptBuf, Transaction, TxIn, TxOut};

    fn p2wpkh(n: u8) -> ScriptBuf {
        use bitcoin::hashes::Hash;
        ScriptBuf::new_p2wpkh(&bitcoin::WPubkeyHash::from_byte_array([n; 20]))
    }

    fn wtx(ins_mine: &[bool], outs: &[(u64, bool, bool)], debit: i64) -> WalletTx {
        let output: Vec<TxOut> = outs
            .iter()
            .enumerate()
            .map(|(i, (v, _, _))| TxOut {
                value: Amount::from_sat(*v),
                script_pubkey: p2wpkh(i as u8 + 1),
            })
            .collect();
        let credit = outs
            .iter()
            .filter(|(_, mine, _)| *mine)
            .map(|(v, _, _)| *v as i64)
            .sum();
        WalletTx {
            tx: Transaction {
                version: Version::TWO,
                lock_time: LockTime::ZERO,
                input: ins_mine.iter().map(|_| TxIn::default()).collect(),
                output: output.clone(),
            },
            txin_is_mine: ins_mine.to_vec(),
            txout_is_mine: outs.iter().map(|o| o.1).collect(),
            txout_is_change: outs.iter().map(|o| o.2).collect(),
            txout_address: output
                .iter()
                .map(|o| TxDestination::from_script(&o.script_pubkey))
                .collect(),
            txout_address_is_mine: outs.iter().map(|o| o.1).collect(),
            credit,
            debit,
            change: 0,
            time: 1_700_000_000,
            value_map: Vec::new(),
            is_coinbase: false,
        }
    }

    #[test]
    fn a_payment_is_one_row_with_the_fee_and_no_change_row() {
        // 1 BTC in; 0.3 paid, 0.69999 change, 1000 sat fee.
        let t = wtx(
            &[true],
            &[(30_000_000, false, false), (69_999_000, true, true)],
            100_000_000,
        );
        let rows = decompose(&t, Network::Regtest);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].kind, RecordKind::SendToAddress);
        assert_eq!(rows[0].amount, -30_001_000);
        // To ourselves: a payment row and a receiving row.
        let t = wtx(&[true], &[(30_000_000, true, false)], 30_001_000);
        let rows = decompose(&t, Network::Regtest);
        assert_eq!(
            rows.iter().map(|r| (r.kind, r.amount)).collect::<Vec<_>>(),
            [
                (RecordKind::SendToAddress, -30_001_000),
                (RecordKind::RecvWithAddress, 30_000_000)
            ]
        );
    }

    #[test]
    fn receiving_gives_a_row_per_output_of_ours_and_mixed_spends_one_row() {
        let t = wtx(
            &[false],
            &[(5, true, false), (7, false, false), (9, true, false)],
            0,
        );
        let rows = decompose(&t, Network::Regtest);
        assert_eq!(
            rows.iter().map(|r| (r.vout, r.amount)).collect::<Vec<_>>(),
            [(0, 5), (2, 9)]
        );
        assert!(rows.iter().all(|r| r.kind == RecordKind::RecvWithAddress));
        let mixed = wtx(&[true, false], &[(5, true, false)], 10);
        let rows = decompose(&mixed, Network::Regtest);
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].kind, rows[0].amount), (RecordKind::Other, -5));
        let mut coinbase = wtx(&[false], &[(50, true, false)], 0);
        coinbase.is_coinbase = true;
        assert_eq!(
            decompose(&coinbase, Network::Regtest)[0].kind,
            RecordKind::Generated
        );
    }

    #[test]
    fn statuses_follow_depth_maturity_and_abandonment() {
        let s = |depth, maturity, abandoned, in_chain| WalletTxStatus {
            block_height: 1,
            blocks_to_maturity: maturity,
            depth_in_main_chain: depth,
            time_received: 0,
            lock_time: 0,
            is_trusted: true,
            is_abandoned: abandoned,
            is_coinbase: maturity > 0,
            is_in_main_chain: in_chain,
        };
        let st = |k, x| RowStatus::new(k, &x).status;
        let r = RecordKind::RecvWithAddress;
        assert_eq!(st(r, s(0, 0, false, false)), Status::Unconfirmed);
        assert_eq!(st(r, s(0, 0, true, false)), Status::Abandoned);
        assert_eq!(st(r, s(3, 0, false, true)), Status::Confirming);
        assert_eq!(st(r, s(6, 0, false, true)), Status::Confirmed);
        assert_eq!(st(r, s(-1, 0, false, false)), Status::Conflicted);
        let g = RecordKind::Generated;
        let immature = RowStatus::new(g, &s(1, 100, false, true));
        assert_eq!(immature.status, Status::Immature);
        assert_eq!(
            immature.text(),
            "Immature (1 confirmations, will be available after 101)"
        );
        assert!(!immature.counts_for_balance);
        assert_eq!(st(g, s(0, 100, false, false)), Status::NotAccepted);
        assert_eq!(st(g, s(101, 0, false, true)), Status::Confirmed);
    }
}
