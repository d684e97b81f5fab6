//! Blanking an XMP packet in place: its bytes become an empty packet padded with spaces to the
//! same length (XMP packets are made to be rewritten in place that way), so readers find valid,
//! empty XMP. What it held is read first, for the job's report.

use super::Found;

const HEAD: &str = "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>";
const TAIL: &str = "<?xpacket end=\"w\"?>";

/// What the packet `xml` holds that a teacher would not share.
pub(crate) fn found_in(xml: &[u8]) -> Found {
    let text = String::from_utf8_lossy(xml);
    let has = |needles: &[&str]| needles.iter().any(|n| text.contains(n));
    Found {
        location: has(&[
            "GPSLatitude",
            "GPSLongitude",
            "LocationShown",
            "LocationCreated",
            "photoshop:City",
            "Iptc4xmpCore:Location",
        ]),
        device: has(&[
            "tiff:Make",
            "tiff:Model",
            "aux:SerialNumber",
            "exifEX:BodySerialNumber",
            "aux:Lens",
            "exifEX:Lens",
        ]),
        author: has(&["dc:creator", "photoshop:AuthorsPosition", "xmpRights:Owner"]),
        other: true,
        unreadable: false,
    }
}

/// An empty packet of exactly `len` bytes (spaces only when `len` is too short for one).
pub(crate) fn blank(len: usize) -> Vec<u8> {
    let (head, tail) = (HEAD.as_bytes(), TAIL.as_bytes());
    if len < head.len() + tail.len() {
        return vec![b' '; len];
    }
    let mut out = Vec::with_capacity(len);
    out.extend_from_slice(head);
    out.resize(len - tail.len(), b' ');
    out.extend_from_slice(tail);
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_blank_packet_keeps_the_length_and_says_nothing() {
        let old = br#"<x:xmpmeta><rdf:RDF><rdf:Description exif:GPSLatitude="48,51.5N" tiff:Make="Apple"><dc:creator>Ann</dc:creator></rdf:Description></rdf:RDF></x:xmpmeta>"#;
        let found = super::found_in(old);
        assert!(found.location && found.device && found.author);
        let new = super::blank(old.len());
        assert_eq!(new.len(), old.len());
        let found = super::found_in(&new);
        assert!(!found.location && !found.device && !found.author);
        assert_eq!(super::blank(10), vec![b' '; 10]);
    }
}
