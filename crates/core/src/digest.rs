//! The content hash of what was actually sent, built while the bytes stream out, in any order.
//!
//! A file rewritten in place keeps its size (and, copied with its date, its mtime), so only its
//! bytes tell. Every body Ferry sends feeds what it reads into a [`RangeHasher`]; a range (an S3
//! part, a tus chunk, a whole file) is split into aligned power-of-two subtrees of BLAKE3's tree,
//! each hashed to its chaining value as the bytes pass. When the last byte is confirmed, the
//! [`SentDigest`] of the whole file merges those values into the same root hash a single pass
//! gives, and that must equal the hash taken when the file was queued: otherwise the bytes sent
//! mix two versions and the upload is not completed.
//!
//! Ranges confirmed by an earlier run (a resume) were not seen by this one; they are hashed from
//! the disk before merging.

use blake3::hazmat::{
    ChainingValue, HasherExt, Mode, left_subtree_len, merge_subtrees_non_root, merge_subtrees_root,
};
use std::collections::BTreeMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::{Arc, Mutex};

const CHUNK: u64 = blake3::CHUNK_LEN as u64;

/// One aligned subtree of the file's BLAKE3 tree, hashed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Subtree {
    len: u64,
    cv: ChainingValue,
}

/// The aligned subtrees inside `[start, end)`, largest first from the left. Only whole chunks
/// count, except the file's last (`end == file_size`): a range that starts or ends inside a
/// chunk (a tus server may confirm any offset) leaves those bytes to be hashed from the disk.
fn subtrees(start: u64, end: u64, file_size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut at = start.next_multiple_of(CHUNK);
    let end = if end == file_size {
        end
    } else {
        end - end % CHUNK
    };
    while at < end {
        let left = end - at;
        if left <= CHUNK {
            out.push((at, left));
            break;
        }
        // The largest power-of-two number of chunks that starts aligned at `at` and fits.
        let mut size = CHUNK;
        while at.is_multiple_of(size * 2) && size * 2 <= left {
            size *= 2;
        }
        out.push((at, size));
        at += size;
    }
    out
}

/// Hashes the bytes of one range of a file as they are read, in order.
#[derive(Debug)]
pub struct RangeHasher {
    start: u64,
    end: u64,
    file_size: u64,
    /// Where the next byte is expected.
    next: u64,
    pending: Vec<(u64, u64)>,
    current: Option<(u64, u64, blake3::Hasher)>,
    done: Vec<(u64, Subtree)>,
    /// The whole file from its first byte: hashed as one (a file of one chunk has no subtree).
    whole: Option<blake3::Hasher>,
}

impl RangeHasher {
    pub fn new(start: u64, len: u64, file_size: u64) -> Self {
        let mut hasher = RangeHasher {
            start,
            end: start + len,
            file_size,
            next: start,
            pending: Vec::new(),
            current: None,
            done: Vec::new(),
            whole: None,
        };
        hasher.restart();
        hasher
    }

    /// A range hasher to share between the body that reads and the flow that confirms.
    pub fn shared(start: u64, len: u64, file_size: u64) -> SharedRange {
        Arc::new(Mutex::new(RangeHasher::new(start, len, file_size)))
    }

    fn restart(&mut self) {
        self.next = self.start;
        self.done.clear();
        self.current = None;
        if self.start == 0 && self.end == self.file_size {
            self.whole = Some(blake3::Hasher::new());
            self.pending.clear();
        } else {
            self.whole = None;
            self.pending = subtrees(self.start, self.end, self.file_size);
            self.pending.reverse();
        }
    }

    /// Bytes read at `offset`. Reading again from the range's start (a new attempt) starts
    /// over; bytes anywhere else out of order make the range unverifiable (it is hashed from
    /// the disk at the end instead).
    pub fn update(&mut self, offset: u64, mut bytes: &[u8]) {
        if offset == self.start && self.next != self.start {
            self.restart();
        }
        if offset != self.next {
            self.next = u64::MAX;
            return;
        }
        self.next += bytes.len() as u64;
        if let Some(whole) = &mut self.whole {
            whole.update(bytes);
            return;
        }
        let mut pos = offset;
        while !bytes.is_empty() {
            let (_, len, hasher) = match &mut self.current {
                Some(c) => c,
                None => {
                    // Bytes before the next aligned subtree (or after the last) are not
                    // hashed here: the digest reads them from the disk.
                    let Some(&(at, len)) = self.pending.last() else {
                        return;
                    };
                    if pos < at {
                        let skip = ((at - pos) as usize).min(bytes.len());
                        bytes = &bytes[skip..];
                        pos += skip as u64;
                        continue;
                    }
                    self.pending.pop();
                    let mut h = blake3::Hasher::new();
                    h.set_input_offset(at);
                    self.current.insert((at, len, h))
                }
            };
            let filled = hasher.count();
            let take = ((*len - filled) as usize).min(bytes.len());
            hasher.update(&bytes[..take]);
            bytes = &bytes[take..];
            pos += take as u64;
            if hasher.count() == *len {
                let (at, len, hasher) = self.current.take().expect("current subtree");
                let cv = hasher.finalize_non_root();
                self.done.push((at, Subtree { len, cv }));
            }
        }
    }

    fn complete(&self) -> bool {
        self.next == self.end && self.current.is_none() && self.pending.is_empty()
    }
}

/// A [`RangeHasher`] shared by a body that reads and the flow that confirms.
pub type SharedRange = Arc<Mutex<RangeHasher>>;

/// What a file's upload has hashed so far: the subtrees of confirmed ranges, or the whole-file
/// hash when the file went in one piece.
#[derive(Debug, Default)]
pub struct SentDigest {
    subtrees: BTreeMap<u64, Subtree>,
    whole: Option<String>,
}

impl SentDigest {
    /// Nothing was confirmed in this run (a resume that only had to finish).
    pub fn is_empty(&self) -> bool {
        self.subtrees.is_empty() && self.whole.is_none()
    }

    /// A range the server confirmed, as its body hashed it.
    pub fn confirmed(&mut self, range: &SharedRange) {
        let r = range.lock().expect("range hasher");
        if !r.complete() {
            return; // not all seen (out of order): hashed from the disk at the end
        }
        if let Some(whole) = &r.whole {
            self.whole = Some(whole.finalize().to_hex().to_string());
            return;
        }
        for (at, s) in &r.done {
            self.subtrees.insert(*at, *s);
        }
    }

    /// The hex BLAKE3 of the file as sent; ranges not seen by this run (confirmed before a
    /// resume) are read from `path`. `None` when the ranges do not cover the file.
    pub fn root(mut self, path: &Path, size: u64) -> std::io::Result<Option<String>> {
        if let Some(whole) = self.whole {
            return Ok(Some(whole));
        }
        let mut gaps = Vec::new();
        let mut at = 0;
        for (start, s) in &self.subtrees {
            if *start > at {
                gaps.push((at, start - at));
            }
            at = at.max(start + s.len);
        }
        if at < size {
            gaps.push((at, size - at));
        }
        for (start, len) in gaps {
            self.hash_from_disk(path, start, len, size)?;
        }
        Ok(merge(&self.subtrees, 0, size, true).map(|h| h.to_hex().to_string()))
    }

    fn hash_from_disk(
        &mut self,
        path: &Path,
        start: u64,
        len: u64,
        size: u64,
    ) -> std::io::Result<()> {
        let mut file = crate::fileinfo::open_exact(path)?;
        file.seek(SeekFrom::Start(start))?;
        let mut range = RangeHasher::new(start, len, size);
        let mut buf = vec![0u8; 64 << 10];
        let mut at = start;
        while at < start + len {
            let want = ((start + len - at) as usize).min(buf.len());
            let n = file.read(&mut buf[..want])?;
            if n == 0 {
                break;
            }
            range.update(at, &buf[..n]);
            at += n as u64;
        }
        self.confirmed(&Arc::new(Mutex::new(range)));
        Ok(())
    }
}

/// The chaining value (or, at the root, the hash) of the canonical subtree `[at, at+len)`.
fn merge(subtrees: &BTreeMap<u64, Subtree>, at: u64, len: u64, root: bool) -> Option<blake3::Hash> {
    let cv = merge_cv(subtrees, at, len, root)?;
    Some(blake3::Hash::from_bytes(cv))
}

fn merge_cv(subtrees: &BTreeMap<u64, Subtree>, at: u64, len: u64, root: bool) -> Option<[u8; 32]> {
    if !root && let Some(s) = subtrees.get(&at).filter(|s| s.len == len) {
        return Some(s.cv);
    }
    if len <= CHUNK {
        return None; // a chunk not hashed: cannot happen when the ranges cover the file
    }
    let left = left_subtree_len(len);
    let l = merge_cv(subtrees, at, left, false)?;
    let r = merge_cv(subtrees, at + left, len - left, false)?;
    Some(if root {
        *merge_subtrees_root(&l, &r, Mode::Hash).as_bytes()
    } else {
        merge_subtrees_non_root(&l, &r, Mode::Hash)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// Send `data` in parts of `part` bytes, in `order`, through range hashers fed in pieces
    /// of `piece` bytes; the merged root must be blake3's.
    fn sent(data: &[u8], part: u64, piece: usize, reverse: bool) -> Option<String> {
        let size = data.len() as u64;
        let mut starts: Vec<u64> = (0..size.div_ceil(part)).map(|i| i * part).collect();
        if reverse {
            starts.reverse();
        }
        let mut digest = SentDigest::default();
        for start in starts {
            let len = part.min(size - start);
            let range = Arc::new(Mutex::new(RangeHasher::new(start, len, size)));
            let slice = &data[start as usize..(start + len) as usize];
            for (i, p) in slice.chunks(piece).enumerate() {
                range.lock().unwrap().update(start + (i * piece) as u64, p);
            }
            digest.confirmed(&range);
        }
        digest.root(Path::new("/nonexistent"), size).unwrap()
    }

    #[test]
    fn parts_in_any_order_merge_into_the_files_hash() {
        let mib = 1 << 20;
        for (size, part) in [
            (3 * mib + 17, mib),
            (5 * mib, mib),
            (5 * mib, 2 * mib),
            (7 * mib + 1023, 3 * mib),
            (2049, 1024),
            (10_000, 4096),
            (1000, 1000),
            (4096, 4096),
        ] {
            let data = bytes(size as usize);
            let expected = blake3::hash(&data).to_hex().to_string();
            for reverse in [false, true] {
                for piece in [1000, 65536] {
                    assert_eq!(
                        sent(&data, part, piece, reverse).as_deref(),
                        Some(expected.as_str()),
                        "size {size}, part {part}, piece {piece}, reverse {reverse}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_changed_byte_changes_the_root_and_a_retry_starts_over() {
        let data = bytes(3 << 20);
        let size = data.len() as u64;
        let mut changed = data.clone();
        changed[(1 << 20) + 5] ^= 1;
        let expected = blake3::hash(&data).to_hex().to_string();
        assert_ne!(
            sent(&changed, 1 << 20, 65536, false),
            Some(expected.clone())
        );

        // A part read twice from its start (a retried attempt) counts once.
        let range = Arc::new(Mutex::new(RangeHasher::new(0, size, size)));
        range.lock().unwrap().update(0, &data[..1000]);
        range.lock().unwrap().update(0, &data);
        let mut digest = SentDigest::default();
        digest.confirmed(&range);
        assert_eq!(digest.root(Path::new("/x"), size).unwrap(), Some(expected));
    }

    /// A tus server may confirm any offset: chunks that start and end inside BLAKE3 chunks
    /// still give the file's hash (their unaligned edges read from the disk), and never panic.
    #[test]
    fn unaligned_ranges_give_the_files_hash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("capture.bin");
        let data = bytes((3 << 20) + 777);
        std::fs::write(&path, &data).unwrap();
        let size = data.len() as u64;
        let cuts = [0, 1_234_567, 1_235_000, 2_097_152 + 3, size];
        let mut digest = SentDigest::default();
        for w in cuts.windows(2) {
            let (start, end) = (w[0], w[1]);
            let range = Arc::new(Mutex::new(RangeHasher::new(start, end - start, size)));
            for (i, p) in data[start as usize..end as usize].chunks(5000).enumerate() {
                range.lock().unwrap().update(start + (i * 5000) as u64, p);
            }
            digest.confirmed(&range);
        }
        assert_eq!(
            digest.root(&path, size).unwrap(),
            Some(blake3::hash(&data).to_hex().to_string())
        );
    }

    #[test]
    fn ranges_sent_before_a_resume_are_hashed_from_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lecture.mp4");
        let data = bytes((4 << 20) + 321);
        std::fs::write(&path, &data).unwrap();
        let size = data.len() as u64;
        // This run saw only the third part.
        let (start, len) = (2 << 20, 1 << 20);
        let range = Arc::new(Mutex::new(RangeHasher::new(start, len, size)));
        range
            .lock()
            .unwrap()
            .update(start, &data[start as usize..(start + len) as usize]);
        let mut digest = SentDigest::default();
        digest.confirmed(&range);
        assert_eq!(
            digest.root(&path, size).unwrap(),
            Some(blake3::hash(&data).to_hex().to_string())
        );
    }
}
