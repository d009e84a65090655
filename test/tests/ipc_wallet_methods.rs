//! The GUI's `Wallet` methods over the node's `-ipcbind` socket, as
//! bitcoin-gui calls them: the node forwards each call to the wallet
//! process it runs. Each answer is checked against what the wallet's RPCs
//! (Core's) say about the same wallet: transactions and their status,
//! coins, fee bumps, message signing, keys, fees, the address book and the
//! GUI's receive requests, encryption, and the callbacks that must fire
//! when the wallet changes whatever made the change.

// Dependencies of the other test targets.
use {consensus as _, hex as _, libc as _, tempfile as _, tracing as _, tracing_subscriber as _};

use bitcoin::address::NetworkUnchecked;
use bitcoin::hashes::{hash160, Hash};
use bitcoin::{Address, Network, OutPoint, Txid};
use functional::{wait_for, wait_for_file, TestNode};
use interfaces::init::Init;
use interfaces::node::Node;
use interfaces::wallet::{
    AddressBookChangedCallback, CanGetAddressesChangedCallback, CoinControl, Recipient,
    ShowWalletProgressCallback, StatusChangedCallback, TxDestination, Wallet, WalletLoader,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Core's `WALLET_FLAG_DESCRIPTORS`.
const DESCRIPTORS: u64 = 1 << 34;
/// Core's `WALLET_FLAG_BLANK_WALLET`.
const BLANK: u64 = 1 << 3;
/// Core's `WALLET_FLAG_DISABLE_PRIVATE_KEYS`.
const DISABLE_PRIVATE_KEYS: u64 = 1 << 32;
/// Core's `OutputType::LEGACY`.
const LEGACY: i32 = 0;
/// Core's `OutputType::BECH32`.
const BECH32: i32 = 2;
const COIN: i64 = 100_000_000;
/// Core's `FeeReason::NONE`, `FALLBACK` and `REQUIRED`.
const REASON_NONE: i32 = 0;
const REASON_FALLBACK: i32 = 6;
const REASON_REQUIRED: i32 = 7;
/// Core's `AddressPurpose::RECEIVE` and `SEND`.
const RECEIVE: i32 = 0;
const SEND: i32 = 1;
/// Core's `ChangeType`.
const CT_NEW: i32 = 0;
const CT_UPDATED: i32 = 1;
const CT_DELETED: i32 = 2;
/// Core's `SigningResult::OK` and `PRIVATE_KEY_NOT_AVAILABLE`.
const SIGNING_OK: i32 = 0;
const PRIVATE_KEY_NOT_AVAILABLE: i32 = 1;
/// The framework's `-fallbackfee=0.0002`, in satoshis per kvB.
const FALLBACK_FEE: i64 = 20_000;

/// A node with its wallet process, and a GUI's view of it over IPC.
struct Gui {
    loader: Arc<dyn WalletLoader>,
    node_client: Box<dyn Node>,
    init: ipc::InitClient,
    ipc: ipc::Ipc,
    node: TestNode,
}

impl Gui {
    fn start(extra: &[&str]) -> Gui {
        let mut node = TestNode::with_wallet();
        let mut args = vec!["-ipcbind=unix"];
        args.extend_from_slice(extra);
        node.start(&args);
        let sock = node.chain_path().join("node.sock");
        wait_for_file(&sock);
        let ipc = ipc::Ipc::new("test-gui").unwrap();
        let init = ipc
            .connect_stream(std::os::unix::net::UnixStream::connect(&sock).unwrap())
            .expect("connect");
        let node_client = init.make_node().unwrap().expect("node");
        let loader = Arc::from(node_client.wallet_loader().unwrap().expect("loader"));
        Gui {
            loader,
            node_client,
            init,
            ipc,
            node,
        }
    }

    fn create(&self, name: &str, flags: u64) -> Box<dyn Wallet> {
        match self.loader.create_wallet(name, "", flags).unwrap().wallet {
            Ok(w) => w,
            Err(e) => panic!("createWallet {name}: {}", e.original),
        }
    }

    fn load(&self, name: &str) -> Box<dyn Wallet> {
        match self.loader.load_wallet(name).unwrap().wallet {
            Ok(w) => w,
            Err(e) => panic!("loadWallet {name}: {}", e.original),
        }
    }

    /// A wallet with 50 spendable coins (and 100 immature coinbases).
    fn funded(&self, name: &str) -> (Box<dyn Wallet>, String) {
        let wallet = self.create(name, DESCRIPTORS);
        let addr = address(&new_dest(&*wallet, BECH32, "mining"));
        self.node.generate_to_address(101, &addr);
        wait_for("the mined coins in the wallet", || {
            (wallet.get_balances().unwrap().balance == 50 * COIN).then_some(())
        });
        (wallet, addr)
    }

    /// Mines a block and waits for `wallets` to have processed it.
    fn mine(&self, wallets: &[&dyn Wallet], to: &str) {
        let hash = self.node.generate_to_address(1, to).remove(0);
        let hash: bitcoin::BlockHash = hash.parse().unwrap();
        for wallet in wallets {
            wait_for("the wallet at the new tip", || {
                (wallet.try_get_balances().unwrap().1 == hash).then_some(())
            });
        }
    }

    fn finish(self) {
        let Gui {
            loader,
            node_client,
            init,
            ipc,
            mut node,
        } = self;
        drop((loader, node_client, init));
        drop(ipc);
        node.stop();
    }
}

fn new_dest(wallet: &dyn Wallet, output_type: i32, label: &str) -> TxDestination {
    wallet
        .get_new_destination(output_type, label)
        .unwrap()
        .map_err(|e| e.original)
        .unwrap()
}

fn address(dest: &TxDestination) -> String {
    Address::from_script(&dest.script_pubkey().expect("a script"), Network::Regtest)
        .unwrap()
        .to_string()
}

fn dest_of(address: &str) -> TxDestination {
    let a: Address<NetworkUnchecked> = address.parse().unwrap();
    TxDestination::from_script(&a.assume_checked().script_pubkey())
}

fn txid(v: &Value) -> Txid {
    v.as_str().expect("txid").parse().unwrap()
}

/// An RPC amount in satoshis, read from its decimal text.
fn sats(v: &Value) -> i64 {
    let text = v.to_string();
    let (neg, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d.to_string()),
        None => (false, text.clone()),
    };
    let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let frac = format!("{frac:0<8}");
    let n = whole.parse::<i64>().unwrap() * COIN + frac[..8].parse::<i64>().unwrap();
    if neg {
        -n
    } else {
        n
    }
}

/// `tryGetTxStatus` once the wallet is not busy (it only try-locks):
/// status, tip height and tip time.
fn status(wallet: &dyn Wallet, txid: &Txid) -> (interfaces::wallet::WalletTxStatus, i32, i64) {
    wait_for("the wallet's transaction status", || {
        let (st, num_blocks, block_time, read) = wallet.try_get_tx_status(txid).unwrap();
        read.then_some((st, num_blocks, block_time))
    })
}

/// Coin control as Core's GUI sends a fresh `CCoinControl`.
fn coin_control() -> CoinControl {
    CoinControl {
        allow_other_inputs: true,
        max_depth: 9_999_999,
        ..Default::default()
    }
}

#[test]
fn transactions_their_status_and_coins() {
    let gui = Gui::start(&[]);
    let (miner, miner_addr) = gui.funded("miner");
    let payee = gui.create("payee", DESCRIPTORS);
    let payee_dest = new_dest(&*payee, BECH32, "pay");
    let payee_addr = address(&payee_dest);
    let payee_script = payee_dest.script_pubkey().unwrap();

    let sent = txid(&gui.node.wallet_rpc(
        "miner",
        "sendtoaddress",
        json!([payee_addr, 1.5, "for rent", "bob"]),
    ));

    // The receiver's view: credit, ownership per input and output.
    let wtx = wait_for("the payment in the payee wallet", || {
        let w = payee.get_wallet_tx(&sent).unwrap();
        (w.tx.compute_txid() == sent).then_some(w)
    });
    assert_eq!(wtx.credit, 150_000_000);
    assert_eq!((wtx.debit, wtx.change), (0, 0));
    assert!(!wtx.is_coinbase);
    assert!(wtx.txin_is_mine.iter().all(|m| !m));
    let vout = wtx
        .tx
        .output
        .iter()
        .position(|o| o.script_pubkey == payee_script)
        .expect("an output to the payee") as u32;
    assert_eq!(
        wtx.txout_is_mine,
        (0..wtx.tx.output.len())
            .map(|i| i == vout as usize)
            .collect::<Vec<_>>()
    );
    assert_eq!(wtx.txout_address[vout as usize], payee_dest);
    assert!(wtx.txout_address_is_mine[vout as usize]);
    assert!(wtx.time > 0);

    // The sender's view: debit, change, fee and comments as gettransaction
    // has them.
    let mtx = miner.get_wallet_tx(&sent).unwrap();
    let rpc_tx = gui
        .node
        .wallet_rpc("miner", "gettransaction", json!([sent.to_string()]));
    let out_total: i64 = mtx.tx.output.iter().map(|o| o.value.to_sat() as i64).sum();
    assert_eq!(mtx.debit, 50 * COIN);
    assert_eq!(-sats(&rpc_tx["fee"]), mtx.debit - out_total);
    assert_eq!(mtx.txout_is_change.iter().filter(|c| **c).count(), 1);
    assert_eq!(
        mtx.change,
        mtx.debit - 150_000_000 - (mtx.debit - out_total)
    );
    assert_eq!(mtx.credit, mtx.change);
    assert!(mtx.txin_is_mine.iter().all(|m| *m));
    assert!(mtx
        .value_map
        .contains(&("comment".to_string(), "for rent".to_string())));
    assert!(mtx
        .value_map
        .contains(&("to".to_string(), "bob".to_string())));

    // Unconfirmed: depth 0, no block, trusted only by the sender.
    let tip_time = |gui: &Gui| {
        let hash = gui.node.rpc("getbestblockhash", json!([]));
        gui.node.rpc("getblockheader", json!([hash]))["time"]
            .as_i64()
            .unwrap()
    };
    let (st, num_blocks, block_time) = status(&*payee, &sent);
    assert_eq!((num_blocks, block_time), (101, tip_time(&gui)));
    assert_eq!(st.depth_in_main_chain, 0);
    assert_eq!(st.block_height, i32::MAX);
    assert!(!st.is_in_main_chain && !st.is_trusted && !st.is_abandoned && !st.is_coinbase);
    assert_eq!(st.blocks_to_maturity, 0);
    assert_eq!(st.lock_time, wtx.tx.lock_time.to_consensus_u32());
    assert!(st.time_received > 0);
    assert!(status(&*miner, &sent).0.is_trusted);
    let details = payee.get_wallet_tx_details(&sent).unwrap();
    assert!(details.in_mempool);
    assert_eq!(details.num_blocks, 101);
    assert_eq!(details.wtx, wtx);
    assert_eq!(details.tx_status, st);

    // One block later: depth 1 at height 102, in the main chain, trusted.
    gui.mine(&[&*payee, &*miner], &miner_addr);
    let (st, num_blocks, block_time) = status(&*payee, &sent);
    assert_eq!((num_blocks, block_time), (102, tip_time(&gui)));
    assert_eq!((st.depth_in_main_chain, st.block_height), (1, 102));
    assert!(st.is_in_main_chain && st.is_trusted);
    let details = payee.get_wallet_tx_details(&sent).unwrap();
    assert!(!details.in_mempool);
    assert_eq!(details.num_blocks, 102);

    // Coinbases: mature after 100 confirmations.
    gui.mine(&[&*payee, &*miner], &miner_addr);
    let coinbase = |height: u32| {
        let hash = gui.node.rpc("getblockhash", json!([height]));
        txid(&gui.node.rpc("getblock", json!([hash]))["tx"][0])
    };
    let (old, ..) = status(&*miner, &coinbase(1));
    assert!(old.is_coinbase);
    assert_eq!((old.depth_in_main_chain, old.blocks_to_maturity), (103, 0));
    let (young, ..) = status(&*miner, &coinbase(103));
    assert_eq!(
        (young.depth_in_main_chain, young.blocks_to_maturity),
        (1, 100)
    );
    assert_eq!(miner.get_wallet_tx(&coinbase(103)).unwrap().credit, 0);

    // Unknown transactions: nothing read, Core's empty answers.
    let unknown = Txid::from_byte_array([7; 32]);
    assert!(!payee.try_get_tx_status(&unknown).unwrap().3);
    let none = payee.get_wallet_tx(&unknown).unwrap();
    assert!(none.tx.input.is_empty() && none.tx.output.is_empty());
    assert_eq!(none.credit, 0);
    let none = payee.get_wallet_tx_details(&unknown).unwrap();
    assert_eq!(none.num_blocks, 0);
    assert!(none.wtx.tx.output.is_empty());

    // Coins by outpoint.
    let received = OutPoint::new(sent, vout);
    let coins = payee
        .get_coins(&[received, OutPoint::new(unknown, 0)])
        .unwrap();
    assert_eq!(coins[0].txout.value.to_sat(), 150_000_000);
    assert_eq!(coins[0].depth_in_main_chain, 2);
    assert!(!coins[0].is_spent);
    assert_eq!(coins[0].time, wtx.time);
    assert_eq!(coins[1].depth_in_main_chain, -1);
    assert_eq!(coins[1].txout, bitcoin::TxOut::NULL);

    // Coin control's list: grouped by address.
    let listed = payee.list_coins().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, payee_dest);
    assert_eq!(listed[0].1.len(), 1);
    assert_eq!(listed[0].1[0].0, received);
    assert_eq!(listed[0].1[0].1, coins[0]);

    // Spending part of it leaves change, which coin control lists under the
    // address the spent coin came to.
    let spend = txid(
        &gui.node
            .wallet_rpc("payee", "sendtoaddress", json!([miner_addr, 0.5])),
    );
    gui.mine(&[&*payee, &*miner], &miner_addr);
    let spend_tx = payee.get_wallet_tx(&spend).unwrap();
    let change_vout = spend_tx
        .txout_is_change
        .iter()
        .position(|c| *c)
        .expect("change") as u32;
    let change = OutPoint::new(spend, change_vout);
    let change_value = spend_tx.tx.output[change_vout as usize].value.to_sat() as i64;
    assert_ne!(
        spend_tx.txout_address[change_vout as usize], payee_dest,
        "change goes to a change address"
    );
    let listed = payee.list_coins().unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].0, payee_dest);
    let outpoints: Vec<OutPoint> = listed[0].1.iter().map(|(o, _)| *o).collect();
    assert_eq!(outpoints, vec![change]);
    assert!(payee.get_coins(&[received]).unwrap()[0].is_spent);

    // A coin to a legacy address makes a second group, listed first as in
    // Core's destination order (key hashes before witness programs).
    let legacy = new_dest(&*payee, LEGACY, "old style");
    let to_legacy = txid(&gui.node.wallet_rpc(
        "miner",
        "sendtoaddress",
        json!([address(&legacy), 0.2]),
    ));
    gui.mine(&[&*payee, &*miner], &miner_addr);
    let listed = payee.list_coins().unwrap();
    let groups: Vec<&TxDestination> = listed.iter().map(|(d, _)| d).collect();
    assert_eq!(groups, vec![&legacy, &payee_dest]);
    assert_eq!(listed[0].1.len(), 1);
    assert_eq!(listed[0].1[0].0.txid, to_legacy);
    assert_eq!(listed[0].1[0].1.txout.value.to_sat(), 20_000_000);

    // What coin control could spend.
    assert_eq!(
        payee.get_available_balance(&coin_control()).unwrap(),
        change_value + 20_000_000
    );
    let only_selected = CoinControl {
        allow_other_inputs: false,
        set_selected: vec![change],
        ..coin_control()
    };
    assert_eq!(
        payee.get_available_balance(&only_selected).unwrap(),
        change_value
    );
    let nothing = CoinControl {
        allow_other_inputs: false,
        ..coin_control()
    };
    assert_eq!(payee.get_available_balance(&nothing).unwrap(), 0);
    let miner_balance = sats(&gui.node.wallet_rpc("miner", "getbalance", json!([])));
    assert_eq!(
        miner.get_available_balance(&coin_control()).unwrap(),
        miner_balance
    );

    // A transaction the GUI makes and commits keeps its comment and its
    // BIP21 message (the order form).
    let (_, fee, made) = miner
        .create_transaction(
            &[Recipient {
                dest: payee_dest.clone(),
                amount: 10_000_000,
                subtract_fee_from_amount: false,
            }],
            &coin_control(),
            true,
            -1,
        )
        .unwrap();
    let tx = made.map_err(|e| e.original).unwrap();
    assert!(fee > 0);
    miner
        .commit_transaction(
            &tx,
            &[("comment".to_string(), "from the gui".to_string())],
            &[("Message".to_string(), "thanks".to_string())],
        )
        .unwrap();
    let details = miner.get_wallet_tx_details(&tx.compute_txid()).unwrap();
    assert_eq!(
        details.order_form,
        vec![("Message".to_string(), "thanks".to_string())]
    );
    assert!(details.in_mempool);
    assert!(details
        .wtx
        .value_map
        .contains(&("comment".to_string(), "from the gui".to_string())));

    drop((miner, payee));
    gui.finish();
}

#[test]
fn fee_bumps_replace_the_original_which_can_then_be_abandoned() {
    let gui = Gui::start(&[]);
    let (wallet, addr) = gui.funded("w");
    gui.node.rpc("createwallet", json!(["dst"]));
    let dst = gui.node.wallet_rpc("dst", "getnewaddress", json!([]));
    let original = txid(&gui.node.wallet_rpc("w", "sendtoaddress", json!([dst, 1.0])));
    let original_tx = wallet.get_tx(&original).unwrap().expect("known");
    let old_fee = -sats(
        &gui.node
            .wallet_rpc("w", "gettransaction", json!([original.to_string()]))["fee"],
    );

    assert!(wallet.transaction_can_be_bumped(&original).unwrap());
    let hash = gui.node.rpc("getblockhash", json!([1]));
    let coinbase = txid(&gui.node.rpc("getblock", json!([hash]))["tx"][0]);
    assert!(!wallet.transaction_can_be_bumped(&coinbase).unwrap());
    assert!(!wallet
        .transaction_can_be_bumped(&Txid::from_byte_array([9; 32]))
        .unwrap());

    // As the GUI bumps: a fresh coin control signalling RBF.
    let cc = CoinControl {
        signal_rbf: Some(true),
        ..coin_control()
    };
    let bump = wallet.create_bump_transaction(&original, &cc).unwrap();
    assert!(bump.made, "{:?}", bump.errors);
    assert!(bump.errors.is_empty());
    assert_eq!(bump.old_fee, old_fee);
    assert!(bump.new_fee > bump.old_fee);
    let inputs = |tx: &bitcoin::Transaction| {
        let mut v: Vec<OutPoint> = tx.input.iter().map(|i| i.previous_output).collect();
        v.sort();
        v
    };
    assert_eq!(inputs(&bump.mtx), inputs(&original_tx));
    assert!(bump.mtx.input.iter().all(|i| i.witness.is_empty()));

    let (signed, ok) = wallet.sign_bump_transaction(&bump.mtx).unwrap();
    assert!(ok);
    assert!(signed.input.iter().all(|i| !i.witness.is_empty()));
    let (errors, bumped, ok) = wallet.commit_bump_transaction(&original, &signed).unwrap();
    assert!(ok, "{errors:?}");
    assert!(errors.is_empty());
    assert_eq!(bumped, signed.compute_txid());

    // The replacement is in the mempool, paying the new fee; the original
    // is gone and marked replaced.
    let mempool = gui.node.rpc("getrawmempool", json!([]));
    assert_eq!(mempool, json!([bumped.to_string()]));
    let entry = gui.node.rpc("getmempoolentry", json!([bumped.to_string()]));
    assert_eq!(sats(&entry["fees"]["base"]), bump.new_fee);
    assert!(wallet
        .get_wallet_tx(&original)
        .unwrap()
        .value_map
        .contains(&("replaced_by_txid".to_string(), bumped.to_string())));
    assert!(wallet
        .get_wallet_tx(&bumped)
        .unwrap()
        .value_map
        .contains(&("replaces_txid".to_string(), original.to_string())));
    let rpc_view = gui
        .node
        .wallet_rpc("w", "gettransaction", json!([original.to_string()]));
    assert_eq!(rpc_view["replaced_by_txid"], json!(bumped.to_string()));
    assert!(!wallet.transaction_can_be_bumped(&original).unwrap());
    let again = wallet.create_bump_transaction(&original, &cc).unwrap();
    assert!(!again.made);
    assert_eq!(
        again.errors[0].original,
        format!(
            "Cannot bump transaction {original} which was already bumped by transaction {bumped}"
        )
    );

    // The replaced original is in neither chain nor mempool: abandonable.
    assert!(wallet.transaction_can_be_abandoned(&original).unwrap());
    assert!(!wallet.transaction_can_be_abandoned(&bumped).unwrap());
    assert!(wallet.abandon_transaction(&original).unwrap());
    assert!(status(&*wallet, &original).0.is_abandoned);
    assert!(!wallet.transaction_can_be_abandoned(&original).unwrap());

    // Mined: no more bumping; its input is spent for good (Core's check
    // of the coins comes first).
    gui.mine(&[&*wallet], &addr);
    assert!(!wallet.transaction_can_be_bumped(&bumped).unwrap());
    let mined = wallet.create_bump_transaction(&bumped, &cc).unwrap();
    assert!(!mined.made);
    assert_eq!(
        mined.errors[0].original,
        format!("{coinbase}:0 is already spent")
    );
    assert!(!wallet.transaction_can_be_abandoned(&bumped).unwrap());

    drop(wallet);
    gui.finish();
}

#[test]
fn messages_keys_fees_encryption_and_backups() {
    let gui = Gui::start(&["-txconfirmtarget=9", "-maxtxfee=0.05"]);
    let wallet = gui.create("keys", DESCRIPTORS);

    // signMessage: a signature verifymessage accepts, as signmessage makes.
    let legacy = new_dest(&*wallet, LEGACY, "msg");
    let TxDestination::PkHash(pkhash) = legacy else {
        panic!("legacy gave {legacy:?}");
    };
    let legacy_addr = address(&legacy);
    let (signature, result) = wallet.sign_message("hello world", &pkhash).unwrap();
    assert_eq!(result, SIGNING_OK);
    assert_eq!(
        gui.node.rpc(
            "verifymessage",
            json!([legacy_addr, signature, "hello world"])
        ),
        json!(true)
    );
    assert_eq!(
        gui.node
            .wallet_rpc("keys", "signmessage", json!([legacy_addr, "hello world"])),
        json!(signature)
    );
    assert_eq!(
        wallet.sign_message("hello world", &[0; 20]).unwrap(),
        (String::new(), PRIVATE_KEY_NOT_AVAILABLE)
    );

    // getPubKey: the key behind a key hash, as Core serializes a CPubKey.
    for dest in [legacy.clone(), new_dest(&*wallet, BECH32, "")] {
        let script = dest.script_pubkey().unwrap();
        let info = gui
            .node
            .wallet_rpc("keys", "getaddressinfo", json!([address(&dest)]));
        let expected = hex::decode(info["pubkey"].as_str().unwrap()).unwrap();
        let key_hash = hash160::Hash::hash(&expected).to_byte_array();
        let (pubkey, found) = wallet.get_pub_key(&script, &key_hash).unwrap();
        assert!(found);
        assert_eq!(pubkey[0] as usize, expected.len());
        assert_eq!(&pubkey[1..], &expected[..]);
        assert_eq!(
            wallet.get_pub_key(&script, &[1; 20]).unwrap(),
            (vec![], false)
        );
    }
    let foreign = bitcoin::ScriptBuf::new_p2pkh(&bitcoin::PubkeyHash::from_byte_array([3; 20]));
    assert!(!wallet.get_pub_key(&foreign, &[3; 20]).unwrap().1);

    // Fees without an estimator: the fallback fee, for target 0, unless
    // coin control sets a rate; never below the required rate.
    let relay = sats(&gui.node.rpc("getnetworkinfo", json!([]))["relayfee"]);
    let required = relay.max(1000);
    assert_eq!(wallet.get_required_fee(1000).unwrap(), required);
    assert_eq!(wallet.get_required_fee(2000).unwrap(), 2 * required);
    assert_eq!(
        wallet
            .get_minimum_fee(1000, &coin_control(), true, true)
            .unwrap(),
        (0, REASON_FALLBACK, FALLBACK_FEE)
    );
    assert_eq!(
        wallet
            .get_minimum_fee(250, &coin_control(), false, false)
            .unwrap(),
        (0, 0, FALLBACK_FEE / 4)
    );
    let rate = |fee: i64| Some(interfaces::FeeRate { fee, size: 1000 });
    let user = CoinControl {
        fee_rate: rate(5000),
        ..coin_control()
    };
    assert_eq!(
        wallet.get_minimum_fee(1000, &user, true, true).unwrap(),
        (0, REASON_NONE, 5000)
    );
    let low = CoinControl {
        fee_rate: rate(required / 2),
        ..coin_control()
    };
    assert_eq!(
        wallet.get_minimum_fee(1000, &low, true, true).unwrap(),
        (0, REASON_REQUIRED, required)
    );
    let overridden = CoinControl {
        override_fee_rate: true,
        ..low
    };
    assert_eq!(
        wallet
            .get_minimum_fee(1000, &overridden, true, true)
            .unwrap(),
        (0, REASON_NONE, required / 2)
    );
    assert_eq!(wallet.get_confirm_target().unwrap(), 9);
    assert_eq!(wallet.get_default_max_tx_fee().unwrap(), 5_000_000);

    // Encryption and the lock, with the status callback told each time.
    let statuses = Arc::new(AtomicUsize::new(0));
    let status_handler = wallet
        .handle_status_changed(Box::new(Count(statuses.clone())))
        .unwrap();
    assert!(!wallet.is_crypted().unwrap());
    assert!(!wallet.lock().unwrap());
    assert!(!wallet.unlock(b"pass").unwrap());
    assert!(!wallet.change_wallet_passphrase(b"pass", b"new").unwrap());
    assert!(wallet.encrypt_wallet(b"pass").unwrap());
    assert!(wallet.is_crypted().unwrap() && wallet.is_locked().unwrap());
    wait_for("the status callback", || {
        (statuses.load(Ordering::SeqCst) > 0).then_some(())
    });
    assert!(!wallet.encrypt_wallet(b"again").unwrap());
    assert_eq!(
        wallet.sign_message("locked", &pkhash).unwrap().1,
        PRIVATE_KEY_NOT_AVAILABLE
    );
    assert!(!wallet.unlock(b"wrong").unwrap());
    assert!(wallet.is_locked().unwrap());
    let before = statuses.load(Ordering::SeqCst);
    assert!(wallet.unlock(b"pass").unwrap());
    assert!(!wallet.is_locked().unwrap());
    wait_for("the unlock announced", || {
        (statuses.load(Ordering::SeqCst) > before).then_some(())
    });
    assert_eq!(
        wallet.sign_message("unlocked", &pkhash).unwrap().1,
        SIGNING_OK
    );
    // Changing the passphrase of an unlocked wallet leaves it unlocked.
    assert!(wallet.change_wallet_passphrase(b"pass", b"new").unwrap());
    assert!(!wallet.is_locked().unwrap());
    assert!(wallet.lock().unwrap());
    assert!(wallet.is_locked().unwrap());
    assert!(!wallet.change_wallet_passphrase(b"pass", b"x").unwrap());
    // ...and of a locked one leaves it locked.
    assert!(wallet.change_wallet_passphrase(b"new", b"newer").unwrap());
    assert!(wallet.is_locked().unwrap());
    assert!(!wallet.unlock(b"new").unwrap());
    assert!(wallet.unlock(b"newer").unwrap());
    assert!(wallet.lock().unwrap());
    drop(status_handler);

    // Backups: a copy restorewallet loads, encrypted as the original.
    let backup = gui.node.datadir.join("keys-backup.dat");
    assert!(wallet.backup_wallet(backup.to_str().unwrap()).unwrap());
    assert!(backup.is_file());
    assert_eq!(
        gui.node.rpc(
            "restorewallet",
            json!(["restored", backup.to_str().unwrap()])
        )["name"],
        json!("restored")
    );
    let info = gui.node.wallet_rpc("restored", "getwalletinfo", json!([]));
    assert_eq!(info["unlocked_until"], json!(0));
    let nowhere = gui.node.datadir.join("no/such/dir/backup.dat");
    assert!(!wallet.backup_wallet(nowhere.to_str().unwrap()).unwrap());
    wallet.abort_rescan().unwrap();

    drop(wallet);
    gui.finish();
}

/// Counts calls.
struct Count(Arc<AtomicUsize>);

impl StatusChangedCallback for Count {
    fn call(&self) -> interfaces::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

impl CanGetAddressesChangedCallback for Count {
    fn call(&self) -> interfaces::Result<()> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// One address book notification: destination, label, is mine, purpose,
/// status.
type BookEvent = (TxDestination, String, bool, i32, i32);

#[derive(Default)]
struct Recorded<T>(Mutex<Vec<T>>);

impl<T: Clone> Recorded<T> {
    fn all(&self) -> Vec<T> {
        self.0.lock().unwrap().clone()
    }

    fn push(&self, v: T) {
        self.0.lock().unwrap().push(v);
    }

    /// Waits for the `n`th event (from 1) and returns it.
    fn nth(&self, n: usize) -> T {
        wait_for("a notification", || self.all().get(n - 1).cloned())
    }
}

struct OnBook(Arc<Recorded<BookEvent>>);

impl AddressBookChangedCallback for OnBook {
    fn call(
        &self,
        address: &TxDestination,
        label: &str,
        is_mine: bool,
        purpose: i32,
        status: i32,
    ) -> interfaces::Result<()> {
        self.0
            .push((address.clone(), label.to_string(), is_mine, purpose, status));
        Ok(())
    }
}

struct OnProgress(Arc<Recorded<(String, i32)>>);

impl ShowWalletProgressCallback for OnProgress {
    fn call(&self, title: &str, progress: i32) -> interfaces::Result<()> {
        self.0.push((title.to_string(), progress));
        Ok(())
    }
}

#[test]
fn address_book_receive_requests_and_notifications() {
    let gui = Gui::start(&[]);
    let book = gui.create("book", DESCRIPTORS);
    gui.node.rpc("createwallet", json!(["other"]));
    let other = |label: &str| {
        gui.node
            .wallet_rpc("other", "getnewaddress", json!([label]))
            .as_str()
            .unwrap()
            .to_string()
    };
    let events = Arc::new(Recorded::default());
    let book_handler = book
        .handle_address_book_changed(Box::new(OnBook(events.clone())))
        .unwrap();

    // Every path that changes the address book is announced: setlabel,
    // getnewaddress, the GUI's setAddressBook and delAddressBook.
    let friend = other("");
    gui.node
        .wallet_rpc("book", "setlabel", json!([friend, "friend"]));
    assert_eq!(
        events.nth(1),
        (dest_of(&friend), "friend".into(), false, SEND, CT_NEW)
    );
    gui.node
        .wallet_rpc("book", "setlabel", json!([friend, "best friend"]));
    assert_eq!(
        events.nth(2),
        (
            dest_of(&friend),
            "best friend".into(),
            false,
            SEND,
            CT_UPDATED
        )
    );
    let mine = gui
        .node
        .wallet_rpc("book", "getnewaddress", json!(["savings"]))
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        events.nth(3),
        (dest_of(&mine), "savings".into(), true, RECEIVE, CT_NEW)
    );
    let shop = other("");
    assert!(book
        .set_address_book(&dest_of(&shop), "shop", SEND)
        .unwrap());
    assert_eq!(
        events.nth(4),
        (dest_of(&shop), "shop".into(), false, SEND, CT_NEW)
    );
    let gui_dest = new_dest(&*book, BECH32, "from the gui");
    assert_eq!(
        events.nth(5),
        (
            gui_dest.clone(),
            "from the gui".into(),
            true,
            RECEIVE,
            CT_NEW
        )
    );

    let listed = book.get_addresses().unwrap();
    let entry = |dest: &TxDestination| listed.iter().find(|a| a.dest == *dest).cloned();
    let f = entry(&dest_of(&friend)).expect("friend listed");
    assert_eq!(
        (f.name.as_str(), f.is_mine, f.purpose),
        ("best friend", false, SEND)
    );
    let m = entry(&dest_of(&mine)).expect("own address listed");
    assert_eq!(
        (m.name.as_str(), m.is_mine, m.purpose),
        ("savings", true, RECEIVE)
    );
    assert_eq!(
        book.get_address(&dest_of(&friend), true, true).unwrap(),
        ("best friend".to_string(), SEND, true)
    );

    assert!(book.del_address_book(&dest_of(&friend)).unwrap());
    assert_eq!(
        events.nth(6),
        (dest_of(&friend), String::new(), false, SEND, CT_DELETED)
    );
    assert!(!book.get_address(&dest_of(&friend), true, true).unwrap().2);
    assert!(book
        .get_addresses()
        .unwrap()
        .iter()
        .all(|a| a.dest != dest_of(&friend)));
    // The wallet's own addresses stay.
    assert!(!book.del_address_book(&dest_of(&mine)).unwrap());
    assert!(book.get_address(&dest_of(&mine), true, true).unwrap().2);
    assert_eq!(events.all().len(), 6);
    drop(book_handler);

    // Receive requests: opaque bytes (Core's GUI stores its own binary
    // serialization), kept across a reload, erased with an empty value.
    let first: Vec<u8> = vec![0x01, 0x00, 0xff, 0x80, b'r', b'q'];
    let second = b"second request".to_vec();
    assert!(book
        .set_address_receive_request(&gui_dest, b"1", &first)
        .unwrap());
    assert!(book
        .set_address_receive_request(&gui_dest, b"2", &second)
        .unwrap());
    let mut requests = book.get_address_receive_requests().unwrap();
    requests.sort();
    assert_eq!(requests, vec![first.clone(), second.clone()]);

    // The reload also shows what the address book kept.
    let reload = |book: Box<dyn Wallet>| {
        drop(book);
        gui.node.rpc("unloadwallet", json!(["book"]));
        gui.load("book")
    };
    let book = reload(book);
    let mut requests = book.get_address_receive_requests().unwrap();
    requests.sort();
    assert_eq!(requests, vec![first.clone(), second.clone()]);
    assert!(!book.get_address(&dest_of(&friend), true, true).unwrap().2);
    assert_eq!(
        book.get_address(&dest_of(&shop), true, true).unwrap(),
        ("shop".to_string(), SEND, true)
    );
    assert!(book
        .set_address_receive_request(&gui_dest, b"1", b"")
        .unwrap());
    assert_eq!(
        book.get_address_receive_requests().unwrap(),
        vec![second.clone()]
    );
    let book = reload(book);
    assert_eq!(book.get_address_receive_requests().unwrap(), vec![second]);

    // A blank watch-only wallet cannot give addresses until it imports an
    // active descriptor; the GUI hears of the change.
    let watch = gui.create("watch", DESCRIPTORS | BLANK | DISABLE_PRIVATE_KEYS);
    assert!(!watch.can_get_addresses().unwrap());
    let changes = Arc::new(AtomicUsize::new(0));
    let can_get_handler = watch
        .handle_can_get_addresses_changed(Box::new(Count(changes.clone())))
        .unwrap();
    let listed = gui.node.wallet_rpc("other", "listdescriptors", json!([]));
    let wpkh = listed["descriptors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["desc"].as_str().unwrap().starts_with("wpkh(") && d["internal"] == json!(false))
        .expect("a wpkh receive descriptor")
        .clone();
    let imported = gui.node.wallet_rpc(
        "watch",
        "importdescriptors",
        json!([[{
            "desc": wpkh["desc"],
            "timestamp": "now",
            "active": true,
            "internal": false,
            "range": wpkh["range"],
        }]]),
    );
    assert_eq!(imported[0]["success"], json!(true), "{imported}");
    wait_for("the can-get-addresses callback", || {
        (changes.load(Ordering::SeqCst) > 0).then_some(())
    });
    assert!(watch.can_get_addresses().unwrap());
    drop(can_get_handler);

    // A rescan shows its progress: from 0 to 100, titled with the wallet.
    gui.node.generate_to_address(3, &other(""));
    let progress = Arc::new(Recorded::default());
    let progress_handler = book
        .handle_show_progress(Box::new(OnProgress(progress.clone())))
        .unwrap();
    gui.node.wallet_rpc("book", "rescanblockchain", json!([]));
    let seen = wait_for("the rescan's end", || {
        let all = progress.all();
        (all.last().map(|(_, p)| *p) == Some(100)).then_some(all)
    });
    assert_eq!(seen[0], ("[book] Rescanning…".to_string(), 0));
    assert!(seen
        .iter()
        .all(|(t, p)| t == "[book] Rescanning…" && (0..=100).contains(p)));
    drop(progress_handler);

    drop((book, watch));
    gui.finish();
}

/// Core's `PSBTError::OK`, `fillPSBT`'s answer when nothing went wrong.
const PSBT_OK: i32 = 7;

#[test]
fn fill_psbt_updates_and_signs_what_the_wallet_funded() {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let gui = Gui::start(&[]);
    let (wallet, addr) = gui.funded("psbt");
    let made = gui.node.wallet_rpc(
        "psbt",
        "walletcreatefundedpsbt",
        json!([[], [{ addr.clone(): 1 }]]),
    );
    let bytes = b64
        .decode(made["psbt"].as_str().expect("a psbt"))
        .expect("base64");
    // Update only: nothing signed, not complete.
    let (_, updated, complete, error) = wallet.fill_psbt(0, false, true, false, &bytes).unwrap();
    assert_eq!(error, PSBT_OK);
    assert!(!complete);
    assert!(!updated.is_empty());
    // Signed: complete, and the node takes it once finalized.
    let (signed_inputs, signed, complete, error) =
        wallet.fill_psbt(0, true, true, false, &bytes).unwrap();
    assert_eq!(error, PSBT_OK);
    assert!(complete && signed_inputs >= 1, "{signed_inputs}");
    let finalized = gui.node.rpc("finalizepsbt", json!([b64.encode(&signed)]));
    assert_eq!(finalized["complete"], json!(true));
    let accepted = gui
        .node
        .rpc("testmempoolaccept", json!([[finalized["hex"]]]));
    assert_eq!(accepted[0]["allowed"], json!(true), "{accepted}");
    // Bytes that are no PSBT: a clear error, and the wallet goes on.
    match wallet.fill_psbt(0, true, true, false, b"nonsense") {
        Err(interfaces::Error::Remote(e)) => assert!(e.contains("TX decode failed"), "{e}"),
        other => panic!("fillPSBT of garbage answered {other:?}"),
    }
    assert_eq!(wallet.get_balances().unwrap().balance, 50 * COIN);
    drop(wallet);
    gui.finish();
}
