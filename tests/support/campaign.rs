//! What the campaigns (crash, fault, power loss) share: a seeded generator, so that a run is
//! reproducible from the seed it prints; knobs from the environment for the long forms; and the
//! queue check every campaign ends with.

use crate::ferry::Ferry;
use serde_json::Value;
use std::collections::BTreeMap;

/// A number from the environment (`FERRY_CAMPAIGN_KILLS`, …), or `default`.
pub fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
#[derive(Debug, Clone)]
pub struct SeededRng(pub u64);

impl SeededRng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next_u64() % (hi - lo)
    }
}

/// The queue after a campaign: every job `done`, and exactly one upload (a job that is not a
/// duplicate) per path, `count` paths in all. Returns that job for each path.
pub fn one_done_job_per_file(ferry: &Ferry, count: usize, seed: u64) -> BTreeMap<String, Value> {
    let mut by_path = BTreeMap::new();
    for job in ferry.status() {
        assert_eq!(job["state"], "done", "seed {seed}: {job}");
        if job["duplicate_of"].is_null() {
            let path = job["path"].as_str().unwrap().to_string();
            assert!(
                by_path.insert(path.clone(), job).is_none(),
                "seed {seed}: {path} uploaded twice"
            );
        }
    }
    assert_eq!(
        by_path.len(),
        count,
        "seed {seed}: every file has one upload"
    );
    by_path
}
