//! Regenerates the screenshots of `bitcoin-gui` in `doc/gui/`: a regtest
//! GUI (which spawns its node and wallet) in a window of its own under
//! Xvfb, a second node connected to it as a peer, a wallet with mined,
//! sent, received and unconfirmed coins and a payment request, then every
//! screen reached with bitcoin-qt's keyboard shortcuts or mouse clicks
//! (xdotool) and saved with imagemagick's `import`.
//!
//! Usage: gui-screenshots [--out DIR] [--gui PATH]
//!
//! A screen that cannot be reached is reported and skipped (this is a
//! documentation tool); the exit status is 1 when fewer than 80% of the
//! screens were saved.

// Dependencies of other targets of this package; `unused_crate_dependencies`
// checks every target on its own.
use {
    base64 as _, bitcoin as _, consensus as _, hex as _, interfaces as _, ipc as _, libc as _,
    tracing as _, tracing_subscriber as _,
};

use functional::xvfb::Xvfb;
use functional::{node_binary, op_true, TestNode};
use serde_json::{json, Value};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A step runs: its panic is a warning, not a crash report.
static IN_STEP: AtomicBool = AtomicBool::new(false);

/// Every screen, in the order taken: (file name without `.png`, what it shows).
const SCREENS: &[(&str, &str)] = &[
    ("splash", "Splash screen with an init message"),
    ("sync-overlay", "Sync overlay while the node is behind"),
    ("create-wallet", "Create Wallet dialog"),
    ("overview", "Overview: balances and recent transactions"),
    ("receive", "Receive: a labelled request with its QR code"),
    ("request-history", "Receive: requested payments history"),
    ("send", "Send: two recipients"),
    ("send-confirm", "Send: the confirmation window"),
    ("transactions", "Transactions"),
    ("transaction-details", "Transaction details"),
    ("open-wallet", "File > Open Wallet"),
    ("encrypt-wallet", "Settings > Encrypt Wallet"),
    ("sign-message", "Sign message"),
    ("verify-message", "Verify message"),
    ("sending-addresses", "Sending address book"),
    ("receiving-addresses", "Receiving address book"),
    ("load-psbt", "Load PSBT with a pasted PSBT"),
    ("options-main", "Options: Main"),
    ("options-wallet", "Options: Wallet"),
    ("options-network", "Options: Network"),
    ("options-window", "Options: Window"),
    ("options-display", "Options: Display"),
    ("node-information", "Node window: Information"),
    ("node-console", "Node window: Console with a command run"),
    ("node-traffic", "Node window: Network Traffic"),
    (
        "node-peers",
        "Node window: Peers with the selected peer's details",
    ),
    ("shutdown", "Shutdown window"),
];

// Where things are in the 900x600 window, found by looking at screenshots
// (egui's layout is fixed; dialogs open in the middle of the window). A
// status line above the wallet's tabs (e.g. "Wallet created") moves the
// tabs' content down by `Shots::banner`.
const FILE_MENU: (u32, u32) = (20, 12);
const SETTINGS_MENU: (u32, u32) = (65, 12);
const WINDOW_MENU: (u32, u32) = (125, 12);
/// The x of each menu's items, and their y.
const FILE_X: u32 = 50;
const FILE_OPEN: u32 = 62;
const FILE_SIGN: u32 = 177;
const FILE_VERIFY: u32 = 200;
const FILE_PSBT: u32 = 223;
const SETTINGS_X: u32 = 90;
const SETTINGS_ENCRYPT: u32 = 39;
const SETTINGS_OPTIONS: u32 = 117;
const WINDOW_X: u32 = 150;
const WINDOW_SENDING: u32 = 39;
const WINDOW_RECEIVING: u32 = 62;
const ADD_RECIPIENT: (u32, u32) = (180, 236);
const FIRST_TX: (u32, u32) = (300, 135);
const PSBT_FIELD: (u32, u32) = (480, 317);
const OPTIONS_TABS_X: [u32; 5] = [217, 273, 342, 414, 482];
const OPTIONS_TABS_Y: u32 = 233;
const FIRST_PEER: (u32, u32) = (700, 333);

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

/// The window under Xvfb and the screenshots taken so far.
struct Shots {
    x: Xvfb,
    window: String,
    out: PathBuf,
    taken: Vec<PathBuf>,
    missed: Vec<(String, String)>,
}

impl Shots {
    /// Saves the window as `<out>/<name>.png` after letting it settle.
    fn shot(&mut self, name: &str) {
        std::thread::sleep(Duration::from_millis(600));
        self.grab(name);
    }

    /// Saves the window at once; whether it worked.
    fn grab(&mut self, name: &str) -> bool {
        let path = self.out.join(format!("{name}.png"));
        let ok = self.import(&path);
        if ok {
            self.taken.retain(|p| p != &path);
            self.taken.push(path);
        }
        ok
    }

    /// Grabs the window until the node's RPC is out of its warm-up; the
    /// last grab before (the splash) is kept. Whether there was one.
    fn catch_splash(&mut self, node: &TestNode) -> bool {
        let tmp = self.out.join("splash-try.png");
        let mut caught = false;
        let end = Instant::now() + Duration::from_secs(60);
        while Instant::now() < end && node.try_rpc("getblockcount", json!([])).is_err() {
            caught |= self.import(&tmp)
                && drawn(&tmp)
                && std::fs::copy(&tmp, self.out.join("splash.png")).is_ok();
        }
        let _ = std::fs::remove_file(&tmp);
        if caught {
            self.taken.push(self.out.join("splash.png"));
        }
        caught
    }

    /// Ctrl+Q, grabbing the window until it is gone: the last grab is the
    /// shutdown window. Whether there was one after the key.
    fn quit(&mut self, child: &mut Child) -> bool {
        self.x.activate(&self.window);
        self.x.xdotool(&["key", "ctrl+q"]);
        let tmp = self.out.join("shutdown-try.png");
        let mut caught = false;
        let end = Instant::now() + Duration::from_secs(60);
        while alive(child) && Instant::now() < end {
            caught |= self.import(&tmp)
                && drawn(&tmp)
                && std::fs::copy(&tmp, self.out.join("shutdown.png")).is_ok();
        }
        let _ = std::fs::remove_file(&tmp);
        if alive(child) {
            let _ = child.kill();
        }
        let _ = child.wait();
        if caught {
            self.taken.push(self.out.join("shutdown.png"));
        } else {
            self.missed
                .push(("shutdown".into(), "the node stopped too fast".into()));
        }
        caught
    }

    /// Saves the window to `path` with imagemagick's `import`; whether it
    /// worked. A time-out: `import` can wait forever on a window that goes
    /// away while it reads it (the shutdown).
    fn import(&self, path: &Path) -> bool {
        Command::new("timeout")
            .args([
                "5",
                "import",
                "-display",
                &self.x.display,
                "-window",
                &self.window,
            ])
            .arg(path)
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Runs one step; a failure is a warning.
    fn step(&mut self, name: &str, f: impl FnOnce(&mut Shots)) {
        IN_STEP.store(true, Ordering::SeqCst);
        let result = catch_unwind(AssertUnwindSafe(|| f(self)));
        IN_STEP.store(false, Ordering::SeqCst);
        if let Err(e) = result {
            let why = e
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            eprintln!("warning: {name}: {why}");
            self.missed.push((name.to_string(), why));
        }
    }

    fn keys(&self, keys: &[&str]) {
        self.x.keys(&self.window, keys);
        std::thread::sleep(Duration::from_millis(300));
    }

    fn type_text(&self, text: &str) {
        self.x.activate(&self.window);
        self.x.xdotool(&["type", "--delay", "5", text]);
        std::thread::sleep(Duration::from_millis(200));
    }

    /// Moves the pointer to (x, y) of the window and waits a frame.
    fn hover(&self, x: u32, y: u32) {
        self.x.activate(&self.window);
        self.x.xdotool(&[
            "mousemove",
            "--window",
            &self.window,
            &x.to_string(),
            &y.to_string(),
        ]);
        std::thread::sleep(Duration::from_millis(250));
    }

    /// Clicks at (x, y) of the window; egui sees the pointer arrive first.
    fn click(&self, x: u32, y: u32) {
        self.hover(x, y);
        self.x.xdotool(&["click", "1"]);
        std::thread::sleep(Duration::from_millis(400));
    }

    /// Moves the pointer out of the way of tooltips and hover highlights.
    fn park(&self) {
        self.hover(899, 48);
    }

    /// How far a status line above the wallet selector moves the wallet
    /// tab down: the selector's box then covers (60, 89).
    fn banner(&self) -> u32 {
        let probe = self.out.join("probe.png");
        self.import(&probe);
        let out = Command::new("convert")
            .arg(&probe)
            .args(["-format", "%[fx:int(255*p{60,89}.r)]", "info:"])
            .output()
            .expect("convert (imagemagick)");
        let _ = std::fs::remove_file(&probe);
        let red: u32 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0);
        // The window's background is 27; a widget's box is lighter.
        if red > 40 {
            23
        } else {
            0
        }
    }

    fn double_click(&self, x: u32, y: u32) {
        self.hover(x, y);
        self.x
            .xdotool(&["click", "--repeat", "2", "--delay", "80", "1"]);
        std::thread::sleep(Duration::from_millis(400));
    }
}

/// A grab shows a drawn frame: an empty (one-colour) one, before the
/// first frame or while the window goes, compresses to under 3 kB (the
/// shutdown window, a line of text on a plain background, to about 5 kB).
fn drawn(png: &Path) -> bool {
    std::fs::metadata(png).is_ok_and(|m| m.len() > 3000)
}

/// Polls `f` every 100 ms for up to `secs` seconds.
fn until(what: &str, secs: u64, mut f: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while !f() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn text(v: Value) -> String {
    v.as_str().map(str::to_string).unwrap_or_default()
}

/// Starts `bitcoin-gui` on `node`'s datadir with the GUI settings in
/// `config_home`; its stderr goes to `gui.stderr` there.
fn spawn_gui(x: &Xvfb, gui: &Path, node: &TestNode, config_home: &Path, extra: &[&str]) -> Child {
    let stderr = node.datadir.join("gui.stderr");
    Command::new(gui)
        .args([
            format!("-datadir={}", node.datadir.display()),
            "-listen=1".into(),
        ])
        .args(extra)
        .env("DISPLAY", &x.display)
        .env("XDG_CONFIG_HOME", config_home)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).expect("the GUI's stderr file"))
        .spawn()
        .expect("spawn bitcoin-gui")
}

fn alive(child: &mut Child) -> bool {
    matches!(child.try_wait(), Ok(None))
}

fn main() {
    // A step that fails is reported as a warning by `Shots::step`; other
    // panics keep the default report.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !IN_STEP.load(Ordering::SeqCst) {
            default_hook(info);
        }
    }));
    let out = PathBuf::from(arg("--out").unwrap_or_else(|| "doc/gui".into()));
    std::fs::create_dir_all(&out).expect("create the output directory");
    let out = out.canonicalize().expect("the output directory");
    let gui = arg("--gui")
        .map(PathBuf::from)
        .unwrap_or_else(|| node_binary().with_file_name("bitcoin-gui"));

    // The GUI's datadir: a `bitcoin.conf` with regtest and free ports, so
    // `-datadir` skips the first-run Intro and RPC reaches the spawned node.
    let node = TestNode::new();
    let config_home = tempfile::tempdir().expect("a temp XDG_CONFIG_HOME");
    let x = Xvfb::start();
    let stderr = node.datadir.join("gui.stderr");
    let mut child = spawn_gui(&x, &gui, &node, config_home.path(), &[]);
    let window = x.window_of(child.id(), &stderr);
    let mut s = Shots {
        x,
        window,
        out,
        taken: Vec::new(),
        missed: Vec::new(),
    };

    // The splash lasts while the node starts.
    let splash = s.catch_splash(&node);
    // Init is over once the wallet loader answers.
    until("the node's wallets", 60, || {
        node.try_rpc("listwallets", json!([])).is_ok()
    });

    // The peer: a plain node that connects to the GUI's.
    let mut peer = TestNode::new();
    peer.index = 1;
    peer.start(&[]);
    peer.rpc(
        "addnode",
        json!([format!("127.0.0.1:{}", node.p2p_port), "onetry"]),
    );
    until("the peer", 30, || {
        node.rpc("getconnectioncount", json!([])).as_u64() == Some(1)
    });

    // The genesis block is old: the node is in initial block download.
    s.step("sync-overlay", |s| {
        std::thread::sleep(Duration::from_secs(2));
        s.shot("sync-overlay");
    });
    node.rpc("generatetoaddress", json!([1, op_true::address()]));
    std::thread::sleep(Duration::from_secs(1));

    // The wallet, made in the window: Enter presses "Create a new wallet".
    s.step("create-wallet", |s| {
        for _ in 0..5 {
            s.keys(&["Escape", "Return"]);
            std::thread::sleep(Duration::from_millis(500));
            s.type_text("main");
            s.shot("create-wallet");
            s.keys(&["Return"]);
            let made = || node.rpc("listwallets", json!([])) == json!(["main"]);
            if until_ok(10, made) {
                return;
            }
        }
        panic!("no wallet made in the window");
    });
    let loaded = node.rpc("listwallets", json!([]));
    if loaded != json!(["main"]) {
        // The rest needs the wallet: make it over RPC instead.
        eprintln!("warning: the window made no wallet; creating it over RPC");
        node.rpc("createwallet", json!(["main"]));
    }
    let main = |method: &str, params: Value| node.wallet_rpc("main", method, params);
    // A second wallet on the node pays into and receives from the first.
    node.rpc("createwallet", json!(["savings"]));
    let savings = |method: &str, params: Value| node.wallet_rpc("savings", method, params);
    let mined_to = text(main("getnewaddress", json!(["Mining rewards"])));
    node.rpc("generatetoaddress", json!([101, mined_to]));
    let to_savings = text(savings("getnewaddress", json!([])));
    main("sendtoaddress", json!([to_savings, 10.0]));
    node.rpc("generatetoaddress", json!([1, op_true::address()]));
    let back = text(main("getnewaddress", json!(["From savings"])));
    savings("sendtoaddress", json!([back, 2.5]));
    node.rpc("generatetoaddress", json!([1, op_true::address()]));

    // Receive (Alt+3): label, amount, message; Enter in the label field
    // makes the request, shown with its QR code.
    let mut request_address = String::new();
    s.step("receive", |s| {
        s.keys(&["alt+3", "ctrl+a"]);
        s.type_text("Invoice 42");
        s.keys(&["Tab", "ctrl+a"]);
        s.type_text("0.125");
        s.keys(&["Tab", "ctrl+a"]);
        s.type_text("Two coffees");
        s.keys(&["shift+Tab", "shift+Tab", "Return"]);
        let made = || {
            node.try_wallet_rpc("main", "getaddressesbylabel", json!(["Invoice 42"]))
                .ok()
                .and_then(|v| v.as_object().and_then(|o| o.keys().next().cloned()))
        };
        until("the request", 20, || made().is_some());
        request_address = made().unwrap_or_default();
        s.park();
        s.shot("receive");
    });
    if !request_address.is_empty() {
        // Paid, and confirmed below.
        savings("sendtoaddress", json!([request_address, 0.125]));
    }
    s.step("request-history", |s| {
        // The request, paid, shows in the history below it.
        std::thread::sleep(Duration::from_secs(1));
        s.park();
        s.shot("request-history");
    });

    // Send (Alt+2) to two recipients of the savings wallet.
    let alice = text(savings("getnewaddress", json!([])));
    let bob = text(savings("getnewaddress", json!([])));
    s.step("send", |s| {
        s.keys(&["alt+2"]);
        std::thread::sleep(Duration::from_secs(1));
        let d = s.banner();
        s.click(ADD_RECIPIENT.0, ADD_RECIPIENT.1 + d);
        s.park();
        // With two entries each has Pay To, "…", "×", Label, Amount and
        // "Subtract fee" in the keyboard's order.
        s.keys(&["alt+2", "ctrl+a"]);
        s.type_text(&alice);
        s.keys(&["Tab", "Tab", "Tab", "ctrl+a"]);
        s.type_text("Alice");
        s.keys(&["Tab", "ctrl+a"]);
        s.type_text("1.5");
        s.keys(&["Tab", "Tab", "ctrl+a"]);
        s.type_text(&bob);
        s.keys(&["Tab", "Tab", "Tab", "ctrl+a"]);
        s.type_text("Bob");
        s.keys(&["Tab", "ctrl+a"]);
        s.type_text("0.25");
        s.shot("send");
    });
    s.step("send-confirm", |s| {
        // Enter in an amount asks for confirmation; Send counts down 3 s.
        s.keys(&["Return"]);
        std::thread::sleep(Duration::from_millis(3500));
        s.shot("send-confirm");
        let before = main("listtransactions", json!(["*", 500]))
            .as_array()
            .map_or(0, Vec::len);
        // Cancel has the keyboard; Send is before it.
        s.keys(&["shift+Tab", "Return"]);
        until("the payment", 20, || {
            main("listtransactions", json!(["*", 500]))
                .as_array()
                .map_or(0, Vec::len)
                > before
        });
    });

    node.rpc("generatetoaddress", json!([1, op_true::address()]));
    // Unconfirmed: one payment in, one out.
    let pending = text(main("getnewaddress", json!(["Pending refund"])));
    savings("sendtoaddress", json!([pending, 0.75]));
    main("sendtoaddress", json!([op_true::address(), 0.3]));
    std::thread::sleep(Duration::from_secs(2));

    s.step("overview", |s| {
        s.keys(&["alt+1"]);
        std::thread::sleep(Duration::from_secs(1));
        s.park();
        s.shot("overview");
    });
    s.step("transactions", |s| {
        s.keys(&["alt+4"]);
        std::thread::sleep(Duration::from_secs(1));
        s.park();
        s.shot("transactions");
    });
    s.step("transaction-details", |s| {
        let d = s.banner();
        s.double_click(FIRST_TX.0, FIRST_TX.1 + d);
        std::thread::sleep(Duration::from_secs(1));
        s.park();
        s.shot("transaction-details");
        s.keys(&["Escape"]);
    });

    node.rpc("unloadwallet", json!(["savings"]));
    s.step("open-wallet", |s| {
        s.click(FILE_MENU.0, FILE_MENU.1);
        s.hover(FILE_X, FILE_OPEN);
        std::thread::sleep(Duration::from_secs(1));
        s.hover(FILE_X + 10, FILE_OPEN);
        s.shot("open-wallet");
        s.keys(&["Escape"]);
        s.keys(&["Escape"]);
    });
    s.step("encrypt-wallet", |s| {
        s.click(SETTINGS_MENU.0, SETTINGS_MENU.1);
        s.click(SETTINGS_X, SETTINGS_ENCRYPT);
        s.park();
        s.shot("encrypt-wallet");
        s.keys(&["Escape"]);
    });
    // A legacy address: messages are signed with P2PKH keys.
    let signer = text(main("getnewaddress", json!(["Signing", "legacy"])));
    let message = "I own this address.";
    s.step("sign-message", |s| {
        s.click(FILE_MENU.0, FILE_MENU.1);
        s.click(FILE_X, FILE_SIGN);
        // The address has the keyboard.
        s.type_text(&signer);
        s.keys(&["Tab"]);
        s.type_text(message);
        // Past the passphrase and the signature to "Sign Message".
        s.keys(&["Tab", "Tab", "Tab", "Return"]);
        std::thread::sleep(Duration::from_secs(1));
        s.park();
        s.shot("sign-message");
        s.keys(&["Escape"]);
    });
    let signature = text(main("signmessage", json!([signer, message])));
    s.step("verify-message", |s| {
        s.click(FILE_MENU.0, FILE_MENU.1);
        s.click(FILE_X, FILE_VERIFY);
        s.type_text(&signer);
        s.keys(&["Tab"]);
        s.type_text(message);
        s.keys(&["Tab"]);
        s.type_text(&signature);
        s.keys(&["Tab", "Return"]);
        s.park();
        s.shot("verify-message");
        s.keys(&["Escape"]);
    });
    for (name, y) in [
        ("sending-addresses", WINDOW_SENDING),
        ("receiving-addresses", WINDOW_RECEIVING),
    ] {
        s.step(name, |s| {
            s.click(WINDOW_MENU.0, WINDOW_MENU.1);
            s.click(WINDOW_X, y);
            s.park();
            s.shot(name);
            s.keys(&["Escape"]);
        });
    }
    // A PSBT of the wallet, signed: "ready for broadcast".
    let psbt = main(
        "walletcreatefundedpsbt",
        json!([[], [{ op_true::address(): 0.42 }]]),
    );
    let psbt = text(main("walletprocesspsbt", json!([psbt["psbt"]]))["psbt"].clone());
    s.step("load-psbt", |s| {
        s.click(FILE_MENU.0, FILE_MENU.1);
        s.click(FILE_X, FILE_PSBT);
        s.click(PSBT_FIELD.0, PSBT_FIELD.1);
        s.type_text(&psbt);
        s.keys(&["Tab", "Return"]);
        s.park();
        s.shot("load-psbt");
        s.keys(&["Escape"]);
    });
    // Options opens on Main, centred: each tab is clicked from there
    // (the dialog moves as its height changes), then Escape cancels.
    for (i, name) in [
        "options-main",
        "options-wallet",
        "options-network",
        "options-window",
        "options-display",
    ]
    .into_iter()
    .enumerate()
    {
        s.step(name, |s| {
            s.click(SETTINGS_MENU.0, SETTINGS_MENU.1);
            s.click(SETTINGS_X, SETTINGS_OPTIONS);
            std::thread::sleep(Duration::from_secs(1));
            s.click(OPTIONS_TABS_X[i], OPTIONS_TABS_Y);
            s.park();
            s.shot(name);
            s.keys(&["Escape"]);
        });
    }

    // The node window, on each tab with bitcoin-qt's shortcuts.
    s.step("node-information", |s| {
        s.keys(&["ctrl+i"]);
        s.shot("node-information");
    });
    s.step("node-console", |s| {
        s.keys(&["ctrl+t"]);
        s.type_text("getblockchaininfo");
        s.keys(&["Return"]);
        std::thread::sleep(Duration::from_secs(1));
        s.shot("node-console");
    });
    s.step("node-peers", |s| {
        s.keys(&["ctrl+p"]);
        // Peers are polled only while the tab shows.
        std::thread::sleep(Duration::from_secs(1));
        // Its row, a little above and below the middle (the window is
        // centred, and its height settles as the list arrives).
        s.click(FIRST_PEER.0, FIRST_PEER.1 - 4);
        s.click(FIRST_PEER.0, FIRST_PEER.1 + 4);
        s.park();
        s.shot("node-peers");
    });
    s.step("node-traffic", |s| {
        s.keys(&["ctrl+n"]);
        s.shot("node-traffic");
    });
    s.keys(&["ctrl+w"]);

    // Closing stops all three; the shutdown window shows meanwhile.
    s.quit(&mut child);
    if !splash {
        s.missed
            .push(("splash".into(), "the node started too fast".into()));
    }
    peer.stop();

    report(&s.out, &s.taken, &s.missed);
}

/// `f` holds within `secs` seconds.
fn until_ok(secs: u64, f: impl Fn() -> bool) -> bool {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Prints the files written and the screens missed; exits 1 below 80%.
fn report(out: &Path, taken: &[PathBuf], missed: &[(String, String)]) {
    println!("screenshots written to {}:", out.display());
    for p in taken {
        println!("  {}", p.display());
    }
    let names: Vec<String> = taken
        .iter()
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    let got = SCREENS
        .iter()
        .filter(|(n, _)| names.iter().any(|t| t == n))
        .count();
    for (name, why) in missed {
        println!("  missed {name}: {why}");
    }
    println!("{got} of {} screens", SCREENS.len());
    if got * 5 < SCREENS.len() * 4 {
        std::process::exit(1);
    }
}
