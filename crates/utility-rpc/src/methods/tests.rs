//! Tests that call the methods through an `RpcTable`.

use rpc::{RpcRequest, RpcTable};
use serde_json::{json, Value};

fn table() -> RpcTable {
    let t = RpcTable::new();
    crate::register(&t, bitcoin::Network::Regtest);
    t.finish_warmup();
    t
}

fn call(method: &str, params: Value) -> Result<Value, rpc::RpcError> {
    table().execute(RpcRequest::new(method, vec![]), params)
}

#[test]
fn validateaddress_reports_errors() {
    let r = call(
        "validateaddress",
        json!(["bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"]),
    )
    .unwrap();
    assert_eq!(r["isvalid"], json!(true));
    let r = call("validateaddress", json!(["n0taddress"])).unwrap();
    assert_eq!(r["isvalid"], json!(false));
    assert_eq!(
        r["error"],
        "Invalid or unsupported Segwit (Bech32) or Base58 encoding."
    );
    assert_eq!(r["error_locations"], json!([]));
    assert_eq!(call("validateaddress", json!([])).unwrap_err().code, -1);
}

#[test]
fn decodescript_matches_core_examples() {
    let r = call("decodescript", json!(["02eeee"])).unwrap();
    assert_eq!(r["asm"], "-28398");
    assert_eq!(r["p2sh"], "2N34iiGoUUkVSPiaaTFpJjB1FR9TXQu3PGM");
    assert_eq!(
        r["segwit"]["desc"],
        "addr(bcrt1qjmprdr7rq522gw9ghkgfly7yng25n4m3nrxtmdujqsakvm9jfapqk795l5)#5akkdska"
    );
    let r = call("decodescript", json!(["5102eeee"])).unwrap();
    assert_eq!(r["desc"], "addr(bcrt1pamhqk96edn)#vkh8uj5a");
    assert!(r.get("p2sh").is_none());
    let r = call("decodescript", json!(["82012088a914ffffffffffffffffffffffffffffffffffffffff88210250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0ad51b2"])).unwrap();
    assert_eq!(r["segwit"]["desc"], "wsh(and_v(and_v(v:hash160(ffffffffffffffffffffffffffffffffffffffff),v:pk(0250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)),older(1)))#gm8xz4fl");
    let r = call("decodescript", json!(["82012088a914ffffffffffffffffffffffffffffffffffffffff882102ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffacb2"])).unwrap();
    assert_eq!(
        r["segwit"]["desc"],
        "addr(bcrt1q73qyfypp47hvgnkjqnav0j3k2lq3v76wg22dk8tmwuz5sfgv66xsvxg6uu)#9p3q328s"
    );
    let pk = "03b0da749730dc9b4b1f4a14d6902877a92541f5368778853d9c4a0cb7802dcfb2";
    let r = call("decodescript", json!([format!("21{pk}ac")])).unwrap();
    assert_eq!(r["type"], "pubkey");
    assert_eq!(
        r["segwit"]["asm"],
        "0 5dd1d3a048119c27b28293056724d9522f26d945"
    );
    let r = call("decodescript", json!([""])).unwrap();
    assert_eq!(r["type"], "nonstandard");
    let e = call("decodescript", json!(["zz"])).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-8, "argument must be hexadecimal string (not 'zz')")
    );
}

#[test]
fn decoderawtransaction_errors() {
    let e = call("decoderawtransaction", json!(["00"])).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (-22, "TX decode failed"));
    let e = call("decoderawtransaction", json!(["xyz"])).unwrap_err();
    assert_eq!(e.code, -22);
}

#[test]
fn descriptor_methods() {
    let r = call("getdescriptorinfo", json!(["wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/<0;1>/*)"])).unwrap();
    assert_eq!(r["isrange"], json!(true));
    assert_eq!(r["multipath_expansion"].as_array().unwrap().len(), 2);
    let e = call("getdescriptorinfo", json!([""])).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-5, "'' is not a valid descriptor function")
    );

    let desc = "wpkh(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/1/1/0)#t6wfjs64";
    assert_eq!(
        call("deriveaddresses", json!([desc])).unwrap(),
        json!(["bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5"])
    );
    let ranged = crate::descriptor::with_checksum("wpkh(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/1/1/*)");
    assert_eq!(
        call("deriveaddresses", json!([ranged, [1, 2]])).unwrap(),
        json!([
            "bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy",
            "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"
        ])
    );
    assert_eq!(
        call("deriveaddresses", json!(["a"])).unwrap_err().message,
        "Missing checksum"
    );
    assert_eq!(
        call("deriveaddresses", json!([ranged, [-1, 0]]))
            .unwrap_err()
            .message,
        "Range should be greater or equal than 0"
    );
    assert_eq!(
        call("deriveaddresses", json!([ranged, [2, 0]]))
            .unwrap_err()
            .message,
        "Range specified as [begin,end] must not have begin after end"
    );
    assert_eq!(
        call("deriveaddresses", json!([ranged, [1000000000, 2000000000]]))
            .unwrap_err()
            .message,
        "Range is too large"
    );
    assert_eq!(
        call("deriveaddresses", json!([ranged]))
            .unwrap_err()
            .message,
        "Range must be specified for a ranged descriptor"
    );
    let combo = crate::descriptor::with_checksum("combo(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK/1/1/0)");
    assert_eq!(
        call("deriveaddresses", json!([combo])).unwrap(),
        json!([
            "mtfUoUax9L4tzXARpw1oTGxWyoogp52KhJ",
            "bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5",
            "2NDvEwGfpEqJWfybzpKPHF2XH3jwoQV3D7x"
        ])
    );
    let hardened = crate::descriptor::with_checksum("wpkh(tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B/1'/1/0)");
    assert_eq!(
        call("deriveaddresses", json!([hardened]))
            .unwrap_err()
            .message,
        "Cannot derive script without private keys"
    );
    let pk = crate::descriptor::with_checksum("pk(tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK)");
    assert_eq!(
        call("deriveaddresses", json!([pk])).unwrap_err().message,
        "Descriptor does not have a corresponding address"
    );
}

#[test]
fn createmultisig_errors() {
    let k = "03789ed0bb717d88f7d321a368d905e7430207ebbd82bd342cf11ae157a7ace5fd";
    let e = call("createmultisig", json!([1, [k], "bech32m"])).unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (
            -5,
            "createmultisig cannot create bech32m multisig addresses"
        )
    );
    let e = call("createmultisig", json!([1, [k], "foo"])).unwrap_err();
    assert_eq!(e.message, "Unknown address type 'foo'");
    let r = call("createmultisig", json!([1, [k]])).unwrap();
    assert!(r["address"].as_str().unwrap().starts_with('2'));
}

#[test]
fn message_methods() {
    let key = "cUeKHd5orzT3mz8P9pxyREHfsWtVfgsfDjiZZBcjUBAaGk1BTj7N";
    let sig = call(
        "signmessagewithprivkey",
        json!([key, "This is just a test message"]),
    )
    .unwrap();
    assert_eq!(
        sig,
        "INbVnW4e6PeRmsv2Qgu8NuopvrVjkcxob+sX8OcZG0SALhWybUjzMLPdAsXI46YZGb0KQTRii+wWIQzRpG/U+S0="
    );
    let e = call("signmessagewithprivkey", json!(["invalid_key", "m"])).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (-5, "Invalid private key"));
    let e = call("verifymessage", json!(["invalid_addr", sig, "m"])).unwrap_err();
    assert_eq!((e.code, e.message.as_str()), (-5, "Invalid address"));
    let e = call(
        "verifymessage",
        json!(["mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB", "invalid_sig", "m"]),
    )
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-3, "Malformed base64 encoding")
    );
    let e = call(
        "verifymessage",
        json!(["bcrt1qjqmxmkpmxt80xz4y3746zgt0q3u3ferr34acd5", sig, "m"]),
    )
    .unwrap_err();
    assert_eq!(
        (e.code, e.message.as_str()),
        (-3, "Address does not refer to key")
    );
    assert_eq!(
        call(
            "verifymessage",
            json!([
                "mpLQjfK79b7CCV4VMJWEWAj5Mpx8Up5zxB",
                sig,
                "This is just a test message"
            ])
        )
        .unwrap(),
        json!(true)
    );
}

#[test]
fn mainnet_bech32_vectors() {
    let t = RpcTable::new();
    crate::register(&t, bitcoin::Network::Bitcoin);
    t.finish_warmup();
    let cases = [
        (
            "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",
            "Invalid Bech32 checksum",
            json!([41]),
        ),
        (
            "BC13W508D6QEJXTDG4Y5R3ZARVARY0C5XW7KN40WF2",
            "Version 1+ witness address must use Bech32m checksum",
            json!([]),
        ),
        (
            "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3t4",
            "Invalid character or mixed case",
            json!([40]),
        ),
        ("bc1gmk9yu", "Empty Bech32 data section", json!([])),
        (
            "BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P",
            "Invalid Bech32 v0 address program size (16 bytes), per BIP141",
            json!([]),
        ),
    ];
    for (addr, msg, locs) in cases {
        let r = t
            .execute(RpcRequest::new("validateaddress", vec![]), json!([addr]))
            .unwrap();
        assert_eq!(r["error"], msg, "{addr}");
        assert_eq!(r["error_locations"], locs, "{addr}");
    }
    let r = t
        .execute(
            RpcRequest::new("validateaddress", vec![]),
            json!(["BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4"]),
        )
        .unwrap();
    assert_eq!(
        r["scriptPubKey"],
        "0014751e76e8199196d454941c45d1b3a323f1433bd6"
    );
    assert_eq!(r["witness_version"], 0);
}

#[test]
fn regtest_error_locations() {
    let cases = [
        (
            "bcrt1qax9suht3qv95sw33xavx8crpxduefdrsvgsklu",
            "Invalid Bech32 checksum",
            json!([22, 43]),
        ),
        (
            "bcrt1qdg3myrgvzw7ml8q0ejxhlkyxn7vl9r56yzkfgvzclrf4hkpx9yfqhpsuks",
            "Invalid Bech32 checksum",
            json!([19, 30]),
        ),
        (
            "bcrt1ptmp74ayg7p24uslctssvjm06q5phz4yrxucgnv",
            "Invalid Bech32 checksum",
            json!([5]),
        ),
        (
            "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U32RAH7R",
            "Invalid Bech32 checksum",
            json!([38]),
        ),
        (
            "bcrt1q04oldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Invalid Base 32 character",
            json!([8]),
        ),
        (
            "bcrtq049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Missing separator",
            json!([]),
        ),
        (
            "bcrt130xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqynjegk",
            "Invalid Bech32 address witness version",
            json!([]),
        ),
        (
            "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJJfn",
            "Invalid checksum or length of Base58 address (P2PKH or P2SH)",
            json!([]),
        ),
        (
            "17VZNX1SN5NtKa8UQFxwQbFeFc3iqRYhem",
            "Invalid or unsupported Base58-encoded address.",
            json!([]),
        ),
        (
            "1q049ldschfnwystcqnsvyfpj23mpsg3jcedq9xv",
            "Invalid or unsupported Segwit (Bech32) or Base58 encoding.",
            json!([]),
        ),
    ];
    for (addr, msg, locs) in cases {
        let r = call("validateaddress", json!([addr])).unwrap();
        assert_eq!(r["error"], msg, "{addr}");
        assert_eq!(r["error_locations"], locs, "{addr}");
    }
    for ok in [
        "bcrt1p424qxxyd0r",
        "BCRT1QPLMTZKC2XHARPPZDLNPAQL78RSHJ68U33RAH7R",
        "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn",
    ] {
        let r = call("validateaddress", json!([ok])).unwrap();
        assert_eq!(r["isvalid"], json!(true), "{ok}");
    }
    let r = call("validateaddress", json!(["bcrt1p424qxxyd0r"])).unwrap();
    assert!(r.get("isscript").is_none());
}

#[test]
fn getdescriptorinfo_core_cases() {
    let tpub = "tpubD6NzVbkrYhZ4WaWSyoBvQwbpLkojyoTZPRsgXELWz3Popb3qkjcJyJUGLnL4qHHoQvao8ESaAstxYSnhyswJ76uZPStJRJCTKvosUCJZL5B";
    let cases = [
        ("pk(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)".to_string(), false),
        ("sh(wpkh(03fff97bd5755eeea420453a14355235d382f6472f8568a18b2f057a1460297556))".to_string(), false),
        ("combo(0279be667ef9dcbbac55a06295ce870b07029bfcdb2dce28d959f2815b16f81798)".to_string(), false),
        ("sh(wsh(pkh(02e493dbf1c10d80f3581e4904930b1404cc6c13900ee0758474fa94abe8c4cd13)))".to_string(), false),
        ("multi(1,022f8bde4d1a07209355b4a7250a5c5128e88b84bddc619ab7cba8d569b240efe4,025cbdf0646e5db4eaa398f365f2ea7a0e3d419b7e0330e39ce92bddedcac4f9bc)".to_string(), false),
        (format!("pk({tpub})"), false),
        (format!("pkh({tpub}/1h/2)"), false),
        (format!("pkh([d34db33f/44h/0h/0h]{tpub}/1/*)"), true),
        (format!("wsh(multi(1,{tpub}/1/0/*,{tpub}/0/0/*))"), true),
    ];
    for (desc, range) in cases {
        let a = call("getdescriptorinfo", json!([desc])).unwrap();
        let b = call(
            "getdescriptorinfo",
            json!([crate::descriptor::with_checksum(&desc)]),
        )
        .unwrap();
        assert_eq!(a, b, "{desc}");
        assert_eq!(
            a["descriptor"],
            json!(crate::descriptor::with_checksum(&desc)),
            "{desc}"
        );
        assert_eq!(a["isrange"], json!(range), "{desc}");
        assert_eq!(a["issolvable"], json!(true), "{desc}");
        assert_eq!(a["hasprivatekeys"], json!(false), "{desc}");
    }
    let e = call("getdescriptorinfo", json!(["wsh(multi(2,03a0434d9e47f3c86235477c7b1ae6ae5d3442d49b1943c2b752a68e2a47e247c7, 03774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cb))"])).unwrap_err();
    assert_eq!(e.message, "Multi: Key ' 03774ae7f858a9411e5ef4246b70c65aac5649980be5c17891bbec17895da008cb' is invalid due to whitespace");
}

#[test]
fn deriveaddresses_multipath_and_max_index() {
    let tprv = "tprv8ZgxMBicQKsPd7Uf69XL1XwhmjHopUGep8GuEiJDZmbQz6o58LninorQAfcKZWARbtRtfnLcJ5MQ2AtHcQJCCRUcMRvmDUjyEmNUWwx8UbK";
    let multi = crate::descriptor::with_checksum(&format!("wpkh({tprv}/1/<0;1>/*)"));
    assert_eq!(
        call("deriveaddresses", json!([multi, [1, 2]])).unwrap(),
        json!([
            [
                "bcrt1q7c8mdmdktrzs8xgpjmqw90tjn65j5a3yj04m3n",
                "bcrt1qs6n37uzu0v0qfzf0r0csm0dwa7prc0v5uavgy0"
            ],
            [
                "bcrt1qhku5rq7jz8ulufe2y6fkcpnlvpsta7rq4442dy",
                "bcrt1qpgptk2gvshyl0s9lqshsmx932l9ccsv265tvaq"
            ]
        ])
    );
    let ranged = crate::descriptor::with_checksum(&format!("wpkh({tprv}/1/1/*)"));
    assert_eq!(
        call(
            "deriveaddresses",
            json!([ranged, [2147483647u32, 2147483647u32]])
        )
        .unwrap(),
        json!(["bcrt1qtzs23vgzpreks5gtygwxf8tv5rldxvvsyfpdkg"])
    );
    assert_eq!(
        call("deriveaddresses", json!([ranged, 10000000000i64]))
            .unwrap_err()
            .message,
        "End of range is too high"
    );
    let unranged = crate::descriptor::with_checksum(&format!("wpkh({tprv}/1/1/0)"));
    assert_eq!(
        call("deriveaddresses", json!([unranged, [0, 2]]))
            .unwrap_err()
            .message,
        "Range should not be specified for an un-ranged descriptor"
    );
}
