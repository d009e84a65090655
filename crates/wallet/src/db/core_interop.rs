//! Interoperability with real Bitcoin Core wallets, run only when
//! `CORE_BITCOIND` names a `bitcoind` built with wallet support (skipped
//! with a note otherwise, so ordinary test runs need no Core build).
//!
//! Core creates and uses wallets on regtest (receive, mine, send, fee bump,
//! labels, locked coins, avoid-reuse, an encrypted and a watch-only wallet);
//! then this module must:
//! * open and load every wallet without an error or warning;
//! * decode every record and encode it back to the identical bytes;
//! * rebuild a wallet through its own writers, which Core must then load
//!   with the same transactions and balance.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bitcoin::base64::Engine;

use super::batch::WalletBatch;
use super::dump::{parse_dump, write_dump};
use super::load::{load_wallet, DbErrors, WalletRecords};
use super::records::{
    split_key, types, ActiveSpkRecord, BestBlockRecord, DescriptorCKeyRecord,
    DescriptorCacheRecord, DescriptorKeyRecord, DescriptorLhCacheRecord, DescriptorRecord,
    DestDataRecord, FlagsRecord, LockedUtxoRecord, MasterKeyRecord, NameRecord, OrderPosNextRecord,
    PurposeRecord, Record, TxRecord, VersionRecord,
};
use super::sqlite::{DatabaseOptions, SqliteDatabase};

const REGTEST: [u8; 4] = [0xfa, 0xbf, 0xb5, 0xda];

/// Regtest's genesis block hash, internal byte order reversed for display.
const REGTEST_GENESIS: &str = "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";

struct Node {
    child: Child,
    datadir: PathBuf,
    port: u16,
}

impl Node {
    fn start(bitcoind: &str, datadir: &Path) -> Node {
        let port = free_port();
        let p2p = free_port();
        let child = Command::new(bitcoind)
            .arg("-regtest")
            .arg(format!("-datadir={}", datadir.display()))
            .arg(format!("-rpcport={port}"))
            .arg(format!("-port={p2p}"))
            .args([
                "-listen=0",
                "-server",
                "-fallbackfee=0.0002",
                "-printtoconsole=0",
                "-keypool=10",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("bitcoind starts");
        let node = Node {
            child,
            datadir: datadir.to_path_buf(),
            port,
        };
        let start = Instant::now();
        loop {
            if node.try_rpc(None, "getblockchaininfo", "[]").is_ok() {
                return node;
            }
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "bitcoind did not answer RPC"
            );
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    fn wallet_dir(&self) -> PathBuf {
        self.datadir.join("regtest").join("wallets")
    }

    fn try_rpc(&self, wallet: Option<&str>, method: &str, params: &str) -> Result<String, String> {
        let cookie = std::fs::read_to_string(self.datadir.join("regtest").join(".cookie"))
            .map_err(|e| e.to_string())?;
        let auth = bitcoin::base64::engine::general_purpose::STANDARD.encode(cookie.trim());
        let body = format!(r#"{{"jsonrpc":"1.0","id":1,"method":"{method}","params":{params}}}"#);
        let path = wallet
            .map(|w| format!("/wallet/{w}"))
            .unwrap_or_else(|| "/".into());
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        s.set_read_timeout(Some(Duration::from_secs(300)))
            .map_err(|e| e.to_string())?;
        write!(
            s,
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {auth}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .map_err(|e| e.to_string())?;
        let mut resp = String::new();
        s.read_to_string(&mut resp).map_err(|e| e.to_string())?;
        let body = resp
            .split_once("\r\n\r\n")
            .map(|x| x.1)
            .ok_or("no HTTP body")?;
        if !body.contains(r#""error":null"#) {
            return Err(body.to_string());
        }
        let start = body.find(r#""result":"#).ok_or("no result")? + 9;
        let end = body.rfind(r#","error":"#).ok_or("no error field")?;
        Ok(body[start..end].to_string())
    }

    fn rpc(&self, wallet: Option<&str>, method: &str, params: &str) -> String {
        self.try_rpc(wallet, method, params)
            .unwrap_or_else(|e| panic!("{method} {params}: {e}"))
    }

    fn stop(mut self) {
        let _ = self.try_rpc(None, "stop", "[]");
        let start = Instant::now();
        while self.child.try_wait().ok().flatten().is_none() {
            if start.elapsed() > Duration::from_secs(60) {
                let _ = self.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        // Never leave a bitcoind behind when a test fails.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A JSON string result without its quotes.
fn unquote(s: &str) -> String {
    s.trim().trim_matches('"').to_string()
}

/// The first `"field":value` in a JSON text (numbers and strings only).
fn field(json: &str, name: &str) -> String {
    let key = format!(r#""{name}":"#);
    let start = json
        .find(&key)
        .unwrap_or_else(|| panic!("no {name} in {json}"))
        + key.len();
    let rest = &json[start..];
    let end = rest.find([',', '}']).unwrap_or(rest.len());
    unquote(&rest[..end])
}

fn open_existing(wallet_dir: &Path) -> SqliteDatabase {
    SqliteDatabase::open(
        wallet_dir,
        &DatabaseOptions {
            require_existing: true,
            ..DatabaseOptions::new(REGTEST)
        },
    )
    .unwrap_or_else(|e| panic!("{}: {e}", wallet_dir.display()))
}

/// Decodes every known record and checks it encodes back to the same
/// bytes; returns how many records of each type were checked.
fn check_reencoding(db: &SqliteDatabase) -> std::collections::BTreeMap<String, usize> {
    fn same<R: Record>(k: &[u8], v: &[u8]) {
        let r = R::decode(k, v)
            .unwrap_or_else(|e| panic!("decoding {}: {e}", crate::db::ser::hex_lower(k)));
        assert_eq!(r.key(), k, "key re-encoding");
        assert_eq!(
            r.value(),
            v,
            "value re-encoding of {}",
            crate::db::ser::hex_lower(k)
        );
    }
    let mut counts = std::collections::BTreeMap::new();
    for (k, v) in db.scan_all().expect("scans") {
        let (ty, _) = split_key(&k).expect("typed key");
        match ty.as_str() {
            types::VERSION => same::<VersionRecord>(&k, &v),
            types::FLAGS => same::<FlagsRecord>(&k, &v),
            types::ORDERPOSNEXT => same::<OrderPosNextRecord>(&k, &v),
            types::BESTBLOCK | types::BESTBLOCK_NOMERKLE => same::<BestBlockRecord>(&k, &v),
            types::WALLETDESCRIPTOR => same::<DescriptorRecord>(&k, &v),
            types::WALLETDESCRIPTORCACHE => same::<DescriptorCacheRecord>(&k, &v),
            types::WALLETDESCRIPTORLHCACHE => same::<DescriptorLhCacheRecord>(&k, &v),
            types::WALLETDESCRIPTORKEY => same::<DescriptorKeyRecord>(&k, &v),
            types::WALLETDESCRIPTORCKEY => same::<DescriptorCKeyRecord>(&k, &v),
            types::MASTER_KEY => same::<MasterKeyRecord>(&k, &v),
            types::ACTIVEEXTERNALSPK | types::ACTIVEINTERNALSPK => same::<ActiveSpkRecord>(&k, &v),
            types::TX => same::<TxRecord>(&k, &v),
            types::LOCKED_UTXO => same::<LockedUtxoRecord>(&k, &v),
            types::NAME => same::<NameRecord>(&k, &v),
            types::PURPOSE => same::<PurposeRecord>(&k, &v),
            types::DESTDATA => same::<DestDataRecord>(&k, &v),
            other => panic!("Core wrote a record type this module does not know: {other}"),
        }
        *counts.entry(ty).or_insert(0) += 1;
    }
    counts
}

/// Core's `bitcoin-wallet dump` of w1 must equal ours byte for byte, and
/// Core's `createfromdump` must accept our dump (so our checksum is right).
fn compare_dumps_with_core_tool(tool: &str, datadir: &Path, db: &SqliteDatabase, ours: &[u8]) {
    let run = |args: &[String]| {
        let out = Command::new(tool)
            .arg("-regtest")
            .arg(format!("-datadir={}", datadir.display()))
            .args(args)
            .output()
            .expect("bitcoin-wallet runs");
        assert!(
            out.status.success(),
            "bitcoin-wallet {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    // The tool needs the wallet unlocked: read it through a copy.
    let copy_dir = datadir.join("regtest").join("wallets").join("w1dumpsrc");
    std::fs::create_dir_all(&copy_dir).expect("mkdir");
    db.backup(&copy_dir.join("wallet.dat")).expect("backs up");
    let core_dump = datadir.join("core.dump");
    run(&[
        "-wallet=w1dumpsrc".into(),
        format!("-dumpfile={}", core_dump.display()),
        "dump".into(),
    ]);
    let theirs = std::fs::read(&core_dump).expect("reads");
    // Same records; the backup keeps table order, so the same text too.
    assert_eq!(
        parse_dump(&theirs).expect("Core's dump parses"),
        parse_dump(ours).expect("ours parses")
    );
    assert_eq!(
        String::from_utf8_lossy(&theirs),
        String::from_utf8_lossy(ours)
    );
    let our_dump = datadir.join("ours.dump");
    std::fs::write(&our_dump, ours).expect("writes");
    run(&[
        "-wallet=w1fromourdump".into(),
        format!("-dumpfile={}", our_dump.display()),
        "createfromdump".into(),
    ]);
}

fn load_clean(db: &SqliteDatabase) -> WalletRecords {
    let recs = load_wallet(db, "core").unwrap_or_else(|e| panic!("loads: {e}"));
    assert_eq!(recs.status, DbErrors::LoadOk, "{:?}", recs.log);
    assert!(recs.log.is_empty(), "{:?}", recs.log);
    recs
}

#[test]
fn loads_wallets_written_by_core_and_core_loads_ours() {
    let Ok(bitcoind) = std::env::var("CORE_BITCOIND") else {
        println!("note: CORE_BITCOIND not set; skipping the check against wallets written by Bitcoin Core");
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let node = Node::start(&bitcoind, tmp.path());

    // A default wallet with history.
    node.rpc(None, "createwallet", r#"["w1"]"#);
    let w = Some("w1");
    let addr1 = unquote(&node.rpc(w, "getnewaddress", r#"["first label"]"#));
    node.rpc(None, "generatetoaddress", &format!(r#"[110,"{addr1}"]"#));
    // Avoid-reuse first: spending then marks addresses used (`destdata`).
    node.rpc(w, "setwalletflag", r#"["avoid_reuse"]"#);
    let addr2 = unquote(&node.rpc(w, "getnewaddress", r#"["","bech32m"]"#));
    let sent = unquote(&node.rpc(
        w,
        "sendtoaddress",
        &format!(r#"["{addr2}",1.5,"a comment","someone",false,true]"#),
    ));
    node.rpc(w, "bumpfee", &format!(r#"["{sent}"]"#));
    // Confirm it, so its change can pay for the next send.
    node.rpc(None, "generatetoaddress", &format!(r#"[1,"{addr1}"]"#));
    let addr3 = unquote(&node.rpc(w, "getnewaddress", r#"["","legacy"]"#));
    // The first send marked the mined-to address used; spend it anyway.
    node.rpc(
        w,
        "sendtoaddress",
        &format!(r#"{{"address":"{addr3}","amount":0.5,"avoid_reuse":false}}"#),
    );
    node.rpc(None, "generatetoaddress", &format!(r#"[1,"{addr1}"]"#));
    let unspent = node.rpc(w, "listunspent", "[]");
    let (lock_txid, lock_vout) = (field(&unspent, "txid"), field(&unspent, "vout"));
    node.rpc(
        w,
        "lockunspent",
        &format!(r#"[false,[{{"txid":"{lock_txid}","vout":{lock_vout}}}],true]"#),
    );
    node.rpc(w, "setlabel", &format!(r#"["{addr3}","legacy label"]"#));
    // A descriptor with a hardened range: Core caches each derived xpub.
    let listed = node.rpc(w, "listdescriptors", "[true]");
    let private = field(&listed, "desc");
    let base = private
        .split('#')
        .next()
        .expect("descriptor")
        .replace("/0/*)", "/7/*h)");
    let info = node.rpc(None, "getdescriptorinfo", &format!(r#"["{base}"]"#));
    let hardened = format!("{base}#{}", field(&info, "checksum"));
    node.rpc(
        w,
        "importdescriptors",
        &format!(r#"[[{{"desc":"{hardened}","timestamp":"now","range":[0,4]}}]]"#),
    );
    let balance = node.rpc(w, "getbalance", "[]");
    let txcount = field(&node.rpc(w, "getwalletinfo", "[]"), "txcount");

    // An encrypted wallet and a watch-only one.
    node.rpc(
        None,
        "createwallet",
        r#"["w2",false,false,"secret passphrase"]"#,
    );
    node.rpc(Some("w2"), "getnewaddress", "[]");
    node.rpc(None, "createwallet", r#"["w3",true,true]"#);

    for name in ["w1", "w2", "w3"] {
        node.rpc(None, "unloadwallet", &format!(r#"["{name}"]"#));
    }

    let wallets = node.wallet_dir();
    // w1: everything.
    let db = open_existing(&wallets.join("w1"));
    let counts = check_reencoding(&db);
    println!("records of Core's wallet w1, each re-encoded byte for byte: {counts:?}");
    let recs = load_clean(&db);
    assert_eq!(recs.descriptors.len(), 9);
    assert_eq!(recs.active_external.len(), 4);
    assert_eq!(recs.active_internal.len(), 4);
    assert!(recs
        .descriptors
        .values()
        .all(|d| d.keys.len() == 1 && d.crypted_keys.is_empty()));
    assert!(recs
        .descriptors
        .values()
        .all(|d| !d.cache.parent.is_empty() || !d.cache.derived.is_empty()));
    let hard = recs
        .descriptors
        .values()
        .find(|d| !d.cache.derived.is_empty())
        .expect("a hardened range");
    // One derived xpub per index of the window, as Core needs to expand it.
    let window: Vec<u32> = (hard.record.range_start as u32..hard.record.range_end as u32).collect();
    assert_eq!(
        hard.cache.derived[&0].keys().copied().collect::<Vec<_>>(),
        window
    );
    assert!(recs
        .descriptors
        .values()
        .any(|d| !d.cache.last_hardened.is_empty()));
    assert!(recs.address_book.values().any(|e| e.previously_spent));
    assert_eq!(recs.txs.len().to_string(), txcount);
    assert_eq!(recs.locked_utxos.len(), 1);
    let locked = recs.locked_utxos.iter().next().expect("one");
    assert_eq!(locked.txid.to_string(), lock_txid);
    assert_eq!(
        recs.address_book[&addr1].label.as_deref(),
        Some("first label")
    );
    assert_eq!(
        recs.address_book[&addr3].label.as_deref(),
        Some("legacy label")
    );
    assert_ne!(recs.flags & super::records::flags::AVOID_REUSE, 0);
    let bumped = recs
        .txs
        .values()
        .find(|t| t.replaced_by_txid.is_some())
        .expect("the bumped transaction");
    assert_eq!(bumped.comment.as_deref(), Some("a comment"));
    assert_eq!(bumped.comment_to.as_deref(), Some("someone"));
    assert!(recs.txs.values().any(|t| t.replaces_txid.is_some()));
    let genesis = recs
        .best_block
        .as_ref()
        .and_then(|l| l.hashes.last())
        .expect("a locator");
    assert_eq!(genesis.to_string(), REGTEST_GENESIS);
    assert!(counts.contains_key(types::TX) && counts.contains_key(types::WALLETDESCRIPTORKEY));

    // Our dump of Core's wallet reads back to the same records.
    let mut dump = Vec::new();
    write_dump(&db, &mut dump).expect("dumps");
    assert_eq!(
        parse_dump(&dump).expect("parses"),
        db.scan_all().expect("scans")
    );
    if let Ok(tool) = std::env::var("CORE_BITCOIN_WALLET") {
        compare_dumps_with_core_tool(&tool, tmp.path(), &db, &dump);
    } else {
        println!(
            "note: CORE_BITCOIN_WALLET not set; skipping the dump comparison with bitcoin-wallet"
        );
    }

    // Rebuild w1 through our own writers; Core must load it unchanged.
    let ours = wallets.join("w1ours");
    let mut out = SqliteDatabase::open(
        &ours,
        &DatabaseOptions {
            require_create: true,
            ..DatabaseOptions::new(REGTEST)
        },
    )
    .expect("creates");
    out.run_in_txn(|t| {
        t.write_version(
            recs.last_client_version
                .unwrap_or(super::records::CLIENT_VERSION),
        )?;
        t.write_wallet_flags(recs.flags)?;
        for d in recs.descriptors.values() {
            t.write_descriptor(&d.record)?;
            t.write_descriptor_cache_items(&d.record.id, &d.cache)?;
            for (pk, sk) in &d.keys {
                t.write_descriptor_key(&d.record.id, pk, sk)?;
            }
        }
        for (ty, id) in &recs.active_external {
            t.write_active_spk(*ty, id, false)?;
        }
        for (ty, id) in &recs.active_internal {
            t.write_active_spk(*ty, id, true)?;
        }
        for wtx in recs.txs.values() {
            t.write_tx(wtx)?;
        }
        for op in &recs.locked_utxos {
            t.write_locked_utxo(op)?;
        }
        for (addr, e) in &recs.address_book {
            if let Some(l) = &e.label {
                t.write_name(addr, l)?;
            }
            if let Some(p) = e.purpose {
                t.write_purpose(addr, p.as_str())?;
            }
            if e.previously_spent {
                t.write_address_previously_spent(addr, true)?;
            }
        }
        if let Some(n) = recs.order_pos_next {
            t.write_order_pos_next(n)?;
        }
        if let Some(l) = &recs.best_block {
            t.write_best_block(l)?;
        }
        Ok::<_, super::sqlite::StorageError>(())
    })
    .expect("writes");
    // Same records, same bytes.
    let mut theirs = db.scan_all().expect("scans");
    let mut mine = out.scan_all().expect("scans");
    theirs.sort();
    mine.sort();
    assert_eq!(mine, theirs);
    drop(out);
    drop(db);

    // w2: encrypted.
    let db = open_existing(&wallets.join("w2"));
    check_reencoding(&db);
    let recs = load_clean(&db);
    assert_eq!(recs.master_keys.len(), 1);
    assert!(recs.descriptors.values().all(|d| d.keys.is_empty()));
    assert!(recs
        .descriptors
        .values()
        .any(|d| !d.crypted_keys.is_empty()));
    drop(db);

    // w3: watch-only and blank.
    let db = open_existing(&wallets.join("w3"));
    check_reencoding(&db);
    let recs = load_clean(&db);
    assert!(recs.descriptors.is_empty());
    assert_ne!(recs.flags & super::records::flags::DISABLE_PRIVATE_KEYS, 0);
    drop(db);

    // Core opens our file, and sees the same wallet.
    node.rpc(None, "loadwallet", r#"["w1ours"]"#);
    assert_eq!(node.rpc(Some("w1ours"), "getbalance", "[]"), balance);
    assert_eq!(
        field(&node.rpc(Some("w1ours"), "getwalletinfo", "[]"), "txcount"),
        txcount
    );
    node.rpc(Some("w1ours"), "getnewaddress", "[]");
    node.rpc(None, "unloadwallet", r#"["w1ours"]"#);
    // And we still read it after Core wrote to it.
    let db = open_existing(&ours);
    check_reencoding(&db);
    load_clean(&db);
    drop(db);

    node.stop();
}
