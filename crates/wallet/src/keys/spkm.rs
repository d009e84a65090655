//! Core's `DescriptorScriptPubKeyMan` (`wallet/scriptpubkeyman.cpp`): one
//! descriptor with its keys, the derived window of scripts, address handout
//! and signing data. Storage stays with the caller: methods return what
//! Core would write (descriptor record, cache items, key records).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::psbt::{GetKey, GetKeyError, KeyRequest, Psbt};
use bitcoin::secp256k1::{Secp256k1, Signing};
use bitcoin::{Address, Network, PrivateKey, PublicKey, ScriptBuf};
use miniscript::psbt::PsbtExt;
use miniscript::{DefiniteDescriptorKey, Descriptor};

use super::cache::DescriptorCache;
use super::descriptor::{DerivedKey, DescriptorId, KeyMap, OutputType, ParsedDescriptor};
use super::error::KeyError;
use super::musig::MuSigKey;
use super::wallet_descriptor::{generate_wallet_descriptor, WalletDescriptor};
use crate::crypto::{decrypt_key, encrypt_key, KeyingMaterial};

/// Core's default `-keypool` size.
pub const DEFAULT_KEYPOOL_SIZE: u32 = 1000;

/// How private keys may be reached: the wallet's encryption state.
#[derive(Debug, Clone, Copy)]
pub enum KeyAccess<'a> {
    /// The wallet is not encrypted: keys are held in plaintext.
    Plain,
    /// The wallet is encrypted and locked: no private key is usable.
    Locked,
    /// The wallet is encrypted and unlocked with this master key.
    Unlocked(&'a KeyingMaterial),
}

/// A private key record to persist.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyRecord {
    /// `walletdescriptorkey`: the key in plaintext.
    Plain {
        /// Public key (record key).
        pubkey: PublicKey,
        /// Private key (written as DER plus checksum).
        key: PrivateKey,
    },
    /// `walletdescriptorckey`: the secret encrypted under the master key.
    Crypted {
        /// Public key (record key).
        pubkey: PublicKey,
        /// 48-byte ciphertext.
        crypted: Vec<u8>,
    },
}

/// What a top-up derived; the caller writes `new_cache` items and the
/// descriptor record (its range changed).
#[derive(Debug, Clone, Default)]
pub struct TopUp {
    /// Newly derived scripts with their index (Core's `TopUpCallback`).
    pub new_scripts: Vec<(ScriptBuf, i32)>,
    /// Cache items that were not cached before.
    pub new_cache: DescriptorCache,
}

/// A new address handed out by [`DescriptorSpkm::get_new_destination`].
#[derive(Debug, Clone)]
pub struct NewDestination {
    /// The address.
    pub address: Address,
    /// Its output script.
    pub script: ScriptBuf,
    /// Its derivation index.
    pub index: i32,
    /// The top-up done first (`None` if it failed, e.g. locked).
    pub top_up: Option<TopUp>,
}

/// Result of [`DescriptorSpkm::mark_used`].
#[derive(Debug, Clone, Default)]
pub struct MarkUsed {
    /// Indexes (with first script) that became used, in order.
    pub used: Vec<(i32, ScriptBuf)>,
    /// The top-up done afterwards (`None` if none happened or it failed).
    pub top_up: Option<TopUp>,
}

/// Everything needed to update and sign a PSBT input for one owned script:
/// Core's per-index `FlatSigningProvider`.
#[derive(Debug, Clone)]
pub struct SigningProvider {
    /// Derivation index of the script.
    pub index: i32,
    /// The scripts at that index.
    pub scripts: Vec<ScriptBuf>,
    /// Public keys with their origins (fingerprint, full path).
    pub pubkeys: Vec<DerivedKey>,
    /// The miniscript descriptor at the index (redeem/witness scripts,
    /// taproot tree); `None` for combo/rawtr/addr/raw.
    pub descriptor: Option<Descriptor<DefiniteDescriptorKey>>,
    /// The pads of `descriptor`'s `tr()` leaves (see
    /// [`utility_rpc::leaf_padding`]); empty when none is padded.
    pub leaf_pads: Vec<usize>,
    /// The `musig()` keys with their participants (Core's
    /// `aggregate_pubkeys`).
    pub musig: Vec<MuSigKey>,
    /// Private keys by public key; empty when watch-only, locked, or not
    /// requested.
    pub keys: KeyMap,
}

impl SigningProvider {
    /// Fills PSBT input `input` with what the descriptor knows (scripts,
    /// BIP32 derivations, taproot data), as Core's `FillPSBT` does before
    /// signing.
    pub fn update_psbt_input(&self, psbt: &mut Psbt, input: usize) -> Result<(), KeyError> {
        let d = self.descriptor.as_ref().ok_or_else(|| {
            KeyError::Unsupported("PSBT update needs a miniscript descriptor".into())
        })?;
        // The crate would describe the unpadded leaves.
        if utility_rpc::leaf_padding::any(&self.leaf_pads) {
            return Err(KeyError::Unsupported(
                "PSBT update of a descriptor with padded leaves".into(),
            ));
        }
        psbt.update_input_with_descriptor(input, d)
            .map_err(|e| KeyError::Keys(e.to_string()))
    }
}

impl GetKey for SigningProvider {
    type Error = GetKeyError;

    fn get_key<C: Signing>(
        &self,
        request: KeyRequest,
        secp: &Secp256k1<C>,
    ) -> Result<Option<PrivateKey>, GetKeyError> {
        match request {
            // Answer BIP32 requests from our own derivations, so Psbt::sign
            // finds keys by the origins update_psbt_input wrote.
            KeyRequest::Bip32(src) => {
                let pk = self
                    .pubkeys
                    .iter()
                    .find(|k| k.origin == src)
                    .map(|k| k.pubkey);
                match pk {
                    Some(pk) => self.keys.get_key(KeyRequest::Pubkey(pk), secp),
                    None => Ok(None),
                }
            }
            other => self.keys.get_key(other, secp),
        }
    }
}

/// The public part of a [`SigningProvider`] (no private keys).
#[derive(Debug)]
struct PublicProvider {
    scripts: Vec<ScriptBuf>,
    pubkeys: Vec<DerivedKey>,
    descriptor: Option<Descriptor<DefiniteDescriptorKey>>,
    leaf_pads: Vec<usize>,
    musig: Vec<MuSigKey>,
}

/// Core's `m_map_signing_providers`: the public signing data of each index
/// once expanded. Expanding an index derives a child key (an EC
/// multiplication) and the script's keys again, which `listunspent`'s
/// `desc` and every signature would otherwise repeat per output and call.
/// Behind a mutex because lookups fill it through `&self`.
#[derive(Debug, Default)]
struct ProviderCache(Mutex<HashMap<i32, Arc<PublicProvider>>>);

impl ProviderCache {
    fn get(&self, index: i32) -> Option<Arc<PublicProvider>> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&index)
            .cloned()
    }

    fn insert(&self, index: i32, provider: Arc<PublicProvider>) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(index, provider);
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

impl Clone for ProviderCache {
    fn clone(&self) -> Self {
        ProviderCache(Mutex::new(
            self.0.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        ))
    }
}

/// Core's `DescriptorScriptPubKeyMan`.
#[derive(Debug, Clone)]
pub struct DescriptorSpkm {
    wdesc: WalletDescriptor,
    keypool_size: u32,
    keys: KeyMap,
    crypted_keys: BTreeMap<PublicKey, Vec<u8>>,
    script_index: HashMap<ScriptBuf, i32>,
    pubkey_index: HashMap<PublicKey, i32>,
    max_cached_index: i32,
    decryption_thoroughly_checked: bool,
    providers: ProviderCache,
}

impl DescriptorSpkm {
    fn empty(wdesc: WalletDescriptor, keypool_size: u32) -> Self {
        DescriptorSpkm {
            wdesc,
            keypool_size,
            keys: KeyMap::new(),
            crypted_keys: BTreeMap::new(),
            script_index: HashMap::new(),
            pubkey_index: HashMap::new(),
            max_cached_index: -1,
            decryption_thoroughly_checked: false,
            providers: ProviderCache::default(),
        }
    }

    /// Core's load path (constructor + `Load`): every index in
    /// [range_start, range_end) is expanded from the cache alone; a missing
    /// cache entry or both plaintext and encrypted keys is corruption.
    pub fn load(
        wdesc: WalletDescriptor,
        keypool_size: u32,
        keys: KeyMap,
        crypted_keys: BTreeMap<PublicKey, Vec<u8>>,
    ) -> Result<Self, KeyError> {
        if !keys.is_empty() && !crypted_keys.is_empty() {
            return Err(KeyError::Corrupt(
                "Wallet contains both unencrypted and encrypted keys".into(),
            ));
        }
        let mut s = Self::empty(wdesc, keypool_size);
        s.keys = keys;
        s.crypted_keys = crypted_keys;
        for i in s.wdesc.range_start..s.wdesc.range_end {
            let pos =
                u32::try_from(i).map_err(|_| KeyError::Corrupt(format!("negative index {i}")))?;
            let e = s
                .wdesc
                .descriptor
                .expand_from_cache(pos, &s.wdesc.cache)
                .map_err(|_| {
                    KeyError::Corrupt("Error: Unable to expand wallet descriptor from cache".into())
                })?;
            for script in e.scripts {
                if let Some(old) = s.script_index.get(&script) {
                    return Err(KeyError::Corrupt(format!(
                        "Error: Already loaded script at index {i} as being at index {old}"
                    )));
                }
                s.script_index.insert(script, i);
            }
            for k in e.keys {
                s.pubkey_index.entry(k.pubkey).or_insert(i);
            }
            s.max_cached_index += 1;
        }
        Ok(s)
    }

    /// Core's `CreateFromImport`: a new manager for an imported descriptor,
    /// storing `keys` (root secrets from parsing) and topping up.
    pub fn import(
        wdesc: WalletDescriptor,
        keypool_size: u32,
        keys: &KeyMap,
        access: KeyAccess<'_>,
    ) -> Result<(Self, Vec<KeyRecord>, TopUp), KeyError> {
        let mut s = Self::empty(wdesc, keypool_size);
        let mut records = Vec::new();
        for key in keys.values() {
            records.extend(s.add_key(key, access)?);
        }
        let top_up = s
            .top_up(0, access)
            .map_err(|e| KeyError::Keys(format!("Could not top up scriptPubKeys: {e}")))?;
        Ok((s, records, top_up))
    }

    /// Core's `SetupDescriptorGeneration`: the default descriptor of
    /// `master` for one output type and branch, with the master secret
    /// stored and the keypool filled.
    #[allow(clippy::too_many_arguments)]
    pub fn generate(
        master: &Xpriv,
        output_type: OutputType,
        internal: bool,
        network: Network,
        keypool_size: u32,
        creation_time: u64,
        access: KeyAccess<'_>,
    ) -> Result<(Self, Vec<KeyRecord>, TopUp), KeyError> {
        let secp = crate::keys::secp();
        let xpub = Xpub::from_priv(secp, master);
        let wdesc =
            generate_wallet_descriptor(&xpub, output_type, internal, network, creation_time)?;
        let mut s = Self::empty(wdesc, keypool_size);
        let records = s.add_key(&master.to_priv(), access)?.into_iter().collect();
        if matches!(access, KeyAccess::Unlocked(_)) {
            s.decryption_thoroughly_checked = true;
        }
        let top_up = s.top_up(0, access)?;
        Ok((s, records, top_up))
    }

    /// The descriptor id.
    pub fn id(&self) -> DescriptorId {
        self.wdesc.id
    }

    /// The wallet descriptor (write it after every state change).
    pub fn wallet_descriptor(&self) -> &WalletDescriptor {
        &self.wdesc
    }

    /// The parsed descriptor.
    pub fn descriptor(&self) -> &ParsedDescriptor {
        &self.wdesc.descriptor
    }

    /// The `-keypool` size used for top-ups.
    pub fn keypool_size(&self) -> u32 {
        self.keypool_size
    }

    /// Changes the top-up size (`-keypool`, `keypoolrefill`).
    pub fn set_keypool_size(&mut self, n: u32) {
        self.keypool_size = n;
    }

    /// Plaintext private keys (root secrets), by public key.
    pub fn plain_keys(&self) -> &KeyMap {
        &self.keys
    }

    /// Encrypted private keys, by public key.
    pub fn crypted_keys(&self) -> &BTreeMap<PublicKey, Vec<u8>> {
        &self.crypted_keys
    }

    /// Core's `GetKeys`: the usable root secrets. Locked gives none.
    pub fn keys(&self, access: KeyAccess<'_>) -> Result<KeyMap, KeyError> {
        match access {
            KeyAccess::Unlocked(master) if !self.crypted_keys.is_empty() => {
                let network = bitcoin::NetworkKind::from(self.wdesc.descriptor.network());
                self.crypted_keys
                    .iter()
                    .map(|(pk, ct)| {
                        Ok((
                            *pk,
                            PrivateKey {
                                network,
                                ..decrypt_key(master, ct, pk)?
                            },
                        ))
                    })
                    .collect()
            }
            KeyAccess::Locked if !self.crypted_keys.is_empty() => Ok(KeyMap::new()),
            _ => Ok(self.keys.clone()),
        }
    }

    /// Whether any private key is held (plain or encrypted).
    pub fn have_private_keys(&self) -> bool {
        !self.keys.is_empty() || !self.crypted_keys.is_empty()
    }

    /// Whether the keys are encrypted.
    pub fn have_crypted_keys(&self) -> bool {
        !self.crypted_keys.is_empty()
    }

    /// Core's `AddDescriptorKeyWithDB`: stores a private key, encrypted if
    /// the wallet is; returns the record to write (none if already held).
    pub fn add_key(
        &mut self,
        key: &PrivateKey,
        access: KeyAccess<'_>,
    ) -> Result<Option<KeyRecord>, KeyError> {
        let secp = crate::keys::secp();
        let pubkey = key.public_key(secp);
        if self.keys.contains_key(&pubkey) || self.crypted_keys.contains_key(&pubkey) {
            return Ok(None);
        }
        match access {
            KeyAccess::Locked => Err(KeyError::Locked),
            KeyAccess::Unlocked(master) => {
                let crypted = encrypt_key(master, key)?;
                self.crypted_keys.insert(pubkey, crypted.clone());
                Ok(Some(KeyRecord::Crypted { pubkey, crypted }))
            }
            KeyAccess::Plain => {
                self.keys.insert(pubkey, *key);
                Ok(Some(KeyRecord::Plain { pubkey, key: *key }))
            }
        }
    }

    /// Core's `Encrypt`: moves every plaintext key under `master`; returns
    /// the `walletdescriptorckey` records (the plaintext records are to be
    /// erased).
    pub fn encrypt(&mut self, master: &KeyingMaterial) -> Result<Vec<KeyRecord>, KeyError> {
        if !self.crypted_keys.is_empty() {
            return Err(KeyError::Keys(
                "descriptor keys are already encrypted".into(),
            ));
        }
        let mut crypted = BTreeMap::new();
        let mut records = Vec::new();
        for (pk, key) in &self.keys {
            let ct = encrypt_key(master, key)?;
            records.push(KeyRecord::Crypted {
                pubkey: *pk,
                crypted: ct.clone(),
            });
            crypted.insert(*pk, ct);
        }
        self.crypted_keys = crypted;
        self.keys.clear();
        Ok(records)
    }

    /// Core's `CheckDecryptionKey`: whether `master` decrypts the keys (all
    /// of them the first time, one afterwards). Some but not all decrypting
    /// is corruption.
    pub fn check_decryption_key(&mut self, master: &KeyingMaterial) -> Result<bool, KeyError> {
        if !self.keys.is_empty() {
            return Ok(false);
        }
        let mut pass = self.crypted_keys.is_empty();
        let mut fail = false;
        for (pk, ct) in &self.crypted_keys {
            if decrypt_key(master, ct, pk).is_err() {
                fail = true;
                break;
            }
            pass = true;
            if self.decryption_thoroughly_checked {
                break;
            }
        }
        if pass && fail {
            return Err(KeyError::Corrupt(
                "Error unlocking wallet: some keys decrypt but not all. Your wallet file may be corrupt.".into(),
            ));
        }
        if fail || !pass {
            return Ok(false);
        }
        self.decryption_thoroughly_checked = true;
        Ok(true)
    }

    /// Core's `TopUp`: derives up to max(next_index + size, range_end)
    /// (size 0 means the keypool size; a non-ranged descriptor has exactly
    /// index 0), from the cache where possible, else from the descriptor and
    /// private keys. All or nothing: on error nothing changes.
    pub fn top_up(&mut self, size: u32, access: KeyAccess<'_>) -> Result<TopUp, KeyError> {
        let target = if size > 0 { size } else { self.keypool_size };
        let target = i32::try_from(target).unwrap_or(i32::MAX);
        let mut new_range_end = self
            .wdesc
            .next_index
            .saturating_add(target)
            .max(self.wdesc.range_end);
        if !self.wdesc.descriptor.is_range() {
            new_range_end = 1;
            self.wdesc.range_end = 1;
            self.wdesc.range_start = 0;
        }
        let keys = self.keys(access)?;
        let mut cache = self.wdesc.cache.clone();
        let mut new_cache = DescriptorCache::new();
        let mut new_scripts = Vec::new();
        let mut new_pubkeys = Vec::new();
        for i in self.max_cached_index + 1..new_range_end {
            let pos =
                u32::try_from(i).map_err(|_| KeyError::Derive(format!("negative index {i}")))?;
            let e = match self.wdesc.descriptor.expand_from_cache(pos, &cache) {
                Ok(e) => e,
                Err(_) => {
                    let mut temp = DescriptorCache::new();
                    let e = self
                        .wdesc
                        .descriptor
                        .expand(pos, Some(&keys), Some(&mut temp))?;
                    let diff = cache.merge_and_diff(&temp)?;
                    new_cache.merge_and_diff(&diff)?;
                    e
                }
            };
            new_scripts.extend(e.scripts.into_iter().map(|s| (s, i)));
            new_pubkeys.extend(e.keys.into_iter().map(|k| (k.pubkey, i)));
        }
        for (s, i) in &new_scripts {
            self.script_index.insert(s.clone(), *i);
        }
        for (pk, i) in new_pubkeys {
            self.pubkey_index.entry(pk).or_insert(i);
        }
        self.wdesc.cache = cache;
        self.max_cached_index = self.max_cached_index.max(new_range_end - 1);
        self.wdesc.range_end = new_range_end;
        Ok(TopUp {
            new_scripts,
            new_cache,
        })
    }

    /// Core's `CanGetAddresses`: single type, ranged, and able to produce
    /// more (private keys, unused cached indexes, or unhardened keys).
    pub fn can_get_addresses(&self) -> bool {
        let d = &self.wdesc.descriptor;
        d.is_single_type()
            && d.is_range()
            && (self.have_private_keys()
                || self.wdesc.next_index < self.wdesc.range_end
                || d.can_self_expand())
    }

    /// Core's `GetNewDestination`: tops up, then hands out the script at
    /// `next_index` and advances it.
    pub fn get_new_destination(
        &mut self,
        output_type: OutputType,
        access: KeyAccess<'_>,
    ) -> Result<NewDestination, KeyError> {
        if !self.can_get_addresses() {
            return Err(KeyError::Addresses("No addresses available".into()));
        }
        if self.wdesc.descriptor.output_type() != Some(output_type) {
            return Err(KeyError::Addresses(
                "Types are inconsistent. Stored type does not match type of newly generated address".into(),
            ));
        }
        // Core ignores a failed top-up here: the cached window may still
        // have room.
        let top_up = self.top_up(0, access).ok();
        let ran_out = || {
            KeyError::Addresses("Error: Keypool ran out, please call keypoolrefill first".into())
        };
        let index = self.wdesc.next_index;
        if index >= self.wdesc.range_end {
            return Err(ran_out());
        }
        let pos = u32::try_from(index).map_err(|_| ran_out())?;
        let e = self
            .wdesc
            .descriptor
            .expand_from_cache(pos, &self.wdesc.cache)
            .map_err(|_| ran_out())?;
        let script = e.scripts.into_iter().next().ok_or_else(ran_out)?;
        let address =
            Address::from_script(&script, self.wdesc.descriptor.network()).map_err(|_| {
                KeyError::Addresses(
                    "Error: Cannot extract destination from the generated scriptpubkey".into(),
                )
            })?;
        self.wdesc.next_index += 1;
        Ok(NewDestination {
            address,
            script,
            index,
            top_up,
        })
    }

    /// Core's `ReturnDestination`: gives back the most recent index.
    pub fn return_destination(&mut self, index: i32) {
        if self.wdesc.next_index - 1 == index {
            self.wdesc.next_index -= 1;
        }
    }

    /// Core's `IsMine`: the script is in the derived window.
    pub fn is_mine(&self, script: &ScriptBuf) -> bool {
        self.script_index.contains_key(script)
    }

    /// The derivation index of an owned script.
    pub fn script_index(&self, script: &ScriptBuf) -> Option<i32> {
        self.script_index.get(script).copied()
    }

    /// Core's `GetScriptPubKeys(minimum_index)`.
    pub fn script_pub_keys(&self, minimum_index: i32) -> Vec<ScriptBuf> {
        self.script_index
            .iter()
            .filter(|(_, &i)| i >= minimum_index)
            .map(|(s, _)| s.clone())
            .collect()
    }

    /// Core's `GetKeyPoolSize`: unused indexes left in the window.
    pub fn keypool_remaining(&self) -> i64 {
        i64::from(self.wdesc.range_end) - i64::from(self.wdesc.next_index)
    }

    /// Core's `GetEndRange`: one past the last derived index.
    pub fn end_range(&self) -> i32 {
        self.max_cached_index + 1
    }

    /// Core's `MarkUnusedAddresses`: a script seen on chain at or beyond
    /// `next_index` marks every index up to it used, then the keypool is
    /// topped up (a failed top-up, e.g. locked, is not an error).
    pub fn mark_used(
        &mut self,
        script: &ScriptBuf,
        access: KeyAccess<'_>,
    ) -> Result<MarkUsed, KeyError> {
        let Some(index) = self.script_index(script) else {
            return Ok(MarkUsed::default());
        };
        let mut used = Vec::new();
        while index >= self.wdesc.next_index {
            let pos = u32::try_from(self.wdesc.next_index)
                .map_err(|_| KeyError::Corrupt("negative index".into()))?;
            let e = self
                .wdesc
                .descriptor
                .expand_from_cache(pos, &self.wdesc.cache)
                .map_err(|_| {
                    KeyError::Corrupt(
                        "MarkUnusedAddresses: Unable to expand descriptor from cache".into(),
                    )
                })?;
            used.push((
                self.wdesc.next_index,
                e.scripts.into_iter().next().unwrap_or_default(),
            ));
            self.wdesc.next_index += 1;
        }
        let top_up = self.top_up(0, access).ok();
        Ok(MarkUsed { used, top_up })
    }

    /// Scripts for each index of `range`, from the cache or, for keys that
    /// need no private keys, from the descriptor (nothing is stored).
    pub fn derive_scripts(
        &self,
        range: std::ops::Range<i32>,
    ) -> Result<Vec<(i32, Vec<ScriptBuf>)>, KeyError> {
        range
            .map(|i| {
                let pos = u32::try_from(i)
                    .map_err(|_| KeyError::Derive(format!("negative index {i}")))?;
                let d = &self.wdesc.descriptor;
                let e = d
                    .expand_from_cache(pos, &self.wdesc.cache)
                    .or_else(|_| d.expand(pos, None, None))?;
                Ok((i, e.scripts))
            })
            .collect()
    }

    /// The public signing data at `index`, expanded from the cache once
    /// and kept (Core's `m_map_signing_providers`); `None` when the index
    /// cannot be expanded.
    fn public_provider(&self, index: i32) -> Option<Arc<PublicProvider>> {
        if let Some(p) = self.providers.get(index) {
            return Some(p);
        }
        let pos = u32::try_from(index).ok()?;
        let e = self
            .wdesc
            .descriptor
            .expand_from_cache(pos, &self.wdesc.cache)
            .ok()?;
        let p = Arc::new(PublicProvider {
            scripts: e.scripts,
            pubkeys: e.keys,
            descriptor: e.descriptor,
            leaf_pads: e.leaf_pads,
            musig: e.musig,
        });
        self.providers.insert(index, p.clone());
        Some(p)
    }

    fn provider_at(
        &self,
        index: i32,
        include_private: bool,
        access: KeyAccess<'_>,
    ) -> Result<Option<SigningProvider>, KeyError> {
        let Some(public) = self.public_provider(index) else {
            return Ok(None);
        };
        let keys = match u32::try_from(index) {
            Ok(pos) if include_private && self.have_private_keys() => self
                .wdesc
                .descriptor
                .expand_private(pos, &self.keys(access)?)?,
            _ => KeyMap::new(),
        };
        Ok(Some(SigningProvider {
            index,
            scripts: public.scripts.clone(),
            pubkeys: public.pubkeys.clone(),
            descriptor: public.descriptor.clone(),
            leaf_pads: public.leaf_pads.clone(),
            musig: public.musig.clone(),
            keys,
        }))
    }

    /// Core's `GetSigningProvider(script)`: keys, origins and scripts for an
    /// owned script; private keys only with `include_private` and access.
    pub fn signing_provider(
        &self,
        script: &ScriptBuf,
        include_private: bool,
        access: KeyAccess<'_>,
    ) -> Result<Option<SigningProvider>, KeyError> {
        match self.script_index(script) {
            Some(i) => self.provider_at(i, include_private, access),
            None => Ok(None),
        }
    }

    /// Core's `GetSigningProvider(pubkey)`: the provider for the index that
    /// derived `pubkey`, only if its private key is available.
    pub fn signing_provider_for_pubkey(
        &self,
        pubkey: &PublicKey,
        access: KeyAccess<'_>,
    ) -> Result<Option<SigningProvider>, KeyError> {
        let Some(&i) = self.pubkey_index.get(pubkey) else {
            return Ok(None);
        };
        // Taproot keys may be held under their even-parity form.
        let xonly = pubkey.inner.x_only_public_key().0;
        Ok(self.provider_at(i, true, access)?.filter(|p| {
            p.keys
                .keys()
                .any(|k| k == pubkey || k.inner.x_only_public_key().0 == xonly)
        }))
    }

    /// The private key that signs for `script` when it is a single-key
    /// script (pkh, wpkh, sh-wpkh, key-path tr, combo), if available.
    pub fn get_signing_key(
        &self,
        script: &ScriptBuf,
        access: KeyAccess<'_>,
    ) -> Result<Option<PrivateKey>, KeyError> {
        let Some(p) = self.signing_provider(script, true, access)? else {
            return Ok(None);
        };
        Ok(match p.pubkeys.as_slice() {
            [k] => p.keys.get(&k.pubkey).copied(),
            _ => None,
        })
    }

    /// Core's `GetDescriptorString`: with `private`, the root secrets in
    /// place of public keys (fails without any); otherwise the normalized
    /// form (`listdescriptors`).
    pub fn descriptor_string(
        &self,
        private: bool,
        access: KeyAccess<'_>,
    ) -> Result<String, KeyError> {
        let keys = self.keys(access)?;
        if private {
            let (s, any) = self.wdesc.descriptor.to_private_string(&keys);
            if !any {
                return Err(KeyError::Keys("Can't get descriptor string.".into()));
            }
            return Ok(s);
        }
        self.wdesc
            .descriptor
            .to_normalized_string(&keys, Some(&self.wdesc.cache))
    }

    /// Core's `UpgradeDescriptorCache`: adds last-hardened xpubs when the
    /// wallet flag is missing and keys are usable; returns the new items.
    pub fn upgrade_descriptor_cache(
        &mut self,
        access: KeyAccess<'_>,
        flag_set: bool,
    ) -> Result<Option<DescriptorCache>, KeyError> {
        if matches!(access, KeyAccess::Locked)
            || flag_set
            || !self.wdesc.cache.last_hardened_all().is_empty()
        {
            return Ok(None);
        }
        let keys = self.keys(access)?;
        let mut temp = DescriptorCache::new();
        self.wdesc
            .descriptor
            .expand(0, Some(&keys), Some(&mut temp))?;
        Ok(Some(self.wdesc.cache.merge_and_diff(&temp)?))
    }

    /// Core's `UpdateWalletDescriptor` (re-import of the same descriptor):
    /// the new range must contain the current one; keys are added and the
    /// window re-derived.
    pub fn update_wallet_descriptor(
        &mut self,
        wdesc: WalletDescriptor,
        keys: &KeyMap,
        access: KeyAccess<'_>,
    ) -> Result<(Vec<KeyRecord>, TopUp), KeyError> {
        if wdesc.id != self.wdesc.id {
            return Err(KeyError::Keys("can only update matching descriptor".into()));
        }
        if wdesc.descriptor.is_range()
            && (wdesc.range_start > self.wdesc.range_start
                || wdesc.range_end < self.wdesc.range_end)
        {
            return Err(KeyError::Keys(format!(
                "new range must include current range = [{},{}]",
                self.wdesc.range_start,
                self.wdesc.range_end - 1
            )));
        }
        self.script_index.clear();
        self.pubkey_index.clear();
        self.providers.clear();
        self.max_cached_index = -1;
        self.wdesc = wdesc;
        let mut records = Vec::new();
        for key in keys.values() {
            records.extend(self.add_key(key, access)?);
        }
        let top_up = self
            .top_up(0, access)
            .map_err(|e| KeyError::Keys(format!("Could not top up scriptPubKeys: {e}")))?;
        Ok((records, top_up))
    }
}
