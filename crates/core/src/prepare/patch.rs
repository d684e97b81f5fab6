//! Byte patches laid over a file as it streams out: the file on disk is never changed, and a
//! patch never moves a byte, so every offset (an S3 part, a tus chunk, a resume) means the same
//! in the original and in the copy sent.
//!
//! Invariant: patches are sorted by offset and never overlap, so each sent byte is either the
//! file's own or exactly one patch's.

/// Bytes that replace the file's own at `at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Patch {
    pub at: u64,
    pub bytes: Vec<u8>,
}

/// Every patch of one file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Patches(Vec<Patch>);

impl Patches {
    /// Sort `patches` and merge any that overlap (the later one's bytes win where they do).
    pub(crate) fn new(mut patches: Vec<Patch>) -> Patches {
        patches.retain(|p| !p.bytes.is_empty());
        patches.sort_by_key(|p| p.at);
        let mut out: Vec<Patch> = Vec::with_capacity(patches.len());
        for p in patches {
            match out.last_mut() {
                Some(last) if p.at < last.at + last.bytes.len() as u64 => {
                    let from = (p.at - last.at) as usize;
                    let end = from + p.bytes.len();
                    if end > last.bytes.len() {
                        last.bytes.resize(end, 0);
                    }
                    last.bytes[from..end].copy_from_slice(&p.bytes);
                }
                _ => out.push(p),
            }
        }
        Patches(out)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Bytes replaced, in all.
    pub fn len(&self) -> u64 {
        self.0.iter().map(|p| p.bytes.len() as u64).sum()
    }

    /// Lay the patches over `buf`, which holds the file's bytes from `offset`.
    pub fn apply(&self, offset: u64, buf: &mut [u8]) {
        let end = offset + buf.len() as u64;
        // The first patch that ends after `offset`.
        let first = self
            .0
            .partition_point(|p| p.at + p.bytes.len() as u64 <= offset);
        for p in &self.0[first..] {
            if p.at >= end {
                break;
            }
            let from = p.at.max(offset);
            let to = (p.at + p.bytes.len() as u64).min(end);
            buf[(from - offset) as usize..(to - offset) as usize]
                .copy_from_slice(&p.bytes[(from - p.at) as usize..(to - p.at) as usize]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patch(at: u64, bytes: &[u8]) -> Patch {
        Patch {
            at,
            bytes: bytes.to_vec(),
        }
    }

    #[test]
    fn any_window_sees_the_same_bytes_as_the_whole() {
        let file: Vec<u8> = (0..200u8).collect();
        let patches = Patches::new(vec![
            patch(150, b"xyz"),
            patch(10, b"abcd"),
            patch(12, b"Q"),
        ]);
        let mut whole = file.clone();
        patches.apply(0, &mut whole);
        assert_eq!(
            &whole[10..14],
            b"abQd",
            "the later patch wins where they overlap"
        );
        assert_eq!(&whole[150..153], b"xyz");
        assert_eq!(patches.len(), 7);
        for window in [1usize, 3, 7, 64] {
            let mut sent = Vec::new();
            for (i, chunk) in file.chunks(window).enumerate() {
                let mut chunk = chunk.to_vec();
                patches.apply((i * window) as u64, &mut chunk);
                sent.extend(chunk);
            }
            assert_eq!(sent, whole, "window {window}");
        }
    }
}
