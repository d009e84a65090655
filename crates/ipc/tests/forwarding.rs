//! A process serving on one connection a capability it holds from another
//! (the node handing its wallet process's `WalletLoader` and `Wallet`s on to
//! a GUI): calls, nested callbacks and registrations travel both hops, the
//! far side's death reaches the near client as an error, and releasing the
//! forwarded object closes the far connection without stalling the loop.

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

mod support;

use support::calculator::Calc;

use ipc::testing::{
    calculator_bootstrap, calculator_construct, Calculator, CalculatorClient, Callback,
};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Counts its calls; answers ten times the value.
#[derive(Default)]
struct Counter(Arc<AtomicU64>);

impl Callback for Counter {
    fn call(&self, value: i32) -> interfaces::Result<i32> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(value * 10)
    }
}

/// far (serves `Calc`) ← middle (one loop: client of far, serves far's
/// capability on) ← near (the client under test).
struct Chain {
    far: Option<ipc::Ipc>,
    far_closed: Arc<AtomicBool>,
    middle: ipc::Ipc,
    near: Option<ipc::Ipc>,
    calc: Option<CalculatorClient>,
    imp: Arc<Calc>,
}

fn chain() -> Chain {
    support::logs();
    let far = ipc::Ipc::new("test-far").unwrap();
    let middle = ipc::Ipc::new("test-middle").unwrap();
    let near = ipc::Ipc::new("test-near").unwrap();
    let imp = Arc::new(Calc::default());
    let far_closed = Arc::new(AtomicBool::new(false));
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let closed = far_closed.clone();
    far.serve_with(
        a,
        calculator_bootstrap(imp.clone()),
        Box::new(move || closed.store(true, Ordering::SeqCst)),
    )
    .unwrap();
    // The middle holds the far capability only through what it serves.
    let forwarded: Arc<dyn Calculator> = Arc::new(CalculatorClient::new(
        middle.connect_with(b, calculator_construct()).unwrap(),
    ));
    let (c, d) = std::os::unix::net::UnixStream::pair().unwrap();
    middle
        .serve_with(c, calculator_bootstrap(forwarded), Box::new(|| {}))
        .unwrap();
    let calc = CalculatorClient::new(near.connect_with(d, calculator_construct()).unwrap());
    Chain {
        far: Some(far),
        far_closed,
        middle,
        near: Some(near),
        calc: Some(calc),
        imp,
    }
}

impl Chain {
    fn calc(&self) -> &CalculatorClient {
        self.calc.as_ref().unwrap()
    }
}

#[test]
fn calls_and_nested_callbacks_cross_both_hops() {
    let c = chain();
    let count = Arc::new(AtomicU64::new(0));
    // far calls the callback while near waits: it runs nested, two hops back.
    assert_eq!(
        c.calc().apply(Box::new(Counter(count.clone())), 4).unwrap(),
        41
    );
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(
        c.calc().reverse_pairs(&[("k".into(), vec![1])]).unwrap(),
        vec![("k".to_string(), vec![1])]
    );
}

#[test]
fn registrations_through_the_middle_are_called_and_unregister() {
    let c = chain();
    let count = Arc::new(AtomicU64::new(0));
    let handler = c
        .calc()
        .subscribe(Box::new(Counter(count.clone())))
        .unwrap();
    let other = c
        .calc()
        .subscribe(Box::new(Counter(Default::default())))
        .unwrap();
    // Negative: called back from a thread unrelated to any incoming call.
    assert_eq!(c.calc().notify(-1).unwrap(), 2);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    handler.disconnect().unwrap();
    assert_eq!(c.calc().notify(-1).unwrap(), 1);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // Dropping the near handler releases the middle's proxy of the far one.
    drop(other);
    assert!(support::eventually(Duration::from_secs(5), || c
        .imp
        .subs
        .lock()
        .unwrap()
        .is_empty()));
}

#[test]
fn the_far_side_dying_is_an_error_for_the_near_client() {
    let mut c = chain();
    assert_eq!(c.calc().apply(Box::new(Counter::default()), 1).unwrap(), 11);
    drop(c.far.take());
    let calc = c.calc.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(calc.apply(Box::new(Counter::default()), 1));
    });
    let r = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a forwarded call to a dead peer must not hang");
    assert!(r.is_err(), "{r:?}");
}

#[test]
fn releasing_the_forwarded_object_closes_the_far_connection() {
    let mut c = chain();
    assert_eq!(c.calc().apply(Box::new(Counter::default()), 2).unwrap(), 21);
    assert!(!c.far_closed.load(Ordering::SeqCst));
    // The near client goes away: the middle drops the object it served, on
    // its loop thread, and with it the last proxy of the far connection.
    drop(c.calc.take());
    drop(c.near.take());
    assert!(
        support::eventually(Duration::from_secs(10), || c
            .far_closed
            .load(Ordering::SeqCst)),
        "the far connection stays open"
    );
    // The middle's loop still answers.
    let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
    let far = c.far.as_ref().unwrap();
    far.serve_with(a, calculator_bootstrap(c.imp.clone()), Box::new(|| {}))
        .unwrap();
    let again = CalculatorClient::new(c.middle.connect_with(b, calculator_construct()).unwrap());
    assert_eq!(again.apply(Box::new(Counter::default()), 3).unwrap(), 31);
}
