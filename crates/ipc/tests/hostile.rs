//! Wire-level tests with a raw capnp client: protocol misuse and hostile
//! input never crash the server, and each gets Core's answer (reliability
//! cases of ipc-protocol.md §6).

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

mod support;

use std::io::Write;
use std::time::Duration;
use support::*;

fn reason(e: capnp::Error) -> String {
    e.extra
}

/// The server still answers on a fresh connection.
fn assert_alive(l: &Listening) {
    let out = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        echo_on(&init, &t, "alive").await
    });
    assert_eq!(out.expect("server alive"), "alive");
}

#[test]
fn echo_like_core_interface_ipc_test() {
    let l = listening();
    let out = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut v = Vec::new();
        for s in ["hallo", "", "haha"] {
            v.push(echo_on(&init, &t, s).await.unwrap());
        }
        v
    });
    assert_eq!(out, vec!["hallo", "", "haha"]);
}

#[test]
fn old_mining_interface_answers_core_error() {
    let l = listening();
    let err = raw_client(l.connect(), |init| async move {
        init.make_mining_old2_request()
            .send()
            .promise
            .await
            .map(|_| ())
    })
    .expect_err("must fail");
    assert_eq!(err.kind, capnp::ErrorKind::Failed);
    assert_eq!(
        reason(err),
        "remote exception: std::exception: Old mining interface (@2) not supported. Please update your client!"
    );
}

#[test]
fn missing_or_foreign_thread_is_refused() {
    let l = listening();
    let (no_thread, foreign) = raw_client(l.connect(), |init| async move {
        let no_thread = init.make_echo_request().send().promise.await.map(|_| ());
        // A Thread capability of another connection is not ours to run on.
        let other = init.construct_request().send().pipeline.get_thread_map();
        let mut r = other.make_thread_request();
        r.get().set_name("x");
        let _ = r.send().promise.await;
        struct Fake;
        impl ipc::generated::proxy_capnp::thread::Server for Fake {}
        let fake: ipc::generated::proxy_capnp::thread::Client = capnp_rpc::new_client(Fake);
        let mut req = init.make_echo_request();
        req.get().init_context().set_thread(fake);
        let foreign = req.send().promise.await.map(|_| ());
        (no_thread, foreign)
    });
    assert_eq!(
        reason(no_thread.expect_err("no thread")),
        "remote exception: std::exception: no thread specified and no pool configured"
    );
    assert_eq!(
        reason(foreign.expect_err("foreign thread")),
        "remote exception: std::exception: invalid thread handle"
    );
    assert_alive(&l);
}

#[test]
fn calls_after_destroy_get_an_error() {
    let l = listening();
    let (first, after) = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut req = init.make_echo_request();
        req.get().init_context().set_thread(t.clone());
        let echo = req.send().pipeline.get_result();
        let mut d = echo.destroy_request();
        d.get().init_context().set_thread(t.clone());
        let first = d.send().promise.await.map(|_| ());
        let mut e = echo.echo_request();
        e.get().init_context().set_thread(t.clone());
        e.get().set_echo("x");
        let after = e.send().promise.await.map(|_| ());
        (first, after)
    });
    first.expect("destroy succeeds");
    assert_eq!(
        reason(after.expect_err("call after destroy")),
        "remote exception: std::exception: method called after destroy"
    );
    assert_alive(&l);
}

#[test]
fn pipelined_calls_on_one_thread_run_fifo() {
    let l = listening();
    let order = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut req = init.make_echo_request();
        req.get().init_context().set_thread(t.clone());
        // The capability is awaited first: calls queued on a promise that has
        // not resolved yet are released by capnp-rpc in executor order, not
        // arrival order (doc/ipc.md, "Call order").
        let reply = req.send().promise.await.expect("makeEcho");
        let echo = reply.get().and_then(|r| r.get_result()).expect("echo");
        let done = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
        let mut futs = Vec::new();
        for s in ["sleep:200", "b", "c", "sleep:50", "e"] {
            let mut r = echo.echo_request();
            r.get().init_context().set_thread(t.clone());
            r.get().set_echo(s);
            let done = done.clone();
            let p = r.send().promise;
            futs.push(async move {
                let v = p.await.unwrap();
                done.borrow_mut()
                    .push(v.get().unwrap().get_result().unwrap().to_string().unwrap());
            });
        }
        futures::future::join_all(futs).await;
        let v = done.borrow().clone();
        v
    });
    assert_eq!(order, vec!["sleep:200", "b", "c", "sleep:50", "e"]);
}

#[test]
fn invalid_utf8_text_is_an_error_not_a_crash() {
    let l = listening();
    let r = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut req = init.make_echo_request();
        req.get().init_context().set_thread(t.clone());
        let echo = req.send().pipeline.get_result();
        let mut r = echo.echo_request();
        r.get().init_context().set_thread(t.clone());
        r.get()
            .set_echo(capnp::text::Reader::from(&[0xffu8, 0xfe][..]));
        r.send().promise.await.map(|_| ())
    });
    assert!(reason(r.expect_err("bad utf8")).contains("not valid UTF-8"));
    assert_alive(&l);
}

#[test]
fn unknown_method_ordinal_is_unimplemented() {
    let l = listening();
    let r = raw_client(l.connect(), |init| async move {
        let req = init
            .client
            .new_call::<capnp::any_pointer::Owned, capnp::any_pointer::Owned>(
                <ipc::generated::init_capnp::init::Client as capnp::traits::HasTypeId>::TYPE_ID,
                42,
                None,
            );
        req.send().promise.await.map(|_| ())
    });
    assert_eq!(
        r.expect_err("unknown").kind,
        capnp::ErrorKind::Unimplemented
    );
    assert_alive(&l);
}

#[test]
fn garbage_bytes_drop_only_that_connection() {
    let l = listening();
    for garbage in [
        vec![0xffu8; 64],
        // A segment table claiming a huge segment.
        vec![0, 0, 0, 0, 0xff, 0xff, 0xff, 0x7f],
        // 600 segments: over the limit of 512.
        {
            let mut v = 599u32.to_le_bytes().to_vec();
            v.extend(std::iter::repeat_n(0u8, 4 * 600));
            v
        },
    ] {
        let mut s = l.connect();
        let _ = s.write_all(&garbage);
        let _ = s.flush();
        std::thread::sleep(Duration::from_millis(50));
        drop(s);
    }
    assert!(wait_log(
        &["IPC server: connection error: "],
        Duration::from_secs(5)
    ));
    assert_alive(&l);
}

#[test]
fn oversized_message_is_rejected_and_server_survives() {
    let l = listening();
    let r = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        // 65 MiB: over the 64 MiB traversal limit Core's peers use.
        let big = "y".repeat(65 << 20);
        echo_on(&init, &t, &big).await.map(|s| s.len())
    });
    assert!(r.is_err(), "oversized message must not be accepted");
    assert_alive(&l);
}

#[test]
fn connect_and_drop_at_every_step_in_a_loop() {
    let l = listening();
    for i in 0..30 {
        let s = l.connect();
        match i % 3 {
            // Close before anything is sent.
            0 => drop(s),
            // makeThread, then close without waiting for anything.
            1 => raw_client(s, |init| async move {
                let _t = make_thread(&init).await;
            }),
            // Close while a call is running on the worker.
            _ => raw_client(s, |init| async move {
                let t = make_thread(&init).await;
                let call = echo_on(&init, &t, "sleep:30");
                let _ = tokio::time::timeout(Duration::from_millis(5), call).await;
            }),
        }
    }
    assert_alive(&l);
}

#[test]
fn stale_socket_is_replaced_by_a_second_bind() {
    let l = listening();
    // A second server binding the same path takes it over, as in Core.
    let second = ipc::Ipc::new("test-server").expect("loop");
    let listener = ipc::socket::bind(&l.path).expect("rebind");
    second
        .listen(
            listener,
            std::sync::Arc::new(TestInit {
                mining: Default::default(),
            }),
        )
        .expect("listen");
    assert_alive(&l);
}

/// A coinbase is read as Core reads a `CTransactionRef`: empty bytes are no
/// coinbase (a refusal, not an error), and bytes after a transaction are
/// ignored (64 zero bytes are an empty transaction).
#[test]
fn coinbase_bytes_read_as_core_reads_them() {
    let l = listening();
    let results = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut req = init.make_mining_request();
        req.get().init_context().set_thread(t.clone());
        let mining = req.send().pipeline.get_result();
        let mut req = mining.create_new_block_request();
        req.get().init_context().set_thread(t.clone());
        let template = req.send().pipeline.get_result();
        let mut out = Vec::new();
        for coinbase in [&[][..], &[0u8; 64][..]] {
            let mut r = template.submit_solution_request();
            r.get().init_context().set_thread(t.clone());
            r.get().set_nonce(42);
            r.get().set_coinbase(coinbase);
            out.push(
                r.send()
                    .promise
                    .await
                    .and_then(|reply| Ok(reply.get()?.get_result()))
                    .map_err(|e| e.extra),
            );
        }
        out
    });
    assert_eq!(results, vec![Ok(false), Ok(true)]);
    assert_alive(&l);
}

#[test]
fn invalid_mining_values_are_errors() {
    let l = listening();
    let errors = raw_client(l.connect(), |init| async move {
        let t = make_thread(&init).await;
        let mut req = init.make_mining_request();
        req.get().init_context().set_thread(t.clone());
        let mining = req.send().pipeline.get_result();
        let mut out = Vec::new();
        // A 5-byte "hash".
        let mut r = mining.wait_tip_changed_request();
        r.get().init_context().set_thread(t.clone());
        r.get().set_current_tip(&[1, 2, 3, 4, 5]);
        out.push(r.send().promise.await.map(|_| ()).err().map(|e| e.extra));
        // A NaN timeout.
        let mut r = mining.wait_tip_changed_request();
        r.get().init_context().set_thread(t.clone());
        r.get().set_current_tip(&[0; 32]);
        r.get().set_timeout(f64::NAN);
        out.push(r.send().promise.await.map(|_| ()).err().map(|e| e.extra));
        // A block that does not deserialize.
        let mut r = mining.check_block_request();
        r.get().init_context().set_thread(t.clone());
        r.get().set_block(&[0xde, 0xad]);
        out.push(r.send().promise.await.map(|_| ()).err().map(|e| e.extra));
        // A txid list with a short entry.
        let mut r = mining.get_transactions_by_tx_i_d_request();
        r.get().init_context().set_thread(t.clone());
        let mut l = r.get().init_txids(2);
        l.set(0, &[0; 32]);
        l.set(1, &[0; 3]);
        out.push(r.send().promise.await.map(|_| ()).err().map(|e| e.extra));
        out
    });
    let expect = [
        "expected 32 bytes, got 5",
        "invalid timeout NaN",
        "SpanReader::read(): end of data",
        "expected 32 bytes, got 3",
    ];
    for (got, want) in errors.iter().zip(expect) {
        let got = got.as_deref().unwrap_or("<no error>");
        assert!(got.contains(want), "{got:?} should contain {want:?}");
    }
    assert_alive(&l);
}

#[test]
fn connect_address_resolves_like_ipcconnect() {
    use interfaces::init::Init;
    let l = listening();
    let ipc = ipc::Ipc::new("test-client").expect("loop");
    let dir = l.path.parent().expect("dir");
    let init = ipc
        .connect_address("unix", dir, "bitcoin-node")
        .expect("default path node.sock");
    assert_eq!(init.make_echo().unwrap().unwrap().echo("a").unwrap(), "a");
    let missing = ipc.connect_address("unix:nope.sock", dir, "bitcoin-node");
    match missing {
        Err(interfaces::Error::Remote(m)) => {
            assert!(m.ends_with("nope.sock: No such file or directory"), "{m}")
        }
        _ => panic!("connecting to a missing socket must fail"),
    }
    assert!(matches!(
        ipc.connect_address("tcp", dir, "bitcoin-node"),
        Err(interfaces::Error::Remote(m)) if m == "Unrecognized address 'tcp'"
    ));
}

#[test]
fn make_pool_serves_calls_without_a_thread() {
    let l = listening();
    let (names, elapsed, again, huge) = raw_client(l.connect(), |init| async move {
        let tm = init.construct_request().send().pipeline.get_thread_map();
        let mut r = tm.make_pool_request();
        r.get().set_count(2);
        r.send().promise.await.expect("makePool");
        let echo = init.make_echo_request().send().pipeline.get_result();
        let call = |text: &str| {
            let mut r = echo.echo_request();
            r.get().set_echo(text);
            let p = r.send().promise;
            async move {
                let v = p.await?;
                Ok::<_, capnp::Error>(v.get()?.get_result()?.to_string().unwrap())
            }
        };
        let start = std::time::Instant::now();
        let (a, b) = futures::join!(call("sleep:200"), call("sleep:200"));
        let elapsed = start.elapsed();
        a.unwrap();
        b.unwrap();
        let names = vec![call("whoami").await.unwrap(), call("whoami").await.unwrap()];
        let mut r = tm.make_pool_request();
        r.get().set_count(1);
        let again = r.send().promise.await.map(|_| ()).err().map(|e| e.extra);
        let tm2 = init.construct_request().send().pipeline.get_thread_map();
        let mut r = tm2.make_pool_request();
        r.get().set_count(100_000);
        let huge = r.send().promise.await.map(|_| ()).err().map(|e| e.extra);
        (names, elapsed, again, huge)
    });
    assert!(
        names.iter().all(|n| n.contains(" (pool/0)")),
        "idle pool: lowest slot first {names:?}"
    );
    assert!(
        elapsed < Duration::from_millis(380),
        "two slots run in parallel: {elapsed:?}"
    );
    assert_eq!(
        again.as_deref(),
        Some("remote exception: std::exception: makePool called on connection with existing pool")
    );
    assert!(
        huge.as_deref()
            .is_some_and(|e| e.contains("makePool count 100000 exceeds 64")),
        "an absurd pool size is refused: {huge:?}"
    );
    assert_alive(&l);
}

#[test]
fn a_client_that_stops_reading_does_not_block_shutdown() {
    let l = listening();
    // client <-> relay -> server: the relay forwards requests but never reads
    // the server's replies, so the server's writes back fill up and block.
    let to_server = l.connect();
    let (client_end, relay_end) = std::os::unix::net::UnixStream::pair().expect("pair");
    let relay = std::thread::spawn(move || {
        let (mut from, mut to) = (relay_end, to_server);
        let _ = std::io::copy(&mut from, &mut to);
    });
    let client = std::thread::spawn(move || {
        raw_client(client_end, |init| async move {
            let t = make_thread(&init).await;
            let mut req = init.make_echo_request();
            req.get().init_context().set_thread(t.clone());
            let echo = req.send().pipeline.get_result();
            let big = "z".repeat(1 << 20);
            let mut pending = Vec::new();
            for _ in 0..20 {
                let mut r = echo.echo_request();
                r.get().init_context().set_thread(t.clone());
                r.get().set_echo(&big);
                pending.push(r.send().promise);
            }
            let all = futures::future::join_all(pending);
            tokio::time::timeout(Duration::from_secs(3), all)
                .await
                .is_err()
        })
    });
    std::thread::sleep(Duration::from_millis(1500));
    let start = std::time::Instant::now();
    let Listening { ipc, .. } = l;
    drop(ipc);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "shutdown took {:?}",
        start.elapsed()
    );
    assert!(
        client.join().expect("client"),
        "replies cannot have arrived"
    );
    let _ = relay.join();
}

#[test]
fn concurrent_clients_and_churn_stay_consistent() {
    use interfaces::init::Init;
    let l = std::sync::Arc::new(listening());
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    // Churn: connections that open, call and vanish at random points.
    let churn = {
        let (l, stop) = (l.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut n = 0u32;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                let s = l.connect();
                if n.is_multiple_of(2) {
                    drop(s);
                } else {
                    raw_client(s, |init| async move {
                        let t = make_thread(&init).await;
                        let _ = tokio::time::timeout(
                            Duration::from_millis(2),
                            echo_on(&init, &t, "churn"),
                        )
                        .await;
                    });
                }
                n += 1;
            }
            n
        })
    };
    // Steady clients: each thread checks every answer it gets.
    let ipc = std::sync::Arc::new(ipc::Ipc::new("test-client").expect("loop"));
    let init = std::sync::Arc::new(ipc.connect_stream(l.connect()).expect("connect"));
    let echo: std::sync::Arc<dyn interfaces::echo::Echo> =
        std::sync::Arc::from(init.make_echo().unwrap().unwrap());
    let workers: Vec<_> = (0..6)
        .map(|i| {
            let echo = echo.clone();
            std::thread::spawn(move || {
                for j in 0..150 {
                    let s = format!("{i}:{j}:{}", "p".repeat(j * 7));
                    assert_eq!(echo.echo(&s).unwrap(), s);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("steady client");
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    assert!(churn.join().expect("churn") > 0);
    assert_alive(&l);
}

#[test]
fn make_thread_is_bounded_per_connection() {
    let l = listening();
    let (ok, refused) = raw_client(l.connect(), |init| async move {
        let tm = init.construct_request().send().pipeline.get_thread_map();
        let mut threads = Vec::new();
        let mut refused = None;
        for i in 0..300 {
            let mut r = tm.make_thread_request();
            r.get().set_name(format!("t{i}"));
            match r.send().promise.await {
                Ok(v) => threads.push(v.get().unwrap().get_result().unwrap()),
                Err(e) => {
                    refused = Some(e.extra);
                    break;
                }
            }
        }
        (threads.len(), refused)
    });
    assert_eq!(ok, ipc::thread_map::MAX_THREADS_PER_CONNECTION);
    assert!(refused.unwrap_or_default().contains("too many threads"));
    assert_alive(&l);
}
