//! Writing each record type (Core's `WalletBatch::Write*` / `Erase*`), on a
//! database directly (each write its own transaction) or inside a
//! [`Txn`](super::sqlite::Txn) so several writes land together.
//!
//! The helpers are provided methods of [`WalletBatch`], implemented for
//! every [`KvStore`]:
//!
//! ```text
//! db.run_in_txn(|txn| {
//!     txn.write_tx(&wtx)?;
//!     txn.write_order_pos_next(n + 1)
//! })?;
//! ```

use bitcoin::secp256k1::SecretKey;
use bitcoin::{OutPoint, Txid};

use super::load::DescriptorCache;
use super::records::{
    type_prefix, types, ActiveSpkRecord, BestBlockRecord, DescriptorCKeyRecord,
    DescriptorCacheRecord, DescriptorId, DescriptorKeyRecord, DescriptorLhCacheRecord,
    DescriptorRecord, DestDataRecord, ExtPubKeyBytes, FlagsRecord, Locator, LockedUtxoRecord,
    MasterKey, MasterKeyRecord, NameRecord, OrderPosNextRecord, OutputType, PurposeRecord, Record,
    TxRecord, VersionRecord, WalletTx,
};
use super::ser::Writer;
use super::sqlite::{KvStore, StorageError};

/// Typed writes of every record type, on anything that stores key/value
/// pairs. Writes overwrite unless noted (as Core's `WriteIC`); private key
/// records are insert-only, as in Core, so a key is never silently replaced.
pub trait WalletBatch: KvStore {
    /// Writes any record, replacing a previous value under its key.
    fn write_record<R: Record>(&self, record: &R) -> Result<(), StorageError> {
        self.write(&record.key(), &record.value())
    }

    /// Writes a record only if its key is absent; false if it was present.
    fn insert_record<R: Record>(&self, record: &R) -> Result<bool, StorageError> {
        self.insert(&record.key(), &record.value())
    }

    /// `version`: the client version that last opened the wallet.
    fn write_version(&self, version: i32) -> Result<(), StorageError> {
        self.write_record(&VersionRecord(version))
    }

    /// `flags`.
    fn write_wallet_flags(&self, flags: u64) -> Result<(), StorageError> {
        self.write_record(&FlagsRecord(flags))
    }

    /// The sync point: an empty `bestblock` (so old versions that need
    /// merkle branches rescan) and the locator under `bestblock_nomerkle`,
    /// as Core's `WriteBestBlock`.
    fn write_best_block(&self, locator: &Locator) -> Result<(), StorageError> {
        self.write_record(&BestBlockRecord {
            nomerkle: false,
            locator: Locator::default(),
        })?;
        self.write_record(&BestBlockRecord {
            nomerkle: true,
            locator: locator.clone(),
        })
    }

    /// The sync point as Core's `ReadBestBlock` finds it: a non-empty
    /// `bestblock`, else `bestblock_nomerkle`. A value that does not decode
    /// counts as absent, as in Core.
    fn read_best_block(&self) -> Result<Option<Locator>, StorageError> {
        let key = type_prefix(types::BESTBLOCK);
        if let Some(v) = self.read(&key)? {
            if let Ok(r) = BestBlockRecord::decode(&key, &v) {
                if !r.locator.hashes.is_empty() {
                    return Ok(Some(r.locator));
                }
            }
        }
        let key = type_prefix(types::BESTBLOCK_NOMERKLE);
        Ok(self
            .read(&key)?
            .and_then(|v| BestBlockRecord::decode(&key, &v).ok())
            .map(|r| r.locator))
    }

    /// `orderposnext`.
    fn write_order_pos_next(&self, next: i64) -> Result<(), StorageError> {
        self.write_record(&OrderPosNextRecord(next))
    }

    /// `walletdescriptor`.
    fn write_descriptor(&self, descriptor: &DescriptorRecord) -> Result<(), StorageError> {
        self.write_record(descriptor)
    }

    /// `walletdescriptorcache` parent entry.
    fn write_descriptor_parent_cache(
        &self,
        id: &DescriptorId,
        key_exp_index: u32,
        xpub: &ExtPubKeyBytes,
    ) -> Result<(), StorageError> {
        self.write_record(&DescriptorCacheRecord {
            id: *id,
            key_exp_index,
            der_index: None,
            xpub: *xpub,
        })
    }

    /// `walletdescriptorcache` derived entry.
    fn write_descriptor_derived_cache(
        &self,
        id: &DescriptorId,
        key_exp_index: u32,
        der_index: u32,
        xpub: &ExtPubKeyBytes,
    ) -> Result<(), StorageError> {
        self.write_record(&DescriptorCacheRecord {
            id: *id,
            key_exp_index,
            der_index: Some(der_index),
            xpub: *xpub,
        })
    }

    /// `walletdescriptorlhcache`.
    fn write_descriptor_last_hardened_cache(
        &self,
        id: &DescriptorId,
        key_exp_index: u32,
        xpub: &ExtPubKeyBytes,
    ) -> Result<(), StorageError> {
        self.write_record(&DescriptorLhCacheRecord {
            id: *id,
            key_exp_index,
            xpub: *xpub,
        })
    }

    /// Every entry of `cache` (Core's `WriteDescriptorCacheItems`).
    fn write_descriptor_cache_items(
        &self,
        id: &DescriptorId,
        cache: &DescriptorCache,
    ) -> Result<(), StorageError> {
        for (k, xpub) in &cache.parent {
            self.write_descriptor_parent_cache(id, *k, xpub)?;
        }
        for (k, by_index) in &cache.derived {
            for (i, xpub) in by_index {
                self.write_descriptor_derived_cache(id, *k, *i, xpub)?;
            }
        }
        for (k, xpub) in &cache.last_hardened {
            self.write_descriptor_last_hardened_cache(id, *k, xpub)?;
        }
        Ok(())
    }

    /// `walletdescriptorkey`, insert-only: false if the key was already
    /// stored.
    fn write_descriptor_key(
        &self,
        id: &DescriptorId,
        pubkey: &[u8],
        secret: &SecretKey,
    ) -> Result<bool, StorageError> {
        self.insert_record(&DescriptorKeyRecord {
            id: *id,
            pubkey: pubkey.to_vec(),
            secret: *secret,
        })
    }

    /// `walletdescriptorckey`, insert-only; on success the plaintext record
    /// of the same key is erased (Core's `WriteCryptedDescriptorKey`).
    fn write_crypted_descriptor_key(
        &self,
        id: &DescriptorId,
        pubkey: &[u8],
        crypted_secret: &[u8],
    ) -> Result<bool, StorageError> {
        let rec = DescriptorCKeyRecord {
            id: *id,
            pubkey: pubkey.to_vec(),
            crypted_secret: crypted_secret.to_vec(),
        };
        if !self.insert_record(&rec)? {
            return Ok(false);
        }
        self.erase(&descriptor_key_key(types::WALLETDESCRIPTORKEY, id, pubkey))?;
        Ok(true)
    }

    /// `mkey` (overwrites: a passphrase change rewrites the same id).
    fn write_master_key(&self, id: u32, master_key: &MasterKey) -> Result<(), StorageError> {
        self.write_record(&MasterKeyRecord {
            id,
            master_key: master_key.clone(),
        })
    }

    /// Erases `mkey` `id`.
    fn erase_master_key(&self, id: u32) -> Result<(), StorageError> {
        let mut w = Writer::new();
        w.string(types::MASTER_KEY).u32(id);
        self.erase(&w.into_bytes())
    }

    /// `activeexternalspk` / `activeinternalspk`.
    fn write_active_spk(
        &self,
        output_type: OutputType,
        id: &DescriptorId,
        internal: bool,
    ) -> Result<(), StorageError> {
        self.write_record(&ActiveSpkRecord {
            internal,
            output_type,
            id: *id,
        })
    }

    /// Erases an active descriptor entry.
    fn erase_active_spk(
        &self,
        output_type: OutputType,
        internal: bool,
    ) -> Result<(), StorageError> {
        let rec = ActiveSpkRecord {
            internal,
            output_type,
            id: [0u8; 32],
        };
        self.erase(&rec.key())
    }

    /// `tx` under the transaction's own txid.
    fn write_tx(&self, wtx: &WalletTx) -> Result<(), StorageError> {
        self.write_record(&TxRecord::new(wtx.clone()))
    }

    /// Erases `tx` `txid`.
    fn erase_tx(&self, txid: &Txid) -> Result<(), StorageError> {
        let mut w = Writer::new();
        w.string(types::TX)
            .u256(&bitcoin::hashes::Hash::to_byte_array(*txid));
        self.erase(&w.into_bytes())
    }

    /// `lockedutxo`.
    fn write_locked_utxo(&self, outpoint: &OutPoint) -> Result<(), StorageError> {
        self.write_record(&LockedUtxoRecord {
            outpoint: *outpoint,
        })
    }

    /// Erases `lockedutxo`.
    fn erase_locked_utxo(&self, outpoint: &OutPoint) -> Result<(), StorageError> {
        self.erase(
            &LockedUtxoRecord {
                outpoint: *outpoint,
            }
            .key(),
        )
    }

    /// `name`: an address label.
    fn write_name(&self, address: &str, label: &str) -> Result<(), StorageError> {
        self.write_record(&NameRecord {
            address: address.into(),
            label: label.into(),
        })
    }

    /// Erases `name` (Core does this for send addresses only).
    fn erase_name(&self, address: &str) -> Result<(), StorageError> {
        self.erase(
            &NameRecord {
                address: address.into(),
                label: String::new(),
            }
            .key(),
        )
    }

    /// `purpose`.
    fn write_purpose(&self, address: &str, purpose: &str) -> Result<(), StorageError> {
        self.write_record(&PurposeRecord {
            address: address.into(),
            purpose: purpose.into(),
        })
    }

    /// Erases `purpose`.
    fn erase_purpose(&self, address: &str) -> Result<(), StorageError> {
        self.erase(
            &PurposeRecord {
                address: address.into(),
                purpose: String::new(),
            }
            .key(),
        )
    }

    /// `destdata` `used` = "1", or its removal (avoid-reuse bookkeeping).
    fn write_address_previously_spent(
        &self,
        address: &str,
        spent: bool,
    ) -> Result<(), StorageError> {
        let rec = DestDataRecord {
            address: address.into(),
            key: "used".into(),
            value: b"1".to_vec(),
        };
        if spent {
            self.write_record(&rec)
        } else {
            self.erase(&rec.key())
        }
    }

    /// `destdata` `rr<id>`: a receive request.
    fn write_address_receive_request(
        &self,
        address: &str,
        id: &str,
        request: &[u8],
    ) -> Result<(), StorageError> {
        self.write_record(&DestDataRecord {
            address: address.into(),
            key: format!("rr{id}"),
            value: request.to_vec(),
        })
    }

    /// Erases one receive request.
    fn erase_address_receive_request(&self, address: &str, id: &str) -> Result<(), StorageError> {
        self.erase(
            &DestDataRecord {
                address: address.into(),
                key: format!("rr{id}"),
                value: Vec::new(),
            }
            .key(),
        )
    }

    /// Erases every `destdata` entry of an address.
    fn erase_address_data(&self, address: &str) -> Result<(), StorageError> {
        let mut w = Writer::new();
        w.string(types::DESTDATA).string(address);
        self.erase_prefix(&w.into_bytes())
    }

    /// Erases every record of the given types (Core's `EraseRecords`).
    fn erase_records(&self, record_types: &[&str]) -> Result<(), StorageError> {
        for ty in record_types {
            self.erase_prefix(&type_prefix(ty))?;
        }
        Ok(())
    }

    /// Whether any `mkey` is stored (Core's `IsEncrypted`).
    fn is_encrypted(&self) -> Result<bool, StorageError> {
        Ok(!self
            .scan_prefix(&type_prefix(types::MASTER_KEY))?
            .is_empty())
    }
}

impl<T: KvStore + ?Sized> WalletBatch for T {}

fn descriptor_key_key(ty: &str, id: &DescriptorId, pubkey: &[u8]) -> Vec<u8> {
    let mut w = Writer::new();
    w.string(ty).u256(id).var_bytes(pubkey);
    w.into_bytes()
}
