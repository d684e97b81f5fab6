//! Where the emulator keeps what was uploaded: one JSON record and one blob per image or video
//! (and a record per live input),
//! under the data directory, so that URLs keep working after a restart. File names are hashes
//! of the ids (custom image ids may hold slashes); records are written whole, then renamed, so
//! a crash never leaves half a record.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn open(root: &Path) -> std::io::Result<Store> {
        for kind in ["images", "stream", "live"] {
            std::fs::create_dir_all(root.join(kind))?;
        }
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    fn stem(&self, kind: &str, id: &str) -> PathBuf {
        self.root
            .join(kind)
            .join(format!("{:016x}", crate::short_hash(id)))
    }

    pub fn blob(&self, kind: &str, id: &str) -> PathBuf {
        self.stem(kind, id).with_extension("bin")
    }

    pub fn save<T: Serialize>(&self, kind: &str, id: &str, record: &T) -> std::io::Result<()> {
        let path = self.stem(kind, id).with_extension("json");
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(record)?)?;
        std::fs::rename(tmp, path)
    }

    pub fn remove(&self, kind: &str, id: &str) {
        let stem = self.stem(kind, id);
        let _ = std::fs::remove_file(stem.with_extension("json"));
        let _ = std::fs::remove_file(stem.with_extension("bin"));
    }

    pub fn load_all<T: DeserializeOwned>(&self, kind: &str) -> Vec<T> {
        let Ok(dir) = std::fs::read_dir(self.root.join(kind)) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok())
            .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
            .filter_map(|e| std::fs::read(e.path()).ok())
            .filter_map(|bytes| serde_json::from_slice(&bytes).ok())
            .collect()
    }
}
