//! The key material of a legacy wallet (Core's `LegacyDataSPKM` as loaded
//! by `LoadLegacyWalletRecords`), its `IsMine` rules, and the descriptors
//! that replace it (`MigrateToDescriptor`).

use crate::crypto::{self, KeyingMaterial, MasterKey};
use crate::db::records::{privkey_from_der, types};
use crate::db::ser::{hex_lower, Reader};
use bitcoin::bip32::{Xpriv, Xpub};
use bitcoin::hashes::{hash160, ripemd160, sha256d, Hash};
use bitcoin::script::Instruction;
use bitcoin::{
    opcodes, Address, Network, PrivateKey, PubkeyHash, PublicKey, Script, ScriptBuf, ScriptHash,
    WPubkeyHash,
};
use std::collections::{BTreeMap, BTreeSet};

/// The passphrase opened no master key, or the key it opened does not
/// decrypt the wallet's keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WrongPassphrase;

/// Core's `CKeyMetadata`, the fields migration reads.
#[derive(Debug, Clone, Default)]
pub struct KeyMeta {
    /// Creation time.
    pub create_time: i64,
    /// `hdKeypath` ("s"/"m" for a seed, "m/0'/0'/5'" for a derived key).
    pub hd_keypath: String,
    /// The seed's key id, zero if none.
    pub hd_seed_id: [u8; 20],
    /// Key origin: fingerprint and path, when recorded.
    pub origin: Option<([u8; 4], Vec<u32>)>,
}

/// Core's `CHDChain`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct HdChain {
    /// 1 = base, 2 = with a separate internal chain.
    pub version: i32,
    /// Keys derived on the external chain.
    pub external_counter: u32,
    /// The seed's key id.
    pub seed_id: [u8; 20],
    /// Keys derived on the internal chain.
    pub internal_counter: u32,
}

/// A key of the wallet: its public key and, once known, its secret.
#[derive(Debug, Clone)]
struct Key {
    pubkey: PublicKey,
    secret: Option<PrivateKey>,
    crypted: Option<Vec<u8>>,
}

/// Everything a legacy wallet holds about keys and scripts.
#[derive(Debug, Default)]
pub struct LegacyData {
    keys: BTreeMap<[u8; 20], Key>,
    meta: BTreeMap<[u8; 20], KeyMeta>,
    script_meta: BTreeMap<[u8; 20], i64>,
    scripts: BTreeMap<[u8; 20], ScriptBuf>,
    watch: BTreeSet<ScriptBuf>,
    watch_keys: BTreeMap<[u8; 20], PublicKey>,
    /// The active HD chain, if any.
    pub hd_chain: Option<HdChain>,
    inactive_chains: BTreeMap<[u8; 20], HdChain>,
    /// Encryption master keys (`mkey`).
    pub master_keys: Vec<MasterKey>,
    /// The `flags` record (0 when absent).
    pub flags: u64,
    /// Whether any legacy record exists (Core's `HasLegacyRecords`).
    pub has_legacy_records: bool,
}

/// A descriptor migration makes: its string (with private keys where the
/// wallet has them, as the caller's key map), creation time and window.
#[derive(Debug, Clone)]
pub struct MigratedDescriptor {
    /// The descriptor, public form.
    pub descriptor: String,
    /// Private keys it needs.
    pub keys: Vec<PrivateKey>,
    /// Creation time (key or script metadata).
    pub creation_time: u64,
    /// End of the derived window (ranged descriptors only).
    pub range_end: i32,
}

/// What migration makes of a legacy wallet (Core's `MigrationData`).
#[derive(Debug, Default)]
pub struct MigrationData {
    /// Descriptors that stay in the wallet, with their keys.
    pub spendable: Vec<MigratedDescriptor>,
    /// Descriptors for the `_watchonly` wallet.
    pub watch_only: Vec<MigratedDescriptor>,
    /// Descriptors for the `_solvables` wallet.
    pub solvables: Vec<MigratedDescriptor>,
    /// The active chain's master key: the new default descriptors use it.
    pub master_key: Option<Xpriv>,
}

fn key_id(pubkey: &PublicKey) -> [u8; 20] {
    hash160::Hash::hash(&pubkey.to_bytes()).to_byte_array()
}

fn script_id(script: &Script) -> [u8; 20] {
    hash160::Hash::hash(script.as_bytes()).to_byte_array()
}

fn corrupt(what: &str) -> String {
    format!("Error reading wallet database: {what}")
}

fn read_pubkey(r: &mut Reader<'_>) -> Result<PublicKey, String> {
    let bytes = r.var_bytes().map_err(|e| e.0)?;
    PublicKey::from_slice(&bytes).map_err(|_| corrupt("CPubKey corrupt"))
}

fn read_meta(value: &[u8]) -> Result<KeyMeta, String> {
    let mut r = Reader::new(value);
    let version = r.i32().map_err(|e| e.0)?;
    let mut m = KeyMeta {
        create_time: r.i64().map_err(|e| e.0)?,
        ..KeyMeta::default()
    };
    if version >= 10 {
        m.hd_keypath = r.string().map_err(|e| e.0)?;
        m.hd_seed_id = r.array::<20>().map_err(|e| e.0)?;
    }
    if version >= 12 {
        let fp = r.array::<4>().map_err(|e| e.0)?;
        let n = r.len().map_err(|e| e.0)?;
        let mut path = Vec::new();
        for _ in 0..n {
            path.push(r.u32().map_err(|e| e.0)?);
        }
        let has = r.bool().map_err(|e| e.0)?;
        if has {
            m.origin = Some((fp, path));
        }
    }
    Ok(m)
}

/// The branch (internal or not) of a key derived on a legacy HD chain, as
/// `m/0'/B'/i'`, from its origin or else its key path.
fn hd_branch(m: &KeyMeta) -> Option<bool> {
    let path = match &m.origin {
        Some((_, p)) => p.clone(),
        None => parse_keypath(&m.hd_keypath)?,
    };
    match path.as_slice() {
        [0x8000_0000, b, i] if i & 0x8000_0000 != 0 && (*b == 0x8000_0000 || *b == 0x8000_0001) => {
            Some(*b == 0x8000_0001)
        }
        _ => None,
    }
}

/// Parses "m/0'/1'/5'" (Core's `ParseHDKeypath`).
fn parse_keypath(s: &str) -> Option<Vec<u32>> {
    let mut parts = s.split('/');
    if parts.next() != Some("m") {
        return None;
    }
    parts
        .map(|p| {
            let (n, hard) = match p.strip_suffix('\'').or_else(|| p.strip_suffix('h')) {
                Some(n) => (n, true),
                None => (p, false),
            };
            let v: u32 = n.parse().ok()?;
            if v >= 0x8000_0000 {
                return None;
            }
            Some(if hard { v | 0x8000_0000 } else { v })
        })
        .collect()
}

impl LegacyData {
    /// Reads the legacy records from `records` (key bytes to value bytes).
    /// Errors are Core's load errors, for a corrupt wallet.
    pub fn load(records: &BTreeMap<Vec<u8>, Vec<u8>>) -> Result<Self, String> {
        let mut d = LegacyData::default();
        let mut derived_chains: BTreeMap<[u8; 20], HdChain> = BTreeMap::new();
        for (k, v) in records {
            let mut r = Reader::new(k);
            let Ok(ty) = r.string() else { continue };
            if types::LEGACY_TYPES.contains(&ty.as_str()) {
                d.has_legacy_records = true;
            }
            match ty.as_str() {
                "flags" => {
                    d.flags = Reader::new(v).u64().map_err(|e| e.0)?;
                }
                "mkey" => {
                    let mk = MasterKey::deserialize(v).map_err(|e| e.to_string())?;
                    d.master_keys.push(mk);
                }
                "hdchain" => {
                    let mut r = Reader::new(v);
                    let version = r.i32().map_err(|e| e.0)?;
                    let external_counter = r.u32().map_err(|e| e.0)?;
                    let seed_id = r.array::<20>().map_err(|e| e.0)?;
                    let internal_counter = if version >= 2 {
                        r.u32().map_err(|e| e.0)?
                    } else {
                        0
                    };
                    d.hd_chain = Some(HdChain {
                        version,
                        external_counter,
                        seed_id,
                        internal_counter,
                    });
                }
                "key" => {
                    let pubkey = read_pubkey(&mut r)?;
                    let mut vr = Reader::new(v);
                    let der = vr.var_bytes().map_err(|e| e.0)?;
                    if let Ok(hash) = vr.u256() {
                        if hash != [0u8; 32] {
                            let mut buf = Vec::new();
                            let pk = pubkey.to_bytes();
                            buf.push(pk.len() as u8);
                            buf.extend_from_slice(&pk);
                            let mut w = crate::db::ser::Writer::new();
                            w.var_bytes(&der);
                            buf.extend_from_slice(&w.into_bytes());
                            if sha256d::Hash::hash(&buf).to_byte_array() != hash {
                                return Err(corrupt("CPubKey/CPrivKey corrupt"));
                            }
                        }
                    }
                    let secret =
                        privkey_from_der(&der).ok_or_else(|| corrupt("CPrivKey corrupt"))?;
                    let key = PrivateKey {
                        compressed: pubkey.compressed,
                        network: bitcoin::NetworkKind::Test,
                        inner: secret,
                    };
                    if key.public_key(crate::keys::secp()) != pubkey {
                        return Err(corrupt("CPrivKey corrupt"));
                    }
                    d.keys.insert(
                        key_id(&pubkey),
                        Key {
                            pubkey,
                            secret: Some(key),
                            crypted: None,
                        },
                    );
                }
                "ckey" => {
                    let pubkey = read_pubkey(&mut r)?;
                    let mut vr = Reader::new(v);
                    let crypted = vr.var_bytes().map_err(|e| e.0)?;
                    if !vr.is_empty() {
                        let sum = vr.u256().map_err(|e| e.0)?;
                        if sha256d::Hash::hash(&crypted).to_byte_array() != sum {
                            return Err(corrupt("Encrypted key corrupt"));
                        }
                    }
                    d.keys.insert(
                        key_id(&pubkey),
                        Key {
                            pubkey,
                            secret: None,
                            crypted: Some(crypted),
                        },
                    );
                }
                "cscript" => {
                    let script =
                        ScriptBuf::from_bytes(Reader::new(v).var_bytes().map_err(|e| e.0)?);
                    // Core skips redeem scripts that could never be spent.
                    if script.len() <= 520 {
                        d.scripts.insert(script_id(&script), script);
                    }
                }
                "keymeta" => {
                    let pubkey = read_pubkey(&mut r)?;
                    let m = read_meta(v)?;
                    if m.hd_seed_id != [0u8; 20] && !m.hd_keypath.is_empty() {
                        let mut internal = false;
                        let mut index = 0u32;
                        let mut ok = true;
                        if m.hd_keypath != "s" && m.hd_keypath != "m" {
                            let path = match &m.origin {
                                Some((_, p)) => Some(p.clone()),
                                None => parse_keypath(&m.hd_keypath),
                            };
                            match path {
                                Some(p)
                                    if p.len() == 3
                                        && p[0] == 0x8000_0000
                                        && (p[1] == 0x8000_0000 || p[1] == 0x8000_0001)
                                        && p[2] & 0x8000_0000 != 0 =>
                                {
                                    internal = p[1] == 0x8000_0001;
                                    index = p[2] & !0x8000_0000;
                                }
                                _ => ok = false,
                            }
                        }
                        if ok {
                            let c = derived_chains.entry(m.hd_seed_id).or_insert(HdChain {
                                version: 1,
                                seed_id: m.hd_seed_id,
                                ..HdChain::default()
                            });
                            if internal {
                                c.version = 2;
                                c.internal_counter = c.internal_counter.max(index + 1);
                            } else {
                                c.external_counter = c.external_counter.max(index + 1);
                            }
                        }
                    }
                    d.meta.insert(key_id(&pubkey), m);
                }
                "watchs" => {
                    let script = ScriptBuf::from_bytes(r.var_bytes().map_err(|e| e.0)?);
                    if v.first() == Some(&b'1') {
                        d.add_watch(script);
                    }
                }
                "watchmeta" => {
                    let script = ScriptBuf::from_bytes(r.var_bytes().map_err(|e| e.0)?);
                    let m = read_meta(v)?;
                    d.script_meta.insert(script_id(&script), m.create_time);
                }
                "wkey" => {
                    return Err(
                        "Found unsupported 'wkey' record, try loading with version 0.18".into(),
                    )
                }
                _ => {}
            }
        }
        let active = d.hd_chain.as_ref().map(|c| c.seed_id);
        for (seed, chain) in derived_chains {
            if Some(seed) != active {
                d.inactive_chains.insert(seed, chain);
            }
        }
        // Core learns the P2WPKH script of every compressed key it holds.
        let pubkeys: Vec<PublicKey> = d
            .keys
            .values()
            .map(|k| k.pubkey)
            .chain(d.watch_keys.values().copied())
            .collect();
        for pk in pubkeys {
            d.learn_related(&pk);
        }
        Ok(d)
    }

    fn learn_related(&mut self, pk: &PublicKey) {
        if pk.compressed {
            let s = wpkh_script(pk);
            self.scripts.insert(script_id(&s), s);
        }
    }

    fn add_watch(&mut self, script: ScriptBuf) {
        if let Some(pk) = p2pk_key(&script) {
            self.watch_keys.insert(key_id(&pk), pk);
        }
        self.watch.insert(script);
    }

    /// Whether the wallet's keys are encrypted.
    pub fn is_encrypted(&self) -> bool {
        !self.master_keys.is_empty()
    }

    /// Core's unlock for migration: the passphrase must open a master key
    /// that decrypts every encrypted key; the secrets are then held here.
    pub fn unlock(&mut self, passphrase: &[u8]) -> Result<KeyingMaterial, WrongPassphrase> {
        let master = crypto::unlock_master_key(&self.master_keys, passphrase)
            .map_err(|_| WrongPassphrase)?;
        let mut decrypted = Vec::new();
        for (id, k) in &self.keys {
            if let Some(c) = &k.crypted {
                let key =
                    crypto::decrypt_key(&master, c, &k.pubkey).map_err(|_| WrongPassphrase)?;
                decrypted.push((*id, key));
            }
        }
        for (id, key) in decrypted {
            if let Some(k) = self.keys.get_mut(&id) {
                k.secret = Some(PrivateKey {
                    compressed: k.pubkey.compressed,
                    ..key
                });
            }
        }
        Ok(master)
    }

    fn have_key(&self, id: &[u8; 20]) -> bool {
        self.keys.contains_key(id)
    }

    fn get_pubkey(&self, id: &[u8; 20]) -> Option<PublicKey> {
        self.keys
            .get(id)
            .map(|k| k.pubkey)
            .or_else(|| self.watch_keys.get(id).copied())
    }

    fn secret(&self, id: &[u8; 20]) -> Option<PrivateKey> {
        self.keys.get(id).and_then(|k| k.secret)
    }

    /// Core's legacy `IsMine` (spendable or watched).
    pub fn is_mine(&self, script: &Script) -> bool {
        matches!(
            self.is_mine_inner(script, Ctx::Top),
            Mine::Watch | Mine::Spendable
        )
    }

    fn is_mine_inner(&self, script: &Script, ctx: Ctx) -> Mine {
        let mut ret = Mine::No;
        match solve(script) {
            Solved::PubKey(bytes) => {
                if ctx == Ctx::Witness && bytes.len() != 33 {
                    return Mine::Invalid;
                }
                if let Ok(pk) = PublicKey::from_slice(&bytes) {
                    if self.have_key(&key_id(&pk)) {
                        ret = Mine::Spendable;
                    }
                }
            }
            Solved::WitnessKeyHash(h) => {
                if ctx == Ctx::Witness {
                    return Mine::Invalid;
                }
                if ctx == Ctx::Top && !self.scripts.contains_key(&script_id(script)) {
                    // A bare witness output counts only if its P2SH form would.
                } else {
                    let pkh = ScriptBuf::new_p2pkh(&PubkeyHash::from_byte_array(h));
                    ret = ret.max(self.is_mine_inner(&pkh, Ctx::Witness));
                }
            }
            Solved::KeyHash(h) => {
                if ctx == Ctx::Witness {
                    if let Some(pk) = self.get_pubkey(&h) {
                        if !pk.compressed {
                            return Mine::Invalid;
                        }
                    }
                }
                if self.have_key(&h) {
                    ret = Mine::Spendable;
                }
            }
            Solved::ScriptHash(h) => {
                if ctx != Ctx::Top {
                    return Mine::Invalid;
                }
                if let Some(sub) = self.scripts.get(&h) {
                    ret = ret.max(self.is_mine_inner(sub, Ctx::P2sh));
                }
            }
            Solved::WitnessScriptHash(h) => {
                if ctx == Ctx::Witness {
                    return Mine::Invalid;
                }
                if ctx == Ctx::Top && !self.scripts.contains_key(&script_id(script)) {
                } else {
                    let id = ripemd160::Hash::hash(&h).to_byte_array();
                    if let Some(sub) = self.scripts.get(&id) {
                        ret = ret.max(self.is_mine_inner(sub, Ctx::Witness));
                    }
                }
            }
            Solved::Multisig(_, keys) => {
                if ctx != Ctx::Top {
                    if ctx == Ctx::Witness && keys.iter().any(|k| k.len() != 33) {
                        return Mine::Invalid;
                    }
                    let all = keys.iter().all(|k| {
                        PublicKey::from_slice(k)
                            .map(|pk| self.have_key(&key_id(&pk)))
                            .unwrap_or(false)
                    });
                    if all {
                        ret = Mine::Spendable;
                    }
                }
            }
            Solved::Other => {}
        }
        if ret == Mine::No && self.watch.contains(script) {
            ret = Mine::Watch;
        }
        ret
    }

    /// Core's `GetCandidateScriptPubKeys`.
    fn candidates(&self) -> BTreeSet<ScriptBuf> {
        let mut out = BTreeSet::new();
        for k in self.keys.values() {
            out.insert(ScriptBuf::new_p2pk(&k.pubkey));
            out.insert(ScriptBuf::new_p2pkh(&k.pubkey.pubkey_hash()));
            let w = wpkh_script(&k.pubkey);
            out.insert(ScriptBuf::new_p2sh(&w.script_hash()));
            out.insert(w);
        }
        for s in self.scripts.values().chain(self.watch.iter()) {
            out.insert(s.clone());
            out.insert(ScriptBuf::new_p2sh(&s.script_hash()));
            let wsh = ScriptBuf::new_p2wsh(&s.wscript_hash());
            out.insert(ScriptBuf::new_p2sh(&wsh.script_hash()));
            out.insert(wsh);
        }
        out
    }

    /// Core's `GetNotMineScriptPubKeys`: watched scripts migration drops.
    pub fn not_mine_watched(&self) -> Vec<ScriptBuf> {
        self.watch
            .iter()
            .filter(|s| !self.is_mine(s))
            .cloned()
            .collect()
    }

    /// The key origin string of a key (Core's `GetKeyOrigin`), or "".
    fn origin(&self, id: &[u8; 20]) -> String {
        match self.meta.get(id) {
            None => String::new(),
            Some(m) => match &m.origin {
                Some((fp, path)) => {
                    let p: String = path
                        .iter()
                        .map(|c| {
                            if c & 0x8000_0000 != 0 {
                                format!("/{}'", c & 0x7fff_ffff)
                            } else {
                                format!("/{c}")
                            }
                        })
                        .collect();
                    format!("[{}{p}]", hex_lower(fp))
                }
                None => format!("[{}]", hex_lower(&id[..4])),
            },
        }
    }

    /// Core's `MigrateToDescriptor`; the wallet must be unlocked. Scripts
    /// that match no descriptor come back as `Err`.
    pub fn migrate(
        &self,
        network: Network,
        watch_only_wallet: bool,
    ) -> Result<MigrationData, String> {
        let mut out = MigrationData::default();
        let mut spks: BTreeSet<ScriptBuf> = self
            .candidates()
            .into_iter()
            .filter(|s| self.is_mine(s))
            .collect();
        let chains: Vec<HdChain> = self
            .hd_chain
            .iter()
            .cloned()
            .chain(self.inactive_chains.values().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let is_chain_seed = |seed: &[u8; 20]| chains.iter().any(|c| &c.seed_id == seed);
        // Keys not derived from a known chain: one combo() each.
        for (id, k) in &self.keys {
            if let Some(m) = self.meta.get(id) {
                if m.hd_keypath != "s"
                    && m.hd_keypath != "m"
                    && m.hd_seed_id != [0u8; 20]
                    && is_chain_seed(&m.hd_seed_id)
                {
                    continue;
                }
            }
            let secret = self
                .secret(id)
                .ok_or("Error: Legacy wallet key is locked")?;
            let creation_time = self.meta.get(id).map(|m| m.create_time).unwrap_or(0);
            let desc = format!(
                "combo({}{})",
                self.origin(id),
                hex_lower(&k.pubkey.to_bytes())
            );
            for s in combo_scripts(&k.pubkey) {
                spks.remove(&s);
            }
            out.spendable.push(MigratedDescriptor {
                descriptor: desc,
                keys: vec![secret],
                creation_time: u64::try_from(creation_time).unwrap_or(0),
                range_end: 0,
            });
        }
        // HD chains: combo(xprv/0h/{0,1}h/*h) over the derived window.
        let split = self
            .hd_chain
            .as_ref()
            .map(|c| c.version >= 2)
            .unwrap_or(false);
        let secp = crate::keys::secp();
        let mut seen = BTreeSet::new();
        for chain in &chains {
            if chain.seed_id == [0u8; 20] {
                continue;
            }
            let seed = self
                .secret(&chain.seed_id)
                .ok_or("Error: Legacy wallet HD seed is missing")?;
            let master = Xpriv::new_master(network, &seed.inner.secret_bytes())
                .map_err(|e| e.to_string())?;
            let xpub = Xpub::from_priv(secp, &master);
            if !seen.insert(xpub.encode()) {
                continue;
            }
            for internal in [false, true] {
                if internal && !split {
                    continue;
                }
                let counter = if internal {
                    chain.internal_counter
                } else {
                    chain.external_counter
                };
                let branch = u32::from(internal);
                // The keys this chain derived are in the wallet with their
                // metadata; their scripts are now covered.
                for (id, k) in &self.keys {
                    let on_branch = self.meta.get(id).is_some_and(|m| {
                        m.hd_seed_id == chain.seed_id && hd_branch(m) == Some(internal)
                    });
                    if on_branch {
                        for s in combo_scripts(&k.pubkey) {
                            spks.remove(&s);
                        }
                    }
                }
                out.spendable.push(MigratedDescriptor {
                    descriptor: format!("combo({xpub}/0h/{branch}h/*h)"),
                    keys: vec![master.to_priv()],
                    creation_time: 0,
                    range_end: i32::try_from(counter).unwrap_or(i32::MAX),
                });
            }
        }
        if let Some(c) = &self.hd_chain {
            if c.seed_id != [0u8; 20] {
                let seed = self
                    .secret(&c.seed_id)
                    .ok_or("Error: Legacy wallet HD seed is missing")?;
                out.master_key = Some(
                    Xpriv::new_master(network, &seed.inner.secret_bytes())
                        .map_err(|e| e.to_string())?,
                );
            }
        }
        // The rest are imports: infer a descriptor for each.
        let rest: Vec<ScriptBuf> = spks.iter().cloned().collect();
        for spk in rest {
            if !spks.contains(&spk) {
                continue;
            }
            let creation_time = self.script_meta.get(&script_id(&spk)).copied().unwrap_or(0);
            let Some(inferred) = self.infer(&spk, Ctx::Top, network) else {
                spks.remove(&spk);
                continue;
            };
            spks.remove(&spk);
            let have_all = !inferred.keys.is_empty()
                && inferred.keys.iter().all(|id| self.secret(id).is_some());
            let d = MigratedDescriptor {
                descriptor: inferred.text,
                keys: inferred
                    .keys
                    .iter()
                    .filter_map(|id| self.secret(id))
                    .collect(),
                creation_time: u64::try_from(creation_time).unwrap_or(0),
                range_end: 0,
            };
            if !have_all && !watch_only_wallet {
                out.watch_only.push(MigratedDescriptor {
                    keys: Vec::new(),
                    ..d
                });
            } else {
                out.spendable.push(d);
            }
        }
        // Solvable but unwatched P2SH/P2WSH scripts.
        for script in self.candidates() {
            if !(script.is_p2sh() || script.is_p2wsh()) || self.is_mine(&script) {
                continue;
            }
            let Some(inferred) = self.infer(&script, Ctx::Top, network) else {
                continue;
            };
            if !inferred.solvable {
                continue;
            }
            let creation_time = self
                .script_meta
                .get(&script_id(&script))
                .copied()
                .unwrap_or(0);
            out.solvables.push(MigratedDescriptor {
                descriptor: inferred.text,
                keys: Vec::new(),
                creation_time: u64::try_from(creation_time).unwrap_or(0),
                range_end: 0,
            });
        }
        Ok(out)
    }

    /// A key expression for `pk`: its origin (if any) and hex.
    fn key_expr(&self, pk: &PublicKey) -> String {
        format!("{}{}", self.origin(&key_id(pk)), hex_lower(&pk.to_bytes()))
    }

    /// A subset of Core's `InferDescriptor` for the scripts legacy wallets
    /// hold: pk, pkh, wpkh, multi/sortedmulti-free multisig, sh and wsh
    /// wrappers with known scripts, else addr() or raw().
    fn infer(&self, script: &Script, ctx: Ctx, network: Network) -> Option<Inferred> {
        let top = ctx == Ctx::Top;
        match solve(script) {
            Solved::PubKey(b) => {
                if let Ok(pk) = PublicKey::from_slice(&b) {
                    if ctx != Ctx::Witness || pk.compressed {
                        return Some(Inferred::key(format!("pk({})", self.key_expr(&pk)), &pk));
                    }
                }
            }
            Solved::KeyHash(h) => {
                if let Some(pk) = self.get_pubkey(&h) {
                    if ctx != Ctx::Witness || pk.compressed {
                        return Some(Inferred::key(format!("pkh({})", self.key_expr(&pk)), &pk));
                    }
                }
            }
            Solved::WitnessKeyHash(h) if ctx != Ctx::Witness => {
                if let Some(pk) = self.get_pubkey(&h) {
                    if pk.compressed {
                        return Some(Inferred::key(format!("wpkh({})", self.key_expr(&pk)), &pk));
                    }
                }
            }
            Solved::Multisig(k, keys) => {
                let mut exprs = Vec::new();
                let mut ids = Vec::new();
                for b in &keys {
                    let pk = PublicKey::from_slice(b).ok()?;
                    if ctx == Ctx::Witness && !pk.compressed {
                        return None;
                    }
                    exprs.push(self.key_expr(&pk));
                    ids.push(key_id(&pk));
                }
                return Some(Inferred {
                    text: format!("multi({k},{})", exprs.join(",")),
                    keys: ids,
                    solvable: true,
                });
            }
            Solved::ScriptHash(h) if top => {
                if let Some(sub) = self.scripts.get(&h) {
                    if let Some(i) = self.infer(sub, Ctx::P2sh, network) {
                        return Some(i.wrap("sh"));
                    }
                }
            }
            Solved::WitnessScriptHash(h) if ctx != Ctx::Witness => {
                let id = ripemd160::Hash::hash(&h).to_byte_array();
                if let Some(sub) = self.scripts.get(&id) {
                    if let Some(i) = self.infer(sub, Ctx::Witness, network) {
                        return Some(i.wrap("wsh"));
                    }
                }
            }
            _ => {}
        }
        if top {
            if let Ok(a) = Address::from_script(script, network) {
                return Some(Inferred {
                    text: format!("addr({a})"),
                    keys: Vec::new(),
                    solvable: false,
                });
            }
            return Some(Inferred {
                text: format!("raw({})", hex_lower(script.as_bytes())),
                keys: Vec::new(),
                solvable: false,
            });
        }
        None
    }
}

/// An inferred descriptor: text, the key ids it uses, and whether it can
/// be solved (it names its keys or scripts rather than an address).
struct Inferred {
    text: String,
    keys: Vec<[u8; 20]>,
    solvable: bool,
}

impl Inferred {
    fn key(text: String, pk: &PublicKey) -> Self {
        Inferred {
            text,
            keys: vec![key_id(pk)],
            solvable: true,
        }
    }

    fn wrap(self, f: &str) -> Self {
        Inferred {
            text: format!("{f}({})", self.text),
            ..self
        }
    }
}

/// Script execution context (Core's `IsMineSigVersion`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Top,
    P2sh,
    Witness,
}

/// Core's `IsMineResult`, ordered.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Mine {
    No,
    Watch,
    Spendable,
    Invalid,
}

/// The standard script templates legacy `IsMine` knows (Core's `Solver`).
enum Solved {
    PubKey(Vec<u8>),
    KeyHash([u8; 20]),
    ScriptHash([u8; 20]),
    WitnessKeyHash([u8; 20]),
    WitnessScriptHash([u8; 32]),
    Multisig(usize, Vec<Vec<u8>>),
    Other,
}

fn small_int(op: opcodes::Opcode) -> Option<usize> {
    let b = op.to_u8();
    if (0x51..=0x60).contains(&b) {
        Some(usize::from(b - 0x50))
    } else {
        None
    }
}

fn solve(s: &Script) -> Solved {
    let b = s.as_bytes();
    if s.is_p2sh() {
        return Solved::ScriptHash(b[2..22].try_into().unwrap_or([0; 20]));
    }
    if s.is_p2wpkh() {
        return Solved::WitnessKeyHash(b[2..22].try_into().unwrap_or([0; 20]));
    }
    if s.is_p2wsh() {
        return Solved::WitnessScriptHash(b[2..34].try_into().unwrap_or([0; 32]));
    }
    if s.is_p2pkh() {
        return Solved::KeyHash(b[3..23].try_into().unwrap_or([0; 20]));
    }
    if let Some(pk) = p2pk_bytes(s) {
        return Solved::PubKey(pk);
    }
    // m <keys...> n OP_CHECKMULTISIG
    let ins: Vec<Instruction<'_>> = match s.instructions().collect::<Result<Vec<_>, _>>() {
        Ok(i) => i,
        Err(_) => return Solved::Other,
    };
    if ins.len() >= 4 {
        if let (Some(Instruction::Op(m)), Some(Instruction::Op(n)), Some(Instruction::Op(c))) =
            (ins.first(), ins.get(ins.len() - 2), ins.last())
        {
            if *c == opcodes::all::OP_CHECKMULTISIG {
                if let (Some(m), Some(n)) = (small_int(*m), small_int(*n)) {
                    let keys: Vec<Vec<u8>> = ins[1..ins.len() - 2]
                        .iter()
                        .filter_map(|i| match i {
                            Instruction::PushBytes(p) if p.len() == 33 || p.len() == 65 => {
                                Some(p.as_bytes().to_vec())
                            }
                            _ => None,
                        })
                        .collect();
                    if keys.len() == n && keys.len() == ins.len() - 3 && m >= 1 && m <= n {
                        return Solved::Multisig(m, keys);
                    }
                }
            }
        }
    }
    Solved::Other
}

fn p2pk_bytes(s: &Script) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let last = *b.last()?;
    if last != opcodes::all::OP_CHECKSIG.to_u8() {
        return None;
    }
    match b.len() {
        35 if b[0] == 33 => Some(b[1..34].to_vec()),
        67 if b[0] == 65 => Some(b[1..66].to_vec()),
        _ => None,
    }
}

fn p2pk_key(s: &Script) -> Option<PublicKey> {
    p2pk_bytes(s).and_then(|b| PublicKey::from_slice(&b).ok())
}

fn wpkh_script(pk: &PublicKey) -> ScriptBuf {
    let h = hash160::Hash::hash(&pk.to_bytes()).to_byte_array();
    ScriptBuf::new_p2wpkh(&WPubkeyHash::from_byte_array(h))
}

/// The scripts `combo(pk)` produces.
fn combo_scripts(pk: &PublicKey) -> Vec<ScriptBuf> {
    let mut v = vec![
        ScriptBuf::new_p2pk(pk),
        ScriptBuf::new_p2pkh(&pk.pubkey_hash()),
    ];
    if pk.compressed {
        let w = wpkh_script(pk);
        v.push(ScriptBuf::new_p2sh(&ScriptHash::hash(w.as_bytes())));
        v.push(w);
    }
    v
}
