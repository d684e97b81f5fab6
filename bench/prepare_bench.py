#!/usr/bin/env python3
"""Preparing phone photos for sharing: Ferry against ExifTool and ImageMagick, on the same N
twelve-megapixel JPEGs, each carrying a GPS position, a phone's make, model and serial, an
author (XMP) and a place (IPTC).

- Ferry: `ferry inspect --save OUT`: location, device and author blanked in place, nothing
  re-encoded, orientation kept (what an upload sends, written to files).
- ExifTool: `exiftool -o OUT/ -gps:all= -make= -model= -serialnumber= -xmp:all= -iptc:all=`:
  the same tags deleted, nothing re-encoded.
- ImageMagick: `mogrify -path OUT -strip`: every profile dropped (the orientation too) and each
  photo decoded and encoded again.

Each tool runs N times (median, min, max of wall time), with its CPU time (user + sys) and peak
RSS from GNU time, and each peer's median divided by Ferry's (above 1.0: Ferry is faster). Every
output is then read back by ExifTool: a tool whose copies still hold a GPS position fails the run.

With `--heic`, the photos are HEIC (as iPhones save them) and each tool makes JPEGs of them:
Ferry (`inspect --save`: libheif's decoder, then every detail dropped but the orientation),
libheif's own `heif-convert` one photo at a time (details kept), and ImageMagick
(`mogrify -format jpg -strip`, through the same libheif).

Usage: bench/prepare_bench.py [--photos 100] [--repeat 3] [--megapixels 12] [--heic]
Needs exiftool, ImageMagick and libheif's tools (scripts/setup.sh --test installs them) and a
built `ferry`.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "bench", "out", "photos")


def timed(cmd):
    out = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", "-o", "/dev/stderr", *cmd],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    wall, user, system, rss = out.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss) / 1024


def make_photos(n, megapixels):
    """N distinct JPEGs of about `megapixels` MP, made once and kept in bench/out/photos."""
    w = int((megapixels * 1e6 * 4 / 3) ** 0.5)
    h = int(w * 3 / 4)
    folder = os.path.join(CACHE, f"{megapixels}mp")
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, "base.jpg")
    if not os.path.exists(base):
        print(f"making a {w}x{h} photo (once)…", file=sys.stderr)
        subprocess.run(["convert", "-size", f"{w}x{h}", "plasma:teal-orange", "-quality", "90", base], check=True)
    paths = []
    for i in range(n):
        p = os.path.join(folder, f"IMG_{i:04d}.jpg")
        if not os.path.exists(p):
            shutil.copy(base, p)
            lat = 45 + i / 1000
            subprocess.run(["exiftool", "-q", "-overwrite_original", f"-GPSLatitude={lat}", "-GPSLatitudeRef=N",
                            "-GPSLongitude=4.83", "-GPSLongitudeRef=E", "-Make=Apple", "-Model=iPhone 15",
                            f"-SerialNumber=SN{i:05d}", "-Orientation#=6", "-XMP-dc:Creator=Ann Teacher",
                            "-IPTC:City=Lyon", p], check=True)
        paths.append(p)
    return paths


def make_heic(photos):
    """The same photos as HEIC: the first encoded once by heif-enc, the others copies of it
    with their own details written by ExifTool."""
    folder = os.path.join(os.path.dirname(photos[0]), "heic")
    os.makedirs(folder, exist_ok=True)
    base = os.path.join(folder, "base.heic")
    if not os.path.exists(base):
        print("encoding a HEIC photo (once)…", file=sys.stderr)
        subprocess.run(["heif-enc", "-q", "80", os.path.join(os.path.dirname(photos[0]), "base.jpg"),
                        "-o", base], check=True, stdout=subprocess.DEVNULL)
    paths = []
    for i in range(len(photos)):
        p = os.path.join(folder, f"IMG_{i:04d}.heic")
        if not os.path.exists(p):
            shutil.copy(base, p)
            subprocess.run(["exiftool", "-q", "-overwrite_original", f"-GPSLatitude={45 + i / 1000}",
                            "-GPSLatitudeRef=N", "-Make=Apple", "-Model=iPhone 15", p], check=True)
        paths.append(p)
    return paths


def gps_left(folder):
    out = subprocess.run(["exiftool", "-j", "-gps:all", "-q", folder], capture_output=True, text=True)
    rows = json.loads(out.stdout or "[]")
    return sum(1 for r in rows if any(k.startswith("GPS") for k in r))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--photos", type=int, default=100)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--megapixels", type=float, default=12)
    ap.add_argument("--heic", action="store_true", help="HEIC photos, made JPEG by each tool")
    args = ap.parse_args()
    ferry = os.path.join(ROOT, "target", "release", "ferry")
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "ferry-cli"], cwd=ROOT, check=True)
    photos = make_photos(args.photos, args.megapixels)
    if args.heic:
        photos = make_heic(photos)
    size = sum(os.path.getsize(p) for p in photos)
    tools = heic_tools(ferry, photos) if args.heic else {
        "ferry": lambda out: [ferry, "inspect", "--save", out, *photos],
        "exiftool": lambda out: ["exiftool", "-q", "-o", out + "/", "-gps:all=", "-make=", "-model=",
                                 "-serialnumber=", "-xmp:all=", "-iptc:all=", *photos],
        "imagemagick": lambda out: ["mogrify", "-path", out, "-strip", *photos],
    }
    results = {}
    # GPS is checked in what each tool wrote, except heif-convert's (it keeps the details).
    keeps = {"heif-convert"}
    for name, cmd in tools.items():
        runs = []
        for _ in range(args.repeat):
            out = tempfile.mkdtemp(prefix=f"prep-{name}-")
            try:
                runs.append(timed(cmd(out)))
                left = 0 if name in keeps else gps_left(out)
                if left:
                    raise SystemExit(f"{name}: {left} copies still hold a GPS position")
            finally:
                shutil.rmtree(out)
        walls = [r[0] for r in runs]
        results[name] = {
            "wall_median": statistics.median(walls), "wall_min": min(walls), "wall_max": max(walls),
            "cpu_median": statistics.median(r[1] for r in runs), "rss_max_mib": max(r[2] for r in runs),
        }
    kind = "HEIC photos" if args.heic else "photos"
    print(f"{args.photos} {kind} of {args.megapixels:g} MP ({size / 2**20:.0f} MiB), {args.repeat} runs each")
    f = results["ferry"]
    print(f"{'tool':<12} {'wall (median, min–max)':<26} {'CPU':>8} {'peak RSS':>10} {'wall ratio':>11} {'CPU ratio':>10}")
    for name, r in results.items():
        ratio = "" if name == "ferry" else f"{r['wall_median'] / f['wall_median']:.1f}×"
        cpu = "" if name == "ferry" else f"{r['cpu_median'] / max(f['cpu_median'], 0.01):.1f}×"
        print(f"{name:<12} {r['wall_median']:6.2f} s ({r['wall_min']:.2f}–{r['wall_max']:.2f})      "
              f"{r['cpu_median']:7.2f}s {r['rss_max_mib']:8.1f} MiB {ratio:>11} {cpu:>10}")
    os.makedirs(os.path.join(ROOT, "bench", "out"), exist_ok=True)
    name = "prepare_bench_heic.json" if args.heic else "prepare_bench.json"
    with open(os.path.join(ROOT, "bench", "out", name), "w") as fh:
        json.dump({"photos": args.photos, "megapixels": args.megapixels, "heic": args.heic,
                   "results": results}, fh, indent=2)


def heic_tools(ferry, photos):
    """Each tool making JPEGs of the HEIC `photos` into a folder."""
    loop = 'for f in "$@"; do b=$(basename "$f" .heic); heif-convert --quiet -q 90 "$f" "$OUT/$b.jpg" || exit 1; done'
    return {
        "ferry": lambda out: [ferry, "inspect", "--save", out, *photos],
        "heif-convert": lambda out: ["env", f"OUT={out}", "sh", "-c", loop, "sh", *photos],
        "imagemagick": lambda out: ["mogrify", "-path", out, "-format", "jpg", "-quality", "90", "-strip",
                                    *photos],
    }


if __name__ == "__main__":
    main()
