//! Spending from a wallet (Core's `CreateTransaction` around its state,
//! `CommitTransaction`, `SubmitTxMemoryPoolAndRelay`): the wallet's coins
//! as spend candidates, the node and descriptors behind [`SpendEnv`],
//! signing, and making a new transaction durable before it is broadcast.

use super::{key_access, State, Wallet, Writes};
use crate::coinselection::{FeeRate, OutputType as CoinType};
use crate::keys::{KeyAccess, OutputType};
use crate::ledger::{balance, TxState};
use crate::spend::{
    self, CandidateOutput, ChainTip, CoinControl, CreatedTransaction, EnvError, FeeEnv,
    FeeEstimate, FeeReason, InputSatisfaction, Recipient, SpendEnv, SpendWallet, WalletFeeConfig,
};
use bitcoin::{OutPoint, Script, ScriptBuf, Transaction, Txid};
use interfaces::chain::{Chain, FoundBlockParam, TxBroadcast};
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// Comments and order-form entries stored with a sent transaction.
#[derive(Debug, Clone, Default)]
pub struct SentInfo {
    /// `comment`.
    pub comment: Option<String>,
    /// `to`.
    pub comment_to: Option<String>,
    /// The transaction this one replaces (fee bump).
    pub replaces: Option<Txid>,
    /// BIP21 messages.
    pub messages: Vec<String>,
}

fn env_err(e: interfaces::Error) -> EnvError {
    EnvError(e.to_string())
}

fn fee_rate(f: interfaces::FeeRate) -> FeeRate {
    FeeRate::from(f)
}

fn interface_rate(f: FeeRate) -> interfaces::FeeRate {
    interfaces::FeeRate {
        fee: f.sat_per_kvb(),
        size: 1000,
    }
}

/// The node's fee facts.
pub struct NodeFees<'a>(pub &'a dyn Chain);

impl FeeEnv for NodeFees<'_> {
    fn estimate_smart_fee(
        &self,
        target: u32,
        conservative: bool,
    ) -> Result<Option<FeeEstimate>, EnvError> {
        // Core passes the target as an `int`: huge values wrap there too.
        let target_i = target as i32;
        let answer = self
            .0
            .estimate_smart_fee(target_i, conservative, true)
            .map_err(env_err)?;
        let rate = fee_rate(answer.fee_rate);
        // A zero rate (no estimate) still carries the estimator's target.
        let (returned, reason) = answer.calc.map_or((target, FeeReason::None), |c| {
            (
                u32::try_from(c.returned_target).unwrap_or(target),
                FeeReason::from_i32(c.reason),
            )
        });
        Ok(Some(FeeEstimate {
            fee_rate: rate,
            returned_target: returned,
            reason,
        }))
    }
    fn estimate_max_blocks(&self) -> Result<u32, EnvError> {
        self.0.estimate_max_blocks().map_err(env_err)
    }
    fn mempool_min_fee(&self) -> Result<FeeRate, EnvError> {
        self.0.mempool_min_fee().map(fee_rate).map_err(env_err)
    }
    fn relay_min_fee(&self) -> Result<FeeRate, EnvError> {
        self.0.relay_min_fee().map(fee_rate).map_err(env_err)
    }
    fn relay_dust_fee(&self) -> Result<FeeRate, EnvError> {
        self.0.relay_dust_fee().map(fee_rate).map_err(env_err)
    }
}

/// The wallet and the node as transaction creation sees them, over the
/// locked state (change addresses are reserved from it).
pub struct WalletSpendEnv<'a> {
    wallet: &'a Wallet,
    state: RefCell<&'a mut State>,
    /// Change scripts handed out and not yet kept or returned, by
    /// (manager, index).
    reserved: RefCell<Vec<(ScriptBuf, crate::keys::DescriptorId, i32)>>,
    /// Descriptor records the reservations changed.
    pub writes: RefCell<Writes>,
}

impl<'a> WalletSpendEnv<'a> {
    /// The environment over `state`.
    pub fn new(wallet: &'a Wallet, state: &'a mut State) -> Self {
        WalletSpendEnv {
            wallet,
            state: RefCell::new(state),
            reserved: RefCell::new(Vec::new()),
            writes: RefCell::new(Writes::default()),
        }
    }
}

fn keys_type(t: CoinType) -> Option<OutputType> {
    match t {
        CoinType::Legacy => Some(OutputType::Legacy),
        CoinType::P2shSegwit => Some(OutputType::P2shSegwit),
        CoinType::Bech32 => Some(OutputType::Bech32),
        CoinType::Bech32m => Some(OutputType::Bech32m),
        CoinType::Unknown => None,
    }
}

impl FeeEnv for WalletSpendEnv<'_> {
    fn estimate_smart_fee(&self, t: u32, c: bool) -> Result<Option<FeeEstimate>, EnvError> {
        NodeFees(&*self.wallet.chain).estimate_smart_fee(t, c)
    }
    fn estimate_max_blocks(&self) -> Result<u32, EnvError> {
        NodeFees(&*self.wallet.chain).estimate_max_blocks()
    }
    fn mempool_min_fee(&self) -> Result<FeeRate, EnvError> {
        NodeFees(&*self.wallet.chain).mempool_min_fee()
    }
    fn relay_min_fee(&self) -> Result<FeeRate, EnvError> {
        NodeFees(&*self.wallet.chain).relay_min_fee()
    }
    fn relay_dust_fee(&self) -> Result<FeeRate, EnvError> {
        NodeFees(&*self.wallet.chain).relay_dust_fee()
    }
}

impl SpendEnv for WalletSpendEnv<'_> {
    fn tip(&self) -> Result<ChainTip, EnvError> {
        let chain = &self.wallet.chain;
        let (hash, height) = self
            .state
            .borrow()
            .ledger
            .last_block()
            .ok_or_else(|| EnvError("the wallet has not seen a block".into()))?;
        let want = FoundBlockParam {
            want_time: true,
            ..Default::default()
        };
        let block_time = match chain.find_block(&hash, &want) {
            Ok((f, true)) => Some(f.time),
            _ => None,
        };
        Ok(ChainTip {
            height: u32::try_from(height).unwrap_or(0),
            hash,
            block_time,
            in_initial_block_download: chain.is_initial_block_download().map_err(env_err)?,
            now: common::time::now_secs(),
        })
    }
    fn package_limits(&self) -> Result<(u32, u32), EnvError> {
        let l = self.wallet.chain.get_package_limits().map_err(env_err)?;
        Ok((l.ancestors, l.descendants))
    }
    fn individual_bump_fees(
        &self,
        outpoints: &[OutPoint],
        feerate: FeeRate,
    ) -> Result<BTreeMap<OutPoint, i64>, EnvError> {
        let f = interface_rate(feerate);
        Ok(self
            .wallet
            .chain
            .calculate_individual_bump_fees(outpoints, &f)
            .map_err(env_err)?
            .into_iter()
            .collect())
    }
    fn combined_bump_fee(
        &self,
        outpoints: &[OutPoint],
        feerate: FeeRate,
    ) -> Result<Option<i64>, EnvError> {
        let f = interface_rate(feerate);
        self.wallet
            .chain
            .calculate_combined_bump_fee(outpoints, &f)
            .map_err(env_err)
    }
    fn check_chain_limits(&self, tx: &Transaction) -> Result<(), EnvError> {
        match self.wallet.chain.check_chain_limits(tx).map_err(env_err)? {
            interfaces::Outcome::Ok(()) => Ok(()),
            interfaces::Outcome::Err(e) => Err(EnvError(e.original)),
        }
    }
    fn has_change_descriptor(&self, output_type: CoinType) -> bool {
        keys_type(output_type).is_some_and(|t| self.state.borrow().keys.active(t, true).is_some())
    }
    fn reserve_change_script(&self, output_type: CoinType) -> Result<ScriptBuf, String> {
        let t = keys_type(output_type).ok_or("Unknown change type")?;
        let mut state = self.state.borrow_mut();
        let State {
            keys,
            master_key,
            master_keys,
            ..
        } = &mut **state;
        let id = keys
            .active(t, true)
            .ok_or_else(|| format!("Error: No {} addresses available.", t.name()))?;
        let access = key_access(!master_keys.is_empty(), master_key.as_ref());
        let spkm = keys
            .spkms
            .get_mut(&id)
            .ok_or("Error: No change addresses available.")?;
        let dest = spkm
            .get_new_destination(t, access)
            .map_err(|_| "Error: Keypool ran out, please call keypoolrefill first".to_string())?;
        let mut writes = self.writes.borrow_mut();
        writes.keys.descriptors.push(id);
        if let Some(top) = dest.top_up {
            writes.keys.top_up(id, top);
        }
        self.reserved
            .borrow_mut()
            .push((dest.script.clone(), id, dest.index));
        Ok(dest.script)
    }
    fn keep_change_script(&self, script: &Script) {
        self.reserved
            .borrow_mut()
            .retain(|(s, _, _)| s.as_script() != script);
    }
    fn return_change_script(&self, script: &Script) {
        let mut reserved = self.reserved.borrow_mut();
        if let Some(pos) = reserved
            .iter()
            .position(|(s, _, _)| s.as_script() == script)
        {
            let (_, id, index) = reserved.remove(pos);
            if let Some(spkm) = self.state.borrow_mut().keys.spkms.get_mut(&id) {
                spkm.return_destination(index);
            }
        }
    }
    fn input_satisfaction(&self, script_pubkey: &Script) -> Option<InputSatisfaction> {
        let state = self.state.borrow();
        crate::sign::input_satisfaction(&state.keys, script_pubkey, !state.can_grind_r())
    }
    fn log(&self, text: std::fmt::Arguments) {
        self.wallet.log(text);
    }
}

/// What coin selection reads of a wallet, taken under its lock before the
/// lock goes to a [`WalletSpendEnv`]: the outputs it owns and whether it
/// avoids reusing addresses.
pub struct SpendSnapshot {
    outputs: Vec<CandidateOutput>,
    avoid_reuse: bool,
}

impl SpendSnapshot {
    /// The spend layer's view of the wallet, over `env`.
    pub fn view<'a>(
        &'a self,
        env: &'a dyn SpendEnv,
        config: &'a WalletFeeConfig,
    ) -> SpendWallet<'a> {
        SpendWallet {
            env,
            config,
            outputs: &self.outputs,
            avoid_reuse: self.avoid_reuse,
        }
    }
}

impl Wallet {
    /// Takes what coin selection reads of the wallet.
    pub fn spend_snapshot(&self, state: &State) -> SpendSnapshot {
        SpendSnapshot {
            outputs: self.candidate_outputs(state),
            avoid_reuse: state.has_flag(crate::db::records::flags::AVOID_REUSE),
        }
    }

    /// The fee options (`-fallbackfee`, `-mintxfee`, …).
    pub fn fee_config(&self) -> &WalletFeeConfig {
        &self.options.fees
    }

    /// Every output the wallet owns that is not spent, with the facts coin
    /// selection filters on (Core's `AvailableCoins` inputs).
    pub fn candidate_outputs(&self, state: &State) -> Vec<CandidateOutput> {
        let mut trusted = BTreeSet::new();
        let mut out = Vec::new();
        let avoid_reuse = state.has_flag(crate::db::records::flags::AVOID_REUSE);
        let use_max_sig = !state.can_grind_r();
        // A descriptor's outputs of one shape share their satisfaction size,
        // and deriving keys for every output would dominate large wallets:
        // one computation per (managers, script shape).
        type Shape = (Vec<crate::keys::DescriptorId>, usize, Option<u8>);
        let mut satisfactions: std::collections::HashMap<Shape, Option<InputSatisfaction>> =
            std::collections::HashMap::new();
        let mut output_types: std::collections::HashMap<Shape, CoinType> =
            std::collections::HashMap::new();
        for (outpoint, txout) in state.ledger.txos() {
            let Some(entry) = state.ledger.get(&outpoint.txid) else {
                continue;
            };
            let depth = state.ledger.depth(entry);
            let spk = &txout.script_pubkey;
            let shape = (
                state.keys.managers_of(spk),
                spk.len(),
                spk.as_bytes().first().copied(),
            );
            let output_type = *output_types
                .entry(shape.clone())
                .or_insert_with(|| crate::sign::coin_output_type(&state.keys, spk));
            let mut c = CandidateOutput::new(*outpoint, txout.clone(), depth, output_type);
            c.in_mempool = entry.state.in_mempool();
            c.immature_coinbase = state.ledger.is_immature_coinbase(entry);
            c.trusted = balance::is_trusted(
                &state.ledger,
                entry,
                self.options.spend_zero_conf_change(),
                &mut trusted,
            );
            c.replaces_tx = entry.record.replaces_txid.is_some();
            c.replaced = entry.record.replaced_by_txid.is_some();
            c.tx_version = entry.tx().version.0 as u32;
            c.truc_child_in_mempool = entry.truc_child_in_mempool.is_some();
            c.from_me = state.ledger.is_from_me(entry.tx());
            c.is_locked = state.locked_coins.contains_key(outpoint);
            c.is_spent =
                state.ledger.is_spent(outpoint) || entry.state.is_abandoned() || (depth < 0);
            c.address_used = avoid_reuse
                && self
                    .address_of(&txout.script_pubkey)
                    .and_then(|a| state.address_book.get(&a))
                    .is_some_and(|e| e.previously_spent);
            c.satisfaction = *satisfactions
                .entry(shape)
                .or_insert_with(|| crate::sign::input_satisfaction(&state.keys, spk, use_max_sig));
            if depth == 0 && entry.state.in_mempool() {
                if let Ok(a) = self.chain.get_transaction_ancestry(&outpoint.txid) {
                    c.ancestors = usize::try_from(a.ancestors).unwrap_or(usize::MAX);
                    // The node reports ancestors and descendants; their union
                    // bounds the cluster the transaction is in.
                    let cluster = a.ancestors.saturating_add(a.descendants).saturating_sub(1);
                    c.cluster_count = usize::try_from(cluster).unwrap_or(usize::MAX);
                }
            }
            out.push(c);
        }
        out
    }

    /// Core's `CreateTransaction` and, when `sign`, signing: the new
    /// transaction (not yet committed) with its fee and change position.
    pub fn create_transaction(
        &self,
        state: &mut State,
        recipients: &[Recipient],
        change_pos: Option<usize>,
        coin_control: &CoinControl,
        sign: bool,
    ) -> Result<(CreatedTransaction, Writes), String> {
        let snapshot = self.spend_snapshot(state);
        let created;
        let writes;
        {
            let env = WalletSpendEnv::new(self, state);
            let spend_wallet = snapshot.view(&env, &self.options.fees);
            created = spend::create_transaction(
                &spend_wallet,
                recipients,
                change_pos,
                coin_control,
                &mut rand::thread_rng(),
            )
            .map_err(|e| e.to_string())?;
            writes = env.writes.into_inner();
        }
        let mut created = created;
        if sign {
            self.sign_own(state, &mut created.tx)?;
        }
        Ok((created, writes))
    }

    /// Signs every input of `tx` spending the wallet's outputs (Core's
    /// `SignTransaction` in `CreateTransaction`): an input left unsigned is
    /// an error ("Signing transaction failed").
    pub fn sign_own(&self, state: &State, tx: &mut Transaction) -> Result<(), String> {
        let access = state.key_access();
        if matches!(access, KeyAccess::Locked) {
            return Err(
                "Error: Please enter the wallet passphrase with walletpassphrase first.".into(),
            );
        }
        let coins: BTreeMap<OutPoint, bitcoin::TxOut> = tx
            .input
            .iter()
            .filter_map(|i| {
                state
                    .ledger
                    .get(&i.previous_output.txid)
                    .and_then(|e| e.tx().output.get(i.previous_output.vout as usize))
                    .map(|o| (i.previous_output, o.clone()))
            })
            .collect();
        let result = crate::sign::sign_transaction(
            &state.keys,
            access,
            tx,
            &coins,
            bitcoin::psbt::PsbtSighashType::from_u32(crate::sign::SIGHASH_DEFAULT),
        )
        .map_err(|e| e.to_string())?;
        if !result.errors.is_empty() {
            return Err("Signing transaction failed".into());
        }
        Ok(())
    }

    /// Core's `CommitTransaction`: the transaction (with `info`) joins the
    /// wallet durably, then goes to the node's mempool and peers when
    /// `-walletbroadcast`. A refused broadcast leaves it in the wallet, as
    /// Core does, and is logged.
    pub fn commit_transaction(
        &self,
        state: &mut State,
        tx: Transaction,
        info: SentInfo,
        writes: Writes,
    ) -> Result<Txid, String> {
        let txid;
        {
            let State { ledger, keys, .. } = &mut *state;
            let env = super::Env {
                keys,
                chain: &*self.chain,
            };
            let mut fill = |e: &mut crate::ledger::Entry, _new: bool| {
                e.record.comment = info.comment.clone();
                e.record.comment_to = info.comment_to.clone();
                e.record.replaces_txid = info.replaces;
                e.record.messages = info.messages.clone();
                true
            };
            txid = ledger.add(
                tx.clone(),
                TxState::Inactive { abandoned: false },
                false,
                &env,
                Some(&mut fill),
            );
        }
        self.commit(state, writes)?;
        if !self.options.broadcast {
            return Ok(txid);
        }
        if let Err(e) = self.submit_to_mempool(state, &tx, TxBroadcast::MempoolAndBroadcastToAll) {
            self.log(format_args!(
                "CommitTransaction(): Transaction cannot be broadcast immediately, {e}"
            ));
        }
        Ok(txid)
    }

    /// Core's `SubmitTxMemoryPoolAndRelay`: hands `tx` to the node (to
    /// its mempool, and to peers as `broadcast` says); in the mempool it is
    /// marked so. The error is the node's reason for refusing it.
    pub fn submit_to_mempool(
        &self,
        state: &mut State,
        tx: &Transaction,
        broadcast: TxBroadcast,
    ) -> Result<(), String> {
        let max_fee = self.options.fees.max_tx_fee;
        self.log(format_args!(
            "Submitting wtx {} to mempool for relay",
            tx.compute_txid()
        ));
        match self.chain.broadcast_transaction(tx, max_fee, broadcast) {
            Ok(b) if b.accepted => {
                let State { ledger, keys, .. } = &mut *state;
                let env = super::Env {
                    keys,
                    chain: &*self.chain,
                };
                ledger.transaction_added_to_mempool(tx, &env);
                if let Err(e) = self.commit(state, Writes::default()) {
                    self.log(format_args!("CommitTransaction(): {e}"));
                }
                Ok(())
            }
            Ok(b) => Err(b.error),
            Err(e) => Err(e.to_string()),
        }
    }
}
