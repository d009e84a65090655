//! Payments as bitcoin-qt's `WalletModel::prepareTransaction` builds them:
//! the recipients checked, the coin control the user chose, the wallet's
//! `createTransaction`, and for wallets without private keys an unsigned
//! PSBT made here from the transaction and its coins.

use bitcoin::{Network, OutPoint, Transaction};
use interfaces::wallet::{CoinControl, Recipient, Wallet};
use interfaces::FeeRate;

use super::parse_address;

/// Core's `DEFAULT_MAX_DEPTH` for coin control.
const DEFAULT_MAX_DEPTH: i32 = 9_999_999;
/// Core's `MAX_MONEY`.
const MAX_MONEY: i64 = 21_000_000 * 100_000_000;

/// One "Pay To" entry.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SendRecipient {
    /// The address as typed.
    pub address: String,
    /// Label for the address book.
    pub label: String,
    /// Satoshis.
    pub amount: i64,
    /// Take the fee out of this amount.
    pub subtract_fee: bool,
}

/// How the fee is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeChoice {
    /// The wallet's estimate for a confirmation target in blocks.
    Target(i32),
    /// A fixed rate in satoshis per kvB.
    Custom(i64),
}

/// A payment to make.
#[derive(Debug, Clone, PartialEq)]
pub struct SendRequest {
    /// The wallet's index.
    pub index: usize,
    /// Recipients.
    pub recipients: Vec<SendRecipient>,
    /// Fee.
    pub fee: FeeChoice,
    /// Coins chosen with coin control (empty: the wallet chooses).
    pub coins: Vec<OutPoint>,
    /// Passphrase, for a locked wallet.
    pub passphrase: Option<String>,
    /// Make an unsigned PSBT instead of a signed transaction.
    pub unsigned: bool,
}

/// A payment built and waiting for the user's yes.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The wallet's index.
    pub index: usize,
    /// The transaction (unsigned when `unsigned`).
    pub tx: Transaction,
    /// Its fee in satoshis.
    pub fee: i64,
    /// Its virtual size.
    pub vsize: u64,
    /// The recipients, amounts after any fee subtraction.
    pub recipients: Vec<SendRecipient>,
    /// Not signed: it becomes a PSBT.
    pub unsigned: bool,
}

/// Core's `CCoinControl` defaults, which bitcoin-qt sends as they are
/// (the interface type's `Default` is all zeros: no coin deeper than 0).
pub fn core_coin_control() -> CoinControl {
    CoinControl {
        allow_other_inputs: true,
        max_depth: DEFAULT_MAX_DEPTH,
        ..Default::default()
    }
}

impl SendRequest {
    /// The coin control bitcoin-qt sends for this request.
    pub fn coin_control(&self) -> CoinControl {
        let mut cc = CoinControl {
            allow_other_inputs: self.coins.is_empty(),
            signal_rbf: Some(true),
            set_selected: self.coins.clone(),
            ..core_coin_control()
        };
        match self.fee {
            FeeChoice::Target(t) => cc.confirm_target = Some(t),
            FeeChoice::Custom(per_kvb) => {
                cc.override_fee_rate = true;
                cc.fee_rate = Some(FeeRate::per_kvb(per_kvb));
            }
        }
        cc
    }

    /// Checks the recipients as bitcoin-qt does before building; the
    /// message of the first problem.
    pub fn check(&self, network: Network) -> Result<Vec<Recipient>, String> {
        if self.recipients.is_empty() {
            return Err("The recipient address is not valid. Please recheck.".into());
        }
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::with_capacity(self.recipients.len());
        for r in &self.recipients {
            let dest = parse_address(&r.address, network)
                .ok_or("The recipient address is not valid. Please recheck.")?;
            if r.amount <= 0 || r.amount > MAX_MONEY {
                return Err("The amount to pay must be larger than 0.".into());
            }
            if !seen.insert(r.address.trim().to_string()) {
                return Err(
                    "Duplicate address found: addresses should only be used once each.".into(),
                );
            }
            out.push(Recipient {
                dest,
                amount: r.amount,
                subtract_fee_from_amount: r.subtract_fee,
            });
        }
        Ok(out)
    }

    /// Builds the payment with the wallet (unlocked by the caller if needed).
    pub fn build(&self, w: &dyn Wallet, network: Network) -> Result<Prepared, String> {
        let recipients = self.check(network)?;
        let cc = self.coin_control();
        let total: i64 = recipients.iter().map(|r| r.amount).sum();
        let available = if self.coins.is_empty() {
            w.get_balances().map(|b| b.balance)
        } else {
            w.get_available_balance(&cc)
        }
        .map_err(|e| e.to_string())?;
        if total > available {
            return Err("The amount exceeds your balance.".into());
        }
        let (change_pos, fee, tx) = w
            .create_transaction(&recipients, &cc, !self.unsigned, -1)
            .map_err(|e| e.to_string())?;
        let tx = tx.map_err(|e| format!("Transaction creation failed! {}", e.original))?;
        if let Ok(max) = w.get_default_max_tx_fee() {
            if fee > max {
                return Err(format!(
                    "A fee higher than {} is considered an absurdly high fee.",
                    crate::views::format_btc(max)
                ));
            }
        }
        // Outputs other than change are the recipients in order; with
        // the fee subtracted, their amounts changed.
        let mut paid = tx
            .output
            .iter()
            .enumerate()
            .filter(|(i, _)| *i as i32 != change_pos)
            .map(|(_, o)| o.value.to_sat() as i64);
        let recipients = self
            .recipients
            .iter()
            .map(|r| SendRecipient {
                amount: paid.next().unwrap_or(r.amount),
                ..r.clone()
            })
            .collect();
        Ok(Prepared {
            index: self.index,
            vsize: tx.vsize() as u64,
            tx,
            fee,
            recipients,
            unsigned: self.unsigned,
        })
    }
}

/// Core's `PSBTError::OK`, `fillPSBT`'s answer when nothing went wrong.
pub const PSBT_OK: i32 = 7;

/// An unsigned PSBT (version 0) of `tx`, base64: each input with the coin
/// it spends (from `getCoins`), then updated by the wallet's `fillPSBT`
/// without signing (BIP32 derivations, scripts), as bitcoin-qt's "Create
/// Unsigned" does. A wallet that cannot update leaves the coins-only PSBT,
/// which a signer can still use by script.
pub fn unsigned_psbt(w: &dyn Wallet, tx: &Transaction) -> Result<String, String> {
    let outpoints: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
    let coins = w.get_coins(&outpoints).map_err(|e| e.to_string())?;
    let mut p = psbt::Psbt::from_unsigned_tx(tx, 0);
    for (input, coin) in p.inputs.iter_mut().zip(coins) {
        // A coin the wallet no longer has comes back empty.
        if !coin.txout.script_pubkey.is_empty() {
            input.witness_utxo = Some(coin.txout);
        }
    }
    let bytes = p.serialize();
    let updated = match w.fill_psbt(0, false, true, false, &bytes) {
        Ok((_, out, _, PSBT_OK)) => psbt::Psbt::deserialize(&out).ok(),
        _ => None,
    };
    Ok(updated.unwrap_or(p).to_base64())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(recipients: Vec<SendRecipient>) -> SendRequest {
        SendRequest {
            index: 0,
            recipients,
            fee: FeeChoice::Target(6),
            coins: Vec::new(),
            passphrase: None,
            unsigned: false,
        }
    }

    fn to(address: &str, amount: i64) -> SendRecipient {
        SendRecipient {
            address: address.into(),
            amount,
            ..Default::default()
        }
    }

    const A: &str = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080";
    const B: &str = "bcrt1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qzf4jry";

    #[test]
    fn recipients_are_checked_as_bitcoin_qt_checks_them() {
        let net = Network::Regtest;
        assert!(request(vec![to(A, 5), to(B, 7)]).check(net).is_ok());
        let err = |r: SendRequest| r.check(net).unwrap_err();
        assert_eq!(
            err(request(vec![to("nonsense", 5)])),
            "The recipient address is not valid. Please recheck."
        );
        // An address of another network is not valid here.
        assert!(err(request(vec![to(
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
            5
        )]))
        .contains("not valid"));
        assert_eq!(
            err(request(vec![to(A, 0)])),
            "The amount to pay must be larger than 0."
        );
        assert!(err(request(vec![to(A, 5), to(A, 6)])).starts_with("Duplicate address"));
    }

    #[test]
    fn coin_control_follows_the_fee_choice_and_selection() {
        let mut r = request(vec![to(A, 5)]);
        let cc = r.coin_control();
        assert_eq!(cc.confirm_target, Some(6));
        assert!(cc.allow_other_inputs && !cc.override_fee_rate);
        r.fee = FeeChoice::Custom(2_000);
        r.coins = vec![OutPoint::null()];
        let cc = r.coin_control();
        assert!(cc.override_fee_rate && !cc.allow_other_inputs);
        assert_eq!(cc.fee_rate, Some(FeeRate::per_kvb(2_000)));
        assert_eq!(cc.set_selected, vec![OutPoint::null()]);
    }
}
