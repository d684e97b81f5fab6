//! Tests of the Cloudflare destinations against ferry-cloudsim run inside the test process, for
//! what only a real HTTP conversation shows (paging, envelopes) without reaching past the
//! core's public surface from the end-to-end crate.

use super::api::Api;
use super::images::{ImagesDestination, ImagesOptions};
use crate::credentials::Secret;
use crate::destination::{FileRange, ImageSpec, ImageStore};
use ferry_cloudsim::{Sim, SimConfig, TokenGrant};
use std::sync::Arc;
use std::time::Duration;

const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";
const TOKEN: &str = "emulated-token";

/// A running emulator: its API base, and the folder it keeps its state in.
struct Emulator {
    api: url::Url,
    _data: tempfile::TempDir,
}

async fn emulator(list_page_max: Option<usize>) -> Emulator {
    let data = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let uploads = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let upload_base = format!("http://{}", uploads.local_addr().unwrap());
    let config = SimConfig {
        account_id: ACCOUNT.into(),
        account_hash: "emulatedhash".into(),
        customer_code: "emulatedcode".into(),
        tokens: vec![TokenGrant::parse(TOKEN).unwrap()],
        data_dir: data.path().to_path_buf(),
        processing: Duration::from_millis(10),
        upload_expiry: Duration::from_secs(86_400),
        images_key: "emulated-images-key".into(),
        list_page_max,
        faults: vec![],
    };
    let sim = Arc::new(Sim::new(config, base, upload_base).unwrap());
    let api = sim.api_base().parse().unwrap();
    tokio::spawn(ferry_cloudsim::serve(sim.clone(), listener));
    tokio::spawn(ferry_cloudsim::serve_uploads(sim, uploads));
    Emulator { api, _data: data }
}

/// A PNG header the emulator's image rules read (8×8), padded to `len` bytes.
fn png(seed: u8, len: usize) -> Vec<u8> {
    let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
    b.extend_from_slice(b"IHDR");
    b.extend_from_slice(&8u32.to_be_bytes());
    b.extend_from_slice(&8u32.to_be_bytes());
    b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
    b.resize(len, seed);
    b
}

#[tokio::test]
async fn finding_an_image_by_its_content_follows_the_list_past_the_first_page() {
    let sim = emulator(Some(10)).await;
    let api = Api::new(
        sim.api.clone(),
        ACCOUNT.into(),
        Secret::new(TOKEN.to_string()),
    );
    let images = ImagesDestination::new("images", api, ImagesOptions::default());
    let dir = tempfile::tempdir().unwrap();
    for i in 0..25u8 {
        let path = dir.path().join(format!("p{i}.png"));
        std::fs::write(&path, png(i, 500 + usize::from(i))).unwrap();
        let spec = ImageSpec {
            id: None,
            file_name: format!("p{i}.png"),
            content_type: "image/png".into(),
            hash: format!("hash-{i}"),
        };
        let body = FileRange {
            path,
            offset: 0,
            len: 500 + u64::from(i),
            sent: Default::default(),
            pace: None,
            digest: None,
            patches: None,
        };
        images.upload(&spec, body).await.unwrap();
    }
    // Newest first, ten a page: the oldest is on the third page.
    let found = images.find_by_hash("hash-0").await.unwrap();
    assert_eq!(found.and_then(|f| f.hash).as_deref(), Some("hash-0"));
    let newest = images.find_by_hash("hash-24").await.unwrap();
    assert!(newest.is_some(), "the newest is on the first page");
    assert!(images.find_by_hash("hash-none").await.unwrap().is_none());
}
