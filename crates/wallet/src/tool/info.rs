//! `bitcoin-wallet info`: what Core's tool prints about a wallet file,
//! read from its records without writing to it.

use std::fmt;

use crate::db::load::load_wallet;
use crate::db::sqlite::SqliteDatabase;
use crate::keys::DEFAULT_KEYPOOL_SIZE;
use crate::wallet::keystore::Keystore;

/// Core's `WalletShowInfo` fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletInfo {
    /// The wallet's name (`-wallet`).
    pub name: String,
    /// Whether the descriptors flag is set.
    pub descriptors: bool,
    /// Whether the wallet has encryption master keys.
    pub encrypted: bool,
    /// Whether every active descriptor is ranged (Core's `IsHDEnabled`).
    pub hd: bool,
    /// Addresses left in the active descriptors' ranges.
    pub keypool_size: i64,
    /// Wallet transactions.
    pub transactions: usize,
    /// Address book entries.
    pub address_book: usize,
}

impl WalletInfo {
    /// Reads the records of `db` the way a load does (the same failures
    /// with the same texts) and sums them up, with the load's warning if
    /// any; nothing is written.
    pub fn read(
        db: &SqliteDatabase,
        name: &str,
        network: bitcoin::Network,
    ) -> Result<(Self, Vec<String>), String> {
        let file = db.filename().display().to_string();
        let records = load_wallet(db, name).map_err(|e| e.message(&file))?;
        let warnings = records.status.message(&file).into_iter().collect();
        let keys = Keystore::load(
            &records.descriptors,
            &records.active_external,
            &records.active_internal,
            network,
            DEFAULT_KEYPOOL_SIZE,
        )?;
        let active: Vec<_> = keys
            .active_ids()
            .into_iter()
            .filter_map(|id| keys.spkms.get(&id))
            .collect();
        let info = WalletInfo {
            name: name.to_string(),
            descriptors: records.flags & crate::db::records::flags::DESCRIPTORS != 0,
            encrypted: !records.master_keys.is_empty(),
            hd: !active.is_empty() && active.iter().all(|s| s.descriptor().is_range()),
            keypool_size: active.iter().map(|s| s.keypool_remaining()).sum(),
            transactions: records.txs.len(),
            address_book: records.address_book.len(),
        };
        Ok((info, warnings))
    }
}

impl fmt::Display for WalletInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let yes_no = |b: bool| if b { "yes" } else { "no" };
        writeln!(f, "Wallet info")?;
        writeln!(f, "===========")?;
        writeln!(f, "Name: {}", self.name)?;
        writeln!(f, "Format: sqlite")?;
        writeln!(f, "Descriptors: {}", yes_no(self.descriptors))?;
        writeln!(f, "Encrypted: {}", yes_no(self.encrypted))?;
        writeln!(f, "HD (hd seed available): {}", yes_no(self.hd))?;
        writeln!(f, "Keypool Size: {}", self.keypool_size)?;
        writeln!(f, "Transactions: {}", self.transactions)?;
        writeln!(f, "Address Book: {}", self.address_book)
    }
}
