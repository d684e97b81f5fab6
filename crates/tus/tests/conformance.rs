//! ferry-tus against two independent tus servers, each started here on 127.0.0.1: the official
//! @tus/server (with its FileStore) and tuspyserver. Creation, chunked upload, resume with a
//! fresh client after a cut connection, 409 recovery, termination, expiry handling. The bytes
//! each server stored are compared with ours. Every upload carries the metadata tus clients
//! conventionally send (`filename`, `filetype`): tuspyserver refuses HEAD without them.

use ferry_e2e::tus_server::{TusImpl, TusServer};
use ferry_tus::{ChunkPolicy, Client, Decision, FilePiece, Metadata, TusError, Url, decide};
use reqwest::header::HeaderMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

/// The bytes the server stored for an upload (FileStore names files by upload id).
fn stored(server: &TusServer, url: &Url) -> Vec<u8> {
    let id = url.path_segments().unwrap().next_back().unwrap();
    std::fs::read(server.store.path().join(id)).unwrap()
}

fn endpoint(server: &TusServer) -> Url {
    Url::parse(&server.endpoint).unwrap()
}

fn sample(len: usize) -> (tempfile::NamedTempFile, Vec<u8>) {
    let bytes = fastrand_bytes(len);
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(&bytes).unwrap();
    f.flush().unwrap();
    (f, bytes)
}

fn fastrand_bytes(len: usize) -> Vec<u8> {
    // A simple xorshift keeps the test free of extra dependencies; content just has to vary.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15 ^ len as u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// The metadata every tus client conventionally sends (tus-js-client, Uppy, tuspy).
fn meta() -> Metadata {
    Metadata::new()
        .with("filename", "lesson.mp4")
        .with("filetype", "video/mp4")
}

fn piece(path: &Path, offset: u64, len: u64) -> FilePiece {
    FilePiece {
        path: PathBuf::from(path),
        offset,
        len,
        sent: Arc::new(AtomicU64::new(0)),
        pacer: None,
        observer: None,
    }
}

async fn upload_rest(client: &Client, url: &Url, path: &Path, total: u64, policy: ChunkPolicy) {
    let mut offset = client.status(url).await.unwrap().offset;
    while offset < total {
        let len = policy.chunk_len(offset, total);
        offset = client
            .patch(url, offset, piece(path, offset, len))
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn creates_and_uploads_in_chunks_with_metadata() {
    for which in TusImpl::ALL {
        creates_and_uploads_in_chunks_with_metadata_on(which).await;
    }
}

async fn creates_and_uploads_in_chunks_with_metadata_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let (file, bytes) = sample(3 * 1024 * 1024 + 123);
    let client = Client::new(Client::default_http());
    let meta = Metadata::new()
        .with("filename", "leçon 1.mp4")
        .with("filetype", "video/mp4")
        .flag("requiresignedurls");
    let created = client
        .create(
            &endpoint(&server),
            bytes.len() as u64,
            &meta,
            &HeaderMap::new(),
        )
        .await
        .unwrap();
    assert!(created.url.as_str().starts_with(server.endpoint.as_str()));
    let status = client.status(&created.url).await.unwrap();
    assert_eq!(status.offset, 0);
    assert_eq!(status.length, Some(bytes.len() as u64));
    let policy = ChunkPolicy::ANY.preferring(1024 * 1024);
    upload_rest(
        &client,
        &created.url,
        file.path(),
        bytes.len() as u64,
        policy,
    )
    .await;
    assert_eq!(
        client.status(&created.url).await.unwrap().offset,
        bytes.len() as u64
    );
    assert!(
        stored(&server, &created.url) == bytes,
        "stored bytes differ"
    );
}

#[tokio::test]
async fn an_empty_file_is_complete_at_creation() {
    for which in TusImpl::ALL {
        an_empty_file_is_complete_at_creation_on(which).await;
    }
}

async fn an_empty_file_is_complete_at_creation_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let client = Client::new(Client::default_http());
    let created = client
        .create(&endpoint(&server), 0, &meta(), &HeaderMap::new())
        .await
        .unwrap();
    let status = client.status(&created.url).await.unwrap();
    assert_eq!((status.offset, status.length), (0, Some(0)));
}

#[tokio::test]
async fn a_wrong_offset_gets_409_and_head_gives_the_way_back() {
    for which in TusImpl::ALL {
        a_wrong_offset_gets_409_and_head_gives_the_way_back_on(which).await;
    }
}

async fn a_wrong_offset_gets_409_and_head_gives_the_way_back_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let (file, bytes) = sample(2 * 1024 * 1024);
    let total = bytes.len() as u64;
    let client = Client::new(Client::default_http());
    let created = client
        .create(&endpoint(&server), total, &meta(), &HeaderMap::new())
        .await
        .unwrap();
    let half = total / 2;
    assert_eq!(
        client
            .patch(&created.url, 0, piece(file.path(), 0, half))
            .await
            .unwrap(),
        half
    );
    // A client that believes it is still at 0 (its confirmation was lost) sends again.
    let err = client
        .patch(&created.url, 0, piece(file.path(), 0, half))
        .await
        .unwrap_err();
    assert!(matches!(err, TusError::OffsetMismatch), "{err:?}");
    assert_eq!(decide(&err), Decision::Reconcile);
    upload_rest(&client, &created.url, file.path(), total, ChunkPolicy::ANY).await;
    assert!(stored(&server, &created.url) == bytes);
}

#[tokio::test]
async fn a_cut_connection_resumes_from_the_servers_offset_with_a_new_client() {
    for which in TusImpl::ALL {
        a_cut_connection_resumes_from_the_servers_offset_with_a_new_client_on(which).await;
    }
}

async fn a_cut_connection_resumes_from_the_servers_offset_with_a_new_client_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let (file, bytes) = sample(8 * 1024 * 1024);
    let total = bytes.len() as u64;
    let url = {
        let client = Client::new(Client::default_http());
        let created = client
            .create(&endpoint(&server), total, &meta(), &HeaderMap::new())
            .await
            .unwrap();
        // Cut the PATCH off mid-body: the request future is dropped once some bytes left.
        let sent = Arc::new(AtomicU64::new(0));
        let p = FilePiece {
            sent: sent.clone(),
            ..piece(file.path(), 0, total)
        };
        let _ = tokio::time::timeout(std::time::Duration::from_millis(1), async {
            let _ = client.patch(&created.url, 0, p).await;
        })
        .await;
        created.url
    };
    // Only the URL survived (as a caller would persist it). The server keeps what it got.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let client = Client::new(Client::default_http());
    let kept = client.status(&url).await.unwrap().offset;
    assert!(kept < total, "the cut upload must not be complete");
    upload_rest(
        &client,
        &url,
        file.path(),
        total,
        ChunkPolicy::ANY.preferring(3 << 20),
    )
    .await;
    assert!(stored(&server, &url) == bytes);
}

#[tokio::test]
async fn terminated_uploads_are_gone_and_say_restart() {
    for which in TusImpl::ALL {
        terminated_uploads_are_gone_and_say_restart_on(which).await;
    }
}

async fn terminated_uploads_are_gone_and_say_restart_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let (file, bytes) = sample(1024 * 1024);
    let client = Client::new(Client::default_http());
    let created = client
        .create(
            &endpoint(&server),
            bytes.len() as u64,
            &meta(),
            &HeaderMap::new(),
        )
        .await
        .unwrap();
    client
        .patch(&created.url, 0, piece(file.path(), 0, 1000))
        .await
        .unwrap();
    client.terminate(&created.url).await.unwrap();
    let err = client.status(&created.url).await.unwrap_err();
    assert!(matches!(err, TusError::Gone(404 | 410)), "{err:?}");
    assert_eq!(decide(&err), Decision::Restart);
    let err = client
        .patch(&created.url, 1000, piece(file.path(), 1000, 1000))
        .await
        .unwrap_err();
    assert_eq!(decide(&err), Decision::Restart, "{err:?}");
    // Terminating twice is not an error.
    client.terminate(&created.url).await.unwrap();
}

#[tokio::test]
async fn a_file_that_shrank_is_a_file_error_not_a_network_error() {
    for which in TusImpl::ALL {
        a_file_that_shrank_is_a_file_error_not_a_network_error_on(which).await;
    }
}

async fn a_file_that_shrank_is_a_file_error_not_a_network_error_on(which: TusImpl) {
    let server = TusServer::start_impl(which);
    let (file, bytes) = sample(1024 * 1024);
    let client = Client::new(Client::default_http());
    let total = bytes.len() as u64;
    let created = client
        .create(&endpoint(&server), total, &meta(), &HeaderMap::new())
        .await
        .unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(file.path())
        .unwrap()
        .set_len(1000)
        .unwrap();
    let err = client
        .patch(&created.url, 0, piece(file.path(), 0, total))
        .await
        .unwrap_err();
    assert!(matches!(err, TusError::File(_)), "{err:?}");
    assert_eq!(decide(&err), Decision::Fail);
}
