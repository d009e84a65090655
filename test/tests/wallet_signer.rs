//! External signers (`-signer`): a wallet created with `external_signer`
//! takes its descriptors from the signer program, shows addresses on it
//! and has it sign `send` and `bumpfee`. The "device" is a shell script
//! that answers from files, and hands each PSBT to the test, which signs
//! it with an ordinary wallet holding the device's keys: so the round trip
//! is real, not a canned answer.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tracing as _, tracing_subscriber as _,
};

use functional::{RpcError, TestNode};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The mock device: each command is logged to `calls`; `enumerate`,
/// `getdescriptors` and `displayaddress` answer the files of those names;
/// `signtx` writes the PSBT to `request` and answers `answer` once the test
/// has written it.
const SIGNER: &str = r#"#!/bin/sh
dir=$(dirname "$0")
echo "$@" >> "$dir/calls"
case "$*" in
*--stdin*)
    read -r line
    printf '%s' "${line#signtx }" > "$dir/request.tmp"
    mv "$dir/request.tmp" "$dir/request"
    n=0
    while [ ! -f "$dir/answer" ]; do
        n=$((n + 1))
        [ $n -gt 600 ] && exit 9
        sleep 0.1
    done
    cat "$dir/answer"
    rm -f "$dir/answer"
    ;;
*enumerate*) cat "$dir/enumerate" ;;
*getdescriptors*) cat "$dir/getdescriptors" ;;
*displayaddress*) cat "$dir/displayaddress" ;;
*) echo "unknown command" >&2; exit 2 ;;
esac
"#;

/// The mock device's directory.
struct Device {
    dir: tempfile::TempDir,
}

impl Device {
    fn new() -> Device {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("signer.sh"), SIGNER).expect("write signer");
        Device { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The `-signer` option naming this device.
    fn option(&self) -> String {
        format!("-signer=/bin/sh {}", self.path("signer.sh").display())
    }

    /// Sets the answer to `command`.
    fn answer(&self, command: &str, text: &str) {
        std::fs::write(self.path(command), text).expect("write answer");
    }

    /// The commands the device was given, one per line.
    fn calls(&self) -> String {
        std::fs::read_to_string(self.path("calls")).unwrap_or_default()
    }

    /// Waits for the PSBT of a `signtx` request and takes it.
    fn take_request(&self) -> String {
        let path = self.path("request");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(psbt) = std::fs::read_to_string(&path) {
                let _ = std::fs::remove_file(&path);
                return psbt;
            }
            assert!(Instant::now() < deadline, "no signtx request came");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn err(r: Result<Value, Option<RpcError>>) -> (i64, String) {
    match r {
        Ok(v) => panic!("unexpectedly succeeded: {v}"),
        Err(Some(e)) => (e.code, e.message),
        Err(None) => panic!("transport error"),
    }
}

/// The device's descriptors as `getdescriptors` answers them: the active
/// public descriptors of the `keys` wallet, and its master fingerprint.
fn device_descriptors(node: &TestNode) -> (Value, String) {
    let list = node.wallet_rpc("keys", "listdescriptors", json!([]));
    let mut receive = Vec::new();
    let mut internal = Vec::new();
    for d in list["descriptors"].as_array().expect("descriptors") {
        if d["active"] != json!(true) {
            continue;
        }
        let text = d["desc"].as_str().expect("desc").to_string();
        if d["internal"] == json!(true) {
            internal.push(text);
        } else {
            receive.push(text);
        }
    }
    let first = receive[0].as_str();
    let fingerprint = first[first.find('[').expect("origin") + 1..][..8].to_string();
    (
        json!({"receive": receive, "internal": internal}),
        fingerprint,
    )
}

/// Runs `call` while acting as the device: the PSBT it is asked to sign
/// is signed by the `keys` wallet. Returns the call's result and the PSBT
/// the device was sent.
fn with_device_signing<T: Send>(
    node: &TestNode,
    device: &Device,
    call: impl FnOnce() -> T + Send,
) -> (T, String) {
    std::thread::scope(|s| {
        let handle = s.spawn(call);
        let request = device.take_request();
        let signed = node.wallet_rpc("keys", "walletprocesspsbt", json!([request]));
        device.answer(
            "answer",
            &json!({"psbt": signed["psbt"], "complete": signed["complete"]}).to_string(),
        );
        (handle.join().expect("call thread"), request)
    })
}

fn start(node: &mut TestNode, device: &Device) {
    node.start(&[&device.option()]);
}

fn wait_gone(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while path.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn a_wallet_on_an_external_signer_gets_addresses_shows_them_and_spends() {
    let device = Device::new();
    let mut node = TestNode::with_wallet();
    start(&mut node, &device);

    // The device's keys, in an ordinary wallet the test signs with.
    node.rpc("createwallet", json!(["keys"]));
    let (descriptors, fingerprint) = device_descriptors(&node);
    device.answer("getdescriptors", &descriptors.to_string());
    device.answer(
        "enumerate",
        &json!([{"fingerprint": fingerprint, "type": "mock", "model": "mock_t"}]).to_string(),
    );
    assert_eq!(
        node.rpc("enumeratesigners", json!([])),
        json!({"signers": [{"fingerprint": fingerprint, "name": "mock_t"}]})
    );

    let e = err(node.try_rpc(
        "createwallet",
        json!({"wallet_name": "bad", "disable_private_keys": false, "external_signer": true}),
    ));
    assert_eq!(
        e,
        (
            -4,
            "Private keys must be disabled when using an external signer".into()
        )
    );
    node.rpc(
        "createwallet",
        json!({"wallet_name": "hww", "disable_private_keys": true, "external_signer": true}),
    );
    let info = node.wallet_rpc("hww", "getwalletinfo", json!([]));
    assert_eq!(info["external_signer"], json!(true));
    assert_eq!(info["private_keys_enabled"], json!(false));
    // One key ahead (keypool=1) on each of the four receive descriptors.
    assert_eq!(info["keypoolsize"], json!(4));
    assert!(device.calls().contains(&format!(
        "--fingerprint {fingerprint} --chain regtest getdescriptors --account 0"
    )));
    let e = err(node.try_wallet_rpc("hww", "setwalletflag", json!(["external_signer", true])));
    assert_eq!(e, (-8, "Wallet flag is immutable: external_signer".into()));

    // The same descriptors give the same addresses as the device's wallet.
    for t in ["legacy", "p2sh-segwit", "bech32", "bech32m"] {
        let ours = node.wallet_rpc("hww", "getnewaddress", json!(["", t]));
        let device_side = node.wallet_rpc("keys", "getnewaddress", json!(["", t]));
        assert_eq!(ours, device_side, "{t}");
        let info = node.wallet_rpc("hww", "getaddressinfo", json!([ours]));
        assert_eq!(
            (info["ismine"].clone(), info["solvable"].clone()),
            (json!(true), json!(true))
        );
    }

    // walletdisplayaddress sends the address's descriptor and checks the echo.
    let address = node.wallet_rpc("hww", "getnewaddress", json!(["", "bech32"]));
    let address = address.as_str().expect("address").to_string();
    let desc = node.wallet_rpc("hww", "getaddressinfo", json!([address]))["desc"].clone();
    device.answer("displayaddress", &json!({"address": address}).to_string());
    assert_eq!(
        node.wallet_rpc("hww", "walletdisplayaddress", json!([address])),
        json!({"address": address})
    );
    assert!(device.calls().contains(&format!(
        "--fingerprint {fingerprint} --chain regtest displayaddress --desc {}",
        desc.as_str().expect("desc")
    )));
    device.answer("displayaddress", r#"{"address": "wrong_address"}"#);
    let e = err(node.try_wallet_rpc("hww", "walletdisplayaddress", json!([address])));
    assert_eq!(
        e,
        (-1, "Signer echoed unexpected address wrong_address".into())
    );
    device.answer("displayaddress", r#"{"error": "device locked"}"#);
    let e = err(node.try_wallet_rpc("hww", "walletdisplayaddress", json!([address])));
    assert_eq!(e, (-1, "Signer returned error: device locked".into()));
    let e = err(node.try_wallet_rpc("hww", "walletdisplayaddress", json!(["nonsense"])));
    assert_eq!(e, (-5, "Invalid address".into()));

    // Coins to spend.
    node.generate_to_address(101, &address);
    let dest = node.wallet_rpc("keys", "getnewaddress", json!([]));
    let dest = dest.as_str().expect("address").to_string();
    let e = err(node.try_wallet_rpc("hww", "sendtoaddress", json!([dest, 1])));
    assert_eq!(
        e,
        (
            -4,
            "Error: sendtoaddress and sendmany are not supported for wallets with external signers; use send instead".into()
        )
    );

    // send: the device gets a version 2 PSBT naming its key, and its
    // signature makes the transaction that is broadcast.
    let (sent, request) = with_device_signing(&node, &device, || {
        node.wallet_rpc("hww", "send", json!({"outputs": {&dest: 1}}))
    });
    assert_eq!(sent["complete"], json!(true));
    let decoded = node.rpc("decodepsbt", json!([request]));
    assert_eq!(decoded["psbt_version"], json!(2));
    assert_eq!(
        decoded["inputs"][0]["bip32_derivs"][0]["master_fingerprint"],
        json!(fingerprint)
    );
    let txid = sent["txid"].as_str().expect("txid").to_string();
    assert!(node
        .rpc("getrawmempool", json!([]))
        .as_array()
        .expect("mempool")
        .contains(&json!(txid)));

    // bumpfee asks the device again and replaces the transaction.
    let (bumped, _) = with_device_signing(&node, &device, || {
        node.wallet_rpc("hww", "bumpfee", json!([txid]))
    });
    assert_eq!(bumped["errors"], json!([]));
    assert!(bumped["fee"].as_f64() > bumped["origfee"].as_f64());
    let mempool = node.rpc("getrawmempool", json!([]));
    assert!(mempool
        .as_array()
        .expect("mempool")
        .contains(&bumped["txid"]));
    assert!(!mempool.as_array().expect("mempool").contains(&json!(txid)));
    // A replacement's outputs are not spent unconfirmed (Core's "safe").
    node.generate_to_address(1, &address);

    // walletprocesspsbt signs through the device too, in the PSBT's version.
    let funded = node.wallet_rpc(
        "hww",
        "walletcreatefundedpsbt",
        json!({"outputs": {&dest: 1}, "psbt_version": 0}),
    );
    let (processed, request) = with_device_signing(&node, &device, || {
        node.wallet_rpc("hww", "walletprocesspsbt", json!([funded["psbt"]]))
    });
    assert_eq!(processed["complete"], json!(true));
    assert_eq!(
        node.rpc("decodepsbt", json!([request]))["psbt_version"],
        json!(0)
    );
    let accepted = node.rpc("testmempoolaccept", json!([[processed["hex"]]]));
    assert_eq!(accepted[0]["allowed"], json!(true), "{accepted}");

    // A device that declines: the signer's error is logged, the RPC says
    // the signer failed.
    device.answer("answer", r#"{"error": "user declined"}"#);
    let e = err(node.try_wallet_rpc("hww", "send", json!({"outputs": {&dest: 1}})));
    assert_eq!(e, (-25, "External signer failed to sign".into()));
    wait_gone(&device.path("answer"));
    let _ = std::fs::remove_file(device.path("request"));

    // No device connected, or two.
    device.answer("enumerate", "[]");
    let e = err(node.try_wallet_rpc("hww", "send", json!({"outputs": {&dest: 1}})));
    assert_eq!(e, (-25, "External signer not found".into()));
    device.answer(
        "enumerate",
        r#"[{"fingerprint": "00000001"}, {"fingerprint": "00000002"}]"#,
    );
    let e = err(node.try_rpc(
        "createwallet",
        json!({"wallet_name": "two", "disable_private_keys": true, "external_signer": true}),
    ));
    assert_eq!(
        e,
        (
            -1,
            "More than one external signer found. Please connect only one at a time.".into()
        )
    );
    let e = err(node.try_wallet_rpc("hww", "walletdisplayaddress", json!([address])));
    assert_eq!(
        e,
        (
            -1,
            "More than one external signer found. Please connect only one at a time.".into()
        )
    );

    // Answers that are not JSON, or not descriptors.
    device.answer("enumerate", "{\"invalid json\"}");
    let e = err(node.try_rpc("enumeratesigners", json!([])));
    assert_eq!(e, (-1, "Unable to parse JSON: {\"invalid json\"}".into()));
    let e = err(node.try_rpc(
        "createwallet",
        json!({"wallet_name": "nojson", "disable_private_keys": true, "external_signer": true}),
    ));
    assert_eq!(e, (-1, "Unable to parse JSON: {\"invalid json\"}".into()));
    device.answer(
        "enumerate",
        &json!([{"fingerprint": fingerprint}]).to_string(),
    );
    device.answer(
        "getdescriptors",
        r#"{"receive": ["wpkh(nonsense)"], "internal": []}"#,
    );
    let e = err(node.try_rpc(
        "createwallet",
        json!({"wallet_name": "baddesc", "disable_private_keys": true, "external_signer": true}),
    ));
    assert_eq!(e.0, -1);
    assert!(
        e.1.starts_with("SetupDescriptorScriptPubKeyMans: Invalid descriptor \"wpkh(nonsense)\""),
        "{}",
        e.1
    );

    // The wallet keeps its descriptors across a restart without -signer,
    // and then cannot sign.
    node.stop();
    node.start(&[]);
    node.rpc("loadwallet", json!(["hww"]));
    let info = node.wallet_rpc("hww", "getwalletinfo", json!([]));
    assert_eq!(info["external_signer"], json!(true));
    let e = err(node.try_wallet_rpc("hww", "send", json!({"outputs": {&dest: 1}})));
    assert_eq!(e, (-25, "External signer not found".into()));
    let e = err(node.try_rpc("enumeratesigners", json!([])));
    assert_eq!(e, (-1, "Error: restart bitcoind with -signer=<cmd>".into()));
}
