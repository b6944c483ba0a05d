#!/usr/bin/env python3
"""Asset upload benchmark: `mlws data create -f` of a local folder (hash, tar+zstd, upload, server
unpack + verify + fsync), first time and again (content already on the server: only the hash is
computed), as ratios against baselines measured in the same run on the same files:
  * `sha256sum` of every file (the hashing floor of a content-addressed upload),
  * `tar --zstd -cf` of the folder plus `curl -T` of the archive to the MLflow artifact proxy of
    the same server (a plain, unverified upload).

Usage: .venv/bin/python bench/asset_upload_bench.py [--mlws-bin build/release/mlws]
       [--files 200] [--file-mib 1]
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

ROOT = Path(__file__).resolve().parent.parent


def timed(cmd, **kw) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
    return time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mlws-bin", default=str(ROOT / "build" / "release" / "mlws"))
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--file-mib", type=int, default=1)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "spec" / "data"
        data.mkdir(parents=True)
        for i in range(a.files):
            (data / f"part-{i:05d}.bin").write_bytes(os.urandom(a.file_mib << 20))
        (tmp / "spec" / "d.yml").write_text("name: bench\ntype: uri_folder\npath: data\n")
        mib = a.files * a.file_mib
        port = free_port()
        srv = subprocess.Popen([a.mlws_bin, "server", "--port", str(port), "--home",
                                str(tmp / "home")], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    if requests.get(url + "/health", timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    time.sleep(0.05)
            files = sorted(str(p) for p in data.iterdir())
            t_hash = timed(["sha256sum", *files])
            archive = tmp / "plain.tar.zst"
            t_tar = timed(["tar", "--zstd", "-cf", str(archive), "-C", str(data), "."])
            t_put = timed(["curl", "-s", "-f", "-T", str(archive),
                           f"{url}/api/2.0/mlflow-artifacts/artifacts/bench/plain.tar.zst"])
            create = [a.mlws_bin, "--url", url, "data", "create", "-f", str(tmp / "spec" / "d.yml")]
            t_first = timed(create)
            t_again = timed(create)
        finally:
            srv.terminate()
            srv.wait(10)
    plain = t_tar + t_put
    print(f"| measure ({a.files} files, {mib} MiB of random bytes) | time | MiB/s | ratio |")
    print("|---|---|---|---|")
    print(f"| baseline: sha256sum of every file | {t_hash * 1000:.0f} ms | {mib / t_hash:.0f} | 1.00 |")
    print(f"| baseline: tar --zstd + curl PUT to the artifact proxy | {plain * 1000:.0f} ms | "
          f"{mib / plain:.0f} | {plain / t_hash:.2f} |")
    print(f"| mlws data create, first upload | {t_first * 1000:.0f} ms | {mib / t_first:.0f} | "
          f"{t_first / t_hash:.2f} |")
    print(f"| mlws data create, same folder again (not sent) | {t_again * 1000:.0f} ms | "
          f"{mib / t_again:.0f} | {t_again / t_hash:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
