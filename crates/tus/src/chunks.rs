//! How big each PATCH is, as data. Cloudflare Stream wants every chunk but the last to be a
//! multiple of 256 KiB and at least 5 MiB, at most 200 MiB; a generic tus server takes anything.
//! A chunk is also the unit of loss on a dropped connection, so it is never the whole file.

/// Chunk sizes a server accepts and the size we prefer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkPolicy {
    /// Non-final chunks are a multiple of this.
    pub multiple: u64,
    /// Non-final chunks are at least this.
    pub min: u64,
    /// No chunk is larger than this.
    pub max: u64,
    /// What we send when free to choose.
    pub preferred: u64,
}

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

impl ChunkPolicy {
    /// Cloudflare Stream: multiples of 256 KiB, 5 MiB to 200 MiB, 50 MiB by default.
    pub const STREAM: ChunkPolicy = ChunkPolicy {
        multiple: 256 * KIB,
        min: 5 * MIB,
        max: 200 * MIB,
        preferred: 50 * MIB,
    };

    /// Any tus 1.0 server.
    pub const ANY: ChunkPolicy = ChunkPolicy {
        multiple: 1,
        min: 1,
        max: u64::MAX,
        preferred: 32 * MIB,
    };

    /// The same rules with another preferred size, rounded to the nearest allowed size.
    pub fn preferring(self, bytes: u64) -> ChunkPolicy {
        let rounded = (bytes + self.multiple / 2) / self.multiple * self.multiple;
        ChunkPolicy {
            preferred: rounded.clamp(self.min, self.max),
            ..self
        }
    }

    /// The length of the chunk that starts at `offset` of an upload of `total` bytes.
    pub fn chunk_len(&self, offset: u64, total: u64) -> u64 {
        let left = total.saturating_sub(offset);
        let size = self.preferred.clamp(self.min, self.max);
        if left <= size {
            return left;
        }
        // What would be left after this chunk must itself be a valid final chunk (any size
        // works for a final chunk), so a plain `size` is always fine.
        size
    }

    /// Whether the server would accept a chunk of `len` bytes at `offset` of `total`.
    pub fn accepts(&self, offset: u64, len: u64, total: u64) -> bool {
        let last = offset + len == total;
        len <= self.max && (last || (len >= self.min && len.is_multiple_of(self.multiple)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stream_chunks_follow_the_rules_for_many_sizes() {
        let p = ChunkPolicy::STREAM;
        for total in [
            0,
            1,
            5 * MIB - 1,
            5 * MIB,
            50 * MIB,
            50 * MIB + 1,
            333 * MIB + 7,
        ] {
            let mut offset = 0;
            while offset < total {
                let len = p.chunk_len(offset, total);
                assert!(len > 0);
                assert!(p.accepts(offset, len, total), "{offset}+{len} of {total}");
                offset += len;
            }
            assert_eq!(offset, total);
        }
    }

    #[test]
    fn preferred_size_is_rounded_and_clamped() {
        let p = ChunkPolicy::STREAM;
        assert_eq!(p.preferring(MIB).preferred, 5 * MIB);
        assert_eq!(p.preferring(1000 * MIB).preferred, 200 * MIB);
        assert_eq!(p.preferring(10 * MIB + 100).preferred, 10 * MIB);
        assert_eq!(
            p.preferring(10 * MIB + 200 * KIB).preferred,
            10 * MIB + 256 * KIB
        );
    }

    #[test]
    fn stream_rejects_what_cloudflare_rejects() {
        let p = ChunkPolicy::STREAM;
        assert!(!p.accepts(0, 4 * MIB, 100 * MIB), "under 5 MiB, not last");
        assert!(
            !p.accepts(0, 5 * MIB + 1, 100 * MIB),
            "not a 256 KiB multiple"
        );
        assert!(!p.accepts(0, 201 * MIB, 300 * MIB), "over 200 MiB");
        assert!(p.accepts(95 * MIB, 5 * MIB, 100 * MIB));
        assert!(p.accepts(99 * MIB, MIB, 100 * MIB), "a short last chunk");
    }
}
