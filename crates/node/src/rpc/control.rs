//! Control and utility RPCs of the node itself: `help`, `stop`, `uptime`,
//! `getrpcinfo`, `echo`, `echojson`, `setmocktime`, `mockscheduler`,
//! `getmemoryinfo`.

use common::settings::CLIENT_NAME;
use common::shutdown::Shutdown;
use rpc::{rpc_params, Arg, ArgType, RpcError, RpcMethod, RpcTable};
use serde_json::{json, Value};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// What the control RPCs need from the running node.
pub struct ControlContext {
    /// Shutdown flag set by `stop`.
    pub shutdown: Arc<Shutdown>,
    /// When the process started (monotonic, so mock time does not move it).
    pub started: Instant,
    /// Path of debug.log, reported by `getrpcinfo`.
    pub log_path: String,
    /// Whether `setmocktime` is allowed (regtest only).
    pub mockable_chain: bool,
    /// Told about each `setmocktime` (the chain clients: Core calls
    /// `setMockTime` on each).
    pub mock_time_listeners: std::sync::Mutex<Vec<MockTimeListener>>,
    /// Told each `mockscheduler` jump in seconds, in order (the node's
    /// event queue, then the chain clients' schedulers).
    pub scheduler_listeners: std::sync::Mutex<Vec<MockTimeListener>>,
}

/// Told the new time on each `setmocktime`.
pub type MockTimeListener = Box<dyn Fn(i64) + Send + Sync>;

impl ControlContext {
    /// Calls `f` with every new mock time.
    pub fn on_mock_time(&self, f: MockTimeListener) {
        self.mock_time_listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(f);
    }

    /// Calls `f` with every `mockscheduler` jump.
    pub fn on_mock_scheduler(&self, f: MockTimeListener) {
        self.scheduler_listeners
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(f);
    }
}

rpc_params! {
    /// `help`'s parameters.
    struct HelpParams {
        /// The command to get help on
        command: Option<String> [Str, hint = "all commands"],
    }
}

rpc_params! {
    /// `stop`'s parameters.
    struct StopParams {
        /// how long to wait in ms
        wait: Option<i64> [Num, optional, hidden],
    }
}

rpc_params! {
    /// `setmocktime`'s parameters.
    struct SetMockTimeParams {
        /// UNIX epoch time. Pass 0 to go back to using the system time.
        timestamp: i64 [Num, required],
    }
}

rpc_params! {
    /// `mockscheduler`'s parameters.
    struct MockSchedulerParams {
        /// Number of seconds to forward the scheduler into the future.
        delta_time: i64 [Num, required],
    }
}

rpc_params! {
    /// `getmemoryinfo`'s parameters.
    struct GetMemoryInfoParams {
        /// determines what kind of information is returned: "stats" (general statistics about memory usage in the daemon) or "mallocinfo".
        mode: String [Str, default = "stats"],
    }
}

/// Registers the control RPCs into `table`.
pub fn register(table: &Arc<RpcTable>, ctx: Arc<ControlContext>) {
    let weak: Weak<RpcTable> = Arc::downgrade(table);
    table.register(
        RpcMethod::new(
            "help",
            "control",
            "List all commands, or get help for a specified command.",
            move |_, p: HelpParams| {
                let command = p.command.unwrap_or_default();
                let Some(table) = weak.upgrade() else {
                    return Err(RpcError::misc("RPC server stopped"));
                };
                if command == "dump_all_command_conversions" {
                    return Ok(table.arg_map());
                }
                Ok(Value::String(table.help(&command)))
            },
        )
        .result("\"str\"    (string) The help text"),
    );

    let c = ctx.clone();
    table.register(
        RpcMethod::new(
            "stop",
            "control",
            format!("Request a graceful shutdown of {CLIENT_NAME}."),
            move |_, p: StopParams| {
                c.shutdown.request();
                if let Some(ms) = p.wait {
                    std::thread::sleep(Duration::from_millis(ms.clamp(0, i32::MAX as i64) as u64));
                }
                Ok(Value::String(format!("{CLIENT_NAME} stopping")))
            },
        )
        .result(format!(
            "\"str\"    (string) A string with the content '{CLIENT_NAME} stopping'"
        )),
    );

    let c = ctx.clone();
    table.register(
        RpcMethod::new(
            "uptime",
            "control",
            "Returns the total uptime of the server.",
            move |_, ()| Ok(json!(c.started.elapsed().as_secs())),
        )
        .result("n    (numeric) The number of seconds that the server has been running")
        .examples("> bitcoin-cli uptime \n"),
    );

    let weak: Weak<RpcTable> = Arc::downgrade(table);
    let c = ctx.clone();
    table.register(
        RpcMethod::new("getrpcinfo", "control", "Returns details of the RPC server.", move |_, ()| {
            let Some(table) = weak.upgrade() else { return Err(RpcError::misc("RPC server stopped")) };
            let active: Vec<Value> = table
                .active_commands()
                .into_iter()
                .map(|a| json!({"method": a.method, "duration": a.start.elapsed().as_micros() as u64}))
                .collect();
            Ok(json!({"active_commands": active, "logpath": c.log_path}))
        })
        .result("{\n  \"active_commands\" : [...],    (json array) All active commands\n  \"logpath\" : \"str\"    (string) The complete file path to the debug log\n}"),
    );

    // The escape hatch: echo answers with the positional array exactly as sent.
    for name in ["echo", "echojson"] {
        let args = (0..10)
            .map(|i| Arg::optional(ECHO_ARG_NAMES[i], ArgType::Str, "").skip_type_check())
            .collect();
        table.register(
            RpcMethod::untyped(
                name,
                "hidden",
                "Simply echo back the input arguments. This command is for testing.\n\nIt will return an internal bug report when arg9='trigger_internal_bug' is passed.\n\nechojson differs from echo only in bitcoin-cli's argument conversion; the server treats both alike.",
                args,
                |req| {
                    if req.params.get(9).and_then(Value::as_str) == Some("trigger_internal_bug") {
                        return Err(RpcError::misc(internal_bug(
                            "request.params[9].get_str() != \"trigger_internal_bug\"",
                        )));
                    }
                    Ok(Value::Array(req.params.clone()))
                },
            )
            .result("any    (any) Returns whatever was passed in"),
        );
    }

    let c = ctx.clone();
    table.register(RpcMethod::new(
        "setmocktime",
        "hidden",
        "Set the local time to given timestamp (-regtest only)",
        move |_, p: SetMockTimeParams| {
            if !c.mockable_chain {
                return Err(RpcError::misc(
                    "setmocktime is for regression testing (-regtest mode) only",
                ));
            }
            let time = p.timestamp;
            let max = u32::MAX as i64;
            if !(0..=max).contains(&time) {
                return Err(RpcError::invalid_parameter(format!(
                    "Mocktime must be in the range [0, {max}], not {time}."
                )));
            }
            common::time::set_mock_time(time);
            for f in c
                .mock_time_listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
            {
                f(time);
            }
            Ok(Value::Null)
        },
    ));

    let c = ctx.clone();
    table.register(RpcMethod::new(
        "mockscheduler",
        "hidden",
        "Bump the scheduler into the future (-regtest only)",
        move |_, p: MockSchedulerParams| {
            if !c.mockable_chain {
                return Err(RpcError::misc(
                    "mockscheduler is for regression testing (-regtest mode) only",
                ));
            }
            let delta = p.delta_time;
            if !(1..=3600).contains(&delta) {
                return Err(RpcError::misc(
                    "delta_time must be between 1 and 3600 seconds (1 hr)",
                ));
            }
            for f in c
                .scheduler_listeners
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
            {
                f(delta);
            }
            Ok(Value::Null)
        },
    ));

    table.register(RpcMethod::new(
        "getmemoryinfo",
        "control",
        "Returns an object containing information about memory usage.",
        |_, p: GetMemoryInfoParams| match p.mode.as_str() {
            "stats" => {
                let s = common::lockedpool::stats();
                Ok(json!({"locked": {
                    "used": s.used, "free": s.free, "total": s.total, "locked": s.locked,
                    "chunks_used": s.chunks_used, "chunks_free": s.chunks_free
                }}))
            }
            "mallocinfo" => malloc_info()
                .map(Value::String)
                .ok_or_else(|| RpcError::invalid_parameter("mallocinfo mode not available")),
            other => Err(RpcError::invalid_parameter(format!("unknown mode {other}"))),
        },
    ));
}

/// The C library allocator's own report (glibc's `malloc_info` XML), the
/// allocator Rust's default global allocator uses; `None` elsewhere or if
/// it fails.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn malloc_info() -> Option<String> {
    let mut buf: *mut libc::c_char = std::ptr::null_mut();
    let mut len: libc::size_t = 0;
    // SAFETY: `buf` and `len` outlive the stream, which is closed below;
    // glibc updates them on close.
    let stream = unsafe { libc::open_memstream(&mut buf, &mut len) };
    if stream.is_null() {
        return None;
    }
    // SAFETY: `stream` is a valid open stream, closed exactly once.
    let rc = unsafe {
        let rc = libc::malloc_info(0, stream);
        libc::fclose(stream);
        rc
    };
    if buf.is_null() {
        return None;
    }
    // SAFETY: after fclose, `buf` holds `len` bytes that we own and free.
    let text = unsafe {
        let bytes = std::slice::from_raw_parts(buf.cast::<u8>(), len).to_vec();
        libc::free(buf.cast());
        bytes
    };
    if rc != 0 {
        return None;
    }
    String::from_utf8(text).ok()
}

/// `malloc_info` exists only in glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn malloc_info() -> Option<String> {
    None
}

const ECHO_ARG_NAMES: [&str; 10] = [
    "arg0", "arg1", "arg2", "arg3", "arg4", "arg5", "arg6", "arg7", "arg8", "arg9",
];

/// The text of an internal-bug error, shaped like Core's `NonFatalCheckError`.
pub fn internal_bug(what: &str) -> String {
    format!(
        "Internal bug detected: {what}\n{}:{} ({})\n{CLIENT_NAME} {}\nPlease report this issue here: https://github.com/bitcoin/bitcoin/issues\n",
        file!(),
        line!(),
        module_path!(),
        env!("CARGO_PKG_VERSION")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpc::RpcRequest;

    fn setup() -> (Arc<RpcTable>, Arc<ControlContext>) {
        let table = Arc::new(RpcTable::new());
        table.finish_warmup();
        let ctx = Arc::new(ControlContext {
            shutdown: Arc::new(Shutdown::new()),
            started: Instant::now(),
            log_path: "/tmp/debug.log".into(),
            mockable_chain: true,
            mock_time_listeners: Default::default(),
            scheduler_listeners: Default::default(),
        });
        register(&table, ctx.clone());
        (table, ctx)
    }

    fn call(table: &RpcTable, method: &str, params: Value) -> Result<Value, RpcError> {
        table.execute(RpcRequest::new(method, vec![]), params)
    }

    #[test]
    fn getmemoryinfo_reports_the_locked_pool_and_refuses_unknown_modes() {
        let (table, _ctx) = setup();
        // Something secret in the pool, as the RPC credentials are.
        let _secret = common::lockedpool::LockedBytes::new(b"secret");
        let v = call(&table, "getmemoryinfo", json!([])).expect("stats");
        let l = &v["locked"];
        let n = |k: &str| l[k].as_u64().expect(k);
        assert!(n("used") > 0 && n("free") > 0 && n("chunks_used") > 0 && n("chunks_free") > 0);
        assert_eq!(n("used") + n("free"), n("total"));
        let err = call(&table, "getmemoryinfo", json!(["foobar"])).expect_err("bad mode");
        assert_eq!(err.message, "unknown mode foobar");
    }

    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn mallocinfo_is_glibcs_xml() {
        let (table, _ctx) = setup();
        let v = call(&table, "getmemoryinfo", json!(["mallocinfo"])).expect("mallocinfo");
        assert!(v.as_str().expect("text").starts_with("<malloc version="));
    }

    #[test]
    fn stop_requests_shutdown() {
        let (table, ctx) = setup();
        assert_eq!(
            call(&table, "stop", json!([])).unwrap(),
            json!("Bitcoin Core stopping")
        );
        assert!(ctx.shutdown.is_requested());
    }

    #[test]
    fn echo_returns_params_and_named_args_mix() {
        let (table, _) = setup();
        assert_eq!(
            call(&table, "echo", json!([1, "x"])).unwrap(),
            json!([1, "x"])
        );
        assert_eq!(
            call(&table, "echojson", json!({"arg1": 5})).unwrap(),
            json!([null, 5])
        );
        let e = call(&table, "echo", json!({"nope": 1})).unwrap_err();
        assert_eq!(e.message, "Unknown named parameter nope");
    }

    #[test]
    fn help_lists_and_explains() {
        let (table, _) = setup();
        let all = call(&table, "help", json!([])).unwrap();
        assert!(all.as_str().unwrap().starts_with("== Control ==\n"));
        assert!(!all.as_str().unwrap().contains("echojson"));
        let one = call(&table, "help", json!({"command": "uptime"})).unwrap();
        assert!(one
            .as_str()
            .unwrap()
            .starts_with("uptime\n\nReturns the total uptime"));
        let unknown = call(&table, "help", json!(["nosuch"])).unwrap();
        assert_eq!(unknown, json!("help: unknown command: nosuch"));
    }

    #[test]
    fn setmocktime_range_and_types() {
        let (table, _) = setup();
        let e = call(&table, "setmocktime", json!([-1])).unwrap_err();
        assert_eq!(e.code, -8);
        let e = call(&table, "setmocktime", json!(["x"])).unwrap_err();
        assert_eq!(e.code, -3);
        let e = call(&table, "setmocktime", json!([])).unwrap_err();
        assert_eq!(e.code, -1);
        assert!(e.message.starts_with("setmocktime timestamp"));
    }

    #[test]
    fn getrpcinfo_lists_itself() {
        let (table, _) = setup();
        let info = call(&table, "getrpcinfo", json!([])).unwrap();
        assert_eq!(info["active_commands"][0]["method"], json!("getrpcinfo"));
        assert_eq!(info["logpath"], json!("/tmp/debug.log"));
    }
}
