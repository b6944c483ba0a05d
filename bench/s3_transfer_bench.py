#!/usr/bin/env python3
"""S3 transfer benchmark: one large artifact (default 1 GiB) uploaded and downloaded through mlws
(the MLflow artifact proxy of a server with `--artifacts-destination s3://…`) against S3Proxy,
as ratios against boto3 talking to the same S3Proxy directly, in the same run on the same file.

  mlws upload:   curl -T file  PUT /api/2.0/mlflow-artifacts/artifacts/<run>/big.bin
                 (the server stages the body, then streams it to S3: multipart in 16 MiB parts)
  mlws download: curl          GET the same path (streamed from S3 through the server)
  boto3:         upload_file / download_file with its default transfer settings

Target (issue 13): each mlws time within 1.5x of boto3's.

Usage: .venv/bin/python bench/s3_transfer_bench.py [--mlws-bin build/release/mlws] [--mib 1024]
       [--rounds 1]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
from mlws_testkit.net import free_port  # noqa: E402
from mlws_testkit.s3proxy import S3Proxy, unavailable_reason  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "bench"


def timed(cmd) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def same_file(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(8 << 20), fb.read(8 << 20)
            if x != y:
                return False
            if not x:
                return True


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--mib", type=int, default=1024)
    ap.add_argument("--rounds", type=int, default=1)
    a = ap.parse_args()
    why = unavailable_reason()
    if why:
        print(f"s3_transfer_bench: skipped: {why}")
        return 0
    import boto3  # noqa: PLC0415 (only where S3Proxy runs)
    from botocore.config import Config  # noqa: PLC0415

    with tempfile.TemporaryDirectory(dir=os.environ.get("MLWS_BENCH_TMP")) as tmp:
        tmp = Path(tmp)
        big = tmp / "big.bin"
        with open(big, "wb") as f:
            for _ in range(a.mib):
                f.write(os.urandom(1 << 20))
        proxy = S3Proxy(tmp / "s3proxy", buckets=[BUCKET]).start()
        port = free_port()
        srv = subprocess.Popen(
            [a.mlws_bin, "server", "--host", "127.0.0.1", "--port", str(port), "--home",
             str(tmp / "home"), "--artifacts-destination", f"s3://{BUCKET}/mlws",
             "--s3-endpoint-url", proxy.endpoint],
            stdout=subprocess.DEVNULL, stderr=open(tmp / "mlws.stderr", "wb"),  # noqa: SIM115
            env={**os.environ, **proxy.env()})
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                try:
                    if requests.get(url + "/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                time.sleep(0.1)
            s3 = boto3.client("s3", endpoint_url=proxy.endpoint, region_name="us-east-1",
                              aws_access_key_id=proxy.env()["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=proxy.env()["AWS_SECRET_ACCESS_KEY"],
                              # S3Proxy 2.6 refuses the CRC headers newer boto3 adds.
                              config=Config(s3={"addressing_style": "path"},
                                            request_checksum_calculation="when_required",
                                            response_checksum_validation="when_required"))
            rows = []
            for r in range(a.rounds):
                art = f"{url}/api/2.0/mlflow-artifacts/artifacts/bench/{r}/big.bin"
                up = timed(["curl", "-sf", "-T", str(big), art])
                got = tmp / "mlws.bin"
                down = timed(["curl", "-sf", "-o", str(got), art])
                assert same_file(big, got), "mlws download differs"
                got.unlink()
                t = time.perf_counter()
                s3.upload_file(str(big), BUCKET, f"direct/{r}/big.bin")
                b_up = time.perf_counter() - t
                t = time.perf_counter()
                s3.download_file(BUCKET, f"direct/{r}/big.bin", str(got))
                b_down = time.perf_counter() - t
                assert same_file(big, got), "boto3 download differs"
                got.unlink()
                rows.append((up, down, b_up, b_down))
        finally:
            srv.terminate()
            srv.wait(timeout=30)
            proxy.stop()
    up, down, b_up, b_down = (min(c) for c in zip(*rows))
    mib = a.mib
    print(f"artifact: {mib} MiB, best of {a.rounds} round(s), S3Proxy 2.6.0 filesystem backend")
    print(f"{'':16}{'mlws s':>10}{'boto3 s':>10}{'mlws MiB/s':>12}{'boto3 MiB/s':>13}"
          f"{'ratio':>8}")
    for what, m, b in (("upload", up, b_up), ("download", down, b_down)):
        print(f"{what:16}{m:10.2f}{b:10.2f}{mib / m:12.1f}{mib / b:13.1f}{m / b:8.2f}x")
    ok = up / b_up <= 1.5 and down / b_down <= 1.5
    print("target (mlws within 1.5x of boto3):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
