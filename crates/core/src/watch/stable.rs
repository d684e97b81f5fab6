//! When a file is ready to upload: its size and mtime have not changed for a window that grows
//! with its size (a big video copied from a slow drive pauses longer between writes than a
//! small PDF). Pure logic over wall-clock milliseconds passed in, so the rules are tested with a
//! fake clock, case by case.
//!
//! The quiet time counts from the later of the file's last write (its mtime: every write moves
//! it) and the moment Ferry last saw it change, so a file that has been sitting there for a
//! while (added while Ferry was closed) is ready at the second look, while one still being
//! written never is. An mtime in the future (a skewed clock) is no evidence of quiet.
//!
//! Invariant: a path leaves the tracker only as "ready" (two equal looks, quiet for its whole
//! window) or because it vanished; any change restarts its window.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What the tracker compares between two looks at a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Observed {
    pub size: u64,
    pub mtime_ns: i64,
}

/// How long a file must stay unchanged: `base` plus `per_gib` for each GiB, at most `max`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StableRule {
    pub base_ms: u64,
    pub per_gib_ms: u64,
    pub max_ms: u64,
}

impl Default for StableRule {
    fn default() -> Self {
        StableRule {
            base_ms: 2_000,
            per_gib_ms: 2_000,
            max_ms: 30_000,
        }
    }
}

impl StableRule {
    pub fn window_ms(&self, size: u64) -> u64 {
        let gib = size as f64 / (1u64 << 30) as f64;
        (self.base_ms + (gib * self.per_gib_ms as f64) as u64).min(self.max_ms.max(self.base_ms))
    }
}

#[derive(Debug)]
struct Pending {
    seen: Option<Observed>,
    since_ms: u64,
}

/// Files waiting to become stable.
#[derive(Debug, Default)]
pub struct StableFiles {
    rule: StableRule,
    pending: HashMap<PathBuf, Pending>,
}

impl StableFiles {
    pub fn new(rule: StableRule) -> Self {
        StableFiles {
            rule,
            pending: HashMap::new(),
        }
    }

    /// Something happened to `path`: (re)start its window.
    pub fn observe(&mut self, path: PathBuf, now_ms: u64) {
        self.pending.insert(
            path,
            Pending {
                seen: None,
                since_ms: now_ms,
            },
        );
    }

    pub fn forget(&mut self, path: &Path) {
        self.pending.remove(path);
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// Look at every pending file (`stat` returns `None` for a file that is gone) and return
    /// those unchanged for their whole window.
    pub fn poll(
        &mut self,
        now_ms: u64,
        mut stat: impl FnMut(&Path) -> Option<Observed>,
    ) -> Vec<(PathBuf, Observed)> {
        let mut ready = Vec::new();
        let rule = self.rule;
        self.pending.retain(|path, p| {
            let Some(now) = stat(path) else {
                return false;
            };
            if p.seen != Some(now) {
                p.seen = Some(now);
                p.since_ms = now_ms;
                return true;
            }
            let window = rule.window_ms(now.size);
            let written_ms = (now.mtime_ns / 1_000_000).max(0) as u64;
            // The last write, or when Ferry saw the change if the mtime is in the future.
            let quiet_from = if written_ms <= now_ms {
                written_ms
            } else {
                p.since_ms
            };
            if now_ms - quiet_from >= window {
                ready.push((path.clone(), now));
                return false;
            }
            true
        });
        ready.sort_by(|a, b| a.0.cmp(&b.0));
        ready
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GIB: u64 = 1 << 30;

    #[test]
    fn the_window_grows_with_size_up_to_a_cap() {
        let rule = StableRule::default();
        for (size, expected) in [
            (0, 2_000),
            (10 << 20, 2_019),
            (GIB, 4_000),
            (4 * GIB, 10_000),
            (100 * GIB, 30_000),
        ] {
            assert_eq!(rule.window_ms(size), expected, "{size}");
        }
    }

    /// One look: time in ms, the file's size and last write in ms (None: gone), whether it is
    /// ready.
    type Step = (u64, Option<(u64, i64)>, bool);

    fn play(steps: &[Step]) {
        let mut files = StableFiles::new(StableRule {
            base_ms: 1_000,
            per_gib_ms: 1_000,
            max_ms: 10_000,
        });
        let path = PathBuf::from("/w/lecture.mp4");
        files.observe(path.clone(), 0);
        for (i, (t, state, expected)) in steps.iter().enumerate() {
            let ready = files.poll(*t, |_| {
                state.map(|(size, written_ms)| Observed {
                    size,
                    mtime_ns: written_ms * 1_000_000,
                })
            });
            assert_eq!(!ready.is_empty(), *expected, "step {i} at {t} ms");
        }
    }

    #[test]
    fn a_file_is_ready_only_after_a_whole_quiet_window() {
        // Written once, then quiet: ready one window after the write.
        play(&[
            (0, Some((10, 0)), false),
            (500, Some((10, 0)), false),
            (1_000, Some((10, 0)), true),
        ]);
        // Written long ago (added while Ferry was closed): ready at the second look.
        play(&[
            (60_000, Some((10, 0)), false),
            (60_250, Some((10, 0)), true),
        ]);
        // A last write in the future (a skewed clock): the window counts from Ferry's look.
        play(&[
            (0, Some((10, 9_999_999)), false),
            (999, Some((10, 9_999_999)), false),
            (1_000, Some((10, 9_999_999)), true),
        ]);
        // A slow copy: it grows at every look, so it is never ready while it grows.
        play(&[
            (0, Some((1 << 20, 0)), false),
            (900, Some((2 << 20, 900)), false),
            (1_800, Some((3 << 20, 1_800)), false),
            (2_700, Some((4 << 20, 2_700)), false),
            (3_600, Some((4 << 20, 2_700)), false),
            (3_702, Some((4 << 20, 2_700)), false),
            (3_703, Some((4 << 20, 2_700)), true),
        ]);
        // Same size but a new mtime (rewritten in place) restarts the window.
        play(&[
            (0, Some((10, 0)), false),
            (800, Some((10, 800)), false),
            (1_700, Some((10, 800)), false),
            (1_800, Some((10, 800)), true),
        ]);
        // A big file needs a longer window: 2 GiB → 3 s.
        play(&[
            (0, Some((2 * GIB, 0)), false),
            (2_000, Some((2 * GIB, 0)), false),
            (3_000, Some((2 * GIB, 0)), true),
        ]);
        // A file that vanishes is dropped, never reported.
        play(&[
            (0, Some((10, 0)), false),
            (500, None, false),
            (5_000, Some((10, 0)), false),
        ]);
    }

    #[test]
    fn a_rewrite_restarts_the_window() {
        let mut files = StableFiles::new(StableRule {
            base_ms: 1_000,
            per_gib_ms: 0,
            max_ms: 1_000,
        });
        let path = PathBuf::from("/w/a.pdf");
        let at = |written_ms: i64| {
            move |_: &Path| {
                Some(Observed {
                    size: 5,
                    mtime_ns: written_ms * 1_000_000,
                })
            }
        };
        files.observe(path.clone(), 0);
        assert!(files.poll(0, at(0)).is_empty());
        // Rewritten at 900 with the same size; the event arrives.
        files.observe(path.clone(), 900);
        assert!(files.poll(1_000, at(900)).is_empty());
        assert!(files.poll(1_899, at(900)).is_empty());
        assert_eq!(files.poll(1_900, at(900)).len(), 1);
        assert!(files.is_empty());
    }
}
