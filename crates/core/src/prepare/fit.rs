//! Fitting a photo to Cloudflare Images: one over its limits (10 MB, 12,000 px a side, 100
//! megapixels) is turned upright, scaled down (aspect ratio kept) and encoded again (JPEG at
//! quality 85; a PNG stays a PNG while that fits, so diagrams and screenshots keep their sharp
//! edges, and one with transparency always does) until it fits, instead of going to R2 at full
//! size. The copy is written beside Ferry's database (`prepared/`), named by the job, made in a
//! `.part` file and renamed when whole, and removed once its upload ends; it carries no EXIF,
//! XMP or IPTC at all. The original is read once, its hash checked against the job's.
//!
//! Fitting holds one photo's pixels in memory (about 150 MB for 48 megapixels): it is the one
//! step of preparation that does not stream.

use crate::destination::ImageLimits;
use crate::{Error, ErrorKind, Result};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageReader};
use serde::{Deserialize, Serialize};
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// The JPEG quality a fitted photo is encoded at.
const QUALITY: u8 = 85;
/// Each try that is still too large scales down by this much more.
const STEP: f64 = 0.8;
const TRIES: usize = 6;

/// Both sizes of a fitted photo, as the job shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fitted {
    pub from_width: u32,
    pub from_height: u32,
    pub from_bytes: u64,
    pub width: u32,
    pub height: u32,
    pub bytes: u64,
    pub content_type: String,
}

/// A fitted copy on disk: where, and its BLAKE3.
pub(crate) struct FittedCopy {
    pub path: PathBuf,
    pub hash: String,
    pub fitted: Fitted,
}

/// The bytes of the photo at `src`, which must still hash to `hash` (the content the job took):
/// a copy is made from what the teacher added, never from a newer version.
pub(crate) fn read_unchanged(src: &Path, hash: &str) -> Result<Vec<u8>> {
    let bytes = std::fs::read(src).map_err(|e| Error::from_io(src, &e))?;
    if blake3::hash(&bytes).to_hex().as_str() != hash {
        return Err(Error::new(
            ErrorKind::Precondition,
            format!(
                "{} changed since it was added; add it again to send the new version",
                src.display()
            ),
        ));
    }
    Ok(bytes)
}

impl FittedCopy {
    /// Write `bytes` to `out` through a `.part` file renamed when whole (a copy found under its
    /// own name is always complete), and describe it.
    pub(crate) fn write(out: &Path, bytes: &[u8], fitted: Fitted) -> Result<FittedCopy> {
        let part = out.with_extension("part");
        std::fs::write(&part, bytes).map_err(|e| Error::from_io(&part, &e))?;
        std::fs::rename(&part, out).map_err(|e| Error::from_io(out, &e))?;
        Ok(FittedCopy {
            path: out.to_path_buf(),
            hash: blake3::hash(bytes).to_hex().to_string(),
            fitted,
        })
    }
}

/// Whether a course's compression applies to `content_type` (JPEG encoded again at a lower
/// quality, PNG compressed harder).
pub fn can_compress(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png")
}

/// Whether Ferry can decode `content_type` to fit it.
pub fn can_fit(content_type: &str) -> bool {
    matches!(content_type, "image/jpeg" | "image/png" | "image/webp")
}

/// Fit the photo at `src` (whose content must hash to `hash`) within `limits`, its longest
/// side at most `max_side`, into `out`.
pub(crate) fn fit(
    src: &Path,
    hash: &str,
    limits: &ImageLimits,
    max_side: u32,
    out: &Path,
) -> Result<FittedCopy> {
    reencode(src, hash, limits, max_side, QUALITY, out)
}

/// A smaller copy of the JPEG or PNG at `src` for a course that asks for compression: a JPEG
/// encoded again at `quality`, a PNG compressed harder (still lossless), both upright and
/// without hidden details. `None` when the copy would not save a tenth of the size.
pub(crate) fn compress(
    src: &Path,
    hash: &str,
    quality: u8,
    out: &Path,
) -> Result<Option<FittedCopy>> {
    let unlimited = ImageLimits {
        max_bytes: u64::MAX,
        max_side: u32::MAX,
        max_pixels: u64::MAX,
    };
    let copy = reencode(src, hash, &unlimited, u32::MAX, quality, out)?;
    if copy.fitted.bytes * 10 > copy.fitted.from_bytes * 9 {
        let _ = std::fs::remove_file(&copy.path);
        return Ok(None);
    }
    Ok(Some(copy))
}

fn reencode(
    src: &Path,
    hash: &str,
    limits: &ImageLimits,
    max_side: u32,
    quality: u8,
    out: &Path,
) -> Result<FittedCopy> {
    let name = src.display();
    let bytes = read_unchanged(src, hash)?;
    let undecodable = |e: image::ImageError| {
        Error::new(
            ErrorKind::UnsupportedType,
            format!(
                "{name} is over Cloudflare Images' limits and could not be read to fit it ({e}); the file may be damaged, or send it to R2 with --to r2"
            ),
        )
    };
    let reader = ImageReader::new(Cursor::new(&bytes))
        .with_guessed_format()
        .map_err(|e| Error::from_io(src, &e))?;
    let was_png = reader.format() == Some(image::ImageFormat::Png);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().map_err(undecodable)?;
    let mut img = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    img.apply_orientation(orientation);
    let (w, h) = (img.width(), img.height());
    let side = max_side.min(limits.max_side).max(1);
    let mut scale = (f64::from(side) / f64::from(w.max(h)))
        .min((limits.max_pixels as f64 / (f64::from(w) * f64::from(h))).sqrt())
        .min(1.0);
    let alpha = img.color().has_alpha() && has_transparency(&img);
    for _ in 0..TRIES {
        let (nw, nh) = (
            ((f64::from(w) * scale).floor() as u32).max(1),
            ((f64::from(h) * scale).floor() as u32).max(1),
        );
        let resized = if (nw, nh) == (w, h) {
            img.clone()
        } else {
            img.resize_exact(nw, nh, image::imageops::FilterType::CatmullRom)
        };
        let failed = |e: image::ImageError| {
            Error::new(
                ErrorKind::Io,
                format!("{name}: fitting it to Cloudflare Images failed ({e})"),
            )
        };
        let (mut encoded, mut content_type) =
            encode(&resized, alpha || was_png, quality).map_err(failed)?;
        if encoded.len() as u64 > limits.max_bytes && was_png && !alpha {
            (encoded, content_type) = encode(&resized, false, quality).map_err(failed)?;
        }
        if encoded.len() as u64 <= limits.max_bytes {
            return FittedCopy::write(
                out,
                &encoded,
                Fitted {
                    from_width: w,
                    from_height: h,
                    from_bytes: bytes.len() as u64,
                    width: nw,
                    height: nh,
                    bytes: encoded.len() as u64,
                    content_type: content_type.into(),
                },
            );
        }
        scale *= STEP;
    }
    Err(Error::new(
        ErrorKind::TooLarge,
        format!(
            "{name} could not be brought under Cloudflare Images' {} MB, even scaled down; send it to R2 with --to r2",
            limits.max_bytes / 1_000_000
        ),
    ))
}

fn has_transparency(img: &DynamicImage) -> bool {
    match img {
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p.0[3] < 255),
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p.0[1] < 255),
        other => other.to_rgba8().pixels().any(|p| p.0[3] < 255),
    }
}

/// `img` as a PNG (`png`) or a JPEG.
fn encode(
    img: &DynamicImage,
    png: bool,
    quality: u8,
) -> image::ImageResult<(Vec<u8>, &'static str)> {
    let mut out = Vec::new();
    if png {
        let encoder = image::codecs::png::PngEncoder::new_with_quality(
            &mut out,
            image::codecs::png::CompressionType::Best,
            image::codecs::png::FilterType::Adaptive,
        );
        img.write_with_encoder(encoder)?;
        Ok((out, "image/png"))
    } else {
        let rgb = img.to_rgb8();
        JpegEncoder::new_with_quality(&mut out, quality).encode_image(&rgb)?;
        Ok((out, "image/jpeg"))
    }
}

/// A size as a teacher reads it: "840 KB", "2.4 MB".
pub fn size_words(bytes: u64) -> String {
    match bytes {
        b if b < 1_000_000 => format!("{} KB", b.div_ceil(1000)),
        b => format!("{:.1} MB", b as f64 / 1_000_000.0),
    }
}

impl Fitted {
    /// "8000×6000, 18.2 MB → 4000×3000, 2.1 MB".
    pub fn describe(&self) -> String {
        let mb = size_words;
        format!(
            "{}×{}, {} → {}×{}, {}",
            self.from_width,
            self.from_height,
            mb(self.from_bytes),
            self.width,
            self.height,
            mb(self.bytes)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: ImageLimits = ImageLimits {
        max_bytes: 10_000_000,
        max_side: 12_000,
        max_pixels: 100_000_000,
    };

    #[test]
    fn a_wide_photo_is_scaled_to_the_side_asked_keeping_its_shape() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("panorama.png");
        let img = image::RgbImage::from_fn(3000, 500, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        });
        img.save(&src).unwrap();
        let hash = blake3::hash(&std::fs::read(&src).unwrap())
            .to_hex()
            .to_string();
        let out = dir.path().join("fitted.jpg");
        let copy = fit(&src, &hash, &LIMITS, 1200, &out).unwrap();
        assert_eq!((copy.fitted.width, copy.fitted.height), (1200, 200));
        assert_eq!(
            copy.fitted.content_type, "image/png",
            "a PNG stays a PNG while it fits"
        );
        let back = image::ImageReader::open(&out)
            .unwrap()
            .with_guessed_format()
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!((back.width(), back.height()), (1200, 200));
        assert!(!out.with_extension("part").exists());
        let said = copy.fitted.describe();
        assert!(
            said.starts_with("3000×500, ") && said.contains(" KB → 1200×200, "),
            "{said}"
        );
    }

    #[test]
    fn a_changed_or_unreadable_photo_is_refused_with_why() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("broken.jpg");
        std::fs::write(&src, b"\xFF\xD8\xFF\xE0 not really").unwrap();
        let out = dir.path().join("x.jpg");
        let changed = fit(&src, "0000", &LIMITS, 4000, &out).err().unwrap();
        assert_eq!(changed.kind(), ErrorKind::Precondition);
        let hash = blake3::hash(&std::fs::read(&src).unwrap())
            .to_hex()
            .to_string();
        let broken = fit(&src, &hash, &LIMITS, 4000, &out).err().unwrap();
        assert_eq!(broken.kind(), ErrorKind::UnsupportedType);
        assert!(
            broken.message().contains("could not be read to fit it"),
            "{broken}"
        );
    }
}
