#!/usr/bin/env python3
"""Ferry against its peers, uploading to the same local S3 server: `rclone serve s3` (CPU-bound,
so wall time there partly measures the server) and `s3s-fs` (a Rust S3 server fast enough not to
be the bottleneck; built by scripts/setup.sh --test into .tools/s3s).

Cases: one 1 GiB file; 1,000 files of 64 KiB; and Ferry's peak memory while uploading a 1 GiB
and a 10 GiB file (memory must stay flat with size). Each tool runs into a fresh bucket, each
case is repeated N times. Prints, per tool, the median wall time with its min and max, the
client's CPU time (user + sys, from the child's rusage), its peak RSS, and each peer's median
divided by Ferry's (above 1.0: Ferry is faster), for wall and for CPU time.

Usage: bench/s3_bench.py [--quick] [--repeat N] [--skip-10g] [--servers rclone,s3s-fs]
Run scripts/setup.sh --test first (bench/run.sh does), so rclone, s5cmd and aws are on PATH.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AK, SK = "benchaccesskey", "benchsecretkey0123456789"
MIB = 1024 * 1024


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_random(path, size, chunk=16 * MIB):
    with open(path, "wb") as f:
        left = size
        while left:
            n = min(chunk, left)
            f.write(os.urandom(n))
            left -= n


def timed(cmd, env):
    """Run cmd under GNU time; return (wall seconds, client CPU seconds (user + sys), peak RSS in
    MiB). GNU time reads the child's rusage; rusage taken from Python itself would count the
    forked interpreter's memory in the child's peak RSS."""
    fmt = "%e %U %S %M"
    out = subprocess.run(["/usr/bin/time", "-f", fmt, "-o", "/dev/stderr", *cmd], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    wall, user, system, rss_kib = out.stderr.strip().splitlines()[-1].split()
    return float(wall), float(user) + float(system), int(rss_kib) / 1024


S3S_FS = os.path.join(ROOT, ".tools", "s3s", "bin", "s3s-fs")


class Server:
    def __init__(self, kind, root):
        self.kind = kind
        self.root = root
        os.makedirs(root, exist_ok=True)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        if kind == "rclone":
            cmd = ["rclone", "serve", "s3", "--auth-key", f"{AK},{SK}", "--addr", f"127.0.0.1:{self.port}",
                   "--config", "/dev/null", root]
        else:
            cmd = [S3S_FS, "--host", "127.0.0.1", "--port", str(self.port), "--access-key", AK,
                   "--secret-key", SK, root]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{kind} did not start")

    def fresh_bucket(self, name):
        # Through the S3 API: rclone caches directory listings, so a folder made behind its
        # back may not show up as a bucket for minutes.
        import boto3
        from botocore.config import Config
        s3 = boto3.client("s3", endpoint_url=self.endpoint, aws_access_key_id=AK, aws_secret_access_key=SK,
                          region_name="us-east-1", config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket=name)
        return name

    def drop_bucket(self, name):
        shutil.rmtree(os.path.join(self.root, name), ignore_errors=True)
        # s3s-fs keeps each object's metadata (and unfinished uploads) beside the buckets.
        for entry in os.listdir(self.root):
            if entry.startswith("."):
                path = os.path.join(self.root, entry)
                if os.path.isfile(path):
                    os.remove(path)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def tools(server, ferry_bin, work):
    base = dict(os.environ, AWS_ACCESS_KEY_ID=AK, AWS_SECRET_ACCESS_KEY=SK, AWS_REGION="us-east-1",
                AWS_DEFAULT_REGION="us-east-1")

    def ferry(src, bucket, is_dir):
        home = tempfile.mkdtemp(dir=work)
        env = dict(base, FERRY_HOME=home, AWS_ENDPOINT_URL=server.endpoint, S3_BUCKET_NAME=bucket)
        return [ferry_bin, "upload", "--to", "s3", src], env

    def rclone(src, bucket, is_dir):
        remote = f":s3,provider=Other,endpoint='{server.endpoint}',access_key_id={AK},secret_access_key={SK},force_path_style=true:{bucket}/up"
        return ["rclone", "copy", "--config", "/dev/null", src, remote], base

    def s5cmd(src, bucket, is_dir):
        source = os.path.join(src, "*") if is_dir else src
        return ["s5cmd", "--endpoint-url", server.endpoint, "cp", source, f"s3://{bucket}/up/"], base

    def aws(src, bucket, is_dir):
        cmd = ["aws", "--endpoint-url", server.endpoint, "s3", "cp", src, f"s3://{bucket}/up/", "--only-show-errors"]
        if is_dir:
            cmd.append("--recursive")
        return cmd, base

    return {"ferry": ferry, "rclone": rclone, "s5cmd": s5cmd, "aws": aws}


def measure(make, src, bucket_name, server, is_dir, repeat):
    """Run one tool `repeat` times; return the list of (wall, cpu, rss) runs."""
    runs = []
    for r in range(repeat):
        bucket = server.fresh_bucket(f"{bucket_name}-{r}")
        cmd, env = make(src, bucket, is_dir)
        runs.append(timed(cmd, env))
        server.drop_bucket(bucket)
    return runs


def summary(case, tool, server, runs, total):
    walls = [w for w, _, _ in runs]
    return {"server": server, "case": case, "tool": tool, "runs": len(runs),
            "wall_s": statistics.median(walls), "wall_min_s": min(walls), "wall_max_s": max(walls),
            "cpu_s": statistics.median(c for _, c, _ in runs),
            "rss_mib": max(m for _, _, m in runs),
            "mb_per_s": total / MIB / statistics.median(walls)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller data (256 MiB, 200 files), one run")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-10g", action="store_true")
    ap.add_argument("--servers", default="rclone,s3s-fs", help="comma-separated: rclone, s3s-fs")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    big_size = (256 if args.quick else 1024) * MIB
    small_count = 200 if args.quick else 1000
    servers = [k.strip() for k in args.servers.split(",") if k.strip()]
    if "s3s-fs" in servers and not os.path.exists(S3S_FS):
        print("  (s3s-fs not built: run scripts/setup.sh --test; skipped)", file=sys.stderr)
        servers.remove("s3s-fs")

    ferry_bin = os.path.join(ROOT, "target", "release", "ferry")
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "ferry-cli"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferry-bench-", dir=os.environ.get("FERRY_BENCH_DIR"))
    results = []
    try:
        big = os.path.join(work, "lecture.bin")
        write_random(big, big_size)
        small_dir = os.path.join(work, "handouts")
        os.makedirs(small_dir)
        for i in range(small_count):
            write_random(os.path.join(small_dir, f"handout-{i:04}.bin"), 64 * 1024)
        cases = [(f"1 file of {big_size // MIB} MiB", big, False, big_size),
                 (f"{small_count} files of 64 KiB", small_dir, True, small_count * 64 * 1024)]
        for kind in servers:
            server = Server(kind, os.path.join(work, f"s3-{kind}"))
            try:
                all_tools = tools(server, ferry_bin, work)
                for case, src, is_dir, total in cases:
                    for name, make in all_tools.items():
                        if name != "ferry" and shutil.which(name) is None:
                            print(f"  ({name} not installed; skipped)", file=sys.stderr)
                            continue
                        runs = measure(make, src, f"{name}-{len(results)}", server, is_dir, repeat)
                        row = summary(case, name, kind, runs, total)
                        results.append(row)
                        print(f"  {kind:<7} {case:<22} {name:<7} {row['wall_s']:7.2f} s "
                              f"[{row['wall_min_s']:.2f}-{row['wall_max_s']:.2f}] cpu {row['cpu_s']:6.2f} s "
                              f"{row['rss_mib']:7.1f} MiB", file=sys.stderr)
                if kind == servers[0]:
                    memory_cases(args, server, all_tools, work, results)
            finally:
                server.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)

    report(results)


def memory_cases(args, server, all_tools, work, results):
    """Ferry alone, 1 GiB and 10 GiB sparse files (the disk holds no data): memory stays flat."""
    sizes = [1] if args.skip_10g or args.quick else [1, 10]
    for gib in sizes:
        path = os.path.join(work, f"sparse-{gib}g.bin")
        with open(path, "wb") as f:
            f.truncate(gib * 1024 * MIB)
        runs = measure(all_tools["ferry"], path, f"rss-{gib}", server, False, 1)
        results.append(summary(f"ferry memory, {gib} GiB file", "ferry", server.kind, runs, gib * 1024 * MIB))
        os.remove(path)


def report(results):
    print()
    print(f"{'server':<7} {'case':<26} {'tool':<7} {'wall s (median)':>15} {'min-max':>12} "
          f"{'cpu s':>7} {'peak RSS':>10} {'wall peer/ferry':>16} {'cpu ferry/peer':>15}")
    for r in results:
        ferry = next((x for x in results if x["server"] == r["server"] and x["case"] == r["case"]
                      and x["tool"] == "ferry"), None)
        wall_ratio = r["wall_s"] / ferry["wall_s"] if ferry else 1.0
        cpu_ratio = ferry["cpu_s"] / r["cpu_s"] if ferry and r["cpu_s"] else 1.0
        spread = f"{r['wall_min_s']:.2f}-{r['wall_max_s']:.2f}"
        print(f"{r['server']:<7} {r['case']:<26} {r['tool']:<7} {r['wall_s']:15.2f} {spread:>12} "
              f"{r['cpu_s']:7.2f} {r['rss_mib']:6.1f} MiB {wall_ratio:15.2f}x {cpu_ratio:14.2f}x")
    out_dir = os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "s3_bench.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
