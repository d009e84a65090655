//! The first-run Intro (bitcoin-qt's `Intro`): before the node is spawned
//! and its config read, ask where the data directory goes when none is
//! given on the command line and the remembered (QSettings `strDataDir`) or
//! default one is missing, or `-choosedatadir`, `-resetguisettings` or
//! `fReset` ask for it. OK creates the directory, remembers it and passes
//! it on as `-datadir`; the prune choice goes to the node. Cancel exits.

use std::path::{Path, PathBuf};

use common::args::ArgsManager;
use eframe::egui;

use crate::settings::{keys, QtSettings};

/// A GB as bitcoin-qt counts disk space.
const GB_BYTES: u64 = 1_000_000_000;
/// bitcoin-qt's prune target when first offered.
const DEFAULT_PRUNE_GB: i64 = 2;
/// Core's smallest prune target (550 MiB), in whole GB.
const MIN_PRUNE_GB: i64 = 1;
/// Spare space under which pruning is ticked for the user.
const SPARE_GB: u64 = 10;

/// The Intro's state.
#[derive(Debug, Clone, PartialEq)]
pub struct Intro {
    /// The default data directory.
    pub default_dir: PathBuf,
    /// Use the default directory (else `custom_dir`).
    pub use_default: bool,
    /// The directory typed in.
    pub custom_dir: String,
    /// Limit block storage.
    pub prune: bool,
    /// To so many GB.
    pub prune_gb: i64,
    /// `-prune` on the command line decides; the choice is locked.
    pub prune_locked: bool,
    /// The user touched the prune box: do not tick it for them.
    prune_touched: bool,
    /// Space the chain needs, in GB (blocks and chainstate).
    pub chain_gb: u64,
    /// Chainstate alone, in GB.
    pub chain_state_gb: u64,
    /// Free bytes where the directory would go, for `checked_dir`.
    free: Option<u64>,
    checked_dir: PathBuf,
    /// Why OK did not go through.
    pub error: Option<String>,
    /// Where the choice is remembered (the base QSettings store).
    pub store: QtSettings,
    /// Set when the user has answered.
    pub outcome: Option<Outcome>,
}

/// How the Intro ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// OK: the directory (created) and the prune target in MiB (0: off).
    Accepted {
        /// The chosen data directory.
        dir: PathBuf,
        /// Prune target in MiB, 0 for no pruning.
        prune_mib: i64,
    },
    /// Cancel: exit without starting.
    Cancelled,
}

impl Intro {
    /// An Intro proposing `dir` (the remembered or default directory).
    pub fn new(dir: &Path, default_dir: &Path, store: QtSettings) -> Intro {
        Intro {
            default_dir: default_dir.to_path_buf(),
            use_default: dir == default_dir,
            custom_dir: dir.display().to_string(),
            prune: false,
            prune_gb: DEFAULT_PRUNE_GB,
            prune_locked: false,
            prune_touched: false,
            chain_gb: 0,
            chain_state_gb: 0,
            free: None,
            checked_dir: PathBuf::new(),
            error: None,
            store,
            outcome: None,
        }
    }

    /// The directory chosen now.
    pub fn dir(&self) -> PathBuf {
        if self.use_default {
            self.default_dir.clone()
        } else {
            PathBuf::from(self.custom_dir.trim())
        }
    }

    /// Space needed in GB: the chain, or the prune target plus the
    /// chainstate when pruning below the chain's size.
    pub fn needed_gb(&self) -> u64 {
        let target = self.prune_gb.max(MIN_PRUNE_GB) as u64;
        if self.prune && target <= self.chain_gb {
            target + self.chain_state_gb
        } else {
            self.chain_gb + self.chain_state_gb
        }
    }

    /// OK: creates the directory (and `wallets/` in a new one), remembers
    /// it in `strDataDir` with `fReset` cleared.
    pub fn accept(&mut self) -> Result<(), String> {
        let dir = self.dir();
        if dir.as_os_str().is_empty() {
            return Err("Please choose a data directory.".into());
        }
        let cannot = || {
            format!(
                "Error: Specified data directory \"{}\" cannot be created.",
                dir.display()
            )
        };
        if dir.exists() && !dir.is_dir() {
            return Err(cannot());
        }
        let new = !dir.exists();
        std::fs::create_dir_all(&dir).map_err(|_| cannot())?;
        if new {
            std::fs::create_dir_all(dir.join("wallets")).map_err(|_| cannot())?;
        }
        self.store
            .set_str(keys::DATA_DIR, &dir.display().to_string());
        self.store.set_bool(keys::RESET, false);
        self.store.save()?;
        let prune_mib = if self.prune {
            crate::node_options::prune_gb_to_mib(self.prune_gb.max(MIN_PRUNE_GB))
        } else {
            0
        };
        self.outcome = Some(Outcome::Accepted { dir, prune_mib });
        Ok(())
    }

    /// Re-reads the free space when the directory changed, and ticks
    /// pruning when space is short (unless the user or `-prune` decided).
    fn check_space(&mut self) {
        let dir = self.dir();
        if dir == self.checked_dir {
            return;
        }
        self.free = free_bytes(&dir);
        self.checked_dir = dir;
        if let Some(free) = self.free {
            if !self.prune_touched && !self.prune_locked {
                self.prune = free < (self.chain_gb + self.chain_state_gb + SPARE_GB) * GB_BYTES;
            }
        }
    }
}

/// Free bytes on the file system of `dir`'s first existing ancestor.
fn free_bytes(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|p| p.exists())?;
    let path = std::ffi::CString::new(existing.as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: `path` is a NUL-terminated string and `stats` a plain C
    // struct the call fills in.
    let mut stats: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(path.as_ptr(), &mut stats) };
    (rc == 0).then(|| stats.f_bavail as u64 * stats.f_frsize as u64)
}

/// Draws the Intro into `ui`.
pub fn show(ui: &mut egui::Ui, intro: &mut Intro) {
    intro.check_space();
    ui.heading("Welcome");
    ui.label("Welcome to Bitcoin Core.");
    ui.label(
        "As this is the first time the program is launched, you can choose where Bitcoin Core will store its data.",
    );
    ui.add_space(6.0);
    ui.radio_value(
        &mut intro.use_default,
        true,
        "Use the default data directory",
    );
    let custom = ui.radio_value(
        &mut intro.use_default,
        false,
        "Use a custom data directory:",
    );
    ui.add_enabled(
        !intro.use_default,
        egui::TextEdit::singleline(&mut intro.custom_dir)
            .desired_width(f32::INFINITY)
            .id_salt("intro-dir"),
    )
    .labelled_by(custom.id);
    ui.label(format!("Data directory: {}", intro.dir().display()));
    let needed = intro.needed_gb();
    match intro.free {
        Some(free) => {
            let text = format!("{} GB of space available", free / GB_BYTES);
            if free < needed * GB_BYTES {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    format!("{text} (of {needed} GB needed)"),
                );
            } else if free / GB_BYTES - needed < SPARE_GB {
                ui.colored_label(ui.visuals().warn_fg_color, text);
            } else {
                ui.label(text);
            }
        }
        None => {
            ui.label("The free space could not be determined.");
        }
    }
    ui.label(format!(
        "At least {needed} GB of data will be stored in this directory, and it will grow over time."
    ));
    ui.add_enabled_ui(!intro.prune_locked, |ui| {
        ui.horizontal(|ui| {
            let prune = ui.checkbox(&mut intro.prune, "Limit block chain storage to");
            if prune.changed() {
                intro.prune_touched = true;
            }
            ui.add_enabled(
                intro.prune,
                egui::DragValue::new(&mut intro.prune_gb).range(MIN_PRUNE_GB..=1_000_000),
            )
            .labelled_by(prune.id);
            ui.label("GB");
        });
    });
    if intro.prune {
        // bitcoin-qt's rule of thumb: 2.25 MB a block, 144 blocks a day.
        let days = intro.prune_gb as f64 * GB_BYTES as f64 / (2.25e6 * 144.0);
        ui.label(format!(
            "Enough to restore backups {} days old.",
            days.floor() as i64
        ));
    }
    if let Some(e) = &intro.error {
        ui.colored_label(ui.visuals().error_fg_color, e);
    }
    ui.horizontal(|ui| {
        if ui.button("OK").clicked() {
            intro.error = intro.accept().err();
        }
        if ui.button("Cancel").clicked() {
            intro.outcome = Some(Outcome::Cancelled);
        }
    });
}

/// bitcoin-qt's `Intro::showIfNeeded`, run on the parsed command line
/// before the config is read: `None` when no Intro is needed (a remembered
/// non-default directory is soft-set as `-datadir`), else the Intro to show.
pub fn needed(args: &ArgsManager, choose: bool, reset: bool) -> Result<Option<Intro>, String> {
    if args.get_arg("-datadir").is_some_and(|d| !d.is_empty()) {
        return Ok(None);
    }
    let store = QtSettings::open_app(crate::settings::app_name(
        common::chaintype::ChainType::Main,
    ))?;
    let default_dir = common::args::default_data_dir();
    let dir = store
        .get_str(keys::DATA_DIR)
        .filter(|d| !d.is_empty())
        .map_or_else(|| default_dir.clone(), PathBuf::from);
    let reset_flag = store.get_bool(keys::RESET).unwrap_or(false);
    if dir.exists() && !choose && !reset && !reset_flag {
        if dir != default_dir {
            args.soft_set_arg("-datadir", &dir.display().to_string());
        }
        return Ok(None);
    }
    let chain = args.get_chain_type()?;
    let params = consensus::params::Params::for_chain(chain, args)?;
    let mut intro = Intro::new(&dir, &default_dir, store);
    intro.chain_gb = params.assumed_blockchain_size;
    intro.chain_state_gb = params.assumed_chain_state_size;
    if let Some(prune) = args.get_int_arg_opt("-prune") {
        intro.prune_locked = true;
        intro.prune = prune > 1;
        if prune > 1 {
            intro.prune_gb = crate::node_options::prune_mib_to_gb(prune);
        }
    }
    Ok(Some(intro))
}

/// Shows `intro` in a window of its own until the user answers; `None`
/// when the window could not open or was closed.
pub fn run_window(intro: Intro) -> Result<Option<Outcome>, String> {
    let result = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out = result.clone();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Welcome")
            .with_inner_size([560.0, 380.0]),
        renderer: eframe::Renderer::Glow,
        ..Default::default()
    };
    eframe::run_native(
        "Welcome",
        options,
        Box::new(move |_| Ok(Box::new(IntroApp { intro, out }))),
    )
    .map_err(|e| e.to_string())?;
    let outcome = result.lock().map(|mut r| r.take()).unwrap_or(None);
    Ok(outcome)
}

struct IntroApp {
    intro: Intro,
    out: std::sync::Arc<std::sync::Mutex<Option<Outcome>>>,
}

impl eframe::App for IntroApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| show(ui, &mut self.intro));
        if let Some(outcome) = self.intro.outcome.take() {
            if let Ok(mut out) = self.out.lock() {
                *out = Some(outcome);
            }
            ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ok_creates_the_directory_and_remembers_it() {
        let base = std::env::temp_dir().join(format!("gui-intro-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let store = QtSettings::at(&base.join("Bitcoin/Bitcoin-Qt.conf"));
        let mut intro = Intro::new(&base.join("data"), &base.join("default"), store);
        assert!(!intro.use_default);
        intro.prune = true;
        intro.prune_gb = 2;
        intro.accept().unwrap();
        assert!(base.join("data/wallets").is_dir());
        assert_eq!(
            intro.outcome,
            Some(Outcome::Accepted {
                dir: base.join("data"),
                prune_mib: 1907
            })
        );
        let saved = QtSettings::open(&base.join("Bitcoin/Bitcoin-Qt.conf")).unwrap();
        assert_eq!(
            saved.get_str(keys::DATA_DIR),
            Some(base.join("data").display().to_string())
        );
        assert_eq!(saved.get_bool(keys::RESET), Some(false));
        // A file where the directory should go cannot be used.
        std::fs::write(base.join("file"), "x").unwrap();
        intro.custom_dir = base.join("file").display().to_string();
        assert!(intro.accept().unwrap_err().contains("cannot be created"));
        std::fs::remove_dir_all(&base).ok();
    }

    #[test]
    fn pruning_lowers_the_space_needed() {
        let mut intro = Intro::new(Path::new("/x"), Path::new("/x"), QtSettings::default());
        intro.chain_gb = 856;
        intro.chain_state_gb = 14;
        assert_eq!(intro.needed_gb(), 870);
        intro.prune = true;
        assert_eq!(intro.needed_gb(), 16);
        assert!(free_bytes(&std::env::temp_dir().join("no/such/dir")).is_some());
    }
}
