"""Write a small sample course into the folder given: a syllabus PDF, a reading list, a cover
image (a real PNG) and a lecture video (an MP4 to every sniffer), in week folders."""
import os
import struct
import sys
import zlib

course = sys.argv[1]
os.makedirs(os.path.join(course, "Week 1"), exist_ok=True)
os.makedirs(os.path.join(course, "Week 2"), exist_ok=True)
with open(os.path.join(course, "syllabus.pdf"), "wb") as f:
    f.write(b"%PDF-1.4\n% Syllabus\n")
with open(os.path.join(course, "Week 1", "reading list.txt"), "w") as f:
    f.write("Read chapter 1 and bring a leaf.\n")
w, h = 320, 200
rows = b"".join(b"\x00" + bytes(v for x in range(w) for v in (30, 90 + (x * 160) // w, 40)) for y in range(h))


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
with open(os.path.join(course, "cover.png"), "wb") as f:
    f.write(png)
with open(os.path.join(course, "Week 2", "lecture recording.mp4"), "wb") as f:
    f.write(struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00isomiso2" + os.urandom(12_000_000))
