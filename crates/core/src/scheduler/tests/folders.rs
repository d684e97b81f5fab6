//! Watched folders through the engine: what a full look leaves behind for the next start.

use super::*;
use crate::watch::{self, FolderOptions};

#[tokio::test]
async fn a_full_look_at_a_folder_is_remembered_across_restarts() {
    let bench = Bench::new();
    let folder = bench.dir.path().join("Chemistry");
    std::fs::create_dir_all(folder.join("Week 1")).unwrap();
    std::fs::write(folder.join("Week 1/lab.pdf"), b"%PDF-1.4 lab").unwrap();
    std::fs::write(folder.join("notes.pdf"), b"%PDF-1.4 notes").unwrap();
    {
        let engine = bench.engine(Bench::settings());
        let added = watch::add_folder(&engine, &folder, FolderOptions::default()).unwrap();
        assert_eq!(
            watch::synced(&engine, &added).unwrap(),
            None,
            "never looked at yet"
        );
        let mut pending = watch::stable::StableFiles::new(Default::default());
        let filter = added.filter().unwrap();
        watch::reconcile(&engine, &added, &filter, None, &mut pending, 0)
            .await
            .unwrap();
    }
    let engine = bench.engine(Bench::settings());
    let again = &watch::folders(&engine).unwrap()[0];
    let synced = watch::synced(&engine, again).unwrap().expect("remembered");
    assert_eq!(synced.files, 2);
    use crate::clock::Clock;
    assert!(
        (synced.at - bench.clock.unix_secs()).abs() <= 1,
        "{synced:?}"
    );
}
