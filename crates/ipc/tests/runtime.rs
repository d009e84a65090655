//! Runtime tests through the typed proxies: threads, FIFO, errors,
//! disconnects in the middle of calls, cancellation logs, interrupts.

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

mod support;

use bitcoin::hashes::Hash;
use interfaces::init::Init;
use std::sync::Arc;
use std::time::Duration;
use support::*;

#[test]
fn echo_round_trips_including_empty_and_large() {
    let p = pair();
    let echo = p.init.make_echo().expect("makeEcho").expect("echo object");
    for s in ["hallo", "", "haha"] {
        assert_eq!(echo.echo(s).expect("echo"), s);
    }
    let big = "x".repeat(1 << 20);
    assert_eq!(echo.echo(&big).expect("1 MiB echo"), big);
}

#[test]
fn remote_errors_carry_the_message_and_the_connection_survives() {
    let p = pair();
    let echo = p.init.make_echo().unwrap().unwrap();
    assert_eq!(
        echo.echo("fail"),
        Err(interfaces::Error::Remote("echo failed on purpose".into()))
    );
    assert_eq!(echo.echo("after").unwrap(), "after");
}

#[test]
fn each_client_thread_gets_its_own_server_worker() {
    let p = pair();
    let echo: Arc<dyn interfaces::echo::Echo> = Arc::from(p.init.make_echo().unwrap().unwrap());
    let mut handles = Vec::new();
    for i in 0..4 {
        let echo = echo.clone();
        handles.push(std::thread::spawn(move || {
            let me = echo.echo("whoami").unwrap();
            for j in 0..50 {
                let s = format!("{i}-{j}");
                assert_eq!(echo.echo(&s).unwrap(), s);
            }
            // Same worker for every call of one client thread.
            assert_eq!(echo.echo("whoami").unwrap(), me);
            me
        }));
    }
    let mut names: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for n in &names {
        assert!(n.contains("(from test-server-"), "{n}");
    }
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 4);
}

#[test]
fn slow_calls_on_different_threads_run_in_parallel() {
    let p = pair();
    let echo: Arc<dyn interfaces::echo::Echo> = Arc::from(p.init.make_echo().unwrap().unwrap());
    let start = std::time::Instant::now();
    let hs: Vec<_> = (0..3)
        .map(|_| {
            let e = echo.clone();
            std::thread::spawn(move || e.echo("sleep:300").unwrap())
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_millis(850),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn interrupt_runs_while_the_worker_waits() {
    let p = pair();
    let mining: Arc<dyn interfaces::mining::Mining> =
        Arc::from(p.init.make_mining().unwrap().unwrap());
    let tip = mining.get_tip().unwrap().expect("tip");
    let m = mining.clone();
    let waiting = std::thread::spawn(move || m.wait_tip_changed(tip.hash, None));
    std::thread::sleep(Duration::from_millis(100));
    // Context-less: must not queue behind the blocked worker.
    mining.interrupt().expect("interrupt");
    assert_eq!(waiting.join().unwrap(), Ok(None));
    // And a timeout returns the current tip.
    let r = mining
        .wait_tip_changed(tip.hash, Some(Duration::from_millis(20)))
        .unwrap();
    assert_eq!(r, Some(tip));
}

#[test]
fn tip_change_wakes_waiter_and_values_cross_intact() {
    let p = pair();
    let mining: Arc<dyn interfaces::mining::Mining> =
        Arc::from(p.init.make_mining().unwrap().unwrap());
    assert!(mining.is_test_chain().unwrap());
    assert!(!mining.is_initial_block_download().unwrap());
    let tip = mining.get_tip().unwrap().unwrap();
    let m = mining.clone();
    let w = std::thread::spawn(move || m.wait_tip_changed(tip.hash, None));
    std::thread::sleep(Duration::from_millis(50));
    p.mining.advance();
    let new = w.join().unwrap().unwrap().unwrap();
    assert_eq!(new.height, tip.height + 1);
    assert_eq!(new.hash, bitcoin::BlockHash::from_byte_array([1; 32]));
    let txs = mining
        .get_transactions_by_tx_id(&[bitcoin::Txid::all_zeros(); 3])
        .unwrap();
    assert_eq!(txs, vec![None, None, None]);
    let check = mining
        .check_block(
            &bitcoin::constants::genesis_block(bitcoin::Network::Regtest),
            &Default::default(),
        )
        .unwrap();
    assert_eq!(check.reason, "bad-test");
    assert!(!check.valid);
}

#[test]
fn server_disconnect_fails_pending_call_and_logs_cancel() {
    let p = pair();
    let mining: Arc<dyn interfaces::mining::Mining> =
        Arc::from(p.init.make_mining().unwrap().unwrap());
    let tip = mining.get_tip().unwrap().unwrap();
    let m = mining.clone();
    let pending = std::thread::spawn(move || m.wait_tip_changed(tip.hash, None));
    assert!(wait_log(
        &["IPC server post request  #", "{test-server-"],
        Duration::from_secs(5)
    ));
    std::thread::sleep(Duration::from_millis(50));
    p.server.disconnect_incoming(None);
    assert_eq!(
        pending.join().unwrap(),
        Err(interfaces::Error::Disconnected)
    );
    assert!(wait_log(
        &["IPC server: socket disconnected."],
        Duration::from_secs(5)
    ));
    assert!(wait_log(
        &["canceled while executing."],
        Duration::from_secs(5)
    ));
    // The abandoned call still runs to its end on the worker, as in Core.
    p.mining.advance();
    assert!(wait_log(
        &["interrupted (canceled)"],
        Duration::from_secs(5)
    ));
    // Calls after the disconnect fail at once with the typed error.
    assert_eq!(mining.get_tip(), Err(interfaces::Error::Disconnected));
}

#[test]
fn client_loop_gone_means_disconnected_not_a_hang() {
    let p = pair();
    let echo = p.init.make_echo().unwrap().unwrap();
    let Pair {
        server,
        client,
        init,
        ..
    } = p;
    drop(client);
    assert_eq!(echo.echo("x"), Err(interfaces::Error::Disconnected));
    drop(init);
    drop(server);
}

#[test]
fn debug_log_shows_each_call_in_core_format() {
    let p = pair();
    let echo = p.init.make_echo().unwrap().unwrap();
    echo.echo("logged").unwrap();
    for parts in [
        &["IPC server recv request  #", " Echo.echo$Params"][..],
        &["IPC server post request  #", " {test-server-"],
        &["IPC server executing request #"],
        &["IPC server send response #", " Echo.echo$Results"],
        &["IPC client send Echo.echo$Params"],
        &["IPC client recv Echo.echo$Results"],
        &["send data: (context = (thread = ", "echo = \"logged\")"],
        &["recv data: (result = \"logged\")"],
        &["request data: (context = (thread = "],
        &["response data: (result = \"logged\")"],
        &["ipc: {test-server-", "} IPC server: socket connected."],
    ] {
        assert!(wait_log(parts, Duration::from_secs(2)), "missing {parts:?}");
    }
}

#[test]
fn block_template_values_and_interrupt_wait_twice() {
    let p = pair();
    let mining = p.init.make_mining().unwrap().unwrap();
    let t: Arc<dyn interfaces::mining::BlockTemplate> = Arc::from(
        mining
            .create_new_block(&Default::default(), true)
            .unwrap()
            .expect("template"),
    );
    let genesis = bitcoin::constants::genesis_block(bitcoin::Network::Regtest);
    assert_eq!(t.get_block_header().unwrap(), genesis.header);
    assert_eq!(t.get_block().unwrap(), genesis);
    assert_eq!(t.get_tx_fees().unwrap(), vec![1, -2, 3]);
    assert_eq!(t.get_tx_sigops().unwrap(), vec![4]);
    let cb = t.get_coinbase_tx().unwrap();
    assert_eq!(cb.witness, None);
    assert_eq!(cb.required_outputs, vec![vec![0x6a], vec![]]);
    assert_eq!(cb.sequence, 0xffff_fffe);
    assert_eq!(t.get_coinbase_merkle_path().unwrap(), vec![[9; 32]]);
    let coinbase = genesis.txdata[0].clone();
    assert!(t.submit_solution(1, 2, 42, Some(coinbase.clone())).unwrap());
    assert!(!t.submit_solution(1, 2, 41, Some(coinbase)).unwrap());
    // waitNext is released by interruptWait (context-less, runs at once),
    // twice in a row: the interrupt flag must be reset after use.
    for _ in 0..2 {
        let t2 = t.clone();
        let w = std::thread::spawn(move || t2.wait_next(&Default::default()).map(|o| o.is_none()));
        std::thread::sleep(Duration::from_millis(100));
        t.interrupt_wait().unwrap();
        assert_eq!(w.join().unwrap(), Ok(true));
    }
    // A timeout returns no template.
    let opts = interfaces::mining::BlockWaitOptions {
        timeout: Some(Duration::from_millis(10)),
        fee_threshold: 1,
    };
    assert!(t.wait_next(&opts).unwrap().is_none());
}

#[test]
fn a_panicking_implementation_is_an_error_and_the_worker_survives() {
    let p = pair();
    let echo = p.init.make_echo().unwrap().unwrap();
    assert_eq!(
        echo.echo("panic"),
        Err(interfaces::Error::Remote("echo panicked on purpose".into()))
    );
    assert!(wait_log(
        &["uncaught exception (echo panicked on purpose)"],
        Duration::from_secs(2)
    ));
    assert_eq!(echo.echo("after").unwrap(), "after");
}
