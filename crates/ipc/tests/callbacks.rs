//! Callbacks as capabilities in both directions, nested execution on both
//! sides, `Handler` registrations, and a peer that dies holding callbacks.

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

mod support;

use support::calculator::Calc;

use ipc::testing::{
    calculator_bootstrap, calculator_construct, Calculator, CalculatorClient, Callback,
};

use std::sync::{Arc, Mutex};
use std::time::Duration;

struct Setup {
    _server: ipc::Ipc,
    client: ipc::Ipc,
    calc: Arc<CalculatorClient>,
    imp: Arc<Calc>,
}

fn setup() -> Setup {
    support::logs();
    let server = ipc::Ipc::new("test-server").unwrap();
    let client = ipc::Ipc::new("test-client").unwrap();
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let imp = Arc::new(Calc::default());
    server
        .serve_with(a, calculator_bootstrap(imp.clone()), Box::new(|| {}))
        .unwrap();
    let cap = client.connect_with(b, calculator_construct()).unwrap();
    Setup {
        _server: server,
        client,
        calc: Arc::new(CalculatorClient::new(cap)),
        imp,
    }
}

/// Records the thread each call runs on; optionally calls back into the server.
struct Recorder {
    seen: Arc<Mutex<Vec<std::thread::ThreadId>>>,
    names: Arc<Mutex<Vec<String>>>,
    reenter: Option<Arc<CalculatorClient>>,
}

impl Callback for Recorder {
    fn call(&self, value: i32) -> interfaces::Result<i32> {
        self.seen.lock().unwrap().push(std::thread::current().id());
        self.names
            .lock()
            .unwrap()
            .push(ipc::log::long_thread_name());
        match &self.reenter {
            // Call the server again from inside its call to us.
            Some(calc) if value > 0 => calc.apply(
                Box::new(Recorder {
                    seen: self.seen.clone(),
                    names: self.names.clone(),
                    reenter: Some(calc.clone()),
                }),
                value - 1,
            ),
            _ => Ok(value * 10),
        }
    }
}

fn recorder(
    reenter: Option<Arc<CalculatorClient>>,
) -> (Recorder, Arc<Mutex<Vec<std::thread::ThreadId>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    (
        Recorder {
            seen: seen.clone(),
            names: Default::default(),
            reenter,
        },
        seen,
    )
}

#[test]
fn callback_runs_nested_on_the_calling_thread() {
    let s = setup();
    let (rec, seen) = recorder(None);
    assert_eq!(s.calc.apply(Box::new(rec), 4).unwrap(), 41);
    assert_eq!(*seen.lock().unwrap(), vec![std::thread::current().id()]);
}

#[test]
fn reentrant_calls_nest_on_both_sides_without_deadlock() {
    let s = setup();
    let (rec, seen) = recorder(Some(s.calc.clone()));
    // apply(3) -> cb(3) -> apply(2) -> cb(2) -> ... -> cb(0) = 0; +1 per level.
    assert_eq!(s.calc.apply(Box::new(rec), 3).unwrap(), 4);
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|t| *t == std::thread::current().id()));
    // Every level ran on the same server worker, nested inside the outer call.
    let threads = s.imp.threads.lock().unwrap();
    assert_eq!(threads.len(), 4);
    assert!(threads.iter().all(|t| t == &threads[0]), "{threads:?}");
}

#[test]
fn subscriptions_are_called_from_other_threads_and_handlers_unregister() {
    let s = setup();
    let names = Arc::new(Mutex::new(Vec::new()));
    let cb = Recorder {
        seen: Default::default(),
        names: names.clone(),
        reenter: None,
    };
    let handler = s.calc.subscribe(Box::new(cb)).unwrap();
    let cb2 = Recorder {
        seen: Default::default(),
        names: names.clone(),
        reenter: None,
    };
    let handler2 = s.calc.subscribe(Box::new(cb2)).unwrap();
    // During a call, callbacks run on the calling thread (nested).
    let calc = s.calc.clone();
    let (n, me) = std::thread::spawn(move || (calc.notify(7), ipc::log::long_thread_name()))
        .join()
        .unwrap();
    assert_eq!(n.unwrap(), 2);
    assert_eq!(*names.lock().unwrap(), vec![me.clone(), me]);
    // From an unrelated server thread, they run on a worker the server made
    // in this process with makeThread.
    names.lock().unwrap().clear();
    assert_eq!(s.calc.notify(-1).unwrap(), 2);
    let names_now = names.lock().unwrap().clone();
    assert_eq!(names_now.len(), 2);
    assert!(
        names_now.iter().all(|n| n.contains(" (from ")),
        "{names_now:?}"
    );
    handler2.disconnect().unwrap();
    assert_eq!(s.calc.notify(1).unwrap(), 1);
    drop(handler);
    assert!(support::eventually(Duration::from_secs(5), || s
        .calc
        .notify(1)
        .unwrap()
        == 0));
}

#[test]
fn server_survives_a_client_that_dies_holding_registrations() {
    support::logs();
    let server = ipc::Ipc::new("test-server").unwrap();
    let imp = Arc::new(Calc::default());
    let mut handlers = Vec::new();
    let mut clients = Vec::new();
    for _ in 0..2 {
        let client = ipc::Ipc::new("test-client").unwrap();
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        server
            .serve_with(a, calculator_bootstrap(imp.clone()), Box::new(|| {}))
            .unwrap();
        let calc = CalculatorClient::new(client.connect_with(b, calculator_construct()).unwrap());
        let (rec, _) = recorder(None);
        handlers.push(calc.subscribe(Box::new(rec)).unwrap());
        clients.push((client, calc));
    }
    // The first client process "dies": its loop and socket go away, while
    // the server still holds its callback.
    let (dead, dead_calc) = clients.remove(0);
    drop(dead);
    let (_alive, calc) = &clients[0];
    // The dead callback fails (typed error), the live one answers.
    assert!(support::eventually(Duration::from_secs(5), || calc
        .notify(1)
        .unwrap()
        == 1));
    drop(handlers);
    drop(dead_calc);
}

#[test]
fn concurrent_callers_each_get_their_own_nested_callbacks() {
    let s = setup();
    let hs: Vec<_> = (0..4)
        .map(|i| {
            let calc = s.calc.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let (rec, seen) = recorder(None);
                    assert_eq!(calc.apply(Box::new(rec), i).unwrap(), i * 10 + 1);
                    assert_eq!(*seen.lock().unwrap(), vec![std::thread::current().id()]);
                }
            })
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    drop(s.client);
}

/// A method added only to the schema and the trait (`reversePairs`, with a
/// list of generic pairs) works over IPC: nothing in `crates/ipc` names it.
#[test]
fn a_method_added_to_schema_and_trait_needs_nothing_else() {
    let s = setup();
    let pairs = vec![
        ("first".to_string(), vec![1, 2, 3]),
        ("é".to_string(), vec![]),
    ];
    assert_eq!(
        s.calc.reverse_pairs(&pairs).unwrap(),
        vec![
            ("first".to_string(), vec![3, 2, 1]),
            ("é".to_string(), vec![])
        ]
    );
    // The hand-written runtime (everything but `generated/`) never names it.
    fn sources(dir: &std::path::Path, out: &mut String) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() && !path.ends_with("generated") {
                sources(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                out.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    let mut runtime = String::new();
    sources(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
        &mut runtime,
    );
    assert!(runtime.contains("fn export"), "read the runtime's sources");
    assert!(!runtime.contains("reverse_pairs") && !runtime.contains("reversePairs"));
}
