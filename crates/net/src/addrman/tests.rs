use super::persist::LoadError;
use super::*;

const MAGIC: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];
const NOW: i64 = 1_700_000_000;

fn svc(host: &str, port: u16) -> Service {
    Service {
        addr: NetAddr::parse(host).unwrap().flip_to_cjdns(true),
        port,
    }
}

/// `addpeeraddress`: the address is its own source, then maybe tried.
fn add_self(m: &mut AddrMan, host: &str, port: u16, tried: bool) -> bool {
    let s = svc(host, port);
    m.add(&[(s, 9, NOW)], &s.addr, 0, NOW) == 1 && (!tried || m.good(&s, true, NOW))
}

fn slot_of(m: &AddrMan, tried: bool, host: &str) -> String {
    let (slot, _) = m
        .entries(tried)
        .into_iter()
        .find(|(_, i)| i.addr.addr.to_string() == host)
        .unwrap();
    format!("{}/{}", slot.bucket, slot.position)
}

/// The deterministic key puts addresses where Core's `-test=addrman` does
/// (positions from Core's rpc_net.py).
#[test]
fn buckets_match_core_with_the_test_key() {
    let mut m = AddrMan::new(true);
    assert!(add_self(&mut m, "1.2.3.4", 8333, true));
    assert!(add_self(&mut m, "2.0.0.0", 8333, false));
    assert!(add_self(
        &mut m,
        "1233:3432:2434:2343:3234:2345:6546:4534",
        8333,
        true
    ));
    assert!(add_self(&mut m, "2803:0:1234:abcd::1", 45324, false));
    assert!(add_self(&mut m, "fc00:1:2:3:4:5:6:7", 8333, false));
    let onion1 = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
    let onion2 = "nrfj6inpyf73gpkyool35hcmne5zwfmse3jl3aw23vk7chdemalyaqad.onion";
    let i2p = "c4gfnttsuwqomiygupdqqqyy5y5emnk5c73hrfvatri67prd7vyq.b32.i2p";
    assert!(add_self(&mut m, onion1, 8333, true));
    assert!(add_self(&mut m, onion2, 45324, true));
    assert!(add_self(&mut m, i2p, 8333, false));
    assert_eq!(slot_of(&m, false, "2.0.0.0"), "82/8");
    assert_eq!(slot_of(&m, false, "fc00:1:2:3:4:5:6:7"), "336/24");
    assert_eq!(slot_of(&m, false, i2p), "963/46");
    assert_eq!(slot_of(&m, false, "2803:0:1234:abcd::1"), "613/6");
    assert_eq!(slot_of(&m, true, "1.2.3.4"), "6/33");
    assert_eq!(
        slot_of(&m, true, "1233:3432:2434:2343:3234:2345:6546:4534"),
        "197/34"
    );
    assert_eq!(slot_of(&m, true, onion1), "72/61");
    assert_eq!(slot_of(&m, true, onion2), "139/46");
    assert_eq!(m.counts(None), (4, 4));
    assert_eq!(m.counts(Some(Network::Onion)), (0, 2));
    assert_eq!(m.check(), 0);
}

/// Core's grinded address 1.2.5.45 collides with 1.2.3.4 in the tried table:
/// with test-before-evict it stays in new and waits as a collision.
#[test]
fn tried_collisions_wait_for_a_test() {
    let mut m = AddrMan::new(true);
    assert!(add_self(&mut m, "1.2.3.4", 8333, true));
    assert!(!add_self(&mut m, "1.2.5.45", 8333, true));
    assert_eq!(m.counts(None), (1, 1));
    let old = m.select_tried_collision().unwrap();
    assert_eq!(old.addr, svc("1.2.3.4", 8333));
    // The old entry answered recently: it stays.
    m.resolve_collisions(NOW + 60);
    assert!(m.select_tried_collision().is_none());
    assert_eq!(m.counts(None), (1, 1));
    // Without the test the newcomer evicts the old entry back to new.
    assert!(m.good(&svc("1.2.5.45", 8333), false, NOW));
    assert!(!m.find(&svc("1.2.3.4", 8333)).unwrap().tried);
    assert_eq!(m.counts(None), (1, 1));
    assert_eq!(m.check(), 0);
}

#[test]
fn unroutable_and_repeated_addresses_are_refused() {
    let mut m = AddrMan::new(true);
    let src = NetAddr::parse("5.5.5.5").unwrap();
    let a = svc("1.2.3.4", 8333);
    assert_eq!(m.add(&[(a, 1, NOW)], &src, 0, NOW), 1);
    assert_eq!(m.add(&[(a, 8, NOW)], &src, 0, NOW), 0);
    assert_eq!(m.find(&a).unwrap().services, 9);
    assert_eq!(
        m.add(
            &[(svc("127.0.0.1", 1), 1, NOW), (svc("10.0.0.1", 1), 1, NOW)],
            &src,
            0,
            NOW
        ),
        0
    );
    // Heard from someone else: the time is penalized.
    let b = svc("3.3.3.3", 8333);
    m.add(&[(b, 1, NOW)], &src, 7200, NOW);
    assert_eq!(m.find(&b).unwrap().time, NOW - 7200);
}

#[test]
fn terrible_addresses_are_not_handed_out() {
    let mut m = AddrMan::new(true);
    let src = NetAddr::parse("5.5.5.5").unwrap();
    let fresh = svc("1.2.3.4", 8333);
    let stale = svc("4.3.2.1", 8333);
    m.add(
        &[(fresh, 1, NOW), (stale, 1, NOW - 31 * 86_400)],
        &src,
        0,
        NOW,
    );
    assert_eq!(m.get_addr(0, 0, None, false, NOW).len(), 2);
    let filtered = m.get_addr(0, 0, None, true, NOW);
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].addr, fresh);
    assert_eq!(m.get_addr(0, 50, None, false, NOW).len(), 1);
    assert_eq!(m.get_addr(0, 0, Some(Network::Ipv6), false, NOW).len(), 0);
}

#[test]
fn select_respects_new_only_and_networks() {
    let mut m = AddrMan::new(true);
    assert!(add_self(&mut m, "1.2.3.4", 8333, true));
    assert!(add_self(&mut m, "2803:0:1234:abcd::1", 8333, false));
    for _ in 0..20 {
        assert_eq!(
            m.select(true, &[], NOW).unwrap().addr,
            svc("2803:0:1234:abcd::1", 8333)
        );
        assert_eq!(
            m.select(false, &[Network::Ipv4], NOW).unwrap().addr,
            svc("1.2.3.4", 8333)
        );
    }
    assert!(m.select(true, &[Network::Ipv4], NOW).is_none());
    assert!(m.select(false, &[Network::Onion], NOW).is_none());
}

#[test]
fn failures_count_once_per_good_connection() {
    let mut m = AddrMan::new(true);
    let a = svc("1.2.3.4", 8333);
    add_self(&mut m, "1.2.3.4", 8333, false);
    m.attempt(&a, true, NOW);
    m.attempt(&a, true, NOW + 1);
    assert_eq!(m.find(&a).unwrap().attempts, 1);
    // A success anywhere after the counted failure lets the next one count.
    let b = svc("2.2.2.2", 8333);
    add_self(&mut m, "2.2.2.2", 8333, false);
    m.good(&b, true, NOW + 1);
    m.attempt(&a, true, NOW + 2);
    assert_eq!(m.find(&a).unwrap().attempts, 2);
}

/// Tables written to `peers.dat` come back in the same slots, in Core's
/// layout (magic, format 4, compat 36, key).
#[test]
fn peers_dat_round_trips_in_cores_format() {
    let mut m = AddrMan::new(true);
    for host in ["2.0.0.0", "2803:0:1234:abcd::1", "fc00:1:2:3:4:5:6:7"] {
        add_self(&mut m, host, 8333, false);
    }
    add_self(&mut m, "1.2.3.4", 8333, true);
    add_self(
        &mut m,
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
        8333,
        true,
    );
    m.attempt(&svc("2.0.0.0", 8333), true, NOW + 5);
    let bytes = m.serialize(MAGIC);
    assert_eq!(&bytes[..6], &[0xfa, 0xbf, 0xb5, 0xda, 4, 36]);
    assert_eq!(bytes[6], 1);
    let back = AddrMan::deserialize(&bytes, MAGIC, true).unwrap();
    for tried in [false, true] {
        let slots = |m: &AddrMan| -> Vec<(usize, usize, Service, i32, i64)> {
            m.entries(tried)
                .into_iter()
                .map(|(s, i)| (s.bucket, s.position, i.addr, i.attempts, i.last_success))
                .collect()
        };
        assert_eq!(slots(&back), slots(&m));
    }
    assert_eq!(back.counts(None), (3, 2));
    assert_eq!(back.find(&svc("2.0.0.0", 8333)).unwrap().attempts, 1);
}

/// A file whose bucket count differs from ours is re-bucketed by source:
/// the stored bucket (here 0) is not used.
#[test]
fn other_bucket_counts_are_rebucketed() {
    let mut m = AddrMan::new(true);
    add_self(&mut m, "2.0.0.0", 8333, false);
    let full = m.serialize(MAGIC);
    // Body without checksum, asmap sum and the 1024 bucket lists (one entry).
    let lists_len = NEW_BUCKET_COUNT * 4 + 4;
    let mut bytes = full[..full.len() - 32 - 32 - lists_len].to_vec();
    let at = 4 + 2 + 32 + 8;
    bytes[at..at + 4].copy_from_slice(&(1023i32 ^ (1 << 30)).to_le_bytes());
    bytes.extend_from_slice(&1i32.to_le_bytes());
    bytes.extend_from_slice(&0i32.to_le_bytes());
    bytes.extend_from_slice(&[0u8; 1022 * 4]);
    bytes.extend_from_slice(&[0; 32]);
    let sum = sha256d::Hash::hash(&bytes);
    bytes.extend_from_slice(sum.as_byte_array());
    let back = AddrMan::deserialize(&bytes, MAGIC, true).unwrap();
    assert_eq!(slot_of(&back, false, "2.0.0.0"), "82/8");
    // With our bucket count the stored bucket is kept as it is.
    bytes[at..at + 4].copy_from_slice(&(1024i32 ^ (1 << 30)).to_le_bytes());
    let cut = bytes.len() - 32 - 32;
    bytes.truncate(cut);
    bytes.extend_from_slice(&0i32.to_le_bytes());
    bytes.extend_from_slice(&[0; 32]);
    let sum = sha256d::Hash::hash(&bytes);
    bytes.extend_from_slice(sum.as_byte_array());
    let kept = AddrMan::deserialize(&bytes, MAGIC, true).unwrap();
    assert_eq!(kept.entries(false)[0].0.bucket, 0);
}

#[test]
fn damaged_files_give_cores_reasons() {
    let m = AddrMan::new(true);
    let bytes = m.serialize(MAGIC);
    let err = |b: &[u8]| match AddrMan::deserialize(b, MAGIC, true) {
        Err(LoadError::Corrupt(e)) => e,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        err(&bytes[..bytes.len() - 1]),
        "AutoFile::read: end of file: iostream error"
    );
    assert_eq!(err(&[0, 0, 0, 0]), "Invalid network magic number");
    let mut bad = bytes.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_eq!(err(&bad), "Checksum mismatch, data corrupted");
    let mut bad = bytes.clone();
    bad[5] = 0;
    assert!(err(&bad).starts_with("Corrupted addrman database: The compat value (0)"));
    let mut future = bytes.clone();
    future[5] = 32 + 111;
    assert!(matches!(
        AddrMan::deserialize(&future, MAGIC, true),
        Err(LoadError::Incompatible(_))
    ));
    let mut zero_key = bytes[..bytes.len() - 32].to_vec();
    zero_key[6] = 0;
    let sum = sha256d::Hash::hash(&zero_key);
    zero_key.extend_from_slice(sum.as_byte_array());
    assert_eq!(
        err(&zero_key),
        "Corrupt data. Consistency check failed with code -16: iostream error"
    );
}
