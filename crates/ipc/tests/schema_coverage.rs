//! Every method of every interface reachable from `Init` is served, routed
//! the way the schema says (context → worker, no context → event loop) and
//! logged under its schema name, checked with raw capnp calls against
//! `generated::methods` (which `ipc-codegen` derives from `schema/`).
//! Values are checked by `roundtrip.rs`; this is about dispatch.

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

#[allow(dead_code)]
#[path = "roundtrip/fakes.rs"]
mod fakes;
// Only the fakes are used here; the probes serve roundtrip.rs.
#[allow(dead_code)]
#[path = "roundtrip/samples.rs"]
mod samples;
mod support;

use capnp::capability::FromClientHook;
use ipc::generated::methods::{Method, METHODS};
use std::time::Duration;
use support::*;

/// Interfaces not obtained from `Init` without arguments: capabilities
/// handed to or by other methods, and the test interfaces (all covered by
/// `roundtrip.rs`).
const NOT_SERVED_THROUGH_INIT: &[&str] = &[
    "ChainNotifications",
    "ChainClient",
    "WalletLoader",
    "Wallet",
    "Handler",
    "Calculator",
    "Callback",
    "ActorCallback",
    "SettingsUpdateCallback",
    "ExternalSigner",
    "InitMessageCallback",
    "MessageBoxCallback",
    "QuestionCallback",
    "ShowNodeProgressCallback",
    "InitWalletCallback",
    "NotifyNumConnectionsChangedCallback",
    "NotifyNetworkActiveChangedCallback",
    "NotifyAlertChangedCallback",
    "BannedListChangedCallback",
    "NotifyBlockTipCallback",
    "NotifyHeaderTipCallback",
    "UnloadWalletCallback",
    "ShowWalletProgressCallback",
    "StatusChangedCallback",
    "AddressBookChangedCallback",
    "TransactionChangedCallback",
    "CanGetAddressesChangedCallback",
    "LoadWalletCallback",
];

/// The test server's `Init`, with the generated fake as its chain and node.
struct WithFakes(TestInit);

impl interfaces::init::Init for WithFakes {
    fn make_echo(&self) -> interfaces::Result<Option<Box<dyn interfaces::echo::Echo>>> {
        self.0.make_echo()
    }
    fn make_mining(&self) -> interfaces::Result<Option<Box<dyn interfaces::mining::Mining>>> {
        self.0.make_mining()
    }
    fn make_rpc(&self) -> interfaces::Result<Option<Box<dyn interfaces::rpc::Rpc>>> {
        self.0.make_rpc()
    }
    fn make_chain(&self) -> interfaces::Result<Option<Box<dyn interfaces::chain::Chain>>> {
        Ok(Some(Box::new(samples::Fake)))
    }
    fn make_node(&self) -> interfaces::Result<Option<Box<dyn interfaces::node::Node>>> {
        Ok(Some(Box::new(samples::Fake)))
    }
}

#[test]
fn every_served_method_is_implemented_routed_and_logged() {
    let served: Vec<&str> = {
        let mut v: Vec<&str> = METHODS.iter().map(|m| m.interface).collect();
        v.dedup();
        v.into_iter()
            .filter(|i| !NOT_SERVED_THROUGH_INIT.contains(i))
            .collect()
    };
    assert_eq!(
        served,
        vec![
            "BlockTemplate",
            "Chain",
            "Echo",
            "Init",
            "Mining",
            "Node",
            "Rpc",
            "Thread",
            "ThreadMap"
        ],
        "a new interface needs a server (or an entry in NOT_SERVED_THROUGH_INIT)"
    );
    let mining = std::sync::Arc::new(TestMining::default());
    let l = listening_with(
        std::sync::Arc::new(WithFakes(TestInit {
            mining: mining.clone(),
        })),
        mining,
    );
    let outcomes = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        // One capability per interface, obtained as a client would.
        macro_rules! make {
            ($req:ident) => {{
                let mut r = init.$req();
                r.get().init_context().set_thread(t.clone());
                r.send().pipeline.get_result().client
            }};
        }
        let mining = make!(make_mining_request);
        let mining_typed: ipc::generated::mining_capnp::mining::Client =
            FromClientHook::new(mining.hook.add_ref());
        let mut r = mining_typed.create_new_block_request();
        r.get().init_context().set_thread(t.clone());
        let template = r.send().pipeline.get_result().client;
        let thread_map = init
            .construct_request()
            .send()
            .pipeline
            .get_thread_map()
            .client;
        let caps = vec![
            ("Init", init.clone().client),
            ("Echo", make!(make_echo_request)),
            ("Rpc", make!(make_rpc_request)),
            ("Mining", mining),
            ("BlockTemplate", template),
            ("Chain", make!(make_chain_request)),
            ("Node", make!(make_node_request)),
            ("ThreadMap", thread_map),
            ("Thread", t.clone().client),
        ];
        let mut out = Vec::new();
        for (iface, cap) in caps {
            // destroy last: it ends the object.
            let mut methods: Vec<&Method> =
                METHODS.iter().filter(|m| m.interface == iface).collect();
            methods.sort_by_key(|m| (m.name == "destroy", m.ordinal));
            for m in methods {
                // Empty params: a context method must refuse for want of a
                // thread, which shows it is implemented and routed to a worker.
                let req = cap.new_call::<capnp::any_pointer::Owned, capnp::any_pointer::Owned>(
                    m.interface_id,
                    m.ordinal,
                    None,
                );
                let r = req.send().promise.await.map(|_| ());
                out.push((*m, r.err()));
            }
        }
        out
    });
    assert_eq!(
        outcomes.len(),
        METHODS
            .iter()
            .filter(|m| !NOT_SERVED_THROUGH_INIT.contains(&m.interface))
            .count()
    );
    for (m, err) in &outcomes {
        let what = format!("{}.{} @{}", m.interface, m.name, m.ordinal);
        if let Some(e) = err {
            assert_ne!(
                e.kind,
                capnp::ErrorKind::Unimplemented,
                "{what} is not implemented"
            );
        }
        if m.has_context && m.name != "destroy" {
            // Refused for want of a thread, or for its (empty) arguments
            // first: never run on the loop without a worker.
            let e = err.as_ref().map(|e| e.extra.as_str()).unwrap_or("<ok>");
            assert!(
                e.contains("no thread specified and no pool configured")
                    || e.contains("expected 32 bytes")
                    || e.contains("invalid serialized data")
                    || e.contains("SpanReader::read(): end of data")
                    || e.contains("null capability pointer"),
                "{what} must run on a worker: {e}"
            );
        }
        if !m.has_context {
            let e = err.as_ref().map(|e| e.extra.as_str()).unwrap_or("");
            assert!(
                !e.contains("no thread specified"),
                "{what} must run on the loop: {e}"
            );
        }
        // Logged under the schema's names (ThreadMap/Thread are silent, as in Core).
        if m.interface != "ThreadMap" && m.interface != "Thread" {
            let name = format!(" {}.{}$Params", m.interface, m.name);
            assert!(
                wait_log(
                    &["IPC server recv request  #", &name],
                    Duration::from_secs(2)
                ),
                "no recv line for {what}"
            );
        }
    }
}

/// Interface and type ids are wire facts: Core's (§4.1 of the protocol
/// brief) and those of Core's multiprocess branch (§4.2).
#[test]
fn ids_are_cores() {
    use capnp::traits::HasTypeId;
    use ipc::generated::*;
    let expected: &[(&str, u64)] = &[
        ("Init", 0x8838c700ba5cba65),
        ("Echo", 0xd36b89640dc94399),
        ("Rpc", 0xacb1d37f0a713129),
        ("Mining", 0xf9c68436df3af39e),
        ("BlockTemplate", 0xf9671ad841b2f622),
        ("ThreadMap", 0xee5e37179ad9dc9d),
        ("Thread", 0x81c1e2600d0b56c5),
        ("Chain", 0xddfb1d54c24414b3),
        ("ChainNotifications", 0x9ac9db48ba219039),
        ("ChainClient", 0xe12e54f4b0c4b578),
        ("Node", 0xece87a85e7d7c91d),
        ("Wallet", 0xc5f5ca46c6495fcf),
        ("WalletLoader", 0xba10da251bfac23a),
        ("Handler", 0xea08728d34263f55),
    ];
    for (name, id) in expected {
        let found: Vec<u64> = METHODS
            .iter()
            .filter(|m| m.interface == *name)
            .map(|m| m.interface_id)
            .collect();
        assert!(!found.is_empty(), "{name} missing");
        assert!(
            found.iter().all(|f| f == id),
            "{name}: {found:x?} != {id:#x}"
        );
    }
    assert_eq!(proxy_capnp::context::Builder::TYPE_ID, 0x9c44e6645d0b22c6);
    assert_eq!(
        common_capnp::block_ref::Builder::TYPE_ID,
        0xb3be4b8949350369
    );
    assert_eq!(
        mining_capnp::block_create_options::Builder::TYPE_ID,
        0x80fca083ef81a559
    );
    assert_eq!(
        mining_capnp::block_wait_options::Builder::TYPE_ID,
        0x9ba437d9de0c452e
    );
    assert_eq!(
        mining_capnp::block_check_options::Builder::TYPE_ID,
        0x89f3f39b6c9dd162
    );
    assert_eq!(
        mining_capnp::coinbase_tx::Builder::TYPE_ID,
        0xdc399c6d34ae7e69
    );
}
