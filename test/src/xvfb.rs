//! An X server of the tests' own (Xvfb) and xdotool to drive windows on
//! it: the GUI's window tests and its benchmark. `contrib/test.sh` installs
//! both (`contrib/gui-deps.sh --test`).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// An X server of our own on a free display.
pub struct Xvfb {
    child: Child,
    /// The display, `:N`.
    pub display: String,
}

impl Xvfb {
    /// Starts a server on a free display.
    pub fn start() -> Xvfb {
        // Tests of one run take different numbers; other runs' servers hold
        // lock files, and a server that lost the race exits at once.
        static NEXT: AtomicU32 = AtomicU32::new(0);
        for _ in 0..100 {
            let n = 100 + (std::process::id() % 50) * 4 + NEXT.fetch_add(1, Ordering::SeqCst) % 200;
            if std::path::Path::new(&format!("/tmp/.X{n}-lock")).exists() {
                continue;
            }
            // Without its lock file a socket is a killed server's leftover;
            // left in place, it would pass for this server's before it listens.
            let _ = std::fs::remove_file(format!("/tmp/.X11-unix/X{n}"));
            let mut child = Command::new("Xvfb")
                .args([
                    &format!(":{n}"),
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb (contrib/test.sh installs it)");
            let socket = format!("/tmp/.X11-unix/X{n}");
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if let Ok(Some(_)) = child.try_wait() {
                    break;
                }
                if std::path::Path::new(&socket).exists() {
                    std::thread::sleep(Duration::from_millis(300));
                    if let Ok(None) = child.try_wait() {
                        return Xvfb {
                            child,
                            display: format!(":{n}"),
                        };
                    }
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("no display for Xvfb");
    }

    /// Runs xdotool on this display; its output.
    pub fn xdotool(&self, args: &[&str]) -> String {
        let out = Command::new("xdotool")
            .args(args)
            .env("DISPLAY", &self.display)
            .output()
            .expect("xdotool (contrib/test.sh installs it)");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The window of process `pid`, once it is mapped; on a time-out,
    /// the panic shows what the GUI printed to `stderr`.
    pub fn window_of(&self, pid: u32, stderr: &std::path::Path) -> String {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let found = self.xdotool(&["search", "--onlyvisible", "--pid", &pid.to_string()]);
            if let Some(w) = found.lines().last() {
                return w.to_string();
            }
            assert!(
                Instant::now() < end,
                "no window from bitcoin-gui; it printed: {}",
                std::fs::read_to_string(stderr).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Raises and focuses `window`, as a window manager would for a click:
    /// eframe does not run the UI of a window that is fully covered.
    pub fn activate(&self, window: &str) {
        self.xdotool(&["windowraise", window]);
        self.xdotool(&["windowfocus", "--sync", window]);
    }

    /// Sends keys to `window`.
    pub fn keys(&self, window: &str, keys: &[&str]) {
        self.activate(window);
        for k in keys {
            self.xdotool(&["key", k]);
        }
    }

    /// Types `text` and Return into `window`.
    pub fn type_line(&self, window: &str, text: &str) {
        self.activate(window);
        self.xdotool(&["type", "--delay", "10", text]);
        self.xdotool(&["key", "Return"]);
    }
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
