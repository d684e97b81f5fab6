//! The pre-flight check for image destinations: format, bytes, pixels per side and in all,
//! read from the file's header without decoding it. A file that fails gets a message that says
//! which limit and what to do, before a byte is sent.

use crate::destination::ImageLimits;
use crate::{Error, ErrorKind, Result};
use std::path::Path;

/// Formats Cloudflare Images stores.
pub const SUPPORTED: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "image/svg+xml",
    "image/avif",
];

/// Check `path` (already classified as `content_type`, `size` bytes) against `limits`.
pub fn check(path: &Path, content_type: &str, size: u64, limits: &ImageLimits) -> Result<()> {
    let name = path.display();
    if !SUPPORTED.contains(&content_type) {
        return Err(Error::new(
            ErrorKind::UnsupportedType,
            format!(
                "{name}: Cloudflare Images takes PNG, JPEG, GIF, WebP, SVG and AVIF, not {content_type}; convert it, or send it to R2 with --to r2"
            ),
        ));
    }
    if size > limits.max_bytes {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{name}: {:.1} MB is over the {} MB limit of Cloudflare Images; compress it, or send it to R2 with --to r2",
                size as f64 / 1_048_576.0,
                limits.max_bytes / 1_048_576
            ),
        ));
    }
    if content_type == "image/svg+xml" {
        return Ok(());
    }
    let dims = imagesize::size(path).map_err(|e| {
        Error::new(
            ErrorKind::UnsupportedType,
            format!("{name}: the image header could not be read ({e}); the file may be damaged"),
        )
    })?;
    let (w, h) = (dims.width as u64, dims.height as u64);
    let side = match content_type {
        "image/avif" => 1_200,
        _ => u64::from(limits.max_side),
    };
    if content_type != "image/webp" && (w > side || h > side) {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{name}: {w}×{h} px is over the {side} px per side that Cloudflare Images accepts; resize it, or send it to R2 with --to r2"
            ),
        ));
    }
    if w * h > limits.max_pixels {
        return Err(Error::new(
            ErrorKind::TooLarge,
            format!(
                "{name}: {w}×{h} px is {:.0} megapixels, over the {} megapixel limit of Cloudflare Images; resize it, or send it to R2 with --to r2",
                (w * h) as f64 / 1e6,
                limits.max_pixels / 1_000_000
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::destination::cloudflare::images::LIMITS;

    fn png(w: u32, h: u32) -> Vec<u8> {
        // A PNG signature and IHDR are all imagesize reads.
        let mut b = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&w.to_be_bytes());
        b.extend_from_slice(&h.to_be_bytes());
        b.extend_from_slice(&[8, 6, 0, 0, 0, 0, 0, 0, 0]);
        b
    }

    #[test]
    fn limits_are_checked_one_by_one() {
        let dir = tempfile::tempdir().unwrap();
        let case = |name: &str, bytes: Vec<u8>| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let ok = case("ok.png", png(4000, 3000));
        check(&ok, "image/png", 1000, &LIMITS).unwrap();
        let wide = case("wide.png", png(12_001, 10));
        let e = check(&wide, "image/png", 1000, &LIMITS).unwrap_err();
        assert!(e.message().contains("12000 px per side"), "{e}");
        let big = case("big.png", png(11_000, 11_000));
        let e = check(&big, "image/png", 1000, &LIMITS).unwrap_err();
        assert!(e.message().contains("megapixel"), "{e}");
        let e = check(&ok, "image/png", 11 * 1024 * 1024, &LIMITS).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
        assert!(e.message().contains("10 MB"), "{e}");
        let e = check(&ok, "image/heic", 1000, &LIMITS).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UnsupportedType);
        let broken = case("broken.png", b"\x89PNG\r\n\x1a\n".to_vec());
        assert!(check(&broken, "image/png", 8, &LIMITS).is_err());
    }

    #[test]
    fn each_limit_accepts_its_exact_value_and_refuses_one_more() {
        let dir = tempfile::tempdir().unwrap();
        let file = |name: &str, w: u32, h: u32| {
            let p = dir.path().join(name);
            std::fs::write(&p, png(w, h)).unwrap();
            p
        };
        let side = LIMITS.max_side;
        let at = file("at.png", side, 8);
        check(&at, "image/png", 1000, &LIMITS).unwrap();
        let over = file("over.png", side + 1, 8);
        assert!(check(&over, "image/png", 1000, &LIMITS).is_err());
        // 10,000 × 10,000 is exactly the pixel limit; one row more is over it.
        let square = (LIMITS.max_pixels as f64).sqrt() as u32;
        let at = file("mp.png", square, square);
        check(&at, "image/png", 1000, &LIMITS).unwrap();
        let over = file("mp1.png", square, square + 1);
        assert!(check(&over, "image/png", 1000, &LIMITS).is_err());
        let small = file("small.png", 10, 10);
        check(&small, "image/png", LIMITS.max_bytes, &LIMITS).unwrap();
        let e = check(&small, "image/png", LIMITS.max_bytes + 1, &LIMITS).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::TooLarge);
    }
}
