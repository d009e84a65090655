//! A round trip of every method of every interface: one generated fake
//! serves every trait on one side, the generated clients call it from the
//! other, and every value (arguments, results, optional and list values,
//! structs, errors in exception fields, capabilities passed either way and
//! probed in turn) must come out as it went in. The same probe run
//! in-process gives the reference: both runs must see the same calls with
//! the same arguments and answer the same, and together they must call
//! every method of the schemas.

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

#[path = "roundtrip/fakes.rs"]
mod fakes;
#[path = "roundtrip/samples.rs"]
mod samples;
mod support;

use ipc::generated::methods::METHODS;
use samples::{reset, take_log, Fake};
use std::collections::BTreeSet;
use std::sync::Arc;

/// One probe run: its answer and the calls the fakes saw.
fn run(start: u64, probe: impl FnOnce() -> String) -> (String, Vec<String>) {
    reset(start);
    let answer = probe();
    (answer, take_log())
}

fn compare(what: &str, direct: &(String, Vec<String>), remote: &(String, Vec<String>)) {
    for (i, (d, r)) in direct.1.iter().zip(&remote.1).enumerate() {
        assert_eq!(d, r, "{what}: call {i} differs over IPC");
    }
    assert_eq!(direct.1.len(), remote.1.len(), "{what}: number of calls");
    assert_eq!(direct.0, remote.0, "{what}: answers differ over IPC");
}

/// The `Interface.method` labels a log mentions.
fn called(log: &[String], into: &mut BTreeSet<String>) {
    for line in log {
        if let Some((label, _)) = line.split_once('(') {
            into.insert(label.to_string());
        }
    }
}

#[test]
fn every_method_of_every_interface_round_trips() {
    // With `ipc` trace logging on, so every request and reply is also
    // printed (`request data:` …), as `-loglevel=ipc:trace` does.
    support::logs();
    let server = ipc::Ipc::new("test-server").expect("server loop");
    let client = ipc::Ipc::new("test-client").expect("client loop");
    let (a, b) = std::os::unix::net::UnixStream::pair().expect("pair");
    server
        .serve(a, Arc::new(Fake), Box::new(|| {}))
        .expect("serve");
    let init = client.connect_stream(b).expect("connect");
    let (c, d) = std::os::unix::net::UnixStream::pair().expect("pair");
    server
        .serve_with(
            c,
            ipc::testing::calculator_bootstrap(Arc::new(Fake)),
            Box::new(|| {}),
        )
        .expect("serve calculator");
    let calculator = ipc::testing::CalculatorClient::new(
        client
            .connect_with(d, ipc::testing::calculator_construct())
            .expect("connect calculator"),
    );

    let mut seen = BTreeSet::new();
    for start in 0..6 {
        let direct = run(start, || fakes::init::probe_init(&Fake));
        let remote = run(start, || fakes::init::probe_init(&init));
        compare(&format!("Init probe from {start}"), &direct, &remote);
        called(&remote.1, &mut seen);
        let direct = run(start, || fakes::testing::probe_calculator(&Fake));
        let remote = run(start, || fakes::testing::probe_calculator(&calculator));
        compare(&format!("Calculator probe from {start}"), &direct, &remote);
        called(&remote.1, &mut seen);
    }

    // Every schema method was called, but those the runtime answers itself.
    let runtime_only = ["destroy", "construct", "makeMiningOld2"];
    let missing: Vec<String> = METHODS
        .iter()
        .filter(|m| !["ThreadMap", "Thread"].contains(&m.interface))
        .filter(|m| !runtime_only.contains(&m.name))
        .map(|m| format!("{}.{}", m.interface, m.name))
        .filter(|l| !seen.contains(l))
        .collect();
    assert!(missing.is_empty(), "never called over IPC: {missing:?}");
}
