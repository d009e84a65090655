//! The public REST interface (`-rest`): every endpoint in each format, its
//! agreement with the matching RPC, and Core's status codes and error texts.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, consensus as _, interfaces as _, ipc as _, libc as _, tempfile as _, tracing as _,
    tracing_subscriber as _,
};

use bitcoin::secp256k1::{Secp256k1, SecretKey};
use bitcoin::{Address, CompressedPublicKey, Network, PrivateKey};
use functional::{HttpResponse, TestNode};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const UNKNOWN: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn key() -> (String, String) {
    let sk = SecretKey::from_slice(&[0x33; 32]).expect("valid key");
    let pk = CompressedPublicKey(sk.public_key(&Secp256k1::new()));
    let wif = PrivateKey::new(sk, Network::Regtest).to_wif();
    (wif, Address::p2wpkh(&pk, Network::Regtest).to_string())
}

/// An unauthenticated request, as REST clients send them.
fn request(node: &TestNode, method: &str, path: &str, body: &[u8]) -> HttpResponse {
    let mut raw = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    node.http_request_bytes(&raw).expect("http reply")
}

fn get(node: &TestNode, path: &str) -> HttpResponse {
    request(node, "GET", path, b"")
}

/// A `200` JSON reply's value.
fn get_json(node: &TestNode, path: &str) -> Value {
    let r = get(node, path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), Some("application/json"), "{path}");
    r.json()
}

/// A `200` hex reply's text (without the newline).
fn get_hex(node: &TestNode, path: &str) -> String {
    let r = get(node, path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(r.header("content-type"), Some("text/plain"), "{path}");
    let text = String::from_utf8(r.body).expect("utf8");
    text.strip_suffix('\n')
        .expect("trailing newline")
        .to_string()
}

/// A `200` binary reply's bytes.
fn get_bin(node: &TestNode, path: &str) -> Vec<u8> {
    let r = get(node, path);
    assert_eq!(
        r.status,
        200,
        "{path}: {}",
        String::from_utf8_lossy(&r.body)
    );
    assert_eq!(
        r.header("content-type"),
        Some("application/octet-stream"),
        "{path}"
    );
    r.body
}

/// Asserts an error reply: status and Core's `message\r\n` text body.
fn assert_error(r: HttpResponse, status: u16, message: &str) {
    assert_eq!(r.status, status, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.header("content-type"), Some("text/plain"));
    assert_eq!(String::from_utf8_lossy(&r.body), format!("{message}\r\n"));
}

fn start() -> (TestNode, String, String) {
    let mut node = TestNode::new();
    node.start(&["-rest", "-txindex", "-blockfilterindex"]);
    let (wif, addr) = key();
    node.rpc("generatetoaddress", json!([101, addr]));
    (node, wif, addr)
}

/// Spends block 1's coinbase to `addr`; returns (spent txid, spender txid).
fn spend(node: &TestNode, wif: &str, addr: &str) -> (String, String) {
    let first = node.rpc("getblockhash", json!([1]));
    let cb = node.rpc("getblock", json!([first, 1]))["tx"][0].clone();
    let raw = node.rpc(
        "createrawtransaction",
        json!([[{"txid": cb, "vout": 0}], [{addr: 49.999}]]),
    );
    let signed = node.rpc("signrawtransactionwithkey", json!([raw, [wif]]));
    let txid = node.rpc("sendrawtransaction", json!([signed["hex"]]));
    (
        cb.as_str().expect("txid").to_string(),
        txid.as_str().expect("txid").to_string(),
    )
}

fn wait_for_filter_index(node: &TestNode) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let height = node.rpc("getblockcount", json!([]));
    while node.rpc("getindexinfo", json!(["basic block filter index"]))["basic block filter index"]
        ["best_block_height"]
        != height
    {
        assert!(Instant::now() < deadline, "filter index did not sync");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn rest_is_off_without_the_option() {
    let mut node = TestNode::new();
    node.start(&[]);
    assert_eq!(get(&node, "/rest/chaininfo.json").status, 404);
}

#[test]
fn tx_mempool_and_getutxos() {
    let (node, wif, addr) = start();
    let (spent, txid) = spend(&node, &wif, &addr);

    // /tx: JSON equals the RPC, hex and bin are the serialization.
    let tx = get_json(&node, &format!("/rest/tx/{txid}.json"));
    assert_eq!(tx, node.rpc("getrawtransaction", json!([txid, 1])));
    let hex = get_hex(&node, &format!("/rest/tx/{txid}.hex"));
    assert_eq!(json!(hex), node.rpc("getrawtransaction", json!([txid])));
    assert_eq!(
        get_bin(&node, &format!("/rest/tx/{txid}.bin")),
        hex::decode(&hex).expect("hex")
    );
    assert_error(get(&node, "/rest/tx/abc.json"), 400, "Invalid hash: abc");
    assert_error(
        get(&node, &format!("/rest/tx/{UNKNOWN}.json")),
        404,
        &format!("{UNKNOWN} not found"),
    );
    assert_error(
        get(&node, &format!("/rest/tx/{txid}.xml")),
        400,
        &format!("Invalid hash: {txid}.xml"),
    );
    assert_error(
        get(&node, &format!("/rest/tx/{txid}")),
        404,
        "output format not found (available: .bin, .hex, .json)",
    );

    // /mempool: the RPC results, with Core's query checks.
    assert_eq!(
        get_json(&node, "/rest/mempool/info.json"),
        node.rpc("getmempoolinfo", json!([]))
    );
    assert_eq!(
        get_json(&node, "/rest/mempool/contents.json"),
        node.rpc("getrawmempool", json!([true]))
    );
    assert_eq!(
        get_json(&node, "/rest/mempool/contents.json?verbose=false"),
        json!([txid])
    );
    assert_eq!(
        get_json(
            &node,
            "/rest/mempool/contents.json?verbose=false&mempool_sequence=true"
        ),
        node.rpc("getrawmempool", json!([false, true]))
    );
    assert_error(
        get(&node, "/rest/mempool/contents.json?verbose=TRUE"),
        400,
        "The \"verbose\" query parameter must be either \"true\" or \"false\".",
    );
    assert_error(
        get(&node, "/rest/mempool/contents.json?mempool_sequence=true"),
        400,
        "Verbose results cannot contain mempool sequence values. (hint: set \"verbose=false\")",
    );
    assert_error(
        get(&node, "/rest/mempool/other.json"),
        400,
        "Invalid URI format. Expected /rest/mempool/<info|contents>.json",
    );
    assert_error(
        get(&node, "/rest/mempool/info.bin"),
        404,
        "output format not found (available: json)",
    );

    // /getutxos: the chain's view, or the chain plus mempool.
    let tip = node.rpc("getbestblockhash", json!([]));
    let u = get_json(&node, &format!("/rest/getutxos/{spent}-0/{txid}-0.json"));
    assert_eq!(u["chainHeight"], json!(101));
    assert_eq!(u["chaintipHash"], tip);
    assert_eq!(u["bitmap"], json!("10"));
    assert_eq!(u["utxos"][0]["height"], json!(1));
    assert_eq!(u["utxos"][0]["value"].to_string(), "50.00000000");
    let u = get_json(
        &node,
        &format!("/rest/getutxos/checkmempool/{spent}-0/{txid}-0.json"),
    );
    assert_eq!(u["bitmap"], json!("01"));
    assert_eq!(u["utxos"][0]["height"], json!(0x7FFF_FFFF));
    assert_eq!(u["utxos"][0]["scriptPubKey"]["address"], json!(addr));

    // Binary request: mempool flag, then the outpoints.
    let mut body = vec![1u8, 1];
    let mut txid_bytes = hex::decode(&txid).expect("hex");
    txid_bytes.reverse();
    body.extend_from_slice(&txid_bytes);
    body.extend_from_slice(&0u32.to_le_bytes());
    let r = request(&node, "POST", "/rest/getutxos.bin", &body);
    assert_eq!(r.status, 200);
    assert_eq!(r.body[..4], 101i32.to_le_bytes());
    let mut tip_bytes = hex::decode(tip.as_str().expect("hash")).expect("hex");
    tip_bytes.reverse();
    assert_eq!(r.body[4..36], tip_bytes[..]);
    // Bitmap of one byte with bit 0 set, then one coin.
    assert_eq!(r.body[36..39], [1, 1, 1]);
    let r = request(
        &node,
        "POST",
        "/rest/getutxos.hex",
        hex::encode(&body).as_bytes(),
    );
    assert_eq!(r.status, 200);

    assert_error(
        get(&node, "/rest/getutxos.json"),
        400,
        "Error: empty request",
    );
    assert_error(
        request(&node, "POST", "/rest/getutxos.bin", b"{\"checkmempool"),
        400,
        "Parse error",
    );
    assert_error(
        get(&node, &format!("/rest/getutxos/{txid}-+1.json")),
        400,
        "Parse error",
    );
    assert_error(get(&node, "/rest/getutxos/aa-1.json"), 400, "Parse error");
    let many: Vec<String> = (0..16).map(|n| format!("{txid}-{n}")).collect();
    assert_error(
        get(&node, &format!("/rest/getutxos/{}.json", many.join("/"))),
        400,
        "Error: max outpoints exceeded (max: 15, tried: 16)",
    );
    assert_error(
        request(
            &node,
            "POST",
            &format!("/rest/getutxos/{txid}-0.bin"),
            &body,
        ),
        400,
        "Combination of URI scheme inputs and raw post data is not allowed",
    );
}

#[test]
fn blocks_headers_filters_and_chain() {
    let (node, wif, addr) = start();
    spend(&node, &wif, &addr);
    let hash = node.rpc("generatetoaddress", json!([1, addr]))[0]
        .as_str()
        .expect("hash")
        .to_string();
    wait_for_filter_index(&node);

    // /block and /block/notxdetails.
    assert_eq!(
        get_json(&node, &format!("/rest/block/{hash}.json")),
        node.rpc("getblock", json!([hash, 3]))
    );
    assert_eq!(
        get_json(&node, &format!("/rest/block/notxdetails/{hash}.json")),
        node.rpc("getblock", json!([hash, 1]))
    );
    let hex = get_hex(&node, &format!("/rest/block/{hash}.hex"));
    assert_eq!(json!(hex), node.rpc("getblock", json!([hash, 0])));
    let raw = get_bin(&node, &format!("/rest/block/{hash}.bin"));
    assert_eq!(raw, hex::decode(&hex).expect("hex"));
    assert_error(
        get(&node, &format!("/rest/block/{UNKNOWN}.bin")),
        404,
        &format!("{UNKNOWN} not found"),
    );
    assert_error(get(&node, "/rest/block/xyz.bin"), 400, "Invalid hash: xyz");

    // /blockpart: byte ranges of the raw block.
    assert_eq!(
        get_bin(
            &node,
            &format!("/rest/blockpart/{hash}.bin?offset=4&size=32")
        ),
        raw[4..36]
    );
    assert_eq!(
        get_hex(
            &node,
            &format!("/rest/blockpart/{hash}.hex?offset=0&size=80")
        ),
        hex::encode(&raw[..80])
    );
    assert_error(
        get(&node, &format!("/rest/blockpart/{hash}.bin?size=1")),
        400,
        "Block part offset missing or invalid",
    );
    assert_error(
        get(&node, &format!("/rest/blockpart/{hash}.bin?offset=1")),
        400,
        "Block part size missing or invalid",
    );
    assert_error(
        get(
            &node,
            &format!("/rest/blockpart/{hash}.bin?offset={}&size=1", raw.len()),
        ),
        400,
        &format!("Bad block part offset/size {}/1 for {hash}", raw.len()),
    );
    assert_error(
        get(
            &node,
            &format!("/rest/blockpart/{hash}.json?offset=0&size=1"),
        ),
        400,
        "JSON output is not supported for this request type",
    );

    // /headers: active-chain headers from a hash, new and old paths.
    let first = node
        .rpc("getblockhash", json!([1]))
        .as_str()
        .expect("hash")
        .to_string();
    let headers = get_json(&node, &format!("/rest/headers/{first}.json?count=3"));
    assert_eq!(headers.as_array().map(Vec::len), Some(3));
    assert_eq!(headers[0], node.rpc("getblockheader", json!([first])));
    assert_eq!(
        get_json(&node, &format!("/rest/headers/3/{first}.json")),
        headers
    );
    let bin = get_bin(&node, &format!("/rest/headers/{hash}.bin"));
    assert_eq!(bin, raw[..80]);
    assert_eq!(
        get_json(&node, &format!("/rest/headers/{UNKNOWN}.json?count=1")),
        json!([])
    );
    for count in ["0", "2001", "-5", "+5", "x"] {
        assert_error(
            get(&node, &format!("/rest/headers/{first}.json?count={count}")),
            400,
            &format!("Header count is invalid or out of acceptable range (1-2000): {count}"),
        );
    }

    // /blockhashbyheight.
    assert_eq!(
        get_json(&node, "/rest/blockhashbyheight/1.json"),
        json!({ "blockhash": first })
    );
    assert_eq!(get_hex(&node, "/rest/blockhashbyheight/1.hex"), first);
    let mut first_bytes = hex::decode(&first).expect("hex");
    first_bytes.reverse();
    assert_eq!(get_bin(&node, "/rest/blockhashbyheight/1.bin"), first_bytes);
    assert_error(
        get(&node, "/rest/blockhashbyheight/+1.json"),
        400,
        "Invalid height: +1",
    );
    assert_error(
        get(&node, "/rest/blockhashbyheight/1000.json"),
        404,
        "Block height out of range",
    );

    // /chaininfo and /deploymentinfo.
    assert_eq!(
        get_json(&node, "/rest/chaininfo.json"),
        node.rpc("getblockchaininfo", json!([]))
    );
    assert_error(
        get(&node, "/rest/chaininfo.bin"),
        404,
        "output format not found (available: json)",
    );
    assert_eq!(
        get_json(&node, &format!("/rest/deploymentinfo/{first}.json")),
        node.rpc("getdeploymentinfo", json!([first]))
    );
    assert_error(
        get(&node, &format!("/rest/deploymentinfo/{UNKNOWN}.json")),
        400,
        "Block not found",
    );

    // /blockfilter and /blockfilterheaders against getblockfilter.
    let rpc_filter = node.rpc("getblockfilter", json!([hash]));
    assert_eq!(
        get_json(&node, &format!("/rest/blockfilter/basic/{hash}.json")),
        json!({ "filter": rpc_filter["filter"] })
    );
    assert_eq!(
        get_json(
            &node,
            &format!("/rest/blockfilterheaders/basic/{hash}.json")
        ),
        json!([rpc_filter["header"]])
    );
    assert_eq!(
        get_bin(&node, &format!("/rest/blockfilterheaders/basic/{hash}.bin")).len(),
        32
    );
    assert_error(
        get(&node, &format!("/rest/blockfilter/extended/{hash}.json")),
        400,
        "Unknown filtertype extended",
    );
    assert_error(
        get(&node, &format!("/rest/blockfilter/basic/{UNKNOWN}.json")),
        404,
        &format!("{UNKNOWN} not found"),
    );

    // /spenttxouts: nothing for the coinbase, block 1's coinbase output for the spend.
    let spent = get_json(&node, &format!("/rest/spenttxouts/{hash}.json"));
    assert_eq!(spent[0], json!([]));
    assert_eq!(spent[1][0]["value"].to_string(), "50.00000000");
    let bin = get_bin(&node, &format!("/rest/spenttxouts/{hash}.bin"));
    assert_eq!(bin[..3], [2, 0, 1]);
    assert_eq!(bin[3..11], 5_000_000_000u64.to_le_bytes());
    assert_eq!(
        get_hex(&node, &format!("/rest/spenttxouts/{hash}.hex")),
        hex::encode(&bin)
    );

    // A confirmed transaction names its block but no chain-relative fields.
    let coinbase = node.rpc("getblock", json!([hash, 1]))["tx"][0].clone();
    let tx = get_json(
        &node,
        &format!("/rest/tx/{}.json", coinbase.as_str().expect("txid")),
    );
    assert_eq!(tx["blockhash"], json!(hash));
    assert!(tx.get("confirmations").is_none() && tx.get("blocktime").is_none());

    // Unknown endpoints are not served.
    assert_eq!(get(&node, "/rest/nosuchthing.json").status, 404);
}
