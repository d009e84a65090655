use super::legacy::LegacyData;
use crate::db::bdb;
use bitcoin::Network;

fn load(file: &[u8]) -> LegacyData {
    let records = bdb::parse(file).expect("parses");
    LegacyData::load(&records).expect("loads")
}

#[test]
fn an_hd_wallet_becomes_combo_descriptors_and_a_watch_only_address() {
    let legacy = load(include_bytes!("../../../../test/data/legacy/hd.dat"));
    assert!(legacy.has_legacy_records);
    assert!(!legacy.is_encrypted());
    let chain = legacy.hd_chain.clone().expect("hd chain");
    assert_eq!((chain.external_counter, chain.internal_counter), (3, 2));
    let data = legacy.migrate(Network::Regtest, false).expect("migrates");
    let descs: Vec<&str> = data
        .spendable
        .iter()
        .map(|d| d.descriptor.as_str())
        .collect();
    // The seed and the imported key get combo(pubkey); the chain gets one
    // hardened combo per branch over the keys it derived.
    let loose = descs.iter().filter(|d| !d.contains("/*h")).count();
    assert_eq!(loose, 2, "{descs:?}");
    assert!(
        descs.iter().any(|d| d.starts_with(
            "combo(03b3b533c6a4b15bad629623372581c84dd4cabf2d8b37eb2c739ec56cf426c555"
        ) || d.starts_with("combo([")),
        "{descs:?}"
    );
    let ranged: Vec<_> = data
        .spendable
        .iter()
        .filter(|d| d.descriptor.contains("/*h"))
        .collect();
    assert_eq!(ranged.len(), 2);
    assert!(ranged[0].descriptor.ends_with("/0h/0h/*h)"));
    assert_eq!(ranged[0].range_end, 3);
    assert!(ranged[1].descriptor.ends_with("/0h/1h/*h)"));
    assert_eq!(ranged[1].range_end, 2);
    assert!(data.master_key.is_some());
    assert_eq!(data.watch_only.len(), 1);
    assert_eq!(
        data.watch_only[0].descriptor,
        "addr(miLriN7XkbPgiTt4PHViF6kVhFv6ePCY1u)"
    );
    assert!(data.solvables.is_empty());
}

#[test]
fn an_encrypted_wallet_needs_its_passphrase() {
    let mut legacy = load(include_bytes!("../../../../test/data/legacy/encrypted.dat"));
    assert!(legacy.is_encrypted());
    // Locked, the keys cannot become descriptors.
    assert!(legacy.migrate(Network::Regtest, false).is_err());
    assert!(legacy.unlock(b"wrong").is_err());
    legacy.unlock(b"migrate-pass").expect("unlocks");
    let data = legacy.migrate(Network::Regtest, false).expect("migrates");
    assert_eq!(data.spendable.len(), 4);
    assert!(data.master_key.is_some());
}

#[test]
fn a_corrupt_key_record_is_refused() {
    let file = include_bytes!("../../../../test/data/legacy/hd.dat");
    let mut records = bdb::parse(file).expect("parses");
    let key = records
        .keys()
        .find(|k| k.starts_with(b"\x03key"))
        .cloned()
        .expect("a key");
    if let Some(v) = records.get_mut(&key) {
        v[20] ^= 1;
    }
    let e = LegacyData::load(&records).unwrap_err();
    assert_eq!(e, "Error reading wallet database: CPubKey/CPrivKey corrupt");
}
