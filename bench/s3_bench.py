#!/usr/bin/env python3
"""Ferry against its peers, uploading to the same local S3 server (rclone serve s3).

Cases: one 1 GiB file; 1,000 files of 64 KiB; and Ferry's peak memory while uploading a 1 GiB
and a 10 GiB file (memory must stay flat with size). Each tool runs into a fresh bucket, each
case is repeated and the best wall time kept. Prints wall time, throughput, peak RSS, and each
peer's time divided by Ferry's (above 1.0: Ferry is faster).

Usage: bench/s3_bench.py [--quick] [--repeat N] [--skip-10g]
Run scripts/setup.sh --test first (bench/run.sh does), so rclone, s5cmd and aws are on PATH.
"""
import argparse
import json
import os
import shutil
import socket
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
    """Run cmd under GNU time; return (wall seconds, peak RSS in MiB)."""
    fmt = "%e %M"
    out = subprocess.run(["/usr/bin/time", "-f", fmt, "-o", "/dev/stderr", *cmd], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({out.returncode}): {out.stderr[-2000:]}")
    wall, rss_kib = out.stderr.strip().splitlines()[-1].split()
    return float(wall), int(rss_kib) / 1024


class Server:
    def __init__(self, root):
        self.root = root
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            ["rclone", "serve", "s3", "--auth-key", f"{AK},{SK}", "--addr", f"127.0.0.1:{self.port}",
             "--config", "/dev/null", root], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("rclone serve s3 did not start")

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller data (256 MiB, 200 files), one repeat")
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--skip-10g", action="store_true")
    args = ap.parse_args()
    repeat = 1 if args.quick else args.repeat
    big_size = (256 if args.quick else 1024) * MIB
    small_count = 200 if args.quick else 1000

    ferry_bin = os.path.join(ROOT, "target", "release", "ferry")
    subprocess.run(["cargo", "build", "--quiet", "--release", "-p", "ferry-cli"], cwd=ROOT, check=True)

    work = tempfile.mkdtemp(prefix="ferry-bench-", dir=os.environ.get("FERRY_BENCH_DIR"))
    results = []
    server = Server(os.path.join(work, "s3"))
    try:
        big = os.path.join(work, "lecture.bin")
        write_random(big, big_size)
        small_dir = os.path.join(work, "handouts")
        os.makedirs(small_dir)
        for i in range(small_count):
            write_random(os.path.join(small_dir, f"handout-{i:04}.bin"), 64 * 1024)
        cases = [(f"1 file of {big_size // MIB} MiB", big, False, big_size),
                 (f"{small_count} files of 64 KiB", small_dir, True, small_count * 64 * 1024)]
        all_tools = tools(server, ferry_bin, work)
        for case, src, is_dir, total in cases:
            for name, make in all_tools.items():
                if name != "ferry" and shutil.which(name) is None:
                    print(f"  ({name} not installed; skipped)", file=sys.stderr)
                    continue
                best = None
                for r in range(repeat):
                    bucket = server.fresh_bucket(f"{name}-{len(results)}-{r}")
                    cmd, env = make(src, bucket, is_dir)
                    wall, rss = timed(cmd, env)
                    server.drop_bucket(bucket)
                    if best is None or wall < best[0]:
                        best = (wall, rss)
                results.append({"case": case, "tool": name, "wall_s": best[0], "rss_mib": best[1],
                                "mb_per_s": total / MIB / best[0]})
                print(f"  {case:<24} {name:<7} {best[0]:7.2f} s  {best[1]:7.1f} MiB", file=sys.stderr)

        # Memory against file size: Ferry alone, 1 GiB and 10 GiB (sparse, so disk holds no data).
        sizes = [1] if args.skip_10g or args.quick else [1, 10]
        for gib in sizes:
            path = os.path.join(work, f"sparse-{gib}g.bin")
            with open(path, "wb") as f:
                f.truncate(gib * 1024 * MIB)
            bucket = server.fresh_bucket(f"rss-{gib}")
            cmd, env = all_tools["ferry"](path, bucket, False)
            wall, rss = timed(cmd, env)
            results.append({"case": f"ferry memory, {gib} GiB file", "tool": "ferry", "wall_s": wall,
                            "rss_mib": rss, "mb_per_s": gib * 1024 / wall})
            server.drop_bucket(bucket)
            os.remove(path)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)

    print()
    print(f"{'case':<26} {'tool':<7} {'wall s':>8} {'MB/s':>8} {'peak RSS':>10} {'peer/ferry':>11}")
    for r in results:
        ferry = next((x for x in results if x["case"] == r["case"] and x["tool"] == "ferry"), None)
        ratio = r["wall_s"] / ferry["wall_s"] if ferry else 1.0
        print(f"{r['case']:<26} {r['tool']:<7} {r['wall_s']:8.2f} {r['mb_per_s']:8.1f} {r['rss_mib']:8.1f} MiB {ratio:10.2f}x")
    out_dir = os.path.join(ROOT, "bench", "out")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "s3_bench.json"), "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
