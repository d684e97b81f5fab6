#!/usr/bin/env python3
"""Watch folders, measured with the release `ferry watch`:

1. First look at a tree of N files (default 100,000) that Ferry has never seen: the scan's own
   time (its `scanned` event), the time until every file is queued (hashed, routed, recorded),
   and peak RSS.
2. A restart over the same, unchanged tree: scan time and peak RSS (nothing may be queued).
3. Delay from a file becoming stable (its last write plus the stable window) to its job being
   queued, over several files created one after another.

Uploads go to a local `rclone serve s3`; jobs from step 1 are paused before step 2 so the
figures are the watcher's, not the uploader's.

Usage: bench/watch_bench.py [--files N] [--delay-samples K]
"""
import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK, SK = "benchaccesskey", "benchsecretkey0123456789"
STABLE_MS = 1000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


class Watch:
    """`ferry watch --json` with its events collected on a thread."""

    def __init__(self, ferry, env, dirs):
        self.proc = subprocess.Popen([ferry, "watch", "--json", *dirs], env=env, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.events = []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            ev["_t"] = time.time()
            with self.cond:
                self.events.append(ev)
                self.cond.notify_all()

    def wait(self, pred, timeout=900):
        deadline = time.time() + timeout
        with self.cond:
            while not pred(self.events):
                left = deadline - time.time()
                if left <= 0:
                    raise TimeoutError(f"last events: {self.events[-5:]}")
                self.cond.wait(left)

    def queued(self):
        return sum(len(e["jobs"]) for e in self.events if e["event"] == "queued")

    def stop(self):
        rss = peak_rss_mib(self.proc.pid)
        self.proc.terminate()
        self.proc.wait(timeout=60)
        return rss


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--files", type=int, default=100_000)
    ap.add_argument("--delay-samples", type=int, default=10)
    args = ap.parse_args()

    subprocess.run(["cargo", "build", "--release", "--locked", "-q", "-p", "ferry-cli"], cwd=ROOT, check=True)
    ferry = os.path.join(ROOT, "target", "release", "ferry")
    work = tempfile.mkdtemp(prefix="ferry-watch-bench-")
    store = os.path.join(work, "store")
    os.makedirs(os.path.join(store, "bench"))
    port = free_port()
    server = subprocess.Popen(["rclone", "serve", "s3", "--auth-key", f"{AK},{SK}", "--addr", f"127.0.0.1:{port}",
                               "--config", "/dev/null", store], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    env = {"PATH": os.environ["PATH"], "FERRY_HOME": os.path.join(work, "home"), "AWS_ACCESS_KEY_ID": AK,
           "AWS_SECRET_ACCESS_KEY": SK, "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
           "S3_BUCKET_NAME": "bench", "FERRY_WATCH_STABLE_MS": str(STABLE_MS)}
    try:
        tree = os.path.join(work, "courses")
        per_dir = 500
        for i in range(args.files):
            d = os.path.join(tree, f"Course {i // 10_000:02d}", f"Module {(i // per_dir) % 20:02d}")
            if i % per_dir == 0:
                os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, f"file-{i:06d}.txt"), "w") as f:
                f.write(f"file {i}\n")
        print(f"tree: {args.files:,} files under {tree}", flush=True)

        # 1. First look.
        w = Watch(ferry, env, [tree])
        w.wait(lambda ev: any(e["event"] == "scanned" for e in ev))
        t0 = w.proc_start = w.events[0]["_t"]
        first = next(e for e in w.events if e["event"] == "scanned")
        w.wait(lambda ev: w.queued() >= args.files)
        all_queued = max(e["_t"] for e in w.events if e["event"] == "queued")
        rss1 = w.stop()
        subprocess.run([ferry, "pause", "--all"], env=env, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        print(f"first look: scan {first['took_ms']} ms for {first['files']:,} files; all queued "
              f"{all_queued - first['_t']:.1f} s after the scan (stable window {STABLE_MS} ms included); "
              f"peak RSS {rss1:.1f} MiB", flush=True)

        # 2. Restart, nothing changed.
        w = Watch(ferry, env, [])
        w.wait(lambda ev: any(e["event"] == "scanned" for e in ev))
        again = next(e for e in w.events if e["event"] == "scanned")
        time.sleep(STABLE_MS / 1000 + 1)
        rss2 = w.stop()
        assert again["pending"] == 0 and w.queued() == 0, again
        print(f"restart, unchanged: scan {again['took_ms']} ms for {again['files']:,} files, "
              f"nothing queued; peak RSS {rss2:.1f} MiB", flush=True)

        # 3. Stable → queued delay.
        live = os.path.join(work, "live")
        os.makedirs(live)
        w = Watch(ferry, env, [live])
        w.wait(lambda ev: sum(e["event"] == "scanned" for e in ev) >= 1)
        delays = []
        rng = random.Random(7)
        for k in range(args.delay_samples):
            # Writes must not fall in step with the watcher's poll ticks.
            time.sleep(rng.uniform(0.0, 0.5))
            path = os.path.join(live, f"sample-{k}.pdf")
            with open(path, "w") as f:
                f.write(f"%PDF-1.4 sample {k}\n")
            written = time.time()
            w.wait(lambda ev, k=k: w.queued() >= k + 1, timeout=60)
            queued_at = [e["_t"] for e in w.events if e["event"] == "queued"][-1]
            delays.append((queued_at - written) * 1000 - STABLE_MS)
        w.stop()
        print(f"stable → queued: median {statistics.median(delays):.0f} ms, max {max(delays):.0f} ms "
              f"beyond the {STABLE_MS} ms window ({len(delays)} files)", flush=True)
        out = os.path.join(ROOT, "bench", "out")
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "watch_bench.json"), "w") as f:
            json.dump({"files": args.files, "first_scan_ms": first["took_ms"],
                       "first_all_queued_s": all_queued - first["_t"], "first_peak_rss_mib": rss1,
                       "restart_scan_ms": again["took_ms"], "restart_peak_rss_mib": rss2,
                       "stable_to_queued_ms": delays}, f, indent=1)
    finally:
        server.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
