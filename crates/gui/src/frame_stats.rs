//! Frame timing for the GUI benchmark (`bench-gui`): with
//! `BITCOIN_GUI_FRAME_STATS=<file>` the window redraws continuously, times
//! every frame's UI pass, notes when the main window first shows the tip,
//! and writes the figures to the file when it closes.

use std::path::PathBuf;
use std::time::{Duration, Instant};

/// The environment variable that turns the statistics on.
pub const ENV: &str = "BITCOIN_GUI_FRAME_STATS";

/// Collected timings.
pub struct FrameStats {
    path: PathBuf,
    started: Instant,
    shown: Option<Duration>,
    frames: Vec<Duration>,
}

impl FrameStats {
    /// Statistics to `$BITCOIN_GUI_FRAME_STATS`, if set; timed from now.
    pub fn from_env() -> Option<FrameStats> {
        let path = std::env::var_os(ENV)?;
        Some(FrameStats {
            path: PathBuf::from(path),
            started: Instant::now(),
            shown: None,
            frames: Vec::new(),
        })
    }

    /// Records one frame's UI pass; `tip_shown` when the main window shows
    /// the node's tip.
    pub fn frame(&mut self, took: Duration, tip_shown: bool) {
        self.frames.push(took);
        if tip_shown && self.shown.is_none() {
            self.shown = Some(self.started.elapsed());
        }
    }

    /// The figures as `key value` lines.
    pub fn report(&self) -> String {
        let mut ms: Vec<f64> = self.frames.iter().map(|d| d.as_secs_f64() * 1e3).collect();
        ms.sort_by(f64::total_cmp);
        let pct = |p: f64| {
            ms.get(((ms.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0.0)
        };
        format!(
            "launch_to_tip_ms {:.0}\nframes {}\nframe_p50_ms {:.2}\nframe_p99_ms {:.2}\nframe_max_ms {:.2}\n",
            self.shown.map_or(-1.0, |d| d.as_secs_f64() * 1e3),
            ms.len(),
            pct(0.5),
            pct(0.99),
            ms.last().copied().unwrap_or(0.0)
        )
    }
}

impl Drop for FrameStats {
    fn drop(&mut self) {
        if let Err(e) = std::fs::write(&self.path, self.report()) {
            eprintln!("{ENV}: cannot write {}: {e}", self.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_recorded_frames() {
        let mut s = FrameStats {
            path: std::env::temp_dir().join(format!("frame-stats-{}", std::process::id())),
            started: Instant::now(),
            shown: None,
            frames: Vec::new(),
        };
        for i in 1..=100 {
            s.frame(Duration::from_millis(i), i == 10);
        }
        let r = s.report();
        assert!(r.contains("frames 100"), "{r}");
        assert!(
            r.contains("frame_p50_ms 51.00") || r.contains("frame_p50_ms 50.00"),
            "{r}"
        );
        assert!(r.contains("frame_p99_ms 99.00"), "{r}");
        assert!(!r.contains("launch_to_tip_ms -1"), "{r}");
        let path = s.path.clone();
        drop(s);
        std::fs::remove_file(path).ok();
    }
}
