//! Worker threads made with `makeThread` exit when their connection closes.
//! (Alone in this binary: the live-worker counter is process-wide.)

// Each test target uses part of the crate's dependencies.
#![allow(unused_crate_dependencies)]

mod support;

use interfaces::init::Init;
use std::time::Duration;
use support::*;

#[test]
fn no_worker_threads_survive_their_connections() {
    let l = listening();
    for _ in 0..5 {
        let out = raw_client(l.connect(), |init| async move {
            let t = make_thread(&init).await;
            echo_on(&init, &t, "x").await
        });
        assert_eq!(out.unwrap(), "x");
    }
    // Pool workers too.
    let out = raw_client(l.connect(), |init| async move {
        let tm = init.construct_request().send().pipeline.get_thread_map();
        let mut r = tm.make_pool_request();
        r.get().set_count(3);
        r.send().promise.await.expect("makePool");
        let mut r = init
            .make_echo_request()
            .send()
            .pipeline
            .get_result()
            .echo_request();
        r.get().set_echo("pooled");
        let v = r.send().promise.await.expect("echo");
        v.get().unwrap().get_result().unwrap().to_string().unwrap()
    });
    assert_eq!(out, "pooled");
    {
        let p = pair();
        let echo = p.init.make_echo().unwrap().unwrap();
        assert_eq!(echo.echo("y").unwrap(), "y");
        assert!(ipc::thread_map::live_workers() >= 1);
    }
    drop(l);
    assert!(
        eventually(Duration::from_secs(5), || ipc::thread_map::live_workers()
            == 0),
        "{} workers still alive",
        ipc::thread_map::live_workers()
    );
}
