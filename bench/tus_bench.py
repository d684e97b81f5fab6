#!/usr/bin/env python3
"""Ferry's tus client against tuspy, uploading the same 1 GiB file to the official tus server
(@tus/server with its FileStore) on 127.0.0.1, in one run.

Each client gets its own server, warmed up by one small upload; then the two clients take
turns uploading the 1 GiB file N times (default 5; the store emptied in between), so a slow
spell of a shared machine falls on both. Prints, per client, the median wall time with its min
and max, throughput, the client's CPU time (user + sys), peak RSS, and tuspy's median divided by
Ferry's (above 1.0: Ferry is faster; the issue's target is 1.5). Ferry is the release build, uploading with
`ferry upload --to tus` (destination `tus`, FERRY_TUS_ENDPOINT), the queue and all.

Usage: bench/tus_bench.py [--size-mib N] [--repeat N] [--chunk-mib N]
"""
import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MIB = 1024 * 1024
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from s3_bench import timed, write_random  # noqa: E402


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TusServer:
    def __init__(self, store):
        port = free_port()
        self.endpoint = f"http://127.0.0.1:{port}/files"
        self.proc = subprocess.Popen(["node", os.path.join(ROOT, "tests/tus-server/server.mjs"), str(port), store],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                     cwd=os.path.join(ROOT, "tests/tus-server"))
        line = self.proc.stdout.readline()
        if not line.startswith("listening"):
            raise RuntimeError(f"tus server did not start: {line!r}")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


TUSPY = """
import sys
from tusclient import client
c = client.TusClient(sys.argv[1])
u = c.uploader(sys.argv[2], chunk_size=int(sys.argv[3]), metadata={"filename": "big.bin"})
u.upload()
assert u.offset == int(sys.argv[4]), u.offset
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--chunk-mib", type=int, default=64, help="PATCH size for both clients")
    ap.add_argument("--disk", action="store_true",
                    help="keep the server's store on disk (default: /dev/shm, so the clients are measured, not the disk)")
    args = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "--quiet", "-p", "ferry-cli"], cwd=ROOT, check=True)
    ferry = os.path.join(ROOT, "target/release/ferry")
    work = tempfile.mkdtemp(prefix="ferry-tus-bench-")
    tools = ["ferry", "tuspy"]
    servers, stores = {}, {}
    try:
        size = args.size_mib * MIB
        src = os.path.join(work, "big.bin")
        write_random(src, size)
        chunk = args.chunk_mib * MIB
        warm = os.path.join(work, "warm.bin")
        write_random(warm, 64 * MIB)
        for tool in tools:
            stores[tool] = tempfile.mkdtemp(dir=work if args.disk or not os.path.isdir("/dev/shm") else "/dev/shm")
            servers[tool] = TusServer(stores[tool])

        def upload(tool, path, length):
            server, store = servers[tool], stores[tool]
            env = dict(os.environ)
            if tool == "ferry":
                home = tempfile.mkdtemp(dir=work)
                env.update({"FERRY_HOME": home, "FERRY_TUS_ENDPOINT": server.endpoint,
                            "FERRY_TUS_CHUNK_MIB": str(args.chunk_mib)})
                cmd = [ferry, "upload", "--to", "tus", "--json", path]
            else:
                cmd = [sys.executable, "-c", TUSPY, server.endpoint, path, str(chunk), str(length)]
            run = timed(cmd, env)
            stored = [f for f in os.listdir(store) if not f.endswith(".json")]
            assert len(stored) == 1 and os.path.getsize(os.path.join(store, stored[0])) == length, stored
            for f in os.listdir(store):
                os.remove(os.path.join(store, f))
            return run

        # Node compiles its hot paths on first use: one small upload per server first.
        for tool in tools:
            upload(tool, warm, 64 * MIB)
        runs = {tool: [] for tool in tools}
        for _ in range(args.repeat):
            for tool in tools:
                runs[tool].append(upload(tool, src, size))
        report(args, size, runs)
    finally:
        for server in servers.values():
            server.stop()
        for store in stores.values():
            shutil.rmtree(store, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)


def report(args, size, runs):
    med = {tool: statistics.median(w for w, _, _ in r) for tool, r in runs.items()}
    where = "disk" if args.disk else "tmpfs"
    print(f"tus upload of {args.size_mib} MiB to @tus/server (store on {where}), {args.chunk_mib} MiB chunks, "
          f"median of {args.repeat}, clients taking turns")
    print(f"{'client':8} {'wall s':>8} {'min-max':>12} {'MB/s':>8} {'cpu s':>7} {'peak RSS MiB':>13} {'tuspy/ferry':>12}")
    for tool, r in runs.items():
        walls = [w for w, _, _ in r]
        cpu = statistics.median(c for _, c, _ in r)
        rss = max(m for _, _, m in r)
        spread = f"{min(walls):.2f}-{max(walls):.2f}"
        print(f"{tool:8} {med[tool]:8.2f} {spread:>12} {size / med[tool] / 1e6:8.1f} {cpu:7.2f} {rss:13.1f} "
              f"{med[tool] / med['ferry']:11.2f}x")


if __name__ == "__main__":
    main()
